/* Shared helpers of every page. User text only ever goes into textContent or attribute values. */
"use strict";
window.hg = (function () {
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    if (attrs) { for (const [k, v] of Object.entries(attrs)) { if (v !== null && v !== undefined) e.setAttribute(k, v); } }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  async function api(method, url, body) {
    let resp;
    try {
      resp = await fetch(url, { method: method, body: body, headers: { "Accept": "application/json" }, credentials: "same-origin" });
    } catch (e) {
      throw new Error("无法连接服务器，请检查服务是否在运行");
    }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (!resp.ok) {
      const msg = data && typeof data.detail === "string" ? data.detail : ("请求失败（" + resp.status + "）");
      const err = new Error(msg); err.status = resp.status; throw err;
    }
    return data;
  }
  function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
  /* Poll a job until done/failed, calling onProgress(progress, message). */
  async function waitJob(id, onProgress) {
    for (;;) {
      const job = await api("GET", "/api/jobs/" + encodeURIComponent(id));
      if (onProgress) onProgress(job.progress, job.message, job.status);
      if (job.status === "done") return job;
      if (job.status === "failed") { throw new Error(job.error || "任务失败"); }
      await sleep(300);
    }
  }
  function wireDeletes() {
    document.querySelectorAll("[data-delete]").forEach(function (b) {
      b.addEventListener("click", async function () {
        const name = b.getAttribute("data-name") || "";
        if (!window.confirm("确定删除清单“" + name + "”？删除后不能恢复。")) return;
        try {
          await api("DELETE", "/api/registers/" + encodeURIComponent(b.getAttribute("data-delete")));
          window.location.href = b.getAttribute("data-after") || window.location.pathname;
        } catch (e) { window.alert(e.message); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", wireDeletes);
  return { el: el, api: api, waitJob: waitJob, sleep: sleep };
})();
