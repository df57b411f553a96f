"""Every project clickable at any size (issue 23, item 8), as a reader uses the map: real mouse clicks
and moves in headless Chromium at 1366×768 on maps of 1,000 (the last SVG map), 1,001 (the first
canvas map) and 5,000 projects (canvas, popups bound on first use). A click on a project opens its
popup (the project's name), a hover its tooltip, a click beside the projects the zone's popup; the
density grid never takes a click and hides at street zoom; the legend's filter is in view. Any page
or console error fails the test (``page_errors``), and so does any request leaving the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _chromium import Visit

import hepinggis
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.io._synthetic import write_register
from hepinggis.maps import overview_map, save_html, zone_map
from hepinggis.maps._leaflet import STREET_ZOOM
from hepinggis.maps._project_layer import CANVAS_ABOVE

SIZES = [CANVAS_ABOVE, CANVAS_ABOVE + 1, 5000]
ZOOM = 18  # close enough that every project is out of its cluster and apart from its neighbours

#: The map object, the marker of project ``i`` (walked through the layer tree) and helpers.
SETUP = """() => {
    window.hgMap = Object.values(window).find(x => x && x.eachLayer && x.getBounds && x.getZoom);
    window.hgMarker = (i) => { let m = null;
        const walk = (l) => { if (l.options && l.options.hgIdx === i) { m = l; }
                              else if (l.getLayers) { l.getLayers().forEach(walk); } };
        hgMap.eachLayer(walk); return m; };
    window.hgIdle = () => { const g = Object.values(hgMap._layers).find(l => l._featureGroup);  // markercluster
        return !hgMap._animatingZoom && !(g && g._inZoomAnimation); };
    window.hgPage = (ll) => { const p = hgMap.latLngToContainerPoint(ll);
        const r = hgMap.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; };
}"""


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> dict[int, hepinggis.ImportResult]:
    folder = tmp_path_factory.mktemp("registers")
    return {n: hepinggis.read_projects(write_register(folder / f"清单{n}.csv", n, seed=n), crs="gcj02") for n in SIZES}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, registers: dict[int, hepinggis.ImportResult]) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("maps")
    return {
        n: save_html(overview_map(basemap="none", projects=r.projects), folder / f"o{n}.html")
        for n, r in registers.items()
    }


def _open(browser: Any, path: Path) -> Visit:
    v = Visit(browser, path, size=(1366, 768))
    v.page.wait_for_function("document.querySelector('[data-hg-projects-ready]') !== null", timeout=30_000)
    v.page.evaluate(SETUP)
    return v


def _go(v: Visit, latlng: list[float], zoom: float) -> None:
    # as a reader would: once the last zoom has settled (a move during markercluster's 200 ms
    # split animation is ignored by the plugin)
    v.page.wait_for_function("() => hgIdle()", timeout=10_000)
    v.page.evaluate(
        "([ll, z]) => { hgMap.closePopup(); hgMap.stop(); hgMap.setView(ll, z, {animate: false}); }", [latlng, zoom]
    )
    v.page.wait_for_function("() => hgIdle()", timeout=10_000)


def _show(v: Visit, i: int, zoom: float = ZOOM) -> tuple[float, float]:
    """Centre the map on project ``i`` at ``zoom`` until it is out of its cluster; its page position."""
    v.page.mouse.move(700, 5)  # off the last project first (its tooltip closes, as when a reader moves on)
    latlng = v.page.evaluate(f"() => {{ const m = hgMarker({i}); return [m.getLatLng().lat, m.getLatLng().lng]; }}")
    _go(v, latlng, zoom)
    v.page.wait_for_function(f"() => !!hgMarker({i})._map", timeout=10_000)  # drawn, not in a cluster
    x, y = v.page.evaluate(f"() => hgPage(hgMarker({i}).getLatLng())")
    return float(x), float(y)


#: The popups and tooltips a reader sees: one that was closed fades out over 200 ms (Leaflet sets
#: its opacity to 0 at once and removes it later).
OPEN = """(sel) => [...document.querySelectorAll(sel)].filter(t => t.style.opacity !== '0').map(t => t.innerText)"""


def _popup(v: Visit) -> str:
    v.page.wait_for_function(f"() => ({OPEN})('.leaflet-popup').length > 0", timeout=5_000)
    shown = v.page.evaluate(OPEN, ".leaflet-popup")
    assert len(shown) == 1, shown
    return str(shown[0])


def _chosen(result: hepinggis.ImportResult, k: int = 5, *, off_the_belt: bool = False) -> list[int]:
    """``k`` projects spread over the list, each with no other project within 40 m (at zoom 18 a
    cluster gathers markers within about 18 m), so each is drawn alone and is what the pointer hits."""
    metric = result.projects.to_crs(MEASURE_CRS).geometry
    tree = shapely.STRtree(metric.values)
    belt = hepinggis.load("belt").to_crs(MEASURE_CRS).union_all().buffer(150)
    picked: list[int] = []
    for i in np.linspace(0, len(metric) - 1, 80).astype(int):
        if off_the_belt and belt.contains(metric.values[i]):  # (a click there opens the belt's popup)
            continue
        if len(tree.query(metric.values[i], predicate="dwithin", distance=40.0)) == 1:
            picked.append(int(i))
        if len(picked) == k:
            break
    assert len(picked) == k
    return picked


@pytest.mark.parametrize("n", SIZES)
def test_a_click_on_a_project_opens_its_popup_and_a_hover_its_tooltip(
    browser: Any, pages: dict[int, Path], registers: dict[int, hepinggis.ImportResult], n: int
) -> None:
    result = registers[n]
    v = _open(browser, pages[n])
    renderer = v.page.evaluate("() => hgMarker(0).options.renderer instanceof L.Canvas ? 'canvas' : 'svg'")
    assert renderer == ("canvas" if n > CANVAS_ABOVE else "svg")
    for i in _chosen(result):
        name = str(result.projects.iloc[i]["name"])
        x, y = _show(v, i)
        v.page.mouse.move(x + 120, y + 90)  # from a spot beside it, in one move: no hover before
        v.page.mouse.move(x, y)
        tip = v.page.locator(".leaflet-tooltip", has_text=name)
        tip.wait_for(state="visible", timeout=5_000)
        shown = v.page.evaluate(OPEN, ".leaflet-tooltip")
        assert len(shown) == 1 and name in shown[0] and "（" in shown[0], shown  # its own, no other
        v.page.mouse.click(x, y)
        popup = _popup(v)
        assert name in popup and "类别" in popup and "规划四至" not in popup, popup
    assert v.external == []


def _clear_spot(v: Visit, projects: gpd.GeoDataFrame, x: float, y: float) -> tuple[float, float, str]:
    """A spot near page position (x, y) inside a zone with no project, belt, sub-area or 街道
    line within reach of the pointer; its position and the zone's name."""
    zones = hepinggis.load("zones").to_crs(MEASURE_CRS)
    belt = hepinggis.load("belt").to_crs(MEASURE_CRS).union_all().buffer(10)
    lines = hepinggis.load("jiedao").to_crs(MEASURE_CRS).boundary.union_all().buffer(5)
    metric = projects.to_crs(MEASURE_CRS).geometry
    around = [
        (r * np.cos(a), r * np.sin(a)) for r in (60, 120, 200) for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ]
    for dx, dy in around:
        lat, lng = v.page.evaluate(
            "([x, y]) => { const r = hgMap.getContainer().getBoundingClientRect();"
            " const ll = hgMap.containerPointToLatLng([x - r.left, y - r.top]); return [ll.lat, ll.lng]; }",
            [x + dx, y + dy],
        )
        spot = gpd.GeoSeries([shapely.Point(lng, lat)], crs=4326).to_crs(MEASURE_CRS).iloc[0]
        inside = zones[zones.contains(spot)]
        if len(inside) and not belt.contains(spot) and not lines.contains(spot) and metric.distance(spot).min() > 20:
            return x + dx, y + dy, str(inside.iloc[0]["name_zh"])
    raise AssertionError("no clear spot near the project")


