"""Overlap of two polygon layers (zones × 街道, zones × belt, any pair), with QGIS-compatible columns."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis._strict import require_column, require_layer, require_same_crs
from hepinggis.base._renamed import renamed
from hepinggis.base.measure import geodesic_area, geodesic_area_of

__all__ = ["overlap_analysis", "overlap_matrix"]


def overlap_matrix(
    a: gpd.GeoDataFrame,
    b: gpd.GeoDataFrame,
    *,
    a_name: str = "a",
    b_name: str = "b",
    a_id: str = "id",
    b_id: str = "id",
) -> pd.DataFrame:
    """Every overlapping pair of features of two polygon layers, with areas on the ellipsoid.

    Parameters
    ----------
    a, b : geopandas.GeoDataFrame
        Polygon layers in the same CRS (mismatched CRSs raise rather than being reprojected).
    a_name, b_name : str
        Prefixes of the output columns (e.g. ``"zones"``, ``"jiedao"``).
    a_id, b_id : str
        The id columns.

    Returns
    -------
    pandas.DataFrame
        One row per overlapping pair: ``<a>_id``, ``<b>_id``, ``area_km2`` (the intersection),
        ``<a>_area_km2``, ``<b>_area_km2``, ``<a>_pc`` (% of the A feature covered by the B
        feature), ``<b>_pc`` (% of B covered by A) and ``iou``.

    Examples
    --------
    >>> import hepinggis
    >>> m = hepinggis.overlap_matrix(hepinggis.load("zones"), hepinggis.load("jiedao"), a_name="zone", b_name="jiedao")
    >>> m.groupby("zone_id")["zone_pc"].sum().round(1).tolist()
    [100.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    """
    require_layer(a, a_name, polygons=True)
    require_layer(b, b_name, polygons=True)
    require_same_crs((a_name, a), (b_name, b))
    require_column(a, a_id, a_name)
    require_column(b, b_id, b_name)
    ga, gb = a.geometry.values, b.geometry.values
    ia, ib = b.sindex.query(ga, predicate="intersects")
    inter = shapely.intersection(ga[ia], gb[ib])
    inter_km2 = geodesic_area_of(inter, a.crs)
    area_a = geodesic_area_of(ga, a.crs)
    area_b = geodesic_area_of(gb, b.crs)
    keep = inter_km2 > 0
    ia, ib, inter_km2 = ia[keep], ib[keep], inter_km2[keep]
    union = area_a[ia] + area_b[ib] - inter_km2
    out = pd.DataFrame(
        {
            f"{a_name}_id": a[a_id].to_numpy()[ia],
            f"{b_name}_id": b[b_id].to_numpy()[ib],
            "area_km2": inter_km2,
            f"{a_name}_area_km2": area_a[ia],
            f"{b_name}_area_km2": area_b[ib],
            f"{a_name}_pc": 100.0 * inter_km2 / area_a[ia],
            f"{b_name}_pc": 100.0 * inter_km2 / area_b[ib],
            "iou": inter_km2 / union,
        }
    )
    return out.sort_values(
        [f"{a_name}_id", f"{b_name}_id"],
        key=lambda s: s.map({v: i for i, v in enumerate(pd.unique(pd.concat([a[a_id], b[b_id]])))}),
    ).reset_index(drop=True)


@renamed(layer="features")
def overlap_analysis(features: gpd.GeoDataFrame, overlays: Mapping[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """QGIS "Overlap analysis": for each feature, the area covered by each overlay layer.

    The overlay's features are dissolved first, so overlapping overlay features are not counted
    twice; areas are on the ellipsoid, as QGIS gives them with an ellipsoid set.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        The polygons to analyse (e.g. the zones). ``layer=`` is its old name (deprecated, warns).
    overlays : mapping of str to geopandas.GeoDataFrame
        Overlay name → polygon layer, in the same CRS as ``features``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``features`` with ``<name>_area`` (m²) and ``<name>_pc`` (% of the feature's
        area) for every overlay, aligned to ``features.index``.

    Examples
    --------
    >>> import hepinggis
    >>> belt = hepinggis.load("belt").query("kind == 'belt'")
    >>> out = hepinggis.overlap_analysis(hepinggis.load("zones"), {"belt": belt})
    >>> bool(out.set_index("id").loc["beishichang", "belt_pc"] == 0)
    True
    """
    require_layer(features, "features", polygons=True)
    out = features.copy()
    area = geodesic_area(features).to_numpy() * 1e6
    for name, overlay in overlays.items():
        require_layer(overlay, name, polygons=True)
        require_same_crs(("features", features), (name, overlay))
        dissolved = shapely.union_all(overlay.geometry.values)
        covered = (
            geodesic_area(
                gpd.GeoDataFrame(geometry=shapely.intersection(features.geometry.values, dissolved), crs=features.crs)
            ).to_numpy()
            * 1e6
        )
        out[f"{name}_area"] = covered
        out[f"{name}_pc"] = np.where(area > 0, 100.0 * covered / area, np.nan)
    return out
