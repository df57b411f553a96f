/* Registers as series of versions (issue 31): the proposal to link an upload as the next version,
   the merge of fixed refused rows, the clerk's confirmations, the version control and the maps of
   the filter page and of a project's page. User text only ever goes into textContent or values. */
"use strict";
window.hgVersions = (function () {
  let proposal = null;
  function $(id) { return document.getElementById(id); }

  /* After a preview (registers.js): ask which register this file continues, and offer to link it. */
  async function propose(state) {
    const box = $("version-box");
    if (!box) return;
    box.hidden = true; box.textContent = ""; proposal = null;
    const cols = {};
    (state.preview.columns || []).forEach(c => { if (c.role) cols[c.role] = c.name; });
    const url = "/api/register-proposal?file_name=" + encodeURIComponent(state.upload.file_name || "") +
      "&columns=" + encodeURIComponent(JSON.stringify(cols));
    try {
      const data = await hg.api("GET", url);
      if (!data.proposal) return;
      proposal = data.proposal;
      // the refused-rows workbook, fixed: its rows go *into* that version (a new version with them added)
      proposal.merge = (state.preview.columns || []).some(c => c.name === "原行号");
      const label = hg.el("label", { "for": "as-next-version" });
      const input = hg.el("input", { type: "checkbox", id: "as-next-version", checked: "checked" });
      label.appendChild(input);
      const what = proposal.merge ? " 把改好的被拒绝行并入“" : " 作为“";
      const tail = proposal.merge ? "，生成新版本" : "的下一版本导入";
      label.appendChild(document.createTextNode(what + proposal.file_name + "”（第 " + proposal.version + " 版，截至 " +
        proposal.as_of + "）" + tail + "（" + proposal.why + "）"));
      box.appendChild(label);
      const date = hg.el("label", { "for": "version-date" }, " 版本日期 ");
      const d = hg.el("input", { type: "date", id: "version-date" });
      box.appendChild(date); box.appendChild(d);
      box.hidden = false;
    } catch (e) { /* no proposal: the upload is a register of its own */ }
  }

  /* Before the import is posted (registers.js): the series fields the clerk chose. */
  function fill(form) {
    const box = $("as-next-version");
    if (proposal && box && box.checked) form.append(proposal.merge ? "into" : "replaces", proposal.id);
    const d = $("version-date");
    if (d && d.value) form.append("as_of", d.value);
  }

  async function merge(button) {
    const input = $("fixed-file"), out = $("merge-status");
    if (!input.files.length) { out.textContent = "请先选择改好的表格。"; return; }
    const form = new FormData();
    form.append("file", input.files[0], input.files[0].name);
    form.append("crs", button.getAttribute("data-crs"));
    form.append("columns", button.getAttribute("data-columns"));
    form.append("into", button.getAttribute("data-register"));
    button.disabled = true; out.textContent = "正在并入…";
    try {
      const started = await hg.api("POST", "/api/registers?wait=false", form);
      const job = await hg.waitJob(started.id);
      out.textContent = "已并入 " + job.result.merged + " 行，生成第 " + job.result.version + " 版。";
      window.location.href = "/registers/" + encodeURIComponent(job.result.id) + "/versions";
    } catch (e) { out.textContent = e.message; }
    finally { button.disabled = false; }
  }

  function drawMap(id, points, color) {
    const box = $(id);
    if (!box || !window.L || !points.length) { if (box && !points.length) box.hidden = true; return; }
    const map = L.map(box, { attributionControl: false, keyboard: true });
    const layer = L.featureGroup().addTo(map);
    points.forEach(p => {
      L.circleMarker([p[1], p[0]], { radius: 5, color: color(p), fillOpacity: 0.8, weight: 1 })
        .bindTooltip(String(p[3] === undefined ? "" : p[3])).addTo(layer);
    });
    map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
  }

  /* The briefing package of exactly the filtered projects of this version (the page's own query). */
  async function buildSubset(button) {
    const box = $("subset-package"), bar = $("subset-progress"), text = $("subset-text");
    const rid = box.getAttribute("data-register"), q = box.getAttribute("data-query");
    button.disabled = true; bar.hidden = false; bar.value = 0; text.textContent = "排队中…";
    $("subset-links").hidden = true;
    try {
      const started = await hg.api("POST", "/api/registers/" + encodeURIComponent(rid) + "/package" + (q ? "?" + q : ""));
      await hg.waitJob(started.id, function (p, m) {
        bar.value = p; text.textContent = Math.round(p * 100) + "% " + (m || "");
      });
      text.textContent = "100% 完成";
      $("subset-gallery").setAttribute("href", started.gallery || "/packages/" + encodeURIComponent(rid) + "/index.html");
      $("subset-zip").setAttribute("href", started.zip || "/api/registers/" + encodeURIComponent(rid) + "/package.zip");
      $("subset-links").hidden = false;
    } catch (e) { text.textContent = e.message; }
    finally { button.disabled = false; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const sb = $("build-subset");
    if (sb) sb.addEventListener("click", () => buildSubset(sb));
    const COLORS = { "逾期": "#c0392b", "滞后": "#d68910", "正常": "#1e8449", "无法判断": "#7f8c8d" };
    const pts = $("list-map");
    if (pts) drawMap("list-map", JSON.parse(pts.getAttribute("data-points") || "[]"), p => COLORS[p[3]] || "#555");
    const sites = $("project-map");
    if (sites) {
      const s = JSON.parse(sites.getAttribute("data-sites") || "[]").map(p => [p[0], p[1], p[2], "第 " + p[2] + " 版"]);
      drawMap("project-map", s, p => (p === s[s.length - 1] ? "#c0392b" : "#2e86c1"));
    }
    const ch = $("changes-map");
    if (ch && window.L) {
      const items = JSON.parse(ch.getAttribute("data-changes") || "[]");
      if (!items.length) { ch.hidden = true; } else {
        const map = L.map(ch, { attributionControl: false });
        const layer = L.featureGroup().addTo(map);
        items.forEach(p => {
          if (p[4]) L.polyline([[p[4][1], p[4][0]], [p[1], p[0]]], { color: p[3], weight: 2 }).addTo(layer);
          L.circleMarker([p[1], p[0]], { radius: 5, color: p[3], fillOpacity: 0.8, weight: 1 }).bindTooltip(String(p[2])).addTo(layer);
        });
        map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
      }
    }
    const go = $("version-go");
    if (go) go.addEventListener("click", () => {
      const sel = $("version-select"), q = sel.getAttribute("data-query");
      window.location.href = "/registers/" + encodeURIComponent(sel.value) + "/list" + (q ? "?" + q : "");
    });
    document.querySelectorAll(".confirm-pair").forEach(b => b.addEventListener("click", async () => {
      const form = new FormData();
      // the two rows: the server keeps each project by its identity (id, else name and site)
      form.append("old_row", b.getAttribute("data-old-row")); form.append("new_row", b.getAttribute("data-new-row"));
      if (b.getAttribute("data-against")) form.append("against", b.getAttribute("data-against"));
      try {
        await hg.api("POST", "/api/registers/" + encodeURIComponent(b.getAttribute("data-register")) + "/confirm", form);
        window.location.reload();
      } catch (e) { $("confirm-status").textContent = e.message; }
    }));
    const m = $("merge-fixed");
    if (m) m.addEventListener("click", () => merge(m));
  });
  return { propose: propose, fill: fill };
})();
