/* 安全 page: save the settings, release a failed-login lockout, grant or revoke an account's
   duties. Requests go through window.fetch as wrapped by csrf.js (X-CSRF-Token); names and keys
   travel only as JSON values and encodeURIComponent'd path segments, and come back as textContent. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const page = window.hgAdminPage("hg-security-status", "status ok");  /* admin_page.js */
  const send = page.send, reloadSaying = page.reloadSaying;
  document.getElementById("settings").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const f = ev.target.elements;
    const body = { ogc_public: f.ogc_public.value, audit_reads: f.audit_reads.checked,
                   password_max_age_days: Number(f.password_max_age_days.value),
                   password_history: Number(f.password_history.value),
                   audit_keep_days: Number(f.audit_keep_days.value) };
    if (await send("/api/security", body)) reloadSaying("已保存安全设置");
  });
  document.getElementById("lockouts").addEventListener("click", async function (ev) {
    const button = ev.target.closest("button.release");
    if (!button) return;
    button.disabled = true;
    if (await send("/api/security/release", { key: button.dataset.key })) reloadSaying("已解除锁定");
    else button.disabled = false;
  });
  document.getElementById("duties").addEventListener("click", async function (ev) {
    const button = ev.target.closest("button.save-duties");
    if (!button) return;
    const row = button.closest("tr");
    const duties = Array.from(row.querySelectorAll("input.duty:checked")).map(function (i) { return i.value; });
    const name = button.dataset.name;
    button.disabled = true;
    if (await send("/api/users/" + encodeURIComponent(name) + "/duties", { duties: duties })) {
      reloadSaying("已把“" + name + "”的职责设为" + (duties.length ? duties.join("、") : "无"));
    } else button.disabled = false;
  });
});
