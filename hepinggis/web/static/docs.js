"use strict";
document.addEventListener("DOMContentLoaded", async function () {
  const box = document.getElementById("endpoints");
  try {
    const spec = await hg.api("GET", "/openapi.json");
    box.textContent = "";
    const table = hg.el("table", { "class": "data", "id": "endpoint-table" });
    const head = hg.el("tr");
    ["方法", "路径", "说明", "参数"].forEach(h => head.appendChild(hg.el("th", null, h)));
    table.appendChild(hg.el("thead")).appendChild(head);
    const body = hg.el("tbody");
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const tr = hg.el("tr");
        tr.appendChild(hg.el("td", null, method.toUpperCase()));
        tr.appendChild(hg.el("td", null, path));
        tr.appendChild(hg.el("td", null, op.summary || ""));
        const params = (op.parameters || []).map(p => p.name);
        const ref = op.requestBody && op.requestBody.content && Object.values(op.requestBody.content)[0].schema;
        if (ref && ref["$ref"]) {
          const schema = spec.components.schemas[ref["$ref"].split("/").pop()];
          if (schema && schema.properties) params.push(...Object.keys(schema.properties));
        }
        tr.appendChild(hg.el("td", null, params.join("，")));
        body.appendChild(tr);
      }
    }
    table.appendChild(body);
    box.appendChild(table);
  } catch (e) { box.textContent = e.message; }
});
