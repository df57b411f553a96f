/* What the 管理 pages (用户 users.js, 安全 security.js) share: the status line, a POST of JSON
   through window.fetch as wrapped by csrf.js (X-CSRF-Token) whose refusal is said in the server's
   one Chinese line, and a reload that keeps the line of the last change (sessionStorage under
   ``key``). Text reaches the page only as textContent. Call it once the page is loaded. */
"use strict";
window.hgAdminPage = function (key, okClass) {
  const status = document.getElementById("status");
  function say(text, bad) { status.textContent = text; status.className = bad ? "status error" : okClass; }
  async function send(url, body) {
    let resp;
    try {
      resp = await fetch(url, { method: "POST", credentials: "same-origin",
                                headers: { "Content-Type": "application/json", "Accept": "application/json" },
                                body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) { say("无法连接服务器，请检查服务是否在运行", true); return false; }
    if (resp.ok) return true;
    let text = "操作失败（" + resp.status + "）";
    try { const data = await resp.json(); if (typeof data.detail === "string") text = data.detail; } catch (e) { /* not JSON */ }
    say(text, true);
    return false;
  }
  /* the line of the last change survives the reload that shows it in the table */
  function reloadSaying(text) { sessionStorage.setItem(key, text); window.location.reload(); }
  const left = sessionStorage.getItem(key);
  if (left) { sessionStorage.removeItem(key); say(left, false); }
  return { say: say, send: send, reloadSaying: reloadSaying };
};