@pytest.mark.parametrize("n", SIZES)
def test_a_click_beside_the_projects_opens_the_zone_popup(
    browser: Any, pages: dict[int, Path], registers: dict[int, hepinggis.ImportResult], n: int
) -> None:
    result = registers[n]
    v = _open(browser, pages[n])
    for i in _chosen(result, 3, off_the_belt=True):
        x, y = _show(v, i)
        sx, sy, zone = _clear_spot(v, result.projects, x, y)
        v.page.mouse.move(sx, sy)
        v.page.mouse.click(sx, sy)
        popup = _popup(v)
        assert popup.startswith(zone) and "规划四至" in popup, popup
        assert "项目" in popup and "其中" in popup  # the zone's projects, and its 街道's
    assert v.external == []


def test_density_grid_is_off_below_10000_never_takes_a_click_and_hides_at_street_zoom(
    browser: Any, pages: dict[int, Path], registers: dict[int, hepinggis.ImportResult]
) -> None:
    result = registers[5000]
    v = _open(browser, pages[5000])
    assert v.count("path.hg-density") == 0  # off by default below 10,000 projects
    v.page.evaluate(  # the reader switches it on in the layer control
        "() => { for (const l of document.querySelectorAll('.leaflet-control-layers-overlays label')) {"
        " if (l.innerText.includes('项目密度')) { l.querySelector('input').click(); } } }"
    )
    assert v.count("path.hg-density") > 10
    assert v.page.locator("path.hg-density.leaflet-interactive").count() == 0
    visible = (
        "() => [...document.querySelectorAll('path.hg-density')]"
        ".filter(p => getComputedStyle(p).display !== 'none').length"
    )
    # below street zoom the grid shows; the projects are in clusters drawn above it, and a click
    # beside them goes through the grid to the zone beneath
    i = _chosen(result, 1, off_the_belt=True)[0]
    lat, lng = v.page.evaluate(f"() => {{ const ll = hgMarker({i}).getLatLng(); return [ll.lat, ll.lng]; }}")
    _go(v, [lat, lng], STREET_ZOOM - 1)
    assert v.page.evaluate(visible) > 0
    under = v.page.evaluate(  # what the pointer hits on a 30 px grid over the middle of the map
        """() => { const r = hgMap.getContainer().getBoundingClientRect(), out = [];
        for (let x = r.left + 400; x < r.left + 950; x += 30) { for (let y = r.top + 150; y < r.top + 600; y += 30) {
            const e = document.elementFromPoint(x, y);
            out.push([x, y, (e.getAttribute('class') || '') + (e.closest('.marker-cluster') ? ' in-cluster' : '')]); } }
        return out; }"""
    )
    assert not [u for u in under if "hg-density" in u[2]]  # never a grid cell
    assert [u for u in under if "in-cluster" in u[2]]  # the clusters, above the grid
    zone_spots = [u for u in under if "hg-zone" in u[2]]
    assert zone_spots
    x, y, _ = zone_spots[len(zone_spots) // 2]
    v.page.mouse.click(x, y)
    assert "规划四至" in _popup(v)
    # from street zoom on the grid is hidden, and every click on a project opens its popup
    for zoom in (STREET_ZOOM, ZOOM):
        _go(v, [lat, lng], zoom)
        assert v.page.evaluate(visible) == 0
    name = str(result.projects.iloc[i]["name"])
    x, y = _show(v, i)
    v.page.mouse.move(x + 3, y + 40)
    v.page.mouse.click(x, y)
    assert name in _popup(v)
    assert v.external == []


@pytest.mark.parametrize("which", ["overview", "zone"])
def test_legend_filter_in_view_without_scrolling_at_1366x768(
    browser: Any, tmp_path: Path, registers: dict[int, hepinggis.ImportResult], which: str
) -> None:
    projects = registers[5000].projects
    m = (
        overview_map(basemap="none", projects=projects)
        if which == "overview"
        else zone_map("nanshichang", basemap="none", projects=projects)
    )
    v = _open(browser, save_html(m, tmp_path / f"{which}.html"))
    legend = v.page.locator(".hg-legend").bounding_box()
    assert legend is not None
    boxes = v.page.locator(".hg-legend input[data-hg-cat]")
    assert boxes.count() == projects["category"].nunique()
    for k in range(boxes.count()):
        box = boxes.nth(k).bounding_box()
        assert box is not None
        assert legend["y"] <= box["y"] and box["y"] + box["height"] <= legend["y"] + legend["height"]
        assert box["y"] + box["height"] <= 768 and box["x"] + box["width"] <= 1366
    assert v.page.evaluate("() => document.querySelector('.hg-legend').scrollTop") == 0
    boxes.first.uncheck()  # and it works where it is
    assert not boxes.first.is_checked()
