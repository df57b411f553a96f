"""Which zone (or 街道) each project falls in, and the per-zone and per-街道 summaries planners ask for."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis._strict import require_column, require_layer, require_same_crs
from hepinggis.analysis.projects import PROJECT_DEFAULTS
from hepinggis.base.measure import geodesic_area_of, geodesic_length_of

__all__ = ["projects_by_jiedao", "projects_by_zone", "projects_outside", "zone_of", "zone_shares"]

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

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Points, lines or polygons (projects, say), in the CRS of ``zones``.
    zones : geopandas.GeoDataFrame
        The polygons to divide them among (zones, 街道 …).
    zone_id : str, default "id"
        The column of ``zones`` that names each polygon.

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
    kinds = features.geom_type.to_numpy()
    is_point = kinds == "Point"
    point_rows = _point_rows(features, zones, np.flatnonzero(is_point), ids)
    others = _shape_rows(features, zgeoms, np.flatnonzero(~is_point), ids, kinds)
    if point_rows.empty or others.empty:
        return others if point_rows.empty else point_rows
    # in the features' order: points and other shapes interleaved as in ``features``
    out = pd.concat([point_rows, others], ignore_index=True)
    position = pd.Index(features.index).get_indexer(out["feature"])
    return out.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)


def _shape_rows(
    features: gpd.GeoDataFrame, zgeoms: np.ndarray, shapes: np.ndarray, ids: np.ndarray, kinds: np.ndarray
) -> pd.DataFrame:
    """The rows of the features that are not single points (positions ``shapes``): every
    (feature, zone) pair whose shapes intersect is cut and measured in one call per kind of
    measure (lines by length, polygons by area), never a Python loop over the features."""
    columns = ["feature", "zone_id", "share", "rule"]
    if not len(shapes):
        return pd.DataFrame(columns=columns)
    geoms = features.geometry.values
    fi, zi = shapely.STRtree(zgeoms).query(geoms[shapes], predicate="intersects")
    f, z = shapes[fi], zi
    order = np.lexsort((z, f))  # by feature, then by zone in layer order
    f, z = f[order], z[order]
    kind = kinds[f]
    multi = kind == "MultiPoint"
    parts: list[pd.DataFrame] = [_multipoint_rows(features, zgeoms, f[multi], z[multi], ids)]
    for rule, is_kind, measure in (
        (_RULE_LINE, np.isin(kind, ("LineString", "MultiLineString")), geodesic_length_of),
        (_RULE_AREA, ~multi & ~np.isin(kind, ("LineString", "MultiLineString")), geodesic_area_of),
    ):
        if is_kind.any():
            parts.append(_measured_rows(features, zgeoms, f[is_kind], z[is_kind], ids, rule, measure))
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if rows is None:
        return pd.DataFrame(columns=columns)
    # in the features' order (each feature's zones in layer order, as measured)
    position = rows.pop("_position").to_numpy()
    return rows.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)[columns]


def _measured_rows(
    features: gpd.GeoDataFrame,
    zgeoms: np.ndarray,
    f: np.ndarray,
    z: np.ndarray,
    ids: np.ndarray,
    rule: str,
    measure: Callable[[object, object], np.ndarray],
) -> pd.DataFrame:
    """Shares by length or area of the (feature ``f``, zone ``z``) pairs, sorted by feature: the
    pieces cut in one call, measured on the ellipsoid in one call. A line along a shared edge
    intersects both polygons: each feature's shares are divided by the larger of its own size
    and the sum of its pieces, so that they never exceed 1; slivers below 1e-4 are dropped."""
    geoms = features.geometry.values
    sizes = measure(shapely.intersection(geoms[f], zgeoms[z]), features.crs)
    feats, first = np.unique(f, return_index=True)
    totals = measure(geoms[feats], features.crs)
    piece_sums = np.array([float(sizes[a:b].sum()) for a, b in zip(first, [*first[1:], len(f)], strict=True)])
    denom = np.maximum(totals, piece_sums)[np.searchsorted(feats, f)]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = sizes / denom
    keep = (denom > 0) & (share > 1e-4)  # drop numerical slivers (< 0.01 %)
    return pd.DataFrame(
        {
            "feature": features.index[f[keep]],
            "zone_id": ids[z[keep]],
            "share": share[keep].astype(float),
            "rule": rule,
            "_position": f[keep],
        }
    )


def _multipoint_rows(
    features: gpd.GeoDataFrame, zgeoms: np.ndarray, f: np.ndarray, z: np.ndarray, ids: np.ndarray
) -> pd.DataFrame:
    """Each point of a MultiPoint counts alike: a zone's share is its share of the points (a
    point in no zone's interior goes to the first zone in layer order that it touches)."""
    rows: list[tuple[object, object, float, str, int]] = []
    geoms = features.geometry.values
    for feat in np.unique(f):
        zs = z[f == feat]
        parts = shapely.get_parts(geoms[feat])
        counts: dict[int, int] = {}
        for pt in parts:
            hit = [k for k in zs if shapely.contains(zgeoms[k], pt)] or [
                k for k in zs if shapely.intersects(zgeoms[k], pt)
            ]
            if hit:
                counts[int(hit[0])] = counts.get(int(hit[0]), 0) + 1
        rows.extend(
            (features.index[feat], ids[k], c / len(parts), _RULE_MULTIPOINT, int(feat))
            for k, c in sorted(counts.items())
        )
    return pd.DataFrame(rows, columns=["feature", "zone_id", "share", "rule", "_position"])


