/* 项目清单: drop a register, preview it as Excel shows it, confirm the roles and the coordinate
   system with clicks, import it in the background with a progress bar. */
"use strict";
(function () {
  const CRS = [["wgs84", "GPS 经纬度（WGS 84）"], ["gcj02", "高德/腾讯坐标（GCJ-02）"], ["bd09", "百度坐标（BD-09）"],
    ["cgcs2000", "国家 2000 经纬度（CGCS2000）"],
    ["EPSG:4550", "国家 2000 高斯投影 3 度带，中央经线 123°（EPSG:4550）"], ["EPSG:4529", "国家 2000 高斯投影 3 度带，带号 41（EPSG:4529）"],
    ["EPSG:3857", "网络墨卡托（EPSG:3857）"]];
  const crsLabel = code => { const hit = CRS.find(c => c[0] === code); return hit ? hit[1] : code; };
  const UNITS = [["", "按表中所写"], ["元", "元"], ["万元", "万元"], ["亿元", "亿元"]];
  let state = null;   // {upload, preview, crs, unit, roles: {colIndex: role}}
  const $ = id => document.getElementById(id);
  // the column roles and their Chinese names come from the server (hepinggis.io._columns.ROLE_ZH, the one table)
  const ROLES = [["", "—"]].concat(JSON.parse($("column-roles").getAttribute("data-roles") || "[]"));

  function status(text, kind) { const s = $("status"); s.textContent = text || ""; s.className = "status " + (kind || ""); }
  function busy(on) { ["confirm", "reread"].forEach(id => { if ($(id)) $(id).disabled = on; }); }

  function choiceButtons(box, items, selected, onPick, counts) {
    box.textContent = "";
    for (const [value, label] of items) {
      const b = hg.el("button", { type: "button", role: "radio", "data-value": value, "aria-checked": String(value === selected) }, label);
      if (counts && value in counts) b.appendChild(hg.el("span", { "class": "count" }, "（" + counts[value] + " 行在区内）"));
      b.addEventListener("click", () => { box.querySelectorAll("button").forEach(x => x.setAttribute("aria-checked", "false")); b.setAttribute("aria-checked", "true"); onPick(value); });
      box.appendChild(b);
    }
  }

  function render() {
    const pv = state.preview, rem = state.remembered;
    $("preview").hidden = false;
    $("pv-name").textContent = state.upload.file_name;
    const sheetBox = $("sheet-box"), sheet = $("sheet");
    sheet.textContent = "";
    if (pv.sheets && pv.sheets.length > 1) {
      sheetBox.hidden = false;
      pv.sheets.forEach(n => { const o = hg.el("option", { value: n }, n); if (n === pv.sheet) o.selected = true; sheet.appendChild(o); });
    } else { sheetBox.hidden = true; }
    $("header-row").value = pv.header_rows && pv.header_rows.length ? pv.header_rows[pv.header_rows.length - 1] : "";
    const titles = $("titles"); titles.textContent = "";
    (pv.title_lines || []).forEach(t => titles.appendChild(hg.el("div", { "class": "title-line" }, t)));
    // the sheet as Excel shows it: column letters, a role selector per column, the header row, the rows
    const table = $("pv-table"); table.textContent = "";
    const letters = hg.el("tr"); letters.appendChild(hg.el("th", { "class": "rn" }, ""));
    const roles = hg.el("tr", { "class": "roles" }); roles.appendChild(hg.el("th", { "class": "rn" }, "角色"));
    const header = hg.el("tr", { "class": "header" }); header.appendChild(hg.el("td", { "class": "rn" }, String($("header-row").value || "")));
    const remCols = rem && rem.columns ? rem.columns : {};
    pv.columns.forEach(col => {
      letters.appendChild(hg.el("th", null, col.letter));
      const th = hg.el("th"); const sel = hg.el("select", { "data-col": String(col.index), "aria-label": "第 " + col.letter + " 列的角色" });
      let role = col.role || "";
      for (const [r, n] of Object.entries(remCols)) { if (n === col.name) role = r; }
      ROLES.forEach(([v, l]) => { const o = hg.el("option", { value: v }, l); if (v === role) o.selected = true; sel.appendChild(o); });
      state.roles[col.index] = role;
      sel.addEventListener("change", () => { state.roles[col.index] = sel.value; });
      th.appendChild(sel); roles.appendChild(th);
      header.appendChild(hg.el("td", { title: col.name }, col.name + (col.unit ? "" : "")));
    });
    table.appendChild(letters); table.appendChild(roles); table.appendChild(header);
    const hidden = pv.hidden || {};
    pv.rows.forEach((row, k) => {
      const n = pv.row_numbers[k], why = hidden[String(n)];
      const tr = hg.el("tr", why ? { "class": "row-hidden" } : null);
      const rn = hg.el("td", why ? { "class": "rn", "data-why": why === "筛选" ? "筛选掉" : "隐藏" } : { "class": "rn" }, String(n));
      if (why) rn.appendChild(hg.el("span", { "class": "visually-hidden" }, why === "筛选" ? "（Excel 中被筛选掉）" : "（Excel 中被隐藏）"));
      tr.appendChild(rn);
      row.forEach(v => tr.appendChild(hg.el("td", { title: v }, v)));
      table.appendChild(tr);
    });
    // rows Excel hides or filters out: said, counted, and imported unless the clerk chooses to skip them
    const nFiltered = Object.values(hidden).filter(w => w === "筛选").length, nHidden = Object.values(hidden).length - nFiltered;
    $("hidden-box").hidden = !(nFiltered || nHidden);
    $("skip-hidden").checked = false;
    $("hidden-note").textContent = "本表有 " + [nFiltered ? nFiltered + " 行在 Excel 中被筛选掉" : "", nHidden ? nHidden + " 行被隐藏" : ""].filter(Boolean).join("、") +
      "（预览中标为红色）。默认照常导入，每行带提示；如这些是作废项目，请勾选下面的“跳过”，它们会逐行列在导入报告中。";
    // coordinate system: proposed (or remembered), the user confirms or picks another; when two
    // candidates cannot be told apart (crs_tied) nothing is proposed or preselected: the clerk chooses
    state.crs = (rem && rem.crs) || pv.crs_proposed || "";
    const tied = pv.crs_tied || [];
    $("crs-reason").textContent = pv.crs_proposed ? ("推荐 " + crsLabel(pv.crs_proposed) + "：" + pv.crs_reason + "。请确认或点选其他坐标系。")
      : tied.length ? (pv.crs_reason + "。") : (pv.crs_reason + "。请点选坐标系。");
    choiceButtons($("crs-choices"), CRS, state.crs, v => { state.crs = v; }, pv.crs_counts || {});
    state.unit = (rem && rem.unit) || "";
    choiceButtons($("unit-choices"), UNITS, state.unit, v => { state.unit = v; });
    const note = $("remembered");
    if (rem) { note.hidden = false; note.textContent = "这种表头以前导入过：已沿用 " + rem.updated_by + " 于 " + (rem.updated_at_local || "") + "（北京时间）确认的列对应和坐标系。"; }
    else { note.hidden = true; }
  }

  async function preview(form) {
    status("正在读取文件…"); busy(true);
    try {
      const data = await hg.api("POST", "/api/preview", form);
      state = { upload: data.upload, preview: data.preview, remembered: data.remembered, roles: {}, crs: "", unit: "" };
      render();
      if (window.hgVersions) window.hgVersions.propose(state);
      status("已读取。请核对各列角色和坐标系，然后点“确认并导入”。", "ok");
    } catch (e) { status(e.message, "error"); }
    finally { busy(false); }
  }

  function chosen(file) {
    if (!file) return;
    const form = new FormData(); form.append("file", file, file.name);
    $("preview").hidden = true;
    preview(form);
  }

  async function confirm() {
    if (!state) return;
    if (!state.crs) { status("请先点选坐标系。", "error"); return; }
    const columns = {}; const seen = {};
    for (const col of state.preview.columns) {
      const role = state.roles[col.index];
      if (!role) continue;
      if (seen[role]) { status("“" + ROLES.find(r => r[0] === role)[1] + "”指定给了两列，请只选一列。", "error"); return; }
      seen[role] = true; columns[role] = col.name;
    }
    const form = new FormData();
    form.append("upload", state.upload.sha256);
    form.append("file_name", state.upload.file_name);
    form.append("crs", state.crs);
    if (state.preview.sheet) form.append("sheet", state.preview.sheet);
    if (state.preview.header_rows && state.preview.header_rows.length) form.append("header_row", String(state.preview.header_rows[state.preview.header_rows.length - 1]));
    if (state.unit) form.append("unit", state.unit);
    form.append("columns", JSON.stringify(columns));
    if ($("remember").checked) form.append("signature", state.preview.header_signature);
    if (window.hgVersions) window.hgVersions.fill(form);
    if ($("skip-hidden").checked) form.append("skip_hidden", "true");
    busy(true); status("正在导入…");
    const box = $("progress-box"); box.hidden = false;
    try {
      const started = await hg.api("POST", "/api/registers?wait=false", form);
      const job = await hg.waitJob(started.id, (p, m) => { $("progress").value = p; $("progress-text").textContent = Math.round(p * 100) + "% " + (m || ""); });
      status("导入完成：" + job.result.imported + " 项导入，" + job.result.refused + " 行拒绝，" + (job.result.skipped || 0) + " 行未作为项目导入。", "ok");
      window.location.href = "/registers/" + encodeURIComponent(job.result.id);
    } catch (e) { status(e.message, "error"); box.hidden = true; }
    finally { busy(false); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    const drop = $("drop"), input = $("file");
    input.addEventListener("change", () => chosen(input.files[0]));
    drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); chosen(e.dataTransfer.files[0]); });
    $("confirm").addEventListener("click", confirm);
    $("cancel").addEventListener("click", () => { state = null; $("preview").hidden = true; status(""); });
    $("reread").addEventListener("click", () => {
      if (!state) return;
      const form = new FormData();
      form.append("upload", state.upload.sha256); form.append("file_name", state.upload.file_name);
      if (!$("sheet-box").hidden && $("sheet").value) form.append("sheet", $("sheet").value);
      if ($("header-row").value) form.append("header_row", $("header-row").value);
      preview(form);
    });
    const cmp = document.getElementById("compare");
    if (cmp) cmp.addEventListener("submit", e => { e.preventDefault(); window.location.href = "/registers/" + encodeURIComponent($("cmp-new").value) + "?against=" + encodeURIComponent($("cmp-old").value); });
  });
})();
