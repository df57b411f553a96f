/* The 后台任务 box: retry a failed map or package, and reload while a job is still running. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const box = document.getElementById("jobs");
  if (!box) return;
  const say = document.getElementById("jobs-status");
  box.querySelectorAll("[data-retry]").forEach(function (b) {
    b.addEventListener("click", async function () {
      b.disabled = true; say.textContent = "已重新提交，正在运行…";
      try {
        const job = await hg.api("POST", "/api/jobs/" + encodeURIComponent(b.getAttribute("data-retry")) + "/retry");
        await hg.waitJob(job.id);
        window.location.reload();
      } catch (e) { say.textContent = e.message; b.disabled = false; }
    });
  });
  if (box.querySelector("[data-status=running], [data-status=queued]")) { setTimeout(function () { window.location.reload(); }, 3000); }
});
