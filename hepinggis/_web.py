"""Layers made ready for the browser: simplified to 1 m, 6 decimals, optionally shifted to GCJ-02."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ._leaflet import esc
from .coords import wgs84_to_gcj02
from .measure import MEASURE_CRS

__all__ = ["feature_collection", "marker_point", "marker_points", "popup_table"]

TOLERANCE_M = 1.0
DECIMALS = 6


def _prepare(frame: gpd.GeoDataFrame, gcj02: bool) -> list[BaseGeometry]:
    metric = frame.geometry.to_crs(MEASURE_CRS)
    simple = metric.simplify(TOLERANCE_M, preserve_topology=True)
    geoms = gpd.GeoSeries(simple, crs=MEASURE_CRS).to_crs(4326).values
    if gcj02:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return list(shapely.transform(geoms, lambda xy: np.round(xy, DECIMALS)))


def _round(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        return [_round(o) for o in obj]
    return round(float(obj), DECIMALS)


def feature_collection(
    frame: gpd.GeoDataFrame, props: Callable[[Any], Mapping[str, Any]], *, gcj02: bool = False
) -> dict[str, Any]:
    """A FeatureCollection of ``frame`` with ``props(row)`` as each feature's properties."""
    feats = []
    for geom, (_, row) in zip(_prepare(frame, gcj02), frame.iterrows(), strict=True):
        gj = mapping(geom)
        feats.append(
            {
                "type": "Feature",
                "properties": dict(props(row)),
                "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def popup_table(title: str, rows: list[tuple[str, object]]) -> str:
    """Escaped HTML: a bold title and a two-column table (empty values are left out)."""
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, ""))
    return f'<div class="hg-pop"><b>{esc(title)}</b><table>{body}</table></div>'


def marker_point(geom: BaseGeometry) -> BaseGeometry:
    """Where a project's marker goes: the point itself, or a point inside its line/extent."""
    return geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)


def marker_points(geoms: gpd.GeoSeries, *, ring_m: float = 300.0) -> list[BaseGeometry]:
    """Marker positions for a set of projects: markers that would fall on the same spot (several
    projects known only to lie in the same extent) are spread on a small ring around it, in a fixed
    order, so each stays visible and clickable. Sited points are never moved."""
    points = [marker_point(g) for g in geoms.values]
    keys = [(round(p.x, 7), round(p.y, 7)) for p in points]
    groups: dict[tuple[float, float], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out = list(points)
    metric = gpd.GeoSeries(points, crs=geoms.crs).to_crs(MEASURE_CRS).values
    for members in groups.values():
        movable = [i for i in members if geoms.values[i].geom_type != "Point"]
        if len(movable) < 2:
            continue
        for j, i in enumerate(movable):
            angle = 2 * np.pi * j / len(movable)
            moved = shapely.Point(metric[i].x + ring_m * np.cos(angle), metric[i].y + ring_m * np.sin(angle))
            out[i] = gpd.GeoSeries([moved], crs=MEASURE_CRS).to_crs(geoms.crs).values[0]
    return out
