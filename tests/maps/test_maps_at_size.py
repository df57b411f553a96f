"""Maps of real-size project lists in headless Chromium: 0, 1, 40, 41, 300 and 5,000 projects read
from a GBK, GCJ-02 register as an office keeps it. Every page opens with no page or console error
(the ``page_errors`` fixture), and a reader sees the title with the list's credit, the legend, the
zone labels, and every project reachable in Leaflet's layer tree (as a marker or in a cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from _chromium import Visit

import hepinggis
from hepinggis.io._synthetic import write_register
from hepinggis.maps import overview_map, save_html, zone_map
from hepinggis.maps._project_layer import CANVAS_ABOVE

SIZES = [0, 1, 40, 41, 300, 5000]
ZONE = "nanshichang"


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> dict[int, hepinggis.ImportResult]:
    folder = tmp_path_factory.mktemp("registers")
    return {n: hepinggis.read_projects(write_register(folder / f"清单{n}.csv", n, seed=n), crs="gcj02") for n in SIZES}


def _in_zone(projects: gpd.GeoDataFrame, zone_id: str) -> gpd.GeoDataFrame:
    """The projects in the zone, found independently with geopandas' spatial join."""
    zones = hepinggis.load("zones")
    if projects.empty:
        return projects
    joined = gpd.sjoin(projects, zones[zones["id"] == zone_id], predicate="intersects")
    return projects.loc[joined.index.unique()]


def _open(browser: Any, path: Path) -> Visit:
    v = Visit(browser, path, size=(1366, 768))
    v.page.wait_for_function("document.querySelector('[data-hg-projects-ready]') !== null", timeout=30_000)
    return v


def _reader_sees(v: Visit, result: hepinggis.ImportResult, drawn: gpd.GeoDataFrame) -> None:
    title = v.page.locator(".hg-title").inner_text()
    assert Path(result.source).name in title and f"共 {len(result.projects)} 项" in title  # the list is credited
    assert "2022年政府工作报告" not in title
    assert v.count(".hg-legend") == 1
    assert v.page.locator(".hg-zone-label span").count() == 6
    filters = v.page.locator(".hg-legend input[data-hg-cat]")
    assert filters.count() == drawn["category"].nunique()  # one check box per category drawn
    assert v.external == []


@pytest.mark.parametrize("n", SIZES)
def test_overview_holds_every_project(browser: Any, tmp_path: Path, registers: dict, n: int) -> None:
    result = registers[n]
    assert result.n_imported == n
    v = _open(browser, save_html(overview_map(basemap="none", projects=result), tmp_path / "o.html"))
    assert v.projects_reachable() == n
    _reader_sees(v, result, result.projects)
    if 0 < n <= 40:  # one marker each, no clusters
        assert v.count(".hg-project") == n and v.count(".marker-cluster") == 0
    if n > 40:
        assert v.count(".marker-cluster") > 0
    canvas = v.page.evaluate(
        """() => { const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds); let c = null;
        const walk = (l) => { if (l.options && l.options.hgIdx === 0) { c = l.options.renderer instanceof L.Canvas; }
                              else if (l.getLayers) { l.getLayers().forEach(walk); } };
        map.eachLayer(walk); return c; }"""
    )
    assert canvas == (None if n == 0 else n > CANVAS_ABOVE)  # one canvas for many markers, SVG for few


@pytest.mark.parametrize("n", SIZES)
def test_zone_map_holds_every_project_of_its_zone(browser: Any, tmp_path: Path, registers: dict, n: int) -> None:
    result = registers[n]
    v = _open(browser, save_html(zone_map(ZONE, basemap="none", projects=result), tmp_path / "z.html"))
    mine = _in_zone(result.projects, ZONE)
    assert v.projects_reachable() == len(mine)
    assert f"项目（{len(mine)}）" in v.page.locator(".hg-side").inner_text()
    _reader_sees(v, result, mine)


def test_legend_categories_filter_the_markers(browser: Any, tmp_path: Path, registers: dict) -> None:
    result = registers[300]
    v = _open(browser, save_html(overview_map(basemap="none", projects=result), tmp_path / "f.html"))
    box = v.page.locator(".hg-legend input[data-hg-cat]").first
    label = v.page.locator(".hg-legend label.hg-filter").first.inner_text()
    category = label.split("（")[0].strip()
    n_category = int((result.projects["category"] == category).sum())
    assert 0 < n_category < 300
    box.uncheck()
    assert v.projects_reachable() == 300 - n_category
    box.check()
    assert v.projects_reachable() == 300


def test_popup_of_a_clustered_project_is_built_when_opened(browser: Any, tmp_path: Path, registers: dict) -> None:
    result = registers[5000]
    v = _open(browser, save_html(overview_map(basemap="none", projects=result), tmp_path / "p.html"))
    find = """() => { const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds); let m = null;
        const walk = (l) => { if (l.options && l.options.hgIdx === 4321) { m = l; } else if (l.getLayers) {
            l.getLayers().forEach(walk); } };
        map.eachLayer(walk); window.hgMap = map; window.hgMarker = m; return m.getPopup() ? 'bound' : 'unbound'; }"""
    assert v.page.evaluate(find) == "unbound"  # nothing is built for a marker until it is used
    v.page.wait_for_function("() => !hgMap._animatingZoom", timeout=10_000)  # the opening fit has settled
    v.page.evaluate("() => { hgMap.setView(hgMarker.getLatLng(), 19, {animate: false}); }")
    v.page.wait_for_function("() => !!hgMarker._map", timeout=10_000)  # out of its cluster, on the map
    v.page.evaluate("() => { hgMarker.fire('click', {latlng: hgMarker.getLatLng()}, true); }")
    popup = v.page.locator(".leaflet-popup-content").inner_text(timeout=5_000)
    assert result.projects.iloc[4321]["name"] in popup and "类别" in popup and "状态" in popup
