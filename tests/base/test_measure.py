"""Areas and lengths: ellipsoid and EPSG:4550 agree, degrees are never used, no CRS is refused."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

import hepinggis
from hepinggis.errors import LayerCRSError


def test_square_kilometre_in_epsg4550() -> None:
    # a 1 km x 1 km square drawn in EPSG:4550 near the centre of Heping
    frame = gpd.GeoDataFrame(geometry=[box(41_000_000 * 0 + 533_000, 4_624_000, 534_000, 4_625_000)], crs=4550)
    assert hepinggis.projected_area(frame).iloc[0] == pytest.approx(1.0, rel=1e-9)
    assert hepinggis.geodesic_area(frame).iloc[0] == pytest.approx(1.0, rel=2e-3)
    assert hepinggis.projected_length(frame).iloc[0] == pytest.approx(4.0, rel=1e-9)


def test_district_area_matches_reference_figure() -> None:
    district = hepinggis.load("district")
    assert hepinggis.geodesic_area(district).iloc[0] == pytest.approx(59.996, abs=0.002)
    assert hepinggis.projected_area(district).iloc[0] == pytest.approx(59.996, rel=1e-4)


def test_results_align_to_the_index() -> None:
    zones = hepinggis.load("zones").set_index("id")
    area = hepinggis.geodesic_area(zones)
    assert list(area.index) == list(zones.index)


def test_lines_and_points_have_no_area() -> None:
    frame = gpd.GeoDataFrame(geometry=[LineString([(123.40, 41.75), (123.41, 41.76)]), Point(123.4, 41.75)], crs=4326)
    assert list(hepinggis.geodesic_area(frame)) == [0.0, 0.0]
    assert hepinggis.geodesic_length(frame).iloc[0] == pytest.approx(
        hepinggis.projected_length(frame).iloc[0], rel=1e-3
    )


def test_missing_crs_is_refused_not_guessed() -> None:
    frame = gpd.GeoDataFrame(geometry=[box(123.4, 41.7, 123.41, 41.71)])
    for fn in (
        hepinggis.geodesic_area,
        hepinggis.projected_area,
        hepinggis.geodesic_length,
        hepinggis.projected_length,
    ):
        with pytest.raises(LayerCRSError, match="no CRS"):
            fn(frame)
