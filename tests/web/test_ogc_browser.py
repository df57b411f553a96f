"""A register of 50,000 projects on its page in Debian Chromium: the map is drawn from the OGC API
vector tiles (Leaflet.VectorGrid, MVT), with no page error, no console error and no request that
leaves the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _ogc_data import add_register
from _server import Server, wait_gone
from test_web_browser import Tab

N = 50_000


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    data = tmp_path_factory.mktemp("ogcbrowser") / "store"
    data.mkdir()
    rid = add_register(f"sqlite:///{data / 'hepinggis.sqlite'}", N)
    srv = Server(data)
    yield srv, rid
    srv.stop()
    assert wait_gone(data) == []


def test_register_map_draws_tiles(browser: Any, big: tuple[Server, str], tmp_path: Path) -> None:
    srv, rid = big
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context, srv.url)
    try:
        page = tab.goto(f"/registers/{rid}")
        assert page.inner_text("#n-imported") == str(N)
        frame_el = page.locator("#map")
        frame_el.wait_for(state="attached")
        frame = page.frame_locator("#map")
        frame.locator("#tile-map canvas.leaflet-tile").first.wait_for(state="attached", timeout=60_000)
        assert page.get_attribute("#map", "src") == f"/ogc/collections/register-version-{rid}/map"
        child = next(f for f in page.frames if f.url.endswith(f"/ogc/collections/register-version-{rid}/map"))
        count = (
            "() => [document.querySelectorAll('canvas.leaflet-tile').length, "
            "document.querySelectorAll('canvas.leaflet-tile-loaded').length]"
        )
        for _ in range(240):  # until every tile in view has loaded
            tiles, loaded = child.evaluate(count)
            if tiles >= 4 and loaded == tiles:
                break
            page.wait_for_timeout(500)
        assert tiles >= 4 and loaded == tiles, (tiles, loaded)
        painted = child.evaluate(
            """() => [...document.querySelectorAll('canvas.leaflet-tile')].map(c => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })"""
        )
        assert sum(1 for p in painted if p > 0) >= 2, painted  # projects drawn on several tiles
        assert sum(painted) > 50_000, painted  # every cell's dot, not one per MultiPoint
        page.screenshot(path=str(tmp_path / "register-tiles.png"))
    finally:
        context.close()
    tab.check()  # no page error, no console error, nothing requested from elsewhere
