"""What the interactive maps of one project list draw from (`MapData`), read and computed once,
in a module without folium: ``hepinggis build`` computes it before its workers are forked and before
any map library is loaded (each worker loads only the one it draws with)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from hepinggis.analysis.assign import zone_shares
from hepinggis.analysis.projects import category_colors, marker_freedom, prepare_projects
from hepinggis.base._credits import ListCredit, split_credit
from hepinggis.maps._area_stats import AreaCounts, area_counts
from hepinggis.maps._web import marker_points
from hepinggis.plan.layers import load

__all__ = ["MapData", "map_data", "zone_of_markers"]


def _as_map_projects(projects: gpd.GeoDataFrame | None, name_col: str | None) -> gpd.GeoDataFrame:
    """The bundled projects, or the caller's (any CRS, validated and completed), in EPSG:4326."""
    frame = load("projects") if projects is None else projects
    return prepare_projects(frame, name_col=name_col).to_crs(4326)


@dataclass(frozen=True)
class MapData:
    """Everything the interactive maps of one project list draw from, read and computed once: the
    plan's layers, the projects (completed, EPSG:4326) and, when first asked for, their counts per
    zone and 街道, how each divides among the zones, the category colours and each project's
    marker. `overview_map`, `zone_map` … make their own; ``hepinggis build`` makes one for its
    nine maps (`map_data`, then `warm` before its worker processes are forked)."""

    zones: gpd.GeoDataFrame
    jiedao: gpd.GeoDataFrame
    belt: gpd.GeoDataFrame
    axes: gpd.GeoDataFrame
    district: gpd.GeoDataFrame
    sub_areas: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame
    #: The list's credit (`hepinggis.ImportResult.credit`), None for the bundled or an uncredited table.
    credit: ListCredit | None = None

    @cached_property
    def counts(self) -> AreaCounts:
        """`projects_by_zone` and `projects_by_jiedao` of the projects (every popup's numbers)."""
        return area_counts(self.projects, self.zones, self.jiedao)

    @cached_property
    def shares(self) -> pd.DataFrame:
        """`zone_shares` of the projects: which zone maps list each."""
        return zone_shares(self.projects, self.zones)

    @cached_property
    def colors(self) -> dict[str, str]:
        return category_colors(self.projects["category"])

    @cached_property
    def markers(self) -> list[Any]:
        """Each project's marker on the overview (`marker_points`)."""
        movable, slack = marker_freedom(self.projects)
        return marker_points(self.projects.geometry, movable=movable, slack_m=slack)

    @cached_property
    def where(self) -> pd.Series:
        """The zone each project's marker lies in (`zone_of_markers`)."""
        return zone_of_markers(self.projects, self.zones)

    def warm(self) -> MapData:
        """Compute every lazy part now (a forked worker then inherits them instead of redoing them)."""
        for name in ("counts", "shares", "colors", "markers", "where"):
            getattr(self, name)
        return self


def map_data(
    projects: gpd.GeoDataFrame | Any | None = None, *, name_col: str | None = None, credit: ListCredit | None = None
) -> MapData:
    """The `MapData` of ``projects`` (default: the bundled layer; an `hepinggis.ImportResult` brings
    its credit; ``credit`` and ``name_col`` as in `overview_map`).

    Examples
    --------
    >>> data = map_data().warm()
    >>> len(data.markers) == len(data.projects) == len(data.where)
    True
    """
    frame, own = split_credit(projects)
    return MapData(
        zones=load("zones"),
        jiedao=load("jiedao"),
        belt=load("belt"),
        axes=load("axes"),
        district=load("district"),
        sub_areas=load("sub_areas"),
        projects=_as_map_projects(frame, name_col),
        credit=credit or own,
    )


def zone_of_markers(projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
    """The zone name each project's marker lies in (for "仅知位于…内" in the popup), aligned to
    ``projects.index`` (missing where no zone holds it; the first zone in layer order on an edge)."""
    points = shapely.point_on_surface(projects.geometry.values)
    pi, zi = zones.sindex.query(points, predicate="intersects")
    first = pd.Series(zi, index=pi).groupby(level=0).min()
    names = zones["name_zh"].to_numpy()
    out = pd.Series(pd.NA, index=projects.index, dtype=object)
    out.iloc[first.index.to_numpy()] = names[first.to_numpy()]
    return out
