"""Benchmark: building the briefing maps, HTML bytes per map, and time to first render in headless
Chromium — against ``GeoDataFrame.explore()`` of the same layers, measured in the same run.

explore() pages load Leaflet and friends from public CDNs; Chromium here runs with every network
request blocked (as on an intranet), so the table also says what each page needs from outside.

    python benchmarks/bench_maps.py
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import folium
import pandas as pd

import hepinggis
from hepinggis.briefing import build
from hepinggis.maps import overview_map, save_html

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", re.I)


def explore_page(path: Path) -> Path:
    m = None
    for name in ("zones", "jiedao", "belt", "axes", "projects"):
        frame = hepinggis.load(name)
        m = frame.explore(m=m, name=name, tiles=None) if m is not None else frame.explore(name=name, tiles=None)
    folium.LayerControl().add_to(m)
    m.save(str(path))
    return path


def first_render(browser, path: Path) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    t = time.perf_counter()
    page.goto(path.resolve().as_uri())
    try:
        page.wait_for_selector("svg path", timeout=5_000)
        ms = (time.perf_counter() - t) * 1000
    except Exception:
        ms = float("nan")  # nothing was drawn
    paths = page.locator("svg path").count()
    page.close()
    return ms, paths, len(blocked)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        written = build(out / "maps", progress=False)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        ours = save_html(overview_map(basemap="none"), out / "overview_ours.html")
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        theirs = explore_page(out / "overview_explore.html")
        theirs_s = time.perf_counter() - t
        print(f"hepinggis build (all {len(written)} products): {build_s:.1f} s")
        rows = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for label, path, seconds in (
                ("hepinggis overview (offline)", ours, ours_s),
                ("GeoDataFrame.explore()", theirs, theirs_s),
            ):
                ms, drawn, blocked = first_render(browser, path)
                text = path.read_text(encoding="utf-8")
                rows.append(
                    {
                        "map": label,
                        "build_s": round(seconds, 2),
                        "bytes": path.stat().st_size,
                        "external_src_href": len(EXTERNAL.findall(text)),
                        "requests_blocked": blocked,
                        "first_render_ms": round(ms, 0),
                        "svg_paths_drawn": drawn,
                    }
                )
            per_map = [(n, p.stat().st_size) for n, p in written.items() if p.suffix == ".html" and n != "index.html"]
            for name, size in per_map:
                ms, drawn, blocked = first_render(browser, written[name])
                rows.append(
                    {
                        "map": name,
                        "build_s": None,
                        "bytes": size,
                        "external_src_href": 0,
                        "requests_blocked": blocked,
                        "first_render_ms": round(ms, 0),
                        "svg_paths_drawn": drawn,
                    }
                )
            browser.close()
        with pd.option_context("display.width", 160):
            print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
