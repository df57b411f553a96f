"""The offline maps in a real browser: Debian's headless Chromium, with every network request blocked
and recorded (Playwright drives it; no browser is downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from _chromium import Visit, not_blank
from shapely.geometry import Point

import hepinggis
from hepinggis.maps import choropleth_map, overview_map, save_html, zone_map


def test_offline_overview_renders_every_zone_and_project(browser: Any, tmp_path: Path) -> None:
    path = save_html(overview_map(basemap="none"), tmp_path / "overview.html")
    v = Visit(browser, path)
    assert v.count("path.hg-zone") == len(hepinggis.load("zones"))
    assert v.count(".hg-project") == len(hepinggis.load("projects"))
    assert v.count("path.hg-axis") == 6
    assert v.count("path.hg-bank") == 2 and v.count("path.hg-belt") == 1
    assert v.count("path.hg-jiedao") == 10
    assert v.count(".leaflet-control-measure") == 1 and v.count(".leaflet-control-zoom-fullscreen") == 1
    assert v.count(".leaflet-control-scale") == 1 and v.count(".hg-legend") == 1
    assert v.external == [] and v.errors == []
    shot = tmp_path / "overview.png"
    v.page.screenshot(path=str(shot))
    assert not_blank(shot) > 50


def test_popup_shows_escaped_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    projects = hepinggis.load("projects")
    evil = projects.iloc[[0]].copy()
    evil["id"], evil["name_zh"], evil["location_method"] = "evil", "<img src=x onerror=alert(1)>", "point"
    evil["geometry"] = [Point(123.43, 41.80)]
    both = gpd.GeoDataFrame(pd.concat([projects.iloc[[10]], evil], ignore_index=True), crs=projects.crs)
    v = Visit(browser, save_html(overview_map(basemap="none", projects=both), tmp_path / "evil.html"))
    v.page.locator("path.hg-project").last.click(force=True)
    v.page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    popup = v.page.locator(".leaflet-popup-content")
    assert "<img src=x onerror=alert(1)>" in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert v.dialogs == [] and v.external == []


@pytest.mark.parametrize("zone_id", ["beishichang", "manrong"])
def test_zone_maps_render_offline(browser: Any, tmp_path: Path, zone_id: str) -> None:
    v = Visit(browser, save_html(zone_map(zone_id, basemap="none"), tmp_path / f"{zone_id}.html"))
    assert v.count("path.hg-zone") == 6
    assert v.count(".hg-side") == 1
    assert v.external == [] and v.errors == []


def test_choropleth_renders_offline(browser: Any, tmp_path: Path) -> None:
    values = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))["projects_any_share"]
    v = Visit(browser, save_html(choropleth_map(values, title="项目数", basemap="none"), tmp_path / "c.html"))
    assert v.count("path.hg-zone") == 6 and v.count(".hg-legend") == 1
    fills = {v.page.locator("path.hg-zone").nth(i).get_attribute("fill") for i in range(6)}
    assert len(fills) >= 3  # classes are told apart
    assert v.external == [] and v.errors == []
