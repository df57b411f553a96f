/* 用户 page: add an account, disable/enable it, change its role or password. Every request goes
   through window.fetch as wrapped by csrf.js (X-CSRF-Token); names travel only as JSON values and
   encodeURIComponent'd path segments, and come back on the page only as textContent. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const status = document.getElementById("status");
  function say(text, bad) { status.textContent = text; status.className = bad ? "status error" : "status"; }
  async function send(url, body) {
    let resp;
    try {
      resp = await fetch(url, { method: "POST", credentials: "same-origin",
                                headers: { "Content-Type": "application/json", "Accept": "application/json" },
                                body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) { say("无法连接服务器，请检查服务是否在运行", true); return false; }
    if (resp.ok) return true;
    let text = "操作失败（" + resp.status + "）";
    try { const data = await resp.json(); if (typeof data.detail === "string") text = data.detail; } catch (e) { /* not JSON */ }
    say(text, true);
    return false;
  }
  function userUrl(name, what) { return "/api/users/" + encodeURIComponent(name) + "/" + what; }
  /* the line of the last change survives the reload that shows it in the table */
  function reloadSaying(text) { sessionStorage.setItem("hg-users-status", text); window.location.reload(); }
  const left = sessionStorage.getItem("hg-users-status");
  if (left) { sessionStorage.removeItem("hg-users-status"); say(left, false); }
  document.getElementById("add-user").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const name = document.getElementById("new-name").value;
    const pw = document.getElementById("new-password").value;
    if (pw !== document.getElementById("new-password2").value) { say("两次输入的密码不一致", true); return; }
    const role = document.getElementById("new-role").value;
    if (await send("/api/users", { name: name, role: role, password: pw })) {
      reloadSaying("已新增用户“" + name + "”（" + role + "）");
    }
  });
  document.getElementById("users").addEventListener("click", async function (ev) {
    const button = ev.target.closest("button.disable, button.enable");
    if (!button) return;
    const what = button.classList.contains("disable") ? "disable" : "enable";
    button.disabled = true;
    if (await send(userUrl(button.dataset.name, what))) {
      reloadSaying((what === "disable" ? "已停用" : "已启用") + "用户“" + button.dataset.name + "”");
    }
    else button.disabled = false;
  });
  document.getElementById("users").addEventListener("submit", async function (ev) {
    const form = ev.target;
    ev.preventDefault();
    const name = form.dataset.name;
    if (form.classList.contains("role-form")) {
      if (await send(userUrl(name, "role"), { role: form.elements.role.value })) {
        reloadSaying("已把“" + name + "”的角色改为" + form.elements.role.value);
      }
    } else if (form.classList.contains("password-form")) {
      if (form.elements.password.value !== form.elements.password2.value) { say("两次输入的密码不一致", true); return; }
      if (await send(userUrl(name, "password"), { password: form.elements.password.value })) {
        form.reset();
        say("已修改“" + name + "”的密码；该用户须重新登录");
      }
    }
  });
});
