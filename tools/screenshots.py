"""Screenshots of the briefing maps for the README (docs/*.png), taken in headless Debian Chromium at a
1366×768 laptop size with every network request blocked. Run: python tools/screenshots.py"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import hepinggis
from hepinggis.maps import choropleth_map, overview_map, save_html, zone_map

DOCS = Path(__file__).resolve().parent.parent / "docs"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]


def main() -> None:
    counts = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))["projects_any_share"]
    maps = {
        "overview": overview_map(basemap="none"),
        "zone_sanhaojie": zone_map("sanhaojie", basemap="none"),
        "choropleth_projects": choropleth_map(counts, title="各功能区涉及项目数", unit="个", basemap="none"),
    }
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=ARGS)
        for name, m in maps.items():
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            page.goto(save_html(m, Path(tmp) / f"{name}.html").as_uri())
            page.wait_for_timeout(1500)
            page.screenshot(path=str(DOCS / f"{name}.png"))
            print(DOCS / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
