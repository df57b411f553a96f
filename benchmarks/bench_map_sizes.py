"""Benchmark: the overview map of a register of 1,000 / 5,000 / 50,000 projects — time to write it,
bytes per project, time until the map is ready in headless Chromium (network blocked), and the
projects reachable in Leaflet's layer tree — against folium's own ``MarkerCluster`` of the same
points with their names as tooltips (the usual way), measured in the same run.

Budgets (issue 15): written in < 5 s at 50,000, <= 200 bytes per project, ready in < 3 s, every
project reachable. Issue 23: five projects clicked with the mouse at street zoom each open their
own popup ("clicked", ours only; not timed).

    PYTHONPATH=. python benchmarks/bench_map_sizes.py [--sizes 1000 5000 50000] [--baseline-max 50000]

(``PYTHONPATH=.`` from the checkout's root: the package of this checkout, not an installed one.)
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import folium
from folium.plugins import MarkerCluster

import hepinggis
from hepinggis.io._synthetic import write_register
from hepinggis.maps import overview_map, save_html
from hepinggis.maps._leaflet import _vendor

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"]
REACHABLE = """() => {
    const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds && x.getZoom);
    const seen = new Set();
    const walk = (l) => { if (l.getLayers) { l.getLayers().forEach(walk); return; }
                          const leaf = l.getLatLng && !l.getAllChildMarkers;
                          if (leaf && l.options.interactive !== false) { seen.add(l); } };
    map.eachLayer(walk);
    return seen.size;
}"""


def ours(projects: Any, path: Path) -> float:
    t = time.perf_counter()
    save_html(overview_map(basemap="none", projects=projects), path)
    return time.perf_counter() - t


def folium_cluster(projects: Any, path: Path) -> float:
    """The usual folium way: one Marker per project in a MarkerCluster, with its name as tooltip
    (folium's popups need jQuery from a CDN, so the baseline goes without them: cheaper than ours)."""
    t = time.perf_counter()
    # without tiles a Leaflet map has no maxZoom, which markercluster needs (issue 15's bug): set it
    m = folium.Map(location=[41.76, 123.42], zoom_start=12, tiles=None, maxZoom=19)
    cluster = MarkerCluster().add_to(m)
    for row in projects.itertuples():
        tip = f"{html.escape(row.name)}（{html.escape(row.status)}）"
        folium.Marker([row.geometry.y, row.geometry.x], tooltip=tip).add_to(cluster)
    page = m.get_root().render()
    seconds = time.perf_counter() - t
    path.write_text(offline(page), encoding="utf-8")
    return seconds


def offline(page: str) -> str:
    """folium's page with Leaflet and markercluster inlined from the same vendored copies ours use
    (the rest of its CDN assets, jQuery/Bootstrap/fonts, dropped): so both render with no network."""
    vendored = {
        "leaflet.js": "leaflet.js",
        "leaflet.css": "leaflet.css",
        "leaflet.markercluster.js": "leaflet.markercluster.js",
        "MarkerCluster.css": "MarkerCluster.css",
        "MarkerCluster.Default.css": "MarkerCluster.Default.css",
    }

    def script(m: re.Match[str]) -> str:
        name = m.group(1).rsplit("/", 1)[-1]
        return f"<script>{_vendor(vendored[name])}</script>" if name in vendored else ""

    def link(m: re.Match[str]) -> str:
        name = m.group(1).rsplit("/", 1)[-1]
        return f"<style>{_vendor(vendored[name])}</style>" if name in vendored else ""

    page = re.sub(r'<script\s+src="([^"]+)"\s*>\s*</script>', script, page)
    return re.sub(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>', link, page)


def ready(browser: Any, path: Path, selector: str) -> tuple[float, int, int]:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    t = time.perf_counter()
    page.goto(path.resolve().as_uri())
    try:
        page.wait_for_function(f"document.querySelector({selector!r}) !== null", timeout=60_000)
        seconds = time.perf_counter() - t
        reachable = int(page.evaluate(REACHABLE))
    except Exception:
        seconds, reachable = float("nan"), 0
    page.close()
    return seconds, reachable, len(errors)


CLICK = """([i, zoom]) => {
    const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds && x.getZoom);
    let m = null;
    const walk = (l) => { if (l.options && l.options.hgIdx === i) { m = l; }
                          else if (l.getLayers) { l.getLayers().forEach(walk); } };
    map.eachLayer(walk); map.closePopup(); map.stop(); map.setView(m.getLatLng(), zoom, {animate: false});
    window.hgM = m; window.hgMap = map;
}"""


def clicked(browser: Any, path: Path, names: list[str], picks: list[int]) -> int:
    """How many of the projects ``picks`` open their own popup when clicked with the mouse at zoom 18."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.resolve().as_uri())
    page.wait_for_function("document.querySelector('[data-hg-projects-ready]') !== null", timeout=60_000)
    ok = 0
    for i in picks:
        page.wait_for_timeout(400)  # markercluster's animations settle, as a reader's pause
        page.evaluate(CLICK, [i, 18])
        try:
            page.wait_for_function("() => !!hgM._map", timeout=10_000)
            x, y = page.evaluate(
                "() => { const p = hgMap.latLngToContainerPoint(hgM.getLatLng()), "
                "r = hgMap.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }"
            )
            page.mouse.move(x + 40, y + 40)
            page.mouse.click(x, y)
            page.wait_for_function(
                "(n) => [...document.querySelectorAll('.leaflet-popup')].some("
                "p => p.style.opacity !== '0' && p.innerText.includes(n))",
                arg=names[i],
                timeout=5_000,
            )
            ok += 1
        except Exception as exc:  # counted as not clicked, and said why
            shown = page.evaluate("() => [...document.querySelectorAll('.leaflet-popup b')].map(b => b.innerText)")
            print(f"project {i} ({names[i]}): no popup of its own ({str(exc).splitlines()[0]}; shown: {shown})")
    page.close()
    return ok


def _isolated(projects: Any, k: int = 5) -> list[int]:
    """``k`` projects with no other within 20 m (at zoom 18 each is drawn alone, out of its cluster)."""
    import numpy as np
    import shapely

    metric = projects.to_crs(4550).geometry.values
    tree = shapely.STRtree(metric)
    out = []
    for i in np.linspace(0, len(metric) - 1, 200).astype(int):
        if len(tree.query(metric[i], predicate="dwithin", distance=20.0)) == 1:
            out.append(int(i))
        if len(out) == k:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 50000])
    parser.add_argument("--baseline-max", type=int, default=50000, help="largest size to run folium's baseline at")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        out = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # bytes per project: over the smallest clustered map (41 projects), which has the same fixed
        # parts (Leaflet, markercluster, layers, density grid)
        small = hepinggis.read_projects(write_register(out / "41.csv", 41), crs="gcj02").projects
        ours(small, out / "small.html")
        base_bytes = (out / "small.html").stat().st_size
        for n in args.sizes:
            projects = hepinggis.read_projects(write_register(out / f"{n}.csv", n, seed=n), crs="gcj02").projects
            page = out / f"ours_{n}.html"
            write_s = ours(projects, page)
            size = page.stat().st_size
            ready_s, reachable, errors = ready(browser, page, "[data-hg-projects-ready]")
            picks = _isolated(projects)
            hits = f"{clicked(browser, page, projects['name'].astype(str).tolist(), picks)}/{len(picks)}"
            rows.append(
                ("hepinggis", n, write_s, size, (size - base_bytes) / (n - 41), ready_s, reachable, errors, hits)
            )
            if n <= args.baseline_max:
                page = out / f"folium_{n}.html"
                write_s = folium_cluster(projects, page)
                size = page.stat().st_size
                ready_s, reachable, errors = ready(browser, page, ".marker-cluster, .leaflet-marker-icon")
                rows.append(("folium MarkerCluster", n, write_s, size, size / n, ready_s, reachable, errors, "—"))
        browser.close()
    head = ("map", "projects", "write s", "MB", "B/project", "ready s", "reachable", "errors", "clicked")
    print(f"{head[0]:<22}" + "".join(f"{h:>10}" for h in head[1:]))
    for name, n, write_s, size, per, ready_s, reachable, errors, hits in rows:
        cells = (n, f"{write_s:.2f}", f"{size / 1e6:.2f}", f"{per:.0f}", f"{ready_s:.2f}", reachable, errors, hits)
        print(f"{name:<22}" + "".join(f"{c:>10}" for c in cells))
    print("(both pages self-contained: folium's with the same vendored Leaflet/markercluster inlined; network blocked)")


if __name__ == "__main__":
    main()
