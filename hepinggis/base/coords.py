"""Coordinates as Chinese planners get them: WGS 84, CGCS2000, Gauss-Kruger (EPSG:4550/4529), GCJ-02, BD-09.

GCJ-02 ("Mars coordinates", AMap/Gaode, Tencent) and BD-09 (Baidu) are not in PROJ, so their
published forward formulas are written here, vectorised over numpy arrays; the inverses are solved
exactly by fixed-point iteration (round trip well under 1 cm) rather than with the usual one-step
approximation, which is off by up to a couple of metres. Everything else goes through pyproj.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from hepinggis.errors import CoordinateError

__all__ = [
    "SUPPORTED_CRS",
    "CoordinateError",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "detect_gauss_kruger",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalise_crs",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Array = NDArray[np.float64]
CRSName = Literal["wgs84", "gcj02", "bd09", "cgcs2000", "EPSG:4550", "EPSG:4529"]

#: The coordinate systems `to_wgs84` accepts (aliases are normalised by `normalise_crs`).
SUPPORTED_CRS: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000", "EPSG:4550", "EPSG:4529", "EPSG:3857")

_ALIASES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "epsg:4550": "EPSG:4550",
    "4550": "EPSG:4550",
    "epsg:4529": "EPSG:4529",
    "4529": "EPSG:4529",
    "epsg:3857": "EPSG:3857",
    "3857": "EPSG:3857",
    "webmercator": "EPSG:3857",
    "web墨卡托": "EPSG:3857",
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOL_DEG = 1e-10  # ~0.01 mm
_MAX_ITER = 30


def normalise_crs(name: str) -> str:
    """Map a user's CRS name (``"amap"``, ``"epsg:4326"``, ``"百度"`` …) to one of `SUPPORTED_CRS`."""
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise CoordinateError(f"unknown coordinate system {name!r}; use one of: {', '.join(SUPPORTED_CRS)}")
    return _ALIASES[key]


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def _offsets(lon: Array, lat: Array) -> tuple[Array, Array]:
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _in_china(lon: Array, lat: Array) -> NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS 84 to GCJ-02 (points outside China are returned unchanged, as the datum defines)."""
    lo, la = _as_arrays(lon, lat)
    dlon, dlat = _offsets(lo, la)
    inside = _in_china(lo, la)
    return np.where(inside, lo + dlon, lo), np.where(inside, la + dlat, la)


def _invert(forward, lon: Array, lat: Array, start: tuple[Array, Array]) -> tuple[Array, Array]:  # type: ignore[no-untyped-def]
    x, y = start
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0) < _TOL_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 to WGS 84, exact to ~1e-10° by iteration (the one-step inverse errs by metres)."""
    lo, la = _as_arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lo, la, (lo.copy(), la.copy()))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 to Baidu BD-09."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Baidu BD-09 to GCJ-02, exact by iteration from Baidu's approximate inverse."""
    lo, la = _as_arrays(lon, lat)
    x, y = lo - 0.0065, la - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lo, la, (z * np.cos(theta), z * np.sin(theta)))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """WGS 84 to Baidu BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
    """Baidu BD-09 to WGS 84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def detect_gauss_kruger(easting: ArrayLike) -> str:
    """Say which CGCS2000 3-degree GK CRS the eastings are in: EPSG:4529 carries the zone number
    41 in front (41 500 000 m), EPSG:4550 does not (500 000 m). Mixed or other values raise."""
    e = np.asarray(easting, dtype="float64")
    e = e[np.isfinite(e)]
    if e.size == 0:
        raise CoordinateError("no eastings to tell EPSG:4550 from EPSG:4529")
    with_zone = (e > 41_000_000) & (e < 42_000_000)
    without = (e > 0) & (e < 1_000_000)
    if with_zone.all():
        return "EPSG:4529"
    if without.all():
        return "EPSG:4550"
    raise CoordinateError(
        "eastings mix values with the zone prefix 41 (EPSG:4529) and without it (EPSG:4550), "
        "or fit neither; split the file or fix the values"
    )


_TRANSFORMERS: dict[str, Transformer] = {}


def _pyproj_to_wgs84(crs: str, x: Array, y: Array) -> tuple[Array, Array]:
    if crs not in _TRANSFORMERS:
        _TRANSFORMERS[crs] = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = _TRANSFORMERS[crs].transform(x, y)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


def to_wgs84(x: ArrayLike, y: ArrayLike, crs: str) -> tuple[Array, Array]:
    """Convert coordinates in ``crs`` (one of `SUPPORTED_CRS` or an alias) to WGS 84 lon/lat.

    Parameters
    ----------
    x, y : array-like
        Longitude/latitude for geographic systems, easting/northing (metres) for EPSG:4550/4529.
    crs : str
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"cgcs2000"``, ``"EPSG:4550"`` or ``"EPSG:4529"``.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(123.40, 41.78)
    >>> back = to_wgs84(lon, lat, "amap")
    >>> bool(abs(back[0] - 123.40) < 1e-9 and abs(back[1] - 41.78) < 1e-9)
    True
    """
    name = normalise_crs(crs)
    xs, ys = _as_arrays(x, y)
    if name in ("wgs84", "cgcs2000"):  # CGCS2000 and WGS 84 differ by centimetres
        return xs, ys
    if name == "gcj02":
        return gcj02_to_wgs84(xs, ys)
    if name == "bd09":
        return bd09_to_wgs84(xs, ys)
    return _pyproj_to_wgs84(name, xs, ys)
