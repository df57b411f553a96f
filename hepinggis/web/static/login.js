/* The login page: posts the name, password and `next` as JSON to /api/login, then goes where the
   server's answer says (`next` normalised there to a path of this site) — or to the overview.
   A refusal is shown as the server's one Chinese line (it says when to retry after a lockout). */
"use strict";
(function () {
  function target(answer) {
    // the server normalised `next` (issue 33: the browser's own normalising made /.//evil.example
    // an open redirect); the page still goes only to a single-slash path of this site
    const next = (answer && typeof answer.next === "string") ? answer.next : "/";
    if (!next.startsWith("/") || next.startsWith("//") || next.indexOf("\\") >= 0) return "/";
    return next;
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
                                    password: document.getElementById("password").value,
                                    next: new URLSearchParams(window.location.search).get("next") || "/" });
      let res;
      try {
        res = await fetch("/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
                                          body: body, credentials: "same-origin" });
      } catch (e) {
        msg.textContent = "无法连接服务器，请检查服务是否在运行";
        submit.disabled = false;
        return;
      }
      if (res.ok) {
        let answer = null;
        try { answer = await res.json(); } catch (e) { /* not JSON */ }
        window.location.assign(target(answer));
        return;
      }
      let text = "登录失败（" + res.status + "）";
      try { const data = await res.json(); if (typeof data.detail === "string") text = data.detail; } catch (e) { /* not JSON */ }
      msg.textContent = text;
      submit.disabled = false;
    });
  });
})();