def _point_rows(
    features: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, points: np.ndarray, ids: np.ndarray
) -> pd.DataFrame:
    """The rows of the Point features (at positions ``points`` of ``features``), all at once: a
    point goes to the first zone in layer order that contains it, else (on an edge) to the first
    it touches. Each zone, prepared, is asked about the points inside its bounding box by their
    coordinates (`shapely.contains_xy`): 50,000 points against the district's zones in a few
    hundredths of a second (an STRtree predicate query took four times as long)."""
    geoms = features.geometry.values[points]
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)  # NaN for an empty point: in no zone
    zone = np.full(len(points), -1, dtype=np.int64)
    rule = np.full(len(points), _RULE_POINT, dtype=object)
    zgeoms = zones.geometry.values
    bounds = shapely.bounds(zgeoms)
    for test, name in ((shapely.contains_xy, _RULE_POINT), (shapely.intersects_xy, _RULE_EDGE)):
        for k, zg in enumerate(zgeoms):
            if zg is None or shapely.is_empty(zg):
                continue
            x0, y0, x1, y1 = bounds[k]
            cand = np.flatnonzero((zone < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
            if not len(cand):
                continue
            shapely.prepare(zg)
            hit = cand[test(zg, x[cand], y[cand])]
            zone[hit] = k
            rule[hit] = name
    found = np.flatnonzero(zone >= 0)  # in the features' order
    return pd.DataFrame(
        {
            "feature": features.index[points[found]],
            "zone_id": ids[zone[found]],
            "share": np.ones(len(found)),
            "rule": rule[found],
        },
        columns=["feature", "zone_id", "share", "rule"],
    )


def zone_of(features: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, zone_id: str = "id") -> pd.Series:
    """The zone holding the largest share of each feature (None outside), aligned to ``features.index``.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Points, lines or polygons, in the CRS of ``zones``.
    zones : geopandas.GeoDataFrame
        The zone layer (or any polygons: 街道 …).
    zone_id : str, default "id"
        The column of ``zones`` that names each zone.

    Returns
    -------
    pandas.Series
        ``zone_id`` per feature, indexed as ``features``; None for a feature outside every zone.
        Ties of shares go to the zone first in ``zones``' row order (see `zone_shares`).

    Examples
    --------
    >>> import hepinggis
    >>> z = hepinggis.zone_of(hepinggis.load("projects").set_index("id"), hepinggis.load("zones"))
    >>> z["yunlonghu_bridge_link"]
    'manrong'
    """
    return _largest_share(zone_shares(features, zones, zone_id=zone_id), features.index)


def _largest_share(shares: pd.DataFrame, index: pd.Index) -> pd.Series:
    """`zone_of` from the `zone_shares` of the features labelled ``index``."""
    best = shares.sort_values("share", ascending=False, kind="stable").drop_duplicates("feature")
    return pd.Series(best.set_index("feature")["zone_id"], name="zone_id").reindex(index)


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

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The projects (points, lines or polygons), in the CRS of ``zones``.
    zones : geopandas.GeoDataFrame
        The zone layer (``hepinggis.load("zones")``) or any polygons with an id column.
    zone_id : str, default "id"
        The column of ``zones`` that names each zone.
    category, status : str, default "category", "status"
        The columns counted by value (``category:…``, ``status:…``).
    investment : str, default "investment_cny"
        The column of stated investment in 元 (summed where stated, share-weighted).

    Returns
    -------
    pandas.DataFrame
        One row per zone, in layer order, indexed by ``zone_id`` (also where a zone holds no
        project): ``projects`` (share-weighted), ``projects_any_share`` (the count),
        ``category:…``, ``status:…``, ``investment_cny_stated`` and ``n_with_investment``.

    Examples
    --------
    >>> import hepinggis
    >>> table = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))
    >>> list(table.index) == list(hepinggis.load("zones")["id"])
    True
    """
    return _summary(
        projects, zones, id_col=zone_id, index_name="zone_id", category=category, status=status, investment=investment
    )


def projects_by_jiedao(
    projects: gpd.GeoDataFrame,
    jiedao: gpd.GeoDataFrame,
    *,
    jiedao_id: str = "id",
    category: str = "category",
    status: str = "status",
    investment: str = "investment_cny",
) -> pd.DataFrame:
    """Per 街道: the same table as `projects_by_zone`, for the 街道 (sub-district) layer.

    ``jiedao`` is the 街道 layer, in the CRS of ``projects`` (`hepinggis.projects_by_jiedao`, in
    `hepinggis.plan.by_jiedao`, defaults it to the bundled or adopted layer). Every 街道 has a row, in layer
    order, indexed by its id (``jiedao_id``), also where it holds no project. The columns are
    ``name_zh`` (and ``zone_id``, the zone the 街道 lies in, where the layer has them), then as in
    `projects_by_zone`: ``projects`` (share-weighted), ``projects_any_share`` (the count),
    ``category:…``, ``status:…``, ``investment_cny_stated`` (元, stated amounts only) and
    ``n_with_investment``. A point on the line between two 街道 counts in the first in layer order.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The projects, in the CRS of ``jiedao``.
    jiedao : geopandas.GeoDataFrame
        The 街道 layer (``hepinggis.load("jiedao")``).
    jiedao_id : str, default "id"
        The column of ``jiedao`` that names each 街道.
    category, status, investment : str
        As for `projects_by_zone`.

    Returns
    -------
    pandas.DataFrame
        One row per 街道, indexed by ``jiedao_id``, with the columns above.

    Examples
    --------
    >>> import hepinggis
    >>> table = projects_by_jiedao(hepinggis.load("projects"), hepinggis.load("jiedao"))
    >>> table.index.name, len(table), table.loc["nanhu", "name_zh"]
    ('jiedao_id', 10, '南湖街道')
    """
    out = _summary(
        projects,
        jiedao,
        id_col=jiedao_id,
        index_name="jiedao_id",
        category=category,
        status=status,
        investment=investment,
    )
    names = jiedao.set_index(jiedao_id)
    described = [c for c in ("name_zh", "zone_id") if c in names.columns and c != jiedao_id]
    for k, col in enumerate(described):
        out.insert(k, col, names[col].reindex(out.index).to_numpy())
    return out


def _summary(
    projects: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    id_col: str,
    index_name: str,
    category: str,
    status: str,
    investment: str,
    shares: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The per-area table of `projects_by_zone` and `projects_by_jiedao`: sums of the shares by
    area (and by area and category or status), by pandas' grouped sums over whole-number keys —
    the same sums, in the same order, as a pivot table of the joined rows, without its cost.
    ``shares`` are the `zone_shares` of ``projects`` in ``areas`` when the caller has them."""
    attrs = _attributes(projects, category=category, status=status, investment=investment)
    shares = zone_shares(projects, areas, zone_id=id_col) if shares is None else shares
    order = pd.Index(list(areas[id_col]))
    if shares.empty or not (projects.index.is_unique and order.is_unique):  # as joined (see below)
        return _summary_joined(shares, attrs, order, index_name, category, status, investment)
    pos = projects.index.get_indexer(shares["feature"])
    zpos = order.get_indexer(shares["zone_id"])
    share = shares["share"].to_numpy(dtype=float)
    n = len(order)
    out = pd.DataFrame(index=pd.Index(list(order), name=index_name))
    out["projects"] = _sums(share, zpos, n)
    out["projects_any_share"] = np.bincount(zpos, minlength=n).astype("int64")  # one row per (feature, area)
    for col, prefix in ((category, "category"), (status, "status")):
        values = attrs[col].to_numpy(dtype=object)[pos]
        codes, names = pd.factorize(values, sort=True)  # sorted, as a pivot's columns (hashed, not compared)
        sums = _sums(share, zpos * len(names) + codes, n * len(names)).reshape(n, len(names))
        for k, value in enumerate(list(names)):
            out[f"{prefix}:{value}"] = sums[:, k]
    if investment in attrs.columns:
        money = attrs[investment].to_numpy(dtype=float, na_value=np.nan)[pos]
        stated = ~np.isnan(money)
        out["investment_cny_stated"] = _sums(money[stated] * share[stated], zpos[stated], n)
        out["n_with_investment"] = np.bincount(zpos[stated], minlength=n).astype("int64")
    return out


