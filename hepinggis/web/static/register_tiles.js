// A register of more than 5,000 projects is drawn on its page from vector tiles
// (/ogc/collections/register-version-{id}/map: this version, OGC API – Tiles) instead of the one-file map.
"use strict";
(function () {
  const TILES_ABOVE = 5000;
  function swap() {
    const frame = document.getElementById("map");
    const count = document.getElementById("n-imported");
    const section = document.getElementById("package");
    if (!frame || !count || !section) return;
    const n = parseInt(count.textContent.replace(/[^0-9]/g, ""), 10);
    if (!(n > TILES_ABOVE)) return;
    const url = "/ogc/collections/register-version-" + encodeURIComponent(section.dataset.register) + "/map";
    frame.src = url;
    frame.dataset.tiles = "1";
    const open = document.getElementById("open-map");
    if (open) open.href = url;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", swap);
  else swap();
})();
