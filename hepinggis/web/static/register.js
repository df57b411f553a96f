/* One register: build its briefing package in the background with a progress bar. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const box = document.getElementById("package");
  if (!box) return;
  const rid = box.getAttribute("data-register");
  const button = document.getElementById("build");
  button.addEventListener("click", async function () {
    const err = document.getElementById("build-error"); err.textContent = "";
    button.disabled = true;
    document.getElementById("build-box").hidden = false;
    try {
      const job = await hg.api("POST", "/api/registers/" + encodeURIComponent(rid) + "/package");
      await hg.waitJob(job.id, function (p, m) {
        document.getElementById("build-progress").value = p;
        document.getElementById("build-text").textContent = Math.round(p * 100) + "% " + (m || "");
      });
      document.getElementById("build-text").textContent = "100% 完成";
      document.getElementById("package-links").hidden = false;
    } catch (e) { err.textContent = e.message; }
    finally { button.disabled = false; }
  });
});
