/* 边界: upload a delivery, look at it (layers, columns decoded, CRS, matches), confirm or correct on
   the page, adopt; choose what is in force; list the versions and roll back. User text only ever
   goes into textContent or attribute values (hg.el). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  const $ = id => document.getElementById(id);
  const el = hg.el;
  let upload = null;      // the stored upload: {sha256, file_name}
  let matches = {};       // name in the file -> bundled id, as corrected on the page
  function status(text, kind) { const s = $("status"); s.className = "status" + (kind ? " " + kind : ""); s.textContent = text; }
  function options(select, items, chosen) {
    select.replaceChildren();
    items.forEach(function (it) { const o = el("option", { value: it.value }, it.label); if (it.value === chosen) o.selected = true; select.append(o); });
  }
  function form() {
    const f = new FormData();
    f.append("upload", upload.sha256); f.append("file_name", upload.file_name); f.append("as", $("as").value);
    if ($("layer").value) f.append("layer", $("layer").value);
    if ($("encoding").value) f.append("encoding", $("encoding").value);
    if ($("name-col").value) f.append("name_col", $("name-col").value);
    if ($("crs").value) f.append("crs", $("crs").value);
    if (Object.keys(matches).length) f.append("matches", JSON.stringify(matches));
    return f;
  }
  function show(r) {
    const x = r.inspection;
    upload = r.upload;
    $("inspection").hidden = false;
    $("insp-file").textContent = x.file;
    $("row-layer").hidden = x.layers.length < 2;
    options($("layer"), [{ value: "", label: "（请选择）" }].concat(x.layers.map(l => ({ value: l, label: l }))), x.layers.length > 1 ? (x.layer || "") : "");
    $("row-encoding").hidden = !x.encoding;
    $("encoding-note").textContent = x.encoding ? ("按记录判断为 " + x.encoding.label + (x.encoding.note ? "：" + x.encoding.note : "")) : "";
    options($("name-col"), [{ value: "", label: "（自动识别）" }].concat(x.columns.map(c => ({ value: c.name, label: c.name }))), x.name_col || "");
    const cols = $("columns").tBodies[0]; cols.replaceChildren();
    x.columns.forEach(function (c) { const tr = el("tr"); tr.append(el("td", null, c.name), el("td", null, c.samples.join("、"))); cols.append(tr); });
    const crs = [{ value: "", label: x.crs.read ? ("文件所带：" + x.crs.read.code + "（" + x.crs.read.label + "）") : "（文件没有坐标系，请选择）" }];
    x.crs.proposed.forEach(function (p) { crs.push({ value: p.code, label: "建议：" + p.code + "（" + p.label + "）" + (p.lands_in.length ? "，要素落在 " + p.lands_in.join("、") : "") }); });
    const seen = new Set(crs.map(c => c.value));
    x.crs.others.forEach(function (p) { if (!seen.has(p.code)) crs.push({ value: p.code, label: "其他：" + p.code + "（" + p.label + "）" }); });
    const chosenCrs = $("crs").value;
    options($("crs"), crs, chosenCrs);
    $("crs-note").textContent = x.crs.proposed.length ? "建议按要素实际落点给出" : "";
    const feats = $("features").tBodies[0]; feats.replaceChildren();
    x.features.forEach(function (f) {
      const sel = el("select", { "data-name": f.name, "aria-label": "对应：" + f.name });
      sel.append(el("option", { value: "" }, f.name_zh ? "（自动：" + f.name_zh + "）" : "（未对应）"));
      x.choices.forEach(function (c) { const o = el("option", { value: c.id }, c.name_zh); if (matches[f.name] === c.id) o.selected = true; sel.append(o); });
      sel.addEventListener("change", function () { if (sel.value) matches[f.name] = sel.value; else delete matches[f.name]; });
      const tr = el("tr"); const td = el("td"); td.append(sel);
      tr.append(el("td", { class: "n" }, f.n), el("td", null, f.name), td, el("td", { class: f.problem ? "error" : "" }, f.problem || ""));
      feats.append(tr);
    });
    $("insp-problem").textContent = x.problem || "";
    $("adopt").disabled = !!x.problem;
    status(x.problem ? "请按下面的提示在页面上选择或改正，然后重新查看" : "检查无误，可以采用", x.problem ? "error" : "ok");
  }
  async function inspect(file) {
    if (!file && !upload) return;  // nothing chosen yet (a chooser closed without a file)
    status("正在读取文件…");
    const f = file ? new FormData() : form();
    if (file) { f.append("file", file, file.name); f.append("as", $("as").value); matches = {}; $("crs").replaceChildren(); }
    try { show(await hg.api("POST", "/api/boundaries/inspect", f)); }
    catch (e) { status(e.message, "error"); }
  }
  async function adopt() {
    status("正在采用并检查边界…");
    const f = form(); f.append("accuracy_m", $("accuracy").value || "1"); f.append("activate", "true");
    try {
      const r = await hg.api("POST", "/api/boundaries", f);
      status("已采用：" + r.features + " 个要素，检查" + (r.check.ok ? "通过" : "未通过"), r.check.ok ? "ok" : "error");
      window.location.reload();
    } catch (e) { status(e.message, "error"); }
  }
  async function versions() {
    const body = $("versions").tBodies[0];
    try {
      const r = await hg.api("GET", "/api/boundaries/history");
      body.replaceChildren();
      r.versions.forEach(function (v) {
        const tr = el("tr", { "data-version": v.n });
        const act = el("td");
        if (v.current) act.append(el("strong", null, "当前使用"));
        else {
          const b = el("button", { type: "button", "data-rollback": v.n }, "回退到此版本");
          b.addEventListener("click", async function () {
            const f = new FormData(); f.append("n", String(v.n));
            try { await hg.api("POST", "/api/boundaries/rollback", f); window.location.reload(); }
            catch (e) { status(e.message, "error"); }
          });
          act.append(b);
        }
        tr.append(el("td", { class: "n" }, "第 " + v.n + " 版"), el("td", null, v.at_beijing), el("td", null, v.who),
                  el("td", null, v.file_name), el("td", null, v.changes.join("；")), act);
        body.append(tr);
      });
    } catch (e) { status(e.message, "error"); }
  }
  $("file").addEventListener("change", function () { if ($("file").files[0]) inspect($("file").files[0]); });
  ["layer", "encoding", "name-col", "crs"].forEach(id => $(id).addEventListener("change", () => inspect(null)));
  $("as").addEventListener("change", function () { if (upload) { matches = {}; inspect(null); } });
  $("reinspect").addEventListener("click", () => inspect(null));
  $("adopt").addEventListener("click", adopt);
  const drop = $("drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); inspect(e.dataTransfer.files[0]); });
  document.querySelectorAll("[data-choose]").forEach(b => b.addEventListener("click", async function () {
    const form = new FormData(); form.append("id", b.getAttribute("data-choose"));
    try { await hg.api("POST", "/api/boundaries/choose", form); window.location.reload(); }
    catch (e) { status(e.message, "error"); }
  }));
  versions();
});
