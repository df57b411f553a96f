"""A register's projects per zone and per 街道 as the pages show them: the library's tables
(`hepinggis.projects_by_zone`, `hepinggis.projects_by_jiedao`, `hepinggis.zone_of`) with the
区外 and 未定位 rows, so that each table's 合计 is every project imported."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis.analysis.assign import _largest_share, _summary, projects_by_jiedao, projects_by_zone, zone_shares
from hepinggis.analysis.assign import zone_of as _zone_of
from hepinggis.plan.layers import load
from hepinggis.web.jobs._work_common import jsonable as _jsonable

__all__ = ["per_area", "places", "shares_in"]


def places(projects: gpd.GeoDataFrame, zone_of: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per project: ``outside`` (not in the district), ``unplaced`` (in it, but in no zone, or
    without a position) or None, and the distance to the district in metres (NaN for a project in
    an area or without a position)."""
    if not len(projects):
        return pd.Series([], dtype=object), pd.Series([], dtype=float)
    import shapely

    none = zone_of.isna().to_numpy()
    empty = projects.geometry.is_empty.to_numpy() | projects.geometry.isna().to_numpy()
    dist = np.full(len(projects), np.nan)
    probe = none & ~empty  # only the projects in no area are measured: 50,000 distances took 0.2 s
    if probe.any():
        district = load("district").to_crs("EPSG:4550").geometry.union_all()
        dist[probe] = shapely.distance(district, projects.geometry[probe].to_crs("EPSG:4550").to_numpy())
    place = np.full(len(projects), None, dtype=object)
    place[none] = "unplaced"
    place[none & ~empty & (np.nan_to_num(dist, nan=0.0) > 0)] = "outside"
    return pd.Series(place, index=projects.index, dtype=object), pd.Series(dist, index=projects.index)


def per_area(
    projects: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    place: pd.Series | None = None,
    *,
    layer: str = "zones",
    shares: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Projects and stated investment per zone (``layer="zones"``) or per 街道 (``"jiedao"``),
    as the page and the API show them.

    The figures are the library's: `hepinggis.projects_by_zone` or `hepinggis.projects_by_jiedao`
    of ``projects`` against ``areas`` (a point wholly in the area holding it, the first in layer
    order on a shared edge; a line or polygon by its share), the same tables the statistics
    workbook writes and the SQL functions of PostGIS answer. With ``place`` (`places`) the table
    ends with its 区外 and 未定位 rows, so that its 合计 is every project imported and every 元 stated.
    ``shares`` (`shares_in`) are the projects' shares of ``areas`` when the caller has them: the
    same table, the shares not worked out twice.
    """
    from hepinggis.base.measure import geodesic_area

    names = dict(zip(areas["id"], areas["name_zh"], strict=True))
    km2 = dict(zip(areas["id"], geodesic_area(areas), strict=True))
    counts: dict[Any, float] = {}
    money: dict[Any, float] = {}
    stated: dict[Any, int] = {}
    if len(projects):
        if shares is None:
            table = (projects_by_jiedao if layer == "jiedao" else projects_by_zone)(projects, areas)
        else:  # what both functions compute from the shares (the 街道 table adds only names)
            index_name = "jiedao_id" if layer == "jiedao" else "zone_id"
            table = _summary(
                projects,
                areas,
                id_col="id",
                index_name=index_name,
                category="category",
                status="status",
                investment="investment_cny",
                shares=shares,
            )
        counts = table["projects"].to_dict()
        money = table["investment_cny_stated"].to_dict() if "investment_cny_stated" in table else {}
        stated = table["n_with_investment"].to_dict() if "n_with_investment" in table else {}
    return [
        {
            "id": zid,
            "name": names[zid],
            "area_km2": round(float(km2[zid]), 2),
            "projects": _jsonable(counts.get(zid, 0.0)) or 0,
            "investment_cny": _jsonable(money.get(zid, 0.0)) or 0,
            "with_investment": int(stated.get(zid, 0) or 0),
        }
        for zid in areas["id"]
    ] + ([] if place is None else _place_rows(projects, place))


def _place_rows(projects: gpd.GeoDataFrame, place: pd.Series) -> list[dict[str, Any]]:
    from hepinggis.web.registers._accounting import place_rows

    inv = pd.to_numeric(projects.get("investment_cny", pd.Series(np.nan, index=projects.index)), errors="coerce")
    frame = pd.DataFrame({"place": place.to_numpy(), "inv": inv.to_numpy()}).dropna(subset=["place"])
    grouped = frame.groupby("place")
    return place_rows(
        grouped.size().to_dict(),
        grouped["inv"].sum(min_count=1).fillna(0).to_dict(),
        grouped["inv"].count().to_dict(),
    )


def _where(
    projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, key: str, *, shares: pd.DataFrame | None = None
) -> pd.Series:
    """The ``key`` of the area each project is stored under (None outside every area): the
    library's `hepinggis.zone_of` (the area holding a point, the largest share of a line or
    polygon), so that the stored areas, the per-area tables and the 区外/未定位 rows agree;
    from ``shares`` (`shares_in`) when the caller has them."""
    if not len(projects):
        return pd.Series([], dtype=object)
    found = _zone_of(projects, areas, zone_id=key) if shares is None else _largest_share(shares, projects.index)
    return found.astype(object).where(found.notna(), None)


def shares_in(projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame | None:
    """The projects' `hepinggis.zone_shares` of ``areas`` (by their ``id``), worked out once for
    `_where` and `per_area`; None for no project."""
    return zone_shares(projects, areas, zone_id="id") if len(projects) else None
