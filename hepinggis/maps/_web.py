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

from hepinggis.base.coords import wgs84_to_gcj02
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.maps._escape import esc

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


#: Above this many movable markers they are only ringed apart, not repelled (repulsion is O(n²)
#: per round; that many extents are drawn clustered anyway).
SPREAD_MAX = 500


def marker_points(
    geoms: gpd.GeoSeries,
    *,
    movable: np.ndarray | None = None,
    slack_m: np.ndarray | None = None,
    ring_m: float = 300.0,
    min_gap_m: float = 450.0,
) -> list[BaseGeometry]:
    """Marker positions for a set of projects, none hiding another.

    Markers that would fall on the same spot (several projects known only to lie in the same
    extent) are spread on a small ring around it, in a fixed order; then any movable marker closer
    than ``min_gap_m`` to another is pushed away from it (a few rounds of repulsion, staying inside
    its own extent, for up to `SPREAD_MAX` movable markers), so that each stays visible and
    clickable on the overview. ``movable`` says which may move (default: every non-point
    geometry); a movable point stays within ``slack_m`` of itself (its stated accuracy), the
    others are never moved (see `hepinggis.projects.marker_freedom`)."""
    values = geoms.values
    kinds = shapely.get_type_id(values)
    points = np.asarray(values, dtype=object).copy()
    other = kinds != 0  # 0: Point
    if other.any():
        points[other] = shapely.point_on_surface(values[other])
    if movable is None:
        movable = other
    movable = np.asarray(movable, dtype=bool)
    if not movable.any():
        return list(points)
    ring = np.flatnonzero(movable)
    metric = gpd.GeoSeries(points[ring], crs=geoms.crs).to_crs(MEASURE_CRS)
    xy = np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])
    keys = np.round(shapely.get_coordinates(points[ring]), 7)
    _, group, sizes = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    rank = np.zeros(len(ring), dtype=int)
    seen: dict[int, int] = {}
    for j, g in enumerate(group):  # position of each marker within its group, in table order
        rank[j] = seen.get(int(g), 0)
        seen[int(g)] = rank[j] + 1
    n_in = sizes[group]
    angle = 2 * np.pi * rank / np.maximum(n_in, 1)
    shift = (n_in > 1)[:, None] * ring_m * np.column_stack([np.cos(angle), np.sin(angle)])
    xy = xy + shift
    if len(ring) <= SPREAD_MAX:
        extents = gpd.GeoSeries(values[ring], crs=geoms.crs).to_crs(MEASURE_CRS).values
        if slack_m is not None:  # a point may move within its accuracy, never further
            radius = np.asarray(slack_m, dtype=float)[ring]
            loose = (shapely.get_type_id(extents) == 0) & (radius > 0)
            extents[loose] = shapely.buffer(extents[loose], radius[loose])
        _spread(xy, np.ones(len(ring), dtype=bool), extents, min_gap_m, fixed=_fixed_xy(points, movable, geoms.crs))
    moved = gpd.GeoSeries(shapely.points(xy), crs=MEASURE_CRS).to_crs(geoms.crs).values
    points[ring] = moved
    return list(points)


def _fixed_xy(points: np.ndarray, movable: np.ndarray, crs: Any) -> np.ndarray:
    """The metric coordinates of the markers that never move (they push the others away)."""
    fixed = points[~movable]
    if len(fixed) == 0:
        return np.empty((0, 2))
    metric = gpd.GeoSeries(fixed, crs=crs).to_crs(MEASURE_CRS)
    return np.column_stack([metric.x.to_numpy(), metric.y.to_numpy()])


def _spread(
    xy: np.ndarray,
    movable: np.ndarray,
    extents: np.ndarray,
    gap: float,
    rounds: int = 40,
    *,
    fixed: np.ndarray | None = None,
) -> None:
    """Push movable markers apart until no two are closer than ``gap`` (or ``rounds`` run out); a
    step that would leave the marker's own extent is not taken. ``fixed`` markers push but never
    move. Deterministic (fixed order)."""
    n = len(xy)
    fixed = np.empty((0, 2)) if fixed is None else fixed
    for _ in range(rounds):
        moved = False
        for i in range(n):
            if not movable[i]:
                continue
            d = np.concatenate([xy - xy[i], fixed - xy[i]]) if len(fixed) else xy - xy[i]
            dist = np.hypot(d[:, 0], d[:, 1])
            dist[i] = np.inf
            close = np.flatnonzero(dist < gap)
            if close.size == 0:
                continue
            push = np.zeros(2)
            for j in close:
                away = -(d[j] / dist[j]) if dist[j] > 0 else np.array([1.0, 0.0])
                push += away * (gap - dist[j]) / (2 if j < n and movable[j] else 1)
            target = xy[i] + push
            if extents[i].geom_type == "Point" or extents[i].buffer(1.0).contains(shapely.Point(*target)):
                xy[i] = target
                moved = True
        if not moved:
            break
