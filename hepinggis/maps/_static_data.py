"""What every static map of one project list draws from (`StaticData`), read and projected once,
in a module without matplotlib: ``hepinggis build`` makes it before its workers are forked and
before any map library is loaded (each worker loads only the one it draws with)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from hepinggis.analysis.projects import category_colors, marker_freedom, prepare_projects
from hepinggis.base._credits import ListCredit, split_credit
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.maps._web import marker_points
from hepinggis.plan.layers import load

__all__ = ["StaticData", "static_data"]


def _markers(projects: gpd.GeoDataFrame, points: list[Any] | None = None) -> gpd.GeoDataFrame:
    """The projects' markers in EPSG:4550 (drawn apart where they would hide each other); ``points``:
    their `marker_points`, already found (in the projects' CRS)."""
    if points is None:
        movable, slack = marker_freedom(projects)
        points = marker_points(projects.geometry, movable=movable, slack_m=slack)
    return gpd.GeoDataFrame(projects.drop(columns="geometry"), geometry=points, crs=projects.crs).to_crs(MEASURE_CRS)


@dataclass(frozen=True)
class StaticData:
    """What every static map of one project list draws from, read and projected once (EPSG:4550):
    the plan's layers, the projects (completed) with their colours and markers. `static_map` makes
    its own; ``hepinggis build`` makes one (`static_data`) for its eleven static maps and sheets."""

    zones: gpd.GeoDataFrame
    jiedao_lines: gpd.GeoSeries
    belt: gpd.GeoDataFrame
    axes: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    colors: dict[str, str]
    markers: gpd.GeoDataFrame
    #: The list's credit (`hepinggis.ImportResult.credit`), None for the bundled or an uncredited table.
    credit: ListCredit | None = None


def static_data(
    projects: gpd.GeoDataFrame | Any | None = None,
    *,
    name_col: str | None = None,
    credit: ListCredit | None = None,
    markers: list[Any] | None = None,
) -> StaticData:
    """The `StaticData` of ``projects`` (default: the bundled layer; an `hepinggis.ImportResult`
    brings its credit; ``name_col`` and ``credit`` as in `static_map`). ``markers``: the projects'
    `marker_points` where they are already found, in the CRS of the completed projects (``hepinggis
    build`` passes the interactive maps' own, `MapData.markers`)."""
    frame, own = split_credit(projects)
    mine = prepare_projects(load("projects") if frame is None else frame, name_col=name_col)
    return StaticData(
        zones=load("zones").to_crs(MEASURE_CRS),
        jiedao_lines=load("jiedao").to_crs(MEASURE_CRS).boundary,
        belt=load("belt").to_crs(MEASURE_CRS),
        axes=load("axes").to_crs(MEASURE_CRS),
        projects=mine,
        colors=category_colors(mine["category"]),
        markers=_markers(mine, markers),
        credit=credit or own,
    )
