"""Where things lie: independent anchors (OSM stations, the plan's own statements) against the layers."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

import hepinggis


def _zone_of(lon: float, lat: float) -> str:
    zones = hepinggis.load("zones").to_crs(hepinggis.MEASURE_CRS)
    pt = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(hepinggis.MEASURE_CRS).iloc[0]
    return str(zones.loc[zones.distance(pt).idxmin(), "id"])


@pytest.mark.parametrize(
    ("lon", "lat", "zone"),
    [
        (123.38752, 41.79250, "taiyuanjie"),  # 沈阳站 (OSM): 泛太原街 is centred on it
        (123.39000, 41.79157, "taiyuanjie"),  # Line 1 沈阳站 station (OSM)
        (123.39708, 41.73882, "changbaidao"),  # Line 4 station at 长白北路 × 南京南街 (长白"大十字")
        (123.36225, 41.72611, "manrong"),  # Line 9 station west of 浑河站 (浑河站西)
        (123.42929, 41.75758, "sanhaojie"),  # Line 2 station on 青年大街 south of 文艺路
        (123.41421, 41.80883, "beishichang"),  # Line 4 station north of 市府大路
    ],
)
def test_anchor_points_fall_in_the_expected_zone(lon: float, lat: float, zone: str) -> None:
    assert _zone_of(lon, lat) == zone


def test_hunhe_station_sits_on_the_changbai_manrong_divide() -> None:
    zones = hepinggis.load("zones").set_index("id").to_crs(hepinggis.MEASURE_CRS)
    station = gpd.GeoSeries([Point(123.37543, 41.72546)], crs=4326).to_crs(hepinggis.MEASURE_CRS).iloc[0]
    assert zones.loc["manrong"].geometry.distance(station) < 100
    assert zones.loc["changbaidao"].geometry.distance(station) < 1000


def test_river_separates_the_north_zones_from_the_south() -> None:
    zones = hepinggis.load("zones").set_index("id")
    river = hepinggis.load("boundary_lines").set_index("id").loc["hun_river_inner"].geometry
    for north in ("taiyuanjie", "nanshichang", "sanhaojie"):
        assert zones.loc[north].geometry.centroid.y > river.centroid.y
    for south in ("changbaidao", "manrong"):
        assert zones.loc[south].geometry.centroid.y < river.centroid.y


def test_axes_cross_the_zones_the_plan_names() -> None:
    zones = hepinggis.load("zones").set_index("id")
    axes = hepinggis.load("axes").set_index("id")
    nanjing = axes.loc["nanjingjie_axis"].geometry
    for zone in ("beishichang", "taiyuanjie", "nanshichang", "changbaidao"):
        assert nanjing.intersection(zones.loc[zone].geometry).length > 0, zone
    sanhao = axes.loc["sanhaojie_axis"].geometry
    for zone in ("sanhaojie", "changbaidao", "manrong"):
        assert sanhao.intersection(zones.loc[zone].geometry).length > 0, zone


def test_sub_areas_lie_in_their_zones() -> None:
    zones = hepinggis.load("zones").set_index("id")
    subs = hepinggis.load("sub_areas")
    for sub in subs.itertuples():
        assert zones.loc[sub.zone_id].geometry.buffer(1e-6).contains(sub.geometry), sub.id
