"""The plan's layers as matplotlib shapes, made once per process for one `StaticData` and added
to every static map drawn from it as the collections geopandas' ``plot`` would make.

``GeoSeries.plot`` copies the frame, sorts its geometries by kind and turns every ring into a
matplotlib path anew for each map; ``hepinggis build`` draws the plan eleven times (the overview,
its print sheets, six zones), so the paths are made once here and each map only adds collections
of them (`add_shapes` mirrors geopandas 1.x's ``plot_series`` for one colour: polygons as a patch
collection with ``facecolor``, lines as a line collection with ``color``, points by ``scatter``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import Collection, LineCollection, PatchCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from hepinggis.base._style import AXIS_COLORS
from hepinggis.maps._static_data import StaticData

__all__ = ["PlanShapes", "Shapes", "add_shapes", "plan_shapes"]


@dataclass(frozen=True)
class Shapes:
    """One layer (or part of one) ready to draw: its polygons as patches, its lines as vertex
    arrays (multi-parts split, as geopandas splits them) and its points as x, y rows."""

    patches: list[PathPatch]
    lines: list[np.ndarray]
    points: np.ndarray


def _patch(polygon: Any) -> PathPatch:
    """A (multi)polygon as one compound path: exterior and holes of each part (geopandas'
    ``_PolygonPatch``, whose ring order matplotlib reads as outline or hole)."""
    parts = [polygon] if polygon.geom_type == "Polygon" else list(polygon.geoms)
    paths = []
    for part in parts:
        paths.append(Path(np.asarray(part.exterior.coords)[:, :2], closed=True))
        paths.extend(Path(np.asarray(ring.coords)[:, :2], closed=True) for ring in part.interiors)
    return PathPatch(Path.make_compound_path(*paths))


def shapes_of(geoms: gpd.GeoSeries) -> Shapes:
    """The `Shapes` of ``geoms``, as geopandas makes them: normalised, collections decomposed,
    empty and missing geometries left out; a multipolygon one patch, multi-lines and multi-points
    split into their parts."""
    values = shapely.normalize(np.asarray(geoms.values, dtype=object))
    values = values[~(shapely.is_missing(values) | shapely.is_empty(values))]
    kinds = shapely.get_type_id(values)
    if (kinds == 7).any():  # GeometryCollection: its parts
        values = shapely.get_parts(values)
        kinds = shapely.get_type_id(values)
    polys = values[(kinds == 3) | (kinds == 6)]
    lines = shapely.get_parts(values[(kinds == 1) | (kinds == 2) | (kinds == 5)])
    points = shapely.get_parts(values[(kinds == 0) | (kinds == 4)])
    return Shapes(
        patches=[_patch(p) for p in polys],
        lines=[np.array(line.coords)[:, :2] for line in lines],
        points=shapely.get_coordinates(points),
    )


@dataclass(frozen=True)
class PlanShapes:
    """The plan's layers of one `StaticData` as `Shapes`: each zone (in layer order), the zone
    outlines, the 街道 lines, the belt and its banks, and each axis's segments (`AXIS_COLORS` order)."""

    zones: list[Shapes]
    outlines: Shapes
    jiedao: Shapes
    belt: Shapes
    banks: Shapes
    axes: list[Shapes]


#: The shapes made in this process, by the `StaticData` they were made from (kept alive with it).
_MADE: dict[int, tuple[StaticData, PlanShapes]] = {}
_KEPT = 4


def plan_shapes(data: StaticData) -> PlanShapes:
    """The `PlanShapes` of ``data``, made on the first call in this process and reused after."""
    made = _MADE.get(id(data))
    if made is not None and made[0] is data:
        return made[1]
    zones, belt, axes = data.zones, data.belt, data.axes
    segments = axes[axes["kind"] == "segment"]
    shapes = PlanShapes(
        zones=[shapes_of(zones.geometry.iloc[[k]]) for k in range(len(zones))],
        outlines=shapes_of(zones.boundary),
        jiedao=shapes_of(data.jiedao_lines),
        belt=shapes_of(belt[belt["kind"] == "belt"].geometry),
        banks=shapes_of(belt[belt["kind"] == "bank"].geometry),
        axes=[shapes_of(segments[segments["axis_id"] == axis_id].geometry) for axis_id in AXIS_COLORS],
    )
    _MADE[id(data)] = (data, shapes)
    while len(_MADE) > _KEPT:
        del _MADE[next(iter(_MADE))]
    return shapes


def add_shapes(ax: Axes, shapes: Shapes, color: str, **style: Any) -> list[Collection]:
    """Add ``shapes`` to ``ax`` in one ``color`` with matplotlib ``style`` (``alpha``, ``lw``, ``ls``,
    ``zorder`` …): the collections ``GeoSeries.plot(ax=ax, color=color, **style)`` adds, in its
    order (polygons, lines, points); returns them."""
    added: list[Collection] = []
    if shapes.patches:
        polys = PatchCollection(shapes.patches, facecolor=color, **style)
        ax.add_collection(polys, autolim=True)
        added.append(polys)
    if shapes.lines:
        lines = LineCollection(shapes.lines, color=color, **style)
        ax.add_collection(lines, autolim=True)
        added.append(lines)
    if len(shapes.points):
        added.append(ax.scatter(shapes.points[:, 0], shapes.points[:, 1], color=color, marker="o", **style))
    return added
