/* 修改密码 page: posts the old and new password as JSON to /api/me/password (with the session's
   CSRF token, added by csrf.js), then goes to the login page — the change ended every session —
   keeping where the user was going (`next`, a path of this site normalised by the server). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("password-form");
  if (!form) return;
  const msg = document.getElementById("msg");
  const submit = document.getElementById("submit");
  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    msg.textContent = "";
    msg.className = "error";
    const fresh = document.getElementById("new-password").value;
    if (fresh !== document.getElementById("new-password2").value) { msg.textContent = "两次输入的新密码不一致"; return; }
    submit.disabled = true;
    let res;
    try {
      res = await fetch("/api/me/password", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ old_password: document.getElementById("old-password").value, new_password: fresh }) });
    } catch (e) {
      msg.textContent = "无法连接服务器，请检查服务是否在运行";
      submit.disabled = false;
      return;
    }
    if (res.ok) {
      form.reset();
      msg.className = "status ok";
      msg.textContent = "密码已修改，请用新密码重新登录";
      const next = form.dataset.next || "/";
      const safe = next.startsWith("/") && !next.startsWith("//") && next.indexOf("\\") < 0 ? next : "/";
      window.setTimeout(function () { window.location.assign("/login?next=" + encodeURIComponent(safe)); }, 1200);
      return;
    }
    let text = "修改失败（" + res.status + "）";
    try { const data = await res.json(); if (typeof data.detail === "string") text = data.detail; } catch (e) { /* not JSON */ }
    msg.textContent = text;
    submit.disabled = false;
  });
});
