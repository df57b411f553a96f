/* 边界: upload official boundaries, see the check and the comparison, choose which are in force. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const $ = id => document.getElementById(id);
  async function upload(file) {
    if (!file) return;
    const s = $("status"); s.className = "status"; s.textContent = "正在检查边界…";
    const form = new FormData(); form.append("file", file, file.name); form.append("as", $("as").value);
    try {
      const r = await hg.api("POST", "/api/boundaries", form);
      s.className = "status ok"; s.textContent = "已上传：" + r.features + " 个要素，检查" + (r.check.ok ? "通过" : "未通过");
      window.location.reload();
    } catch (e) { s.className = "status error"; s.textContent = e.message; }
  }
  $("file").addEventListener("change", () => upload($("file").files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files[0]); });
  document.querySelectorAll("[data-choose]").forEach(b => b.addEventListener("click", async function () {
    const form = new FormData(); form.append("id", b.getAttribute("data-choose"));
    try { await hg.api("POST", "/api/boundaries/choose", form); window.location.reload(); }
    catch (e) { $("status").className = "status error"; $("status").textContent = e.message; }
  }));
});
