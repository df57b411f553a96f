"""Whether the features of a layer tile the district: every gap or overlap of `MIN_AREA_M2` or
more between features, or between their union and the district outline, with the features it
touches, its area and where it is; and every part of a feature far outside the district.

Measured in EPSG:4550. The outline is either authoritative (an adopted district: every difference
counts) or the bundled one (drawn from AMap, ±30 m): then a strip between the features and the
outline is a difference of outlines, reported but not a fault, while a gap *between* features —
a piece bounded mostly by feature edges, even where it opens onto the outline — is a fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from hepinggis.base.measure import MEASURE_CRS

__all__ = ["FAR_OUTSIDE_M", "MIN_AREA_M2", "TilingIssue", "tiling_issues"]

#: A gap or overlap of at least this area (m²) is reported.
MIN_AREA_M2 = 1.0
#: A part of a feature farther than this (m) outside the district is refused.
FAR_OUTSIDE_M = 200.0
#: The bundled outline's accuracy (m): a strip this close to it is a difference of outlines.
APPROXIMATE_OUTLINE_M = 30.0
#: A piece whose edge runs along feature edges for at least this share is a gap between features.
_BETWEEN_SHARE = 0.75
_TOUCH_M = 0.05


@dataclass(frozen=True)
class TilingIssue:
    """One gap, overlap or piece outside; ``fault`` False for a difference from an approximate outline."""

    kind: str  # "gap", "overlap", "outside", "far_outside", "outline_difference"
    features: tuple[str, ...]
    area_m2: float
    lon: float
    lat: float
    fault: bool = True
    distance_m: float = 0.0  # the farthest point of a part outside, from the district
    nearest_m: float = 0.0  # its nearest point

    def text(self) -> str:
        """The issue in Chinese, e.g. ``新华街道 与 太原街街道 之间有 5,012 m² 的缝隙（约 123.40000, 41.78000）``."""
        names = " 与 ".join(self.features) if self.features else "各要素"
        where = f"（约 东经 {self.lon:.5f}，北纬 {self.lat:.5f}）"
        if self.kind == "gap":
            return f"{names} 之间有 {self.area_m2:,.0f} m² 的缝隙{where}"
        if self.kind == "overlap":
            return f"{names} 互相重叠 {self.area_m2:,.0f} m²{where}"
        if self.kind == "uncovered":
            return f"区界内有 {self.area_m2:,.0f} m² 不属于任何要素，邻接 {names}{where}"
        if self.kind == "outside":
            return f"{names} 有 {self.area_m2:,.0f} m² 超出区界{where}"
        if self.kind == "far_outside":
            return (
                f"{names} 有一部分（{self.area_m2:,.0f} m²）位于区界外 "
                f"{self.nearest_m:,.0f}–{self.distance_m:,.0f} m 处"
                f"（超过 {FAR_OUTSIDE_M:.0f} m）{where}"
            )
        return f"与随包区界（±30 m）相差 {self.area_m2:,.0f} m²，邻接 {names}{where}（仅供参考）"


def _parts(geom: BaseGeometry) -> list[BaseGeometry]:
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    if geom.geom_type == "GeometryCollection":
        polys = [q for p in shapely.get_parts(geom) for q in _parts(p) if q.geom_type == "Polygon"]
    return [p for p in polys if p.area >= MIN_AREA_M2]


def _lonlat(geom: BaseGeometry) -> tuple[float, float]:
    point = gpd.GeoSeries([geom.representative_point()], crs=MEASURE_CRS).to_crs(4326).iloc[0]
    return float(point.x), float(point.y)


def _touching(piece: BaseGeometry, names: list[str], geoms: np.ndarray, tree: shapely.STRtree) -> tuple[str, ...]:
    hits = tree.query(piece.buffer(_TOUCH_M), predicate="intersects")
    return tuple(names[i] for i in sorted(hits))


def _between_share(piece: BaseGeometry, edges: BaseGeometry) -> float:
    ring = piece.boundary
    return float(ring.intersection(edges.buffer(_TOUCH_M)).length / ring.length) if ring.length else 0.0


def tiling_issues(
    frame: gpd.GeoDataFrame, outline: gpd.GeoDataFrame | None, *, authoritative: bool = True
) -> list[TilingIssue]:
    """Every gap, overlap and piece outside of the features of ``frame`` (named by ``name_zh``).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygon features with ``name_zh``, in any CRS.
    outline : geopandas.GeoDataFrame or None
        The district they must tile; None checks only between the features.
    authoritative : bool
        True for an adopted district (every difference is a fault); False for the bundled outline
        (differences along it are reported, not faults; gaps between features and parts farther
        than `FAR_OUTSIDE_M` outside remain faults).

    Returns
    -------
    list of TilingIssue
        Largest first within each kind; empty when the features tile.
    """
    metric = frame.to_crs(MEASURE_CRS)
    names = [str(n) for n in metric["name_zh"]]
    geoms = np.asarray(metric.geometry.values)
    tree = shapely.STRtree(geoms)
    issues: list[TilingIssue] = []
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            for piece in _parts(shapely.intersection(geoms[i], geoms[j])):
                issues.append(TilingIssue("overlap", (names[i], names[j]), float(piece.area), *_lonlat(piece)))
    union = shapely.union_all(geoms)
    edges = shapely.union_all([g.boundary for g in geoms])
    for poly in _parts(union):
        for ring in poly.interiors:
            hole = shapely.Polygon(ring)
            if hole.area >= MIN_AREA_M2:
                touching = _touching(hole, names, geoms, tree)
                issues.append(TilingIssue("gap", touching, float(hole.area), *_lonlat(hole)))
    if outline is not None:
        district = shapely.union_all(outline.to_crs(MEASURE_CRS).geometry.values)
        filled = shapely.union_all([shapely.Polygon(p.exterior) for p in _parts(union)] or [shapely.Polygon()])
        band = district.exterior.buffer(APPROXIMATE_OUTLINE_M) if not authoritative else None
        for piece in _parts(shapely.difference(district, filled)):
            touching = _touching(piece, names, geoms, tree)
            between = len(touching) >= 2 and _between_share(piece, edges) >= _BETWEEN_SHARE
            kind = "gap" if between else ("uncovered" if authoritative else "outline_difference")
            if kind == "outline_difference" and band is not None:
                # a gap between features that runs into a strip along the approximate outline:
                # what lies farther inside than the outline's accuracy is still a gap
                for core in _parts(shapely.difference(piece, band)):
                    inner = _touching(core, names, geoms, tree)
                    if len(inner) >= 2:
                        issues.append(TilingIssue("gap", inner, float(core.area), *_lonlat(core)))
            issues.append(
                TilingIssue(kind, touching, float(piece.area), *_lonlat(piece), fault=kind != "outline_difference")
            )
        reach = district.buffer(FAR_OUTSIDE_M)
        for k, geom in enumerate(geoms):
            for piece in _parts(shapely.difference(geom, district)):
                far = piece.difference(reach)
                if far.area >= MIN_AREA_M2:
                    dist = float(shapely.distance(shapely.points(shapely.get_coordinates(far)), district).max())
                    near = float(shapely.distance(piece, district))
                    issues.append(
                        TilingIssue(
                            "far_outside",
                            (names[k],),
                            float(piece.area),
                            *_lonlat(far),
                            distance_m=dist,
                            nearest_m=near,
                        )
                    )
                elif authoritative:
                    issues.append(TilingIssue("outside", (names[k],), float(piece.area), *_lonlat(piece)))
                else:
                    issues.append(
                        TilingIssue("outline_difference", (names[k],), float(piece.area), *_lonlat(piece), fault=False)
                    )
    order = {"far_outside": 0, "gap": 1, "overlap": 2, "uncovered": 3, "outside": 4, "outline_difference": 5}
    return sorted(issues, key=lambda t: (order[t.kind], -t.area_m2))
