"""GCJ-02 / BD-09 / Gauss-Kruger conversions, checked against an independent implementation (prcoords)."""

from __future__ import annotations

import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from hepinggis.base.coords import (
    bd09_to_wgs84,
    detect_gauss_kruger,
    gcj02_to_wgs84,
    normalise_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from hepinggis.errors import CoordinateError

GEOD = Geod(ellps="WGS84")
RNG = np.random.default_rng(7)
LON = RNG.uniform(123.30, 123.46, 2000)
LAT = RNG.uniform(41.68, 41.82, 2000)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def test_forward_matches_prcoords() -> None:
    gx, gy = wgs84_to_gcj02(LON, LAT)
    bx, by = wgs84_to_bd09(LON, LAT)
    for i in range(0, 2000, 97):
        ref_g = prcoords.wgs_gcj(prcoords.Coords(LAT[i], LON[i]))
        ref_b = prcoords.wgs_bd(prcoords.Coords(LAT[i], LON[i]))
        assert _metres(gx[i], gy[i], ref_g.lon, ref_g.lat) < 0.001
        assert _metres(bx[i], by[i], ref_b.lon, ref_b.lat) < 0.001


def test_inverse_is_exact_and_beats_prcoords_exact_within_a_centimetre() -> None:
    gx, gy = wgs84_to_gcj02(LON, LAT)
    wx, wy = gcj02_to_wgs84(gx, gy)
    assert _metres(LON, LAT, wx, wy).max() < 0.01
    for i in range(0, 2000, 131):
        ref = prcoords.gcj_wgs_bored(prcoords.Coords(gy[i], gx[i]))
        assert _metres(wx[i], wy[i], ref.lon, ref.lat) < 0.01
    bx, by = wgs84_to_bd09(LON, LAT)
    wx, wy = bd09_to_wgs84(bx, by)
    assert _metres(LON, LAT, wx, wy).max() < 0.01


def test_shift_in_shenyang_is_several_hundred_metres() -> None:
    gx, gy = wgs84_to_gcj02(123.40, 41.78)
    assert 450 < _metres(123.40, 41.78, gx, gy) < 700


@settings(max_examples=200, deadline=None)
@given(st.floats(73.0, 135.0), st.floats(4.0, 53.0))
def test_round_trip_anywhere_in_china(lon: float, lat: float) -> None:
    wx, wy = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, wx, wy) < 0.01


def test_gauss_kruger_with_and_without_zone_number() -> None:
    to_4550 = Transformer.from_crs(4326, 4550, always_xy=True)
    to_4529 = Transformer.from_crs(4326, 4529, always_xy=True)
    e1, n1 = to_4550.transform(LON[:10], LAT[:10])
    e2, n2 = to_4529.transform(LON[:10], LAT[:10])
    assert detect_gauss_kruger(e1) == "EPSG:4550"
    assert detect_gauss_kruger(e2) == "EPSG:4529"
    assert np.allclose(e2 - e1, 41_000_000, atol=1e-3)
    for crs, (e, n) in (("EPSG:4550", (e1, n1)), ("EPSG:4529", (e2, n2))):
        lon, lat = to_wgs84(e, n, crs)
        assert _metres(LON[:10], LAT[:10], lon, lat).max() < 0.001
    with pytest.raises(CoordinateError, match="mix"):
        detect_gauss_kruger(np.concatenate([e1[:2], e2[:2]]))


def test_crs_aliases_and_unknown_names() -> None:
    assert normalise_crs("AMap") == "gcj02"
    assert normalise_crs("百度") == "bd09"
    assert normalise_crs("epsg:4326") == "wgs84"
    with pytest.raises(CoordinateError, match="unknown coordinate system 'mars'"):
        normalise_crs("mars")
