/* Sessions of the bureau's server: every state-changing request of this page carries the
   session's CSRF token (cookie hg_csrf, set at login; in single-user mode the server's token from
   /api/session) in the X-CSRF-Token header; the 退出 button
   ends the session. Loaded before app.js by base.html. */
"use strict";
(function () {
  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)(?:__Host-)?hg_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  const plain = window.fetch.bind(window);
  let local = null;  // single-user mode: the server's token, read once from /api/session (same origin only)
  function token() {
    if (csrf()) return Promise.resolve(csrf());
    if (local === null) {
      local = plain("/api/session", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (d) { return (d && d.csrf_token) || ""; })
        .catch(function () { return ""; });
    }
    return local;
  }
  window.fetch = function (input, init) {
    init = init || {};
    const method = String(init.method || (input && input.method) || "GET").toUpperCase();
    const url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    let ready = Promise.resolve(init);
    if (method !== "GET" && method !== "HEAD" && url.origin === window.location.origin) {
      ready = token().then(function (tok) {
        if (!tok) return init;
        const headers = new Headers(init.headers || {});
        headers.set("X-CSRF-Token", tok);
        return Object.assign({}, init, { headers: headers });
      });
    }
    return ready.then(function (withToken) { return plain(input, withToken); }).then(function (resp) {
      if (resp.status === 401 && url.origin === window.location.origin && url.pathname !== "/api/login") {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      }
      return resp;
    });
  };
  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("logout");
    if (!button) return;
    if (!csrf()) { button.hidden = true; return; }
    button.addEventListener("click", async function () {
      await window.fetch("/api/logout", { method: "POST", credentials: "same-origin" });
      window.location.assign("/login");
    });
  });
})();
