"""The import job works out each project's shares of the zones and of the 街道 once (`shares_in`)
and gives them to `_where` and `per_area`: the stored areas and both tables equal what each
function answers on its own (the library's `zone_of`, `projects_by_zone`, `projects_by_jiedao`),
exactly, on points inside and outside the district, lines and polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import GBK_TITLE

import hepinggis
from hepinggis.web.jobs._work_areas import _where, per_area, places, shares_in


@pytest.fixture(scope="module")
def projects() -> gpd.GeoDataFrame:
    clerk = hepinggis.read_projects(GBK_TITLE, crs="wgs84").projects
    bundled = hepinggis.load("projects")
    extra = gpd.GeoDataFrame(
        {
            "row": np.arange(len(bundled)) + 1000,
            "id": bundled["id"].astype(str).to_numpy(),
            "name": bundled["name_zh"].astype(str).to_numpy(),
            "category": bundled["category"].astype(str).to_numpy(),
            "status": bundled["status"].astype(str).to_numpy(),
            "investment_cny": np.arange(len(bundled)) * 1.5e7,
        },
        geometry=bundled.geometry.to_numpy(),
        crs=4326,
    )
    frame = gpd.GeoDataFrame(pd.concat([clerk, extra], ignore_index=True), crs=4326)
    assert set(frame.geom_type.dropna()) >= {"Point", "LineString", "Polygon"}
    return frame


@pytest.mark.parametrize("layer", ["zones", "jiedao"])
def test_shares_once_equal_each_alone(projects: gpd.GeoDataFrame, layer: str) -> None:
    areas = hepinggis.load(layer)
    shares = shares_in(projects, areas)
    alone = _where(projects, areas, "id")
    once = _where(projects, areas, "id", shares=shares)
    pd.testing.assert_series_equal(once, alone)
    assert once.notna().sum() > 40 and once.isna().sum() >= 6  # inside, and 区外
    place = places(projects, alone)[0]
    assert per_area(projects, areas, place, layer=layer, shares=shares) == per_area(projects, areas, place, layer=layer)


def test_no_projects_no_shares() -> None:
    none = hepinggis.load("projects").iloc[:0]
    assert shares_in(none, hepinggis.load("zones")) is None
    assert per_area(none, hepinggis.load("zones"), shares=None) == per_area(none, hepinggis.load("zones"))
