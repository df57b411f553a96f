"""Layers made ready for the browser: simplified to 1 m, 6 decimals, optionally shifted to GCJ-02."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from ._leaflet import esc
from .coords import wgs84_to_gcj02
from .measure import MEASURE_CRS

__all__ = ["feature_collection", "label_points", "marker_point", "marker_points", "popup_table"]

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


def popup_table(title: str, rows: list[tuple[str, object]], *, english: object = None) -> str:
    """Escaped HTML: a bold title and a two-column table (empty values are left out); an English
    note, if any, comes last in small grey type (Chinese first)."""
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows if v not in (None, ""))
    note = f'<p class="en">{esc(english)}</p>' if english not in (None, "") else ""
    return f'<div class="hg-pop"><b>{esc(title)}</b><table>{body}</table>{note}</div>'


def label_points(geoms: gpd.GeoSeries, *, tolerance_m: float = 10.0) -> list[BaseGeometry]:
    """Where a polygon's name goes: its pole of inaccessibility (shapely's polylabel, in metres),
    the point deepest inside it, so a label never sits on an edge or outside a concave zone."""
    metric = geoms.to_crs(MEASURE_CRS)
    points = []
    for g in metric.values:
        part = max(shapely.get_parts(g), key=lambda p: p.area) if g.geom_type == "MultiPolygon" else g
        points.append(polylabel(part, tolerance=tolerance_m))
    return list(gpd.GeoSeries(points, crs=MEASURE_CRS).to_crs(geoms.crs).values)


def marker_point(geom: BaseGeometry) -> BaseGeometry:
    """Where a project's marker goes: the point itself, or a point inside its line/extent."""
    return geom if geom.geom_type == "Point" else shapely.point_on_surface(geom)


def marker_points(
    geoms: gpd.GeoSeries, *, movable: np.ndarray | None = None, ring_m: float = 300.0, min_gap_m: float = 450.0
) -> list[BaseGeometry]:
    """Marker positions for a set of projects, none hiding another.

    Markers that would fall on the same spot (several projects known only to lie in the same
    extent) are spread on a small ring around it, in a fixed order; then any movable marker closer
    than ``min_gap_m`` to another is pushed away from it (a few rounds of repulsion, staying inside
    its own extent), so that each stays visible and clickable on the overview. ``movable`` says
    which may move (default: every non-point geometry); sited points are never moved."""
    points = [marker_point(g) for g in geoms.values]
    keys = [(round(p.x, 7), round(p.y, 7)) for p in points]
    groups: dict[tuple[float, float], list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    if movable is None:
        movable = np.asarray([g.geom_type != "Point" for g in geoms.values])
    metric = gpd.GeoSeries(points, crs=geoms.crs).to_crs(MEASURE_CRS).values
    xy = np.asarray([[p.x, p.y] for p in metric], dtype=float).reshape(-1, 2)
    for members in groups.values():
        mine = [i for i in members if movable[i]]
        if len(mine) < 2:
            continue
        for j, i in enumerate(mine):
            angle = 2 * np.pi * j / len(mine)
            xy[i] += ring_m * np.array([np.cos(angle), np.sin(angle)])
    _spread(xy, movable, gpd.GeoSeries(geoms.values, crs=geoms.crs).to_crs(MEASURE_CRS).values, min_gap_m)
    moved = gpd.GeoSeries(shapely.points(xy), crs=MEASURE_CRS).to_crs(geoms.crs).values
    return [moved[i] if movable[i] else points[i] for i in range(len(points))]


def _spread(xy: np.ndarray, movable: np.ndarray, extents: np.ndarray, gap: float, rounds: int = 40) -> None:
    """Push movable markers apart until no two are closer than ``gap`` (or ``rounds`` run out); a
    step that would leave the marker's own extent is not taken. Deterministic (fixed order)."""
    n = len(xy)
    for _ in range(rounds):
        moved = False
        for i in range(n):
            if not movable[i]:
                continue
            d = xy - xy[i]
            dist = np.hypot(d[:, 0], d[:, 1])
            dist[i] = np.inf
            close = np.flatnonzero(dist < gap)
            if close.size == 0:
                continue
            push = np.zeros(2)
            for j in close:
                away = -(d[j] / dist[j]) if dist[j] > 0 else np.array([1.0, 0.0])
                push += away * (gap - dist[j]) / (2 if movable[j] else 1)
            target = xy[i] + push
            if extents[i].geom_type == "Point" or extents[i].buffer(1.0).contains(shapely.Point(*target)):
                xy[i] = target
                moved = True
        if not moved:
            break
