"""Projects along an axis (distance, chainage, side, segment) and in the Hun River belt (per bank)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString

from hepinggis._strict import require_column, require_ids, require_layer, require_same_crs
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import InvalidOptionError, LayerSchemaError

__all__ = ["along_axis", "in_belt"]


def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return frame.geometry.to_crs(MEASURE_CRS)


def along_axis(
    features: gpd.GeoDataFrame, axes: gpd.GeoDataFrame, *, axis_id: str, max_distance_m: float = 500.0
) -> pd.DataFrame:
    """Features within ``max_distance_m`` of an axis, with where they are along it.

    Distances are measured in EPSG:4550 from the feature's nearest point to the axis line.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Projects (points, lines or polygons).
    axes : geopandas.GeoDataFrame
        The ``axes`` layer: one ``kind == "axis"`` line per axis and its ``kind == "segment"`` lines.
    axis_id : str
        ``"nanjingjie_axis"`` or ``"sanhaojie_axis"``.
    max_distance_m : float
        The corridor half-width.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``features`` (only the features within reach): ``distance_m``, ``chainage_km``
        (from the axis start: the 南京街 axis runs north → south, the 三好街 axis from 文艺路 to
        桂花街), ``side`` (``left``/``right`` of the direction of travel, ``on`` within 1 m) and
        ``segment_id``.

    Examples
    --------
    >>> import hepinggis
    >>> near = hepinggis.along_axis(hepinggis.load("sub_areas").set_index("id"), hepinggis.load("axes"),
    ...                             axis_id="nanjingjie_axis", max_distance_m=50)
    >>> near.loc["changbai_big_cross", "segment_id"]
    'nanjing_nanjie_industry'
    """
    require_layer(features, "features")
    require_layer(axes, "axes")
    require_same_crs(("features", features), ("axes", axes))
    for col in ("kind", "axis_id", "id"):
        require_column(axes, col, "axes")
    require_ids(axes[axes["kind"] == "axis"], "id", [axis_id], "axes")
    if max_distance_m < 0:
        raise InvalidOptionError(f"max_distance_m must be >= 0, got {max_distance_m:g}")
    axes_m = axes.assign(geometry=_metric(axes))
    axis = shapely.line_merge(axes_m.loc[(axes_m["kind"] == "axis") & (axes_m["id"] == axis_id)].geometry.iloc[0])
    if not isinstance(axis, LineString):
        raise LayerSchemaError(f"axis {axis_id!r} is not one continuous line")
    segments = axes_m[(axes_m["kind"] == "segment") & (axes_m["axis_id"] == axis_id)]
    geoms = _metric(features).values
    dist = shapely.distance(geoms, axis)
    near = dist <= max_distance_m
    # every feature within reach at once (shapely's vectorised functions, not a loop of nearest_points)
    reach = np.asarray(geoms[near])
    d = dist[near]
    link = shapely.shortest_line(reach, axis)  # from the feature's nearest point to the axis's
    on_feature, on_axis = shapely.get_point(link, 0), shapely.get_point(link, 1)
    chain = shapely.line_locate_point(axis, on_axis)
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(axis, np.minimum(chain + 1.0, axis.length)))
    behind = shapely.get_coordinates(shapely.line_interpolate_point(axis, np.maximum(chain - 1.0, 0.0)))
    at = shapely.get_coordinates(on_feature)
    cross = (ahead[:, 0] - behind[:, 0]) * (at[:, 1] - behind[:, 1]) - (ahead[:, 1] - behind[:, 1]) * (
        at[:, 0] - behind[:, 0]
    )
    side = np.where(d < 1.0, "on", np.where(cross > 0, "left", "right"))
    if len(segments) and len(reach):
        seg_d = shapely.distance(on_axis[:, np.newaxis], np.asarray(segments.geometry.values)[np.newaxis, :])
        seg_id = segments["id"].to_numpy()[np.argmin(seg_d, axis=1)]
    else:
        seg_id = np.full(len(reach), None, dtype=object)
    rows = {
        "feature": features.index[near],
        "distance_m": d.astype(float),
        "chainage_km": chain / 1000.0,
        "side": side.astype(object),
        "segment_id": seg_id.astype(object),
    }
    out = pd.DataFrame(rows, columns=["feature", "distance_m", "chainage_km", "side", "segment_id"])
    return out.set_index("feature").rename_axis(features.index.name)


def in_belt(features: gpd.GeoDataFrame, belt: gpd.GeoDataFrame) -> pd.DataFrame:
    """Whether each feature lies in the Hun River belt, how much of it does, and which bank it is on.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Projects (points, lines or polygons), in EPSG:4326.
    belt : geopandas.GeoDataFrame
        The ``belt`` layer: its ``kind == "belt"`` polygon and its two ``kind == "bank"`` lines.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``features.index``: ``in_belt`` (any part inside), ``belt_share`` (share of the
        feature's area/length inside, 1/0 for points), ``bank`` (``north``/``south``: the nearer
        bank line, for features in the belt) and ``bank_distance_m``.

    Examples
    --------
    >>> import hepinggis
    >>> r = hepinggis.in_belt(hepinggis.load("projects").set_index("id"), hepinggis.load("belt"))
    >>> r.loc["hunhe_south_bank_sports_park", "bank"]
    'south'
    """
    require_layer(features, "features")
    require_layer(belt, "belt")
    require_same_crs(("features", features), ("belt", belt))
    require_column(belt, "kind", "belt")
    belt_m = belt.assign(geometry=_metric(belt))
    poly = shapely.union_all(belt_m.loc[belt_m["kind"] == "belt"].geometry.values)
    banks = belt_m[belt_m["kind"] == "bank"]
    if poly.is_empty or banks.empty:
        raise LayerSchemaError("belt: needs a 'belt' polygon and 'bank' lines")
    geoms = _metric(features).values
    inside = shapely.intersects(geoms, poly)
    part = shapely.intersection(geoms, poly)
    kinds = shapely.get_type_id(geoms)
    areal = np.isin(kinds, [3, 6])
    linear = np.isin(kinds, [1, 5])
    share = inside.astype(float)
    share[areal] = np.divide(shapely.area(part[areal]), shapely.area(geoms[areal]))
    share[linear] = np.divide(shapely.length(part[linear]), shapely.length(geoms[linear]))
    bank = np.full(len(geoms), None, dtype=object)
    bank_d = np.full(len(geoms), np.nan)
    sides = banks["side"].to_numpy()
    bank_geoms = banks.geometry.values
    for i in np.flatnonzero(inside):
        probe = shapely.point_on_surface(part[i]) if not part[i].is_empty else geoms[i]
        d = shapely.distance(probe, bank_geoms)
        # the bank on the same side of the river as the feature: nearest bank line
        k = int(np.argmin(d))
        bank[i], bank_d[i] = sides[k], float(d[k])
    return pd.DataFrame(
        {"in_belt": inside, "belt_share": share, "bank": bank, "bank_distance_m": bank_d}, index=features.index
    )
