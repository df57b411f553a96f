"""Which zone (or 街道) each project falls in, and the per-zone summary planners ask for."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis._strict import require_column, require_layer, require_same_crs
from hepinggis.analysis.measure import geodesic_area, geodesic_area_of, geodesic_length, geodesic_length_of
from hepinggis.analysis.projects import PROJECT_DEFAULTS

__all__ = ["projects_by_zone", "projects_outside", "zone_of", "zone_shares"]

_RULE_POINT = "point inside"
_RULE_EDGE = "point on a shared edge: the first polygon in layer order"
_RULE_MULTIPOINT = "share of the points (a point on a shared edge: the first polygon in layer order)"
_RULE_LINE = "length share"
_RULE_AREA = "area share"


def zone_shares(features: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, zone_id: str = "id") -> pd.DataFrame:
    """How each feature divides among the polygons of ``zones``.

    Points belong wholly to the polygon that contains them; a point on the edge shared by several
    polygons goes to the first of them in ``zones``' row order (deterministic: for the bundled
    layers, plan order). A MultiPoint is shared by the share of its points in each polygon.
    Lines are apportioned by length and polygons by area, on the ellipsoid;
    shares below 1e-4 (numerical slivers) are dropped, and a line lying along a shared edge is
    normalised so that its shares add up to at most 1.

    Returns
    -------
    pandas.DataFrame
        One row per (feature, zone) pair with a positive share: ``feature`` (the feature's index
        label), ``zone_id``, ``share`` (0–1) and ``rule``. Features outside every zone have no row.

    Examples
    --------
    >>> import hepinggis
    >>> shares = hepinggis.zone_shares(hepinggis.load("projects"), hepinggis.load("zones"))
    >>> bool((shares.groupby("feature")["share"].sum().round(6) <= 1).all())
    True
    """
    require_layer(features, "features", allow_empty=True)
    require_layer(zones, "zones", polygons=True)
    require_same_crs(("features", features), ("zones", zones))
    require_column(zones, zone_id, "zones")
    zgeoms = zones.geometry.values
    ids = zones[zone_id].to_numpy()
    rows: list[tuple[object, object, float, str]] = []
    fi, zi = zones.sindex.query(features.geometry.values, predicate="intersects")
    kinds = features.geom_type.to_numpy()
    by_feature: dict[int, list[int]] = {}
    for f, z in zip(fi, zi, strict=True):
        by_feature.setdefault(int(f), []).append(int(z))
    for f, zs in by_feature.items():
        geom = features.geometry.values[f]
        label = features.index[f]
        kind = kinds[f]
        zs = sorted(zs)
        if kind == "Point":
            inside = [z for z in zs if shapely.contains(zgeoms[z], geom)]
            if inside:
                rows.append((label, ids[inside[0]], 1.0, _RULE_POINT))
            else:  # on the boundary of one or more zones
                rows.append((label, ids[zs[0]], 1.0, _RULE_EDGE))
            continue
        if kind == "MultiPoint":  # each point counts alike: the zone's share is its share of the points
            parts = shapely.get_parts(geom)
            counts: dict[int, int] = {}
            for pt in parts:
                hit = [z for z in zs if shapely.contains(zgeoms[z], pt)] or [
                    z for z in zs if shapely.intersects(zgeoms[z], pt)
                ]
                if hit:
                    counts[hit[0]] = counts.get(hit[0], 0) + 1
            rows.extend((label, ids[z], c / len(parts), _RULE_MULTIPOINT) for z, c in sorted(counts.items()))
            continue
        parts = shapely.intersection(geom, zgeoms[zs])
        frame = gpd.GeoDataFrame(geometry=list(parts), crs=features.crs)
        if kind in ("LineString", "MultiLineString"):
            sizes = geodesic_length(frame).to_numpy()
            total = float(geodesic_length_of([geom], features.crs)[0])
            rule = _RULE_LINE
        else:
            sizes = geodesic_area(frame).to_numpy()
            total = float(geodesic_area_of([geom], features.crs)[0])
            rule = _RULE_AREA
        # a line along a shared edge intersects both polygons: normalise so shares never exceed 1
        denom = max(total, float(sizes.sum()))
        for z, size in zip(zs, sizes, strict=True):
            if denom > 0 and size / denom > 1e-4:  # drop numerical slivers (< 0.01 %)
                rows.append((label, ids[z], float(size / denom), rule))
    return pd.DataFrame(rows, columns=["feature", "zone_id", "share", "rule"])


def zone_of(features: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, zone_id: str = "id") -> pd.Series:
    """The zone holding the largest share of each feature (None outside), aligned to ``features.index``.

    Examples
    --------
    >>> import hepinggis
    >>> z = hepinggis.zone_of(hepinggis.load("projects").set_index("id"), hepinggis.load("zones"))
    >>> z["yunlonghu_bridge_link"]
    'manrong'
    """
    shares = zone_shares(features, zones, zone_id=zone_id)
    best = shares.sort_values("share", ascending=False, kind="stable").drop_duplicates("feature")
    return pd.Series(best.set_index("feature")["zone_id"], name="zone_id").reindex(features.index)


def projects_by_zone(
    projects: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str = "id",
    category: str = "category",
    status: str = "status",
    investment: str = "investment_cny",
) -> pd.DataFrame:
    """Per zone: projects (share-weighted), counts by category and by status, and stated investment.

    A project that spans zones counts in each by its share; investment is summed only where the
    project states it (``n_with_investment`` says how many did), never imputed. A table without
    the default ``category``/``status`` columns (``read_projects(…).projects`` as it comes, say), or
    with empty cells in them, counts those projects as ``未分类``/``未注明``; a column named
    explicitly must exist.

    Examples
    --------
    >>> import hepinggis
    >>> table = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))
    >>> list(table.index) == list(hepinggis.load("zones")["id"])
    True
    """
    attrs = pd.DataFrame(index=projects.index)
    for col, default_name in ((category, "category"), (status, "status")):
        if col not in projects.columns and col == default_name:
            attrs[col] = str(PROJECT_DEFAULTS[default_name])
            continue
        require_column(projects, col, "projects")
        values = projects[col].astype(object)
        blank = values.isna() | (values.astype(str).str.strip() == "")
        attrs[col] = values.where(~blank, str(PROJECT_DEFAULTS[default_name])).astype(str)
    if investment in projects.columns:
        attrs[investment] = pd.to_numeric(projects[investment], errors="coerce")
    shares = zone_shares(projects, zones, zone_id=zone_id)
    joined = shares.join(attrs, on="feature")
    order = list(zones[zone_id])
    out = pd.DataFrame(index=pd.Index(order, name="zone_id"))
    out["projects"] = joined.groupby("zone_id")["share"].sum()
    out["projects_any_share"] = joined.groupby("zone_id")["feature"].nunique()
    for col, prefix in ((category, "category"), (status, "status")):
        pivot = joined.pivot_table(index="zone_id", columns=col, values="share", aggfunc="sum")
        for value in pivot.columns:
            out[f"{prefix}:{value}"] = pivot[value]
    if investment in joined.columns:
        stated = joined[joined[investment].notna()]
        out["investment_cny_stated"] = (stated[investment] * stated["share"]).groupby(stated["zone_id"]).sum()
        out["n_with_investment"] = stated.groupby("zone_id")["feature"].nunique()
    return out.fillna(0).astype(
        {
            c: "int64"
            for c in ("projects_any_share",) + (("n_with_investment",) if "n_with_investment" in out.columns else ())
        }
    )


def projects_outside(projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, zone_id: str = "id") -> gpd.GeoDataFrame:
    """The projects that no zone holds any part of.

    Examples
    --------
    >>> import hepinggis
    >>> len(hepinggis.projects_outside(hepinggis.load("projects"), hepinggis.load("zones")))
    0
    """
    shares = zone_shares(projects, zones, zone_id=zone_id)
    return projects.loc[~np.isin(projects.index, shares["feature"].unique())]
