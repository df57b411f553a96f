"""Interactive and static maps, checked in Python; the browser checks are in test_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

import hepinggis
from hepinggis.errors import HepingGISError, UnknownIdError
from hepinggis.maps import choropleth_map, overview_map, save_html, zone_map
from hepinggis.maps._web import feature_collection
from hepinggis.maps.basemaps import TIANDITU_KEY_ENV, basemap, basemaps
from hepinggis.maps.static import require_cjk_font, static_map

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_offline_overview_is_self_contained_and_small(tmp_path: Path) -> None:
    path = save_html(overview_map(basemap="none"), tmp_path / "overview.html")
    page = path.read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    assert path.stat().st_size < 1_000_000
    assert "和平区" in page and "\\u548c" not in page  # Chinese kept as UTF-8, not 6-byte escapes
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()
    coords = re.findall(r"\[(\d{3}\.\d+),(\d{2}\.\d+)\]", page)
    assert coords and max(len(x.split(".")[1]) for x, _ in coords) <= 6


def test_online_map_uses_pinned_cdn_assets(tmp_path: Path) -> None:
    page = save_html(overview_map(basemap="none"), tmp_path / "o.html", offline=False).read_text(encoding="utf-8")
    assert "leaflet@1.9.4/dist/leaflet.js" in page


def test_offline_refuses_a_page_that_needs_the_network(tmp_path: Path) -> None:
    with pytest.raises(HepingGISError, match="external resource"):
        m = overview_map(basemap="none")
        m.default_js = [*m.default_js, ("extra", "https://example.invalid/x.js")]
        save_html(m, tmp_path / "x.html")


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    projects = hepinggis.load("projects")
    evil = projects.iloc[[0]].copy()
    evil["id"] = "evil"
    evil["name_zh"] = "<img src=x onerror=alert(1)>"
    evil["source_quote"] = "</script><script>alert(2)</script>"
    evil["geometry"] = [Point(123.40, 41.78)]
    evil["location_method"] = "point"
    both = gpd.GeoDataFrame(pd_concat(projects, evil), crs=projects.crs)
    page = save_html(overview_map(basemap="none", projects=both), tmp_path / "e.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "</script><script>alert(2)" not in page


def pd_concat(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


def test_gcj02_basemap_shifts_the_overlays() -> None:
    zones = hepinggis.load("zones").iloc[[0]]
    plain = feature_collection(zones, lambda r: {})
    shifted = feature_collection(zones, lambda r: {}, gcj02=True)
    a = np.array(plain["features"][0]["geometry"]["coordinates"][0][0])
    b = np.array(shifted["features"][0]["geometry"]["coordinates"][0][0])
    dx, dy = (b - a) * [83_000, 111_000]  # metres per degree at 41.8°N
    assert 400 < dx < 650 and 150 < dy < 400  # AMap's offset in Shenyang: ~510 m east, ~270 m north
    assert basemap("gaode").is_gcj02 and not basemap("osm").is_gcj02


def test_basemaps_catalogue_and_tianditu_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"osm", "positron", "tianditu_vec", "tianditu_img", "gaode", "none"} <= set(basemaps())
    monkeypatch.delenv(TIANDITU_KEY_ENV, raising=False)
    with pytest.raises(HepingGISError, match=TIANDITU_KEY_ENV):
        basemap("tianditu_vec")
    monkeypatch.setenv(TIANDITU_KEY_ENV, "abc123")
    tiles = basemap("tianditu_img").tiles
    assert len(tiles) == 2 and "tk=abc123" in tiles[0].build_url()
    with pytest.raises(HepingGISError, match="unknown basemap"):
        basemap("google")


def test_zone_map_panel_and_unknown_zone() -> None:
    page = zone_map("changbaidao", basemap="none").get_root().render()
    for text in ("长白岛高端商务商业集聚区", "东至金阳大街", "10.7 km²", "2025年发展目标", "总部企业数量达到50家以上"):
        assert text in page
    with pytest.raises(UnknownIdError):
        zone_map("nowhere", basemap="none")


def test_choropleth_classes_in_the_legend() -> None:
    import pandas as pd

    values = pd.Series({"beishichang": 1, "nanshichang": 5, "taiyuanjie": 9, "sanhaojie": 12, "changbaidao": 20})
    page = choropleth_map(values, title="测试", unit="个", k=3, basemap="none").get_root().render()
    assert page.count("（1）") + page.count("（2）") + page.count("（3）") >= 3  # class counts shown
    assert "无数据" in page  # manrong has no value


def test_static_maps_in_three_formats(tmp_path: Path) -> None:
    assert require_cjk_font().lower().endswith((".ttc", ".otf", ".ttf"))
    for suffix in ("png", "pdf", "svg"):
        out = static_map(tmp_path / f"o.{suffix}", dpi=60)
        assert out.stat().st_size > 10_000
    assert "和平区" in (tmp_path / "o.svg").read_text(encoding="utf-8")  # text kept, CJK font named
    with pytest.raises(HepingGISError):
        static_map(tmp_path / "o.jpg")


def test_build_writes_the_gallery(bundled_package: Path) -> None:
    """The bundled package, built once for the run (conftest): ``written`` is what `build` returned."""
    written = {
        name: bundled_package / rel
        for name, rel in json.loads((bundled_package.parent / "written.json").read_text(encoding="utf-8")).items()
    }
    index = (bundled_package / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert len(links) >= 20
    for link in links:
        assert (bundled_package / link).is_file(), link
    for name, path in written.items():
        assert path.is_file(), name
        if path.suffix == ".html":
            assert not EXTERNAL.search(path.read_text(encoding="utf-8")), name