def _sums(values: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    """``values`` summed by whole-number ``keys`` in 0…n-1 (0 where a key has none) with pandas'
    grouped sum (compensated, in row order: the figures a pivot table or groupby gives)."""
    out = np.zeros(n)
    if len(values):
        summed = pd.Series(values).groupby(keys).sum()
        out[summed.index.to_numpy()] = summed.to_numpy()
    return out


def _attributes(projects: gpd.GeoDataFrame, *, category: str, status: str, investment: str) -> pd.DataFrame:
    """Category and status of each project as text (a missing column or an empty cell as
    ``未分类``/``未注明``), and its stated investment as a number (NaN where none is stated)."""
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
    return attrs


def _summary_joined(
    shares: pd.DataFrame,
    attrs: pd.DataFrame,
    order: pd.Index,
    index_name: str,
    category: str,
    status: str,
    investment: str,
) -> pd.DataFrame:
    """`_summary` for a table whose index repeats a label (or a layer repeating an id), or with
    no project in any area: the shares joined to the attributes by label, as such a table
    always was counted (an empty table's figures are zeros of object type, as they were)."""
    joined = shares.join(attrs, on="feature")
    out = pd.DataFrame(index=pd.Index(list(order), name=index_name))
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

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The projects, in the CRS of ``zones``.
    zones : geopandas.GeoDataFrame
        The zone layer (or any polygons).
    zone_id : str, default "id"
        The column of ``zones`` that names each zone.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``projects`` that lie wholly outside every zone, as they are.

    Examples
    --------
    >>> import hepinggis
    >>> len(hepinggis.projects_outside(hepinggis.load("projects"), hepinggis.load("zones")))
    0
    """
    shares = zone_shares(projects, zones, zone_id=zone_id)
    return projects.loc[~np.isin(projects.index, shares["feature"].unique())]
