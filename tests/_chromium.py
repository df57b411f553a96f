"""Headless Debian Chromium for the map tests: every request that is not a local file is blocked and
recorded, JavaScript errors and dialogs are recorded. Playwright drives it; no browser is downloaded."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("HEPINGGIS_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]


def launch() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have Debian chromium at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


#: Every page opened during the current test; the ``page_errors`` fixture (autouse, conftest) fails
#: the test on any page error or console error in any of them.
OPENED: list[Visit] = []


class Visit:
    def __init__(
        self, browser: Any, path: Path, *, wait_for: str = "path.hg-zone", size: tuple[int, int] = (1280, 900)
    ) -> None:
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        self.path = path
        OPENED.append(self)
        self.external: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                self.external.append(url)
                r.abort()

        self.page.route("**/*", route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())
        # wait on what every map draws, by count in the DOM, never on the first element's visibility
        # (in a zone map the first zone path may lie outside the view)
        self.page.wait_for_function(f"document.querySelectorAll({wait_for!r}).length > 0", timeout=15_000)
        # and until the opening fit has settled: a click during a zoom animation is lost
        self.page.wait_for_function(
            "() => { const m = Object.values(window).find(x => x && x.eachLayer && x.getZoom);"
            " return !m || !m._animatingZoom; }",
            timeout=15_000,
        )

    def projects_reachable(self) -> int:
        """How many projects Leaflet holds: markers on the map, in clusters or in groups (walked
        through the layer tree, each counted once), as a reader can reach them by zooming."""
        return int(
            self.page.evaluate(
                """() => {
                const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds);
                const seen = new Set();
                const walk = (l) => {
                    if (l.options && l.options.hgIdx !== undefined) { seen.add(l); return; }
                    if (l.getLayers) { l.getLayers().forEach(walk); }
                };
                map.eachLayer(walk);
                return seen.size;
            }"""
            )
        )

    def assert_clean(self) -> None:
        """No page error, console error, external request or dialog so far: for a page kept open
        across tests (a module's fixture), which the ``page_errors`` fixture does not watch."""
        assert self.errors == self.external == self.dialogs == [], (
            self.path.name,
            self.errors,
            self.external,
            self.dialogs,
        )

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def popup_and_tooltip_texts(self) -> list[str]:
        """Open every popup and tooltip of the map (through Leaflet) and return their visible text."""
        return list(
            self.page.evaluate(
                """() => {
                const out = [];
                const maps = Object.keys(window).filter(k => k.startsWith('map_') && window[k] && window[k].eachLayer);
                for (const k of maps) {
                    window[k].eachLayer(l => {
                        for (const [get, open, close] of [['getPopup', 'openPopup', 'closePopup'],
                                                          ['getTooltip', 'openTooltip', 'closeTooltip']]) {
                            if (l[get] && l[get]()) {
                                try { l[open](); } catch (e) { continue; }
                                const el = l[get]().getElement();
                                if (el) { out.push(el.innerText); }
                                l[close]();
                            }
                        }
                    });
                }
                return out;
            }"""
            )
        )


def not_blank(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    return len(colours or [])
