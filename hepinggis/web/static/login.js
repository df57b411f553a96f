/* The login page: posts the name and password as JSON to /api/login, then goes to `next` — only
   when it is a path of this site (never //host, /\host or another origin) — or to the overview.
   A refusal is shown as the server's one Chinese line (it says when to retry after a lockout). */
"use strict";
(function () {
  function target() {
    const next = new URLSearchParams(window.location.search).get("next") || "/";
    if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
    let url;
    try { url = new URL(next, window.location.origin); } catch (e) { return "/"; }
    if (url.origin !== window.location.origin) return "/";
    return url.pathname + url.search + url.hash;
  }
  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("login");
    const msg = document.getElementById("msg");
    const submit = document.getElementById("submit");
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      msg.textContent = "";
      submit.disabled = true;
      const body = JSON.stringify({ username: document.getElementById("username").value,
                                    password: document.getElementById("password").value });
      let res;
      try {
        res = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: body, credentials: "same-origin" });
      } catch (e) {
        msg.textContent = "无法连接服务器，请检查服务是否在运行";
        submit.disabled = false;
        return;
      }
      if (res.ok) { window.location.assign(target()); return; }
      let text = "登录失败（" + res.status + "）";
      try { const data = await res.json(); if (typeof data.detail === "string") text = data.detail; } catch (e) { /* not JSON */ }
      msg.textContent = text;
      submit.disabled = false;
    });
  });
})();
