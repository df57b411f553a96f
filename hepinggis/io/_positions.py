"""Where a row is: coordinates checked against the declared CRS (range, swapped, metres, far from
Shenyang, with a hint), geometries checked (type, emptiness, validity, heights dropped), both
converted to WGS 84."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis.base.coords import to_wgs84
from hepinggis.base.messages import Said
from hepinggis.io._cells import number_cells, text_cells
from hepinggis.io._import_report import Rejections
from hepinggis.io._tables import RawTable

__all__ = ["FAR_KM", "GEOMETRY_TYPES", "geometries", "geometry_positions", "xy_positions"]


def _likely_codes(x: float, y: float) -> list[str]:
    if 41_000_000 < x < 42_000_000:
        return ["EPSG:4529"]
    if 200_000 < x < 800_000 and 4_000_000 < y < 5_000_000:
        return ["EPSG:4550"]
    if 10_000_000 < abs(x) < 20_037_509 and 3_000_000 < abs(y) < 8_000_000:
        return ["EPSG:3857"]
    return ["EPSG:4550", "EPSG:4529", "EPSG:3857"]


def likely_metre_crs(x: float, y: float) -> str:
    """The projected CRS metre coordinates near Shenyang most likely are in, said in Chinese."""
    if 41_000_000 < x < 42_000_000:
        return "EPSG:4529（CGCS2000 3度带，东坐标带带号 41）"
    if 200_000 < x < 800_000 and 4_000_000 < y < 5_000_000:
        return "EPSG:4550（CGCS2000 3度带，中央经线 123°）"
    if 10_000_000 < abs(x) < 20_037_509 and 3_000_000 < abs(y) < 8_000_000:
        return "EPSG:3857（Web 墨卡托）"
    return "EPSG:4550、EPSG:4529 或 EPSG:3857"


def _metres(x: float, y: float) -> Said:
    return Said("coords_metres", likely=likely_metre_crs(x, y), codes=_likely_codes(x, y))


def _check_coordinates(x: float, y: float, crs: str) -> tuple[str, str] | None:
    """(field, reason) when a coordinate pair cannot be in ``crs``; None when it may be."""
    if crs in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        if not -180 <= x <= 180 or not -90 <= y <= 90 or not (70 <= x <= 140 and 0 <= y <= 56):
            if 70 <= y <= 140 and 0 <= x <= 56:
                return "x", Said("coords_swapped", x=x, y=y)
            if abs(x) > 1000 or abs(y) > 1000:
                return "x", Said("coords_not_degrees", x=x, y=y, metres=_metres(x, y))
            bad = "x" if not 70 <= x <= 140 else "y"
            value = x if bad == "x" else y
            return bad, Said("out_of_china", axis="经度" if bad == "x" else "纬度", value=value)
        return None
    if crs == "EPSG:4550":
        if 41_000_000 < x < 42_000_000:
            return "x", Said("zone41_not_4550", x=x, a="EPSG:4529", b="EPSG:4550")
        if not 0 < x < 1_000_000 or not 0 < y < 10_000_000:
            return "x" if not 0 < x < 1_000_000 else "y", Said("out_of_range", x=x, y=y, crs=crs)
        return None
    if crs == "EPSG:3857":
        if not abs(x) < 20_037_509 or not abs(y) < 20_048_967:
            return "x" if not abs(x) < 20_037_509 else "y", Said("out_of_range", x=x, y=y, crs=crs)
        return None
    if not 41_000_000 < x < 42_000_000:
        if 0 < x < 1_000_000:
            return "x", Said("east_not_zoned_but_4550", x=x, crs="EPSG:4529", alt="EPSG:4550")
        return "x", Said("east_not_zoned", x=x, crs="EPSG:4529")
    if not 0 < y < 10_000_000:
        return "y", Said("north_out_of_range", y=y, crs="EPSG:4529")
    return None


#: The geometry types a project may have.
GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"})
#: Farther than this from the district (km) a row is refused: it cannot be a project of Heping.
FAR_KM = 50.0
_CENTRE = (123.40, 41.76)  # lon, lat of the district, for the distance and swap hints


def _km_from_heping(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from the district's centre (haversine on the mean Earth radius)."""
    lo, la = np.radians(lon), np.radians(lat)
    c_lo, c_la = np.radians(_CENTRE[0]), np.radians(_CENTRE[1])
    h = np.sin((la - c_la) / 2) ** 2 + np.cos(la) * np.cos(c_la) * np.sin((lo - c_lo) / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def place_checks(xs: np.ndarray, ys: np.ndarray, crs: str, fieldname: str, rej: Rejections) -> None:
    """Refuse rows whose position is outside the valid range or far from Shenyang, with a hint:
    swapped longitude/latitude, metres given as degrees, or another ``--crs``."""
    idx = np.flatnonzero(rej.ok & np.isfinite(xs) & np.isfinite(ys))
    if idx.size == 0:
        return
    x, y = xs[idx], ys[idx]
    geographic = crs in ("wgs84", "gcj02", "bd09", "cgcs2000")
    in_range = (np.abs(x) <= 180) & (np.abs(y) <= 90) if geographic else np.ones(idx.size, dtype=bool)
    km = np.full(idx.size, np.inf)
    if in_range.any():
        with np.errstate(all="ignore"):
            lon, lat = to_wgs84(x[in_range], y[in_range], crs)
        km[in_range] = np.where(np.isfinite(lon) & np.isfinite(lat), _km_from_heping(lon, lat), np.inf)
    far = km > FAR_KM
    if not far.any():
        return
    messages = np.full(len(xs), "", dtype=object)
    for j in np.flatnonzero(far):
        messages[idx[j]] = _far_hint(float(x[j]), float(y[j]), crs, geographic, float(km[j]))
    mask = np.zeros(len(xs), dtype=bool)
    mask[idx[far]] = True
    rej.add(mask, fieldname, list(messages))


def _far_hint(x: float, y: float, crs: str, geographic: bool, km: float) -> Said:
    if geographic and abs(x) <= 90 and abs(y) <= 180 and _km_from_heping(np.array([y]), np.array([x]))[0] < FAR_KM:
        return Said("far_swapped", x=x, y=y)
    if geographic and (abs(x) > 180 or abs(y) > 90):
        return Said("far_not_degrees", x=x, y=y, metres=_metres(x, y))
    return Said("far_from_district", x=x, y=y, crs=crs, km=km)


def coordinate_checks(xs: np.ndarray, ys: np.ndarray, crs: str, cols: dict[str, str], rej: Rejections) -> None:
    candidates = np.flatnonzero(rej.ok & np.isfinite(xs) & np.isfinite(ys))
    if crs in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        fine = (xs >= 70) & (xs <= 140) & (ys >= 0) & (ys <= 56)
    elif crs == "EPSG:4550":
        fine = (xs > 0) & (xs < 1_000_000) & (ys > 0) & (ys < 10_000_000)
    elif crs == "EPSG:3857":
        fine = (np.abs(xs) < 20_037_509) & (np.abs(ys) < 20_048_967)
    else:
        fine = (xs > 41_000_000) & (xs < 42_000_000) & (ys > 0) & (ys < 10_000_000)
    for i in candidates[~fine[candidates]]:  # only the bad rows pay for a message
        problem = _check_coordinates(float(xs[i]), float(ys[i]), crs)
        if problem:
            mask = np.zeros(len(xs), dtype=bool)
            mask[i] = True
            rej.add(mask, cols[problem[0]], problem[1])


def xy_positions(
    frame: pd.DataFrame, cols: dict[str, str], crs: str, rej: Rejections
) -> tuple[pd.DataFrame, dict[str, str], np.ndarray, np.ndarray]:
    """Coordinates from x/y columns (or one "longitude,latitude" column), every bad one refused
    on its row. Returns the frame and columns (with the split column), x and y."""
    if "xy" in cols:
        parts = text_cells(frame[cols["xy"]], nfkc=True).str.split(r"[,，;；\s]+", regex=True)
        two = parts.map(len) == 2
        blank = text_cells(frame[cols["xy"]]) == ""
        rej.add(
            (~two & ~blank).to_numpy(),
            cols["xy"],
            [f"“{v}”不是“经度,纬度”" for v in text_cells(frame[cols["xy"]])],
        )
        frame = frame.assign(
            **{
                "__x": parts.map(lambda p: p[0] if len(p) == 2 else ""),
                "__y": parts.map(lambda p: p[1] if len(p) == 2 else ""),
            }
        )
        cols = {**cols, "x": "__x", "y": "__y"}
    xs, x_blank, x_bad = number_cells(frame[cols["x"]])
    ys, y_blank, y_bad = number_cells(frame[cols["y"]])
    for bad, col in ((x_bad, cols["x"]), (y_bad, cols["y"])):
        if bad.any():
            rej.add(bad, col, [f"“{v}”不是数字" for v in text_cells(frame[col])])
    rej.add(x_blank, cols["x"], "缺少坐标")
    rej.add(y_blank, cols["y"], "缺少坐标")
    coordinate_checks(xs, ys, crs, cols, rej)
    place_checks(xs, ys, crs, cols["x"], rej)
    return frame, cols, xs, ys


def geometry_positions(
    raw: RawTable, rows: np.ndarray, no_geom: np.ndarray, crs: str, rej: Rejections
) -> tuple[np.ndarray, np.ndarray]:
    """Check a GIS file's geometries row by row (type, empty, valid; Z dropped and said so on the
    row) and where they lie; returns x and y of the points (NaN for other geometries)."""
    n = len(rows)
    xs, ys = np.full(n, np.nan), np.full(n, np.nan)
    geoms = raw.geometry
    assert geoms is not None
    kinds = geoms.geom_type.to_numpy(dtype=object)
    unsupported = ~no_geom & ~geoms.is_empty.to_numpy() & ~np.isin(kinds, list(GEOMETRY_TYPES))
    rej.add(
        unsupported,
        "geometry",
        [f"几何类型 {k} 不受支持：请拆分为点、线或面（Point/LineString/Polygon 及其 Multi 类型）" for k in kinds],
    )
    rej.add(no_geom | geoms.is_empty.to_numpy(), "geometry", "几何为空")
    has_z = np.asarray(shapely.has_z(geoms.values), dtype=bool) & rej.ok
    if has_z.any():  # heights play no part here: dropped, and said so on each row
        geoms = gpd.GeoSeries(np.where(has_z, shapely.force_2d(geoms.values), geoms.values), crs=geoms.crs)
        raw.geometry = geoms
        for i in np.flatnonzero(has_z):
            raw.row_notes[int(rows[i])] = "已去掉 Z 坐标（高程），只保留平面位置"
    invalid = ~geoms.is_valid.to_numpy() & rej.ok
    if invalid.any():
        rej.add(
            invalid,
            "geometry",
            [f"几何无效：{shapely.is_valid_reason(g)}" if g is not None else "" for g in geoms],
        )
    is_point = (geoms.geom_type == "Point").to_numpy() & rej.ok
    xs[is_point] = shapely.get_x(geoms.values[is_point])
    ys[is_point] = shapely.get_y(geoms.values[is_point])
    bounds = np.full((n, 4), np.nan)
    usable = rej.ok & ~no_geom
    bounds[usable] = shapely.bounds(geoms.values[usable])
    place_checks((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, crs, "geometry", rej)
    return xs, ys


def geometries(raw: RawTable, xs: np.ndarray, ys: np.ndarray, ok: np.ndarray, crs: str) -> gpd.GeoSeries:
    out = np.full(len(xs), None, dtype=object)
    if raw.geometry is None:
        lon, lat = to_wgs84(xs[ok], ys[ok], crs)  # vectorised over all good rows at once
        out[ok] = shapely.points(lon, lat)
        return gpd.GeoSeries(out, crs=4326)
    for i in np.flatnonzero(ok):
        g = raw.geometry.iloc[i]
        out[i] = shapely.transform(g, lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1], crs)))
    return gpd.GeoSeries(out, crs=4326)
