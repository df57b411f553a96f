/* 用户 page: add an account, disable/enable it, change its role or password. Every request goes
   through window.fetch as wrapped by csrf.js (X-CSRF-Token); names travel only as JSON values and
   encodeURIComponent'd path segments, and come back on the page only as textContent. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const page = window.hgAdminPage("hg-users-status", "status");  /* admin_page.js */
  const say = page.say, send = page.send, reloadSaying = page.reloadSaying;
  function userUrl(name, what) { return "/api/users/" + encodeURIComponent(name) + "/" + what; }
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
