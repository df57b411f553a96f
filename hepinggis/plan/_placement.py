"""Whether a file's coordinates, read in the CRS given (by its .prj or ``--crs``), land on the
district — checked before anything is adopted, so metres read as degrees or a neighbouring
Gauss–Krüger zone is refused with the CRS the numbers most likely are.

Two tests: the coordinates lie within the CRS's area of use (pyproj ``CRS.area_of_use``), and the
layer's centre lies within `MAX_OFFSET_M` of the district. The likely CRS is found by reading the
same numbers in each of `CANDIDATES` and keeping those that land on the district.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from hepinggis.base.measure import MEASURE_CRS
from hepinggis.base.messages import Namer, cli_option

__all__ = ["CANDIDATES", "MAX_OFFSET_M", "likely_crs", "placement_problem"]

#: A layer whose centre lies farther than this (m) from the district is refused.
MAX_OFFSET_M = 5_000.0
#: The CRSs a file of Shenyang's is most likely in: degrees, then Gauss–Krüger (3° zone 41 with
#: and without the zone number, its neighbours, the 6° zone 21).
CANDIDATES: dict[int, str] = {
    4490: "CGCS2000 经纬度（度）",
    4550: "CGCS2000 3 度带高斯-克吕格，中央经线 123°E，东坐标不带带号",
    4529: "CGCS2000 3 度带高斯-克吕格第 41 带，东坐标带带号 41",
    4549: "CGCS2000 3 度带高斯-克吕格，中央经线 120°E",
    4551: "CGCS2000 3 度带高斯-克吕格，中央经线 126°E",
    4528: "CGCS2000 3 度带高斯-克吕格第 40 带（带号 40）",
    4530: "CGCS2000 3 度带高斯-克吕格第 42 带（带号 42）",
    4499: "CGCS2000 6 度带高斯-克吕格第 21 带（带号 21）",
}


def _in_area_of_use(crs: CRS, xy: np.ndarray) -> bool:
    area = crs.area_of_use
    if area is None:
        return True
    try:
        lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(xy[:, 0], xy[:, 1])
    except Exception:  # PROJ refuses numbers far outside the projection
        return False
    lon, lat = np.asarray(lon), np.asarray(lat)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return False
    margin = 0.5  # degrees: a layer on the edge of a zone is still in use
    return bool(
        (lon >= area.west - margin).all()
        and (lon <= area.east + margin).all()
        and (lat >= area.south - margin).all()
        and (lat <= area.north + margin).all()
    )


def _offset_m(crs: CRS, xy: np.ndarray, district: shapely.Geometry) -> float:
    """Distance (m, EPSG:4550) from the centre of ``xy`` read in ``crs`` to the district."""
    try:
        x, y = Transformer.from_crs(crs, MEASURE_CRS, always_xy=True).transform(*xy.mean(axis=0))
    except Exception:
        return float("inf")
    if not (np.isfinite(x) and np.isfinite(y)):
        return float("inf")
    return float(shapely.distance(shapely.Point(x, y), district))


def likely_crs(geoms: gpd.GeoSeries, district: gpd.GeoDataFrame, *, exclude: int | None = None) -> list[int]:
    """The EPSG codes of `CANDIDATES` in which the raw coordinates of ``geoms`` land on ``district``."""
    xy = shapely.get_coordinates(np.asarray(geoms.values))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return []
    outline = shapely.union_all(district.to_crs(MEASURE_CRS).geometry.values)
    return [
        code
        for code in CANDIDATES
        if code != exclude
        and _in_area_of_use(CRS.from_epsg(code), xy)
        and _offset_m(CRS.from_epsg(code), xy, outline) <= MAX_OFFSET_M
    ]


def placement_problem(geoms: gpd.GeoSeries, crs: CRS, district: gpd.GeoDataFrame, o: Namer = cli_option) -> str | None:
    """Why ``geoms`` (raw coordinates, read in ``crs``) do not land on ``district``, in Chinese and
    naming the likely CRS (and the option that sets it, by ``o``); None when they do."""
    xy = shapely.get_coordinates(np.asarray(geoms.values))
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        return None
    outline = shapely.union_all(district.to_crs(MEASURE_CRS).geometry.values)
    name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    unit = "度" if crs.is_geographic else "米"
    if not _in_area_of_use(crs, xy):
        why = f"坐标（如 {xy[0, 0]:.0f}, {xy[0, 1]:.0f}）不在 {name}（{crs.name}，单位：{unit}）的适用范围内"
    else:
        offset = _offset_m(crs, xy, outline)
        if offset <= MAX_OFFSET_M:
            return None
        why = (
            f"按 {name}（{crs.name}）读，图层中心距和平区 {offset / 1000:,.1f} km（超过 {MAX_OFFSET_M / 1000:.0f} km）"
        )
    likely = [f"EPSG:{code}（{CANDIDATES[code]}）" for code in likely_crs(geoms, district, exclude=crs.to_epsg())]
    hint = (
        f"这些数字更像 {' 或 '.join(likely)}：{o('crs', likely[0].split('（')[0])}"
        if likely
        else "按常见坐标系（CGCS2000 经纬度、高斯-克吕格 3 度带 41 带及相邻带）读都不在和平区；"
        f"请核对坐标系后{o('crs')}"
    )
    return f"{why}；{hint}"
