/* 规划监测: upload the figures, then build the monitoring package with a progress bar. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const $ = id => document.getElementById(id);
  async function upload(file) {
    if (!file) return;
    const s = $("status"); s.className = "status"; s.textContent = "正在读取和评估…";
    const form = new FormData(); form.append("file", file, file.name);
    try {
      const r = await hg.api("POST", "/api/monitoring", form);
      window.location.href = "/monitoring?figures=" + encodeURIComponent(r.id);
    } catch (e) { s.className = "status error"; s.textContent = e.message; }
  }
  $("file").addEventListener("change", () => upload($("file").files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
  const result = $("result");
  if (!result) return;
  const fid = result.getAttribute("data-figures");
  $("build").addEventListener("click", async function () {
    $("build-error").textContent = ""; $("build").disabled = true; $("build-box").hidden = false;
    try {
      const job = await hg.api("POST", "/api/monitoring/" + encodeURIComponent(fid) + "/package");
      await hg.waitJob(job.id, (p, m) => { $("build-progress").value = p; $("build-text").textContent = Math.round(p * 100) + "% " + (m || ""); });
      $("build-text").textContent = "100% 完成";
      $("package-links").hidden = false;
    } catch (e) { $("build-error").textContent = e.message; }
    finally { $("build").disabled = false; }
  });
});
