"""Apportioning a 街道-level table (population, firms …) onto zones by area weights, strictly."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis._strict import require_column, require_layer, require_same_crs
from hepinggis.base._renamed import renamed
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import InvalidOptionError, LayerSchemaError

__all__ = ["apportion_to_zones"]


def _measured(layer: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return layer.geometry.to_crs(MEASURE_CRS).reset_index(drop=True)


def _intersection_areas(table: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    """The n_sources × n_zones matrix of intersection areas in m², measured in EPSG:4550.

    ``geopandas.overlay`` does the geometry; this is tobler's ``area_interpolate`` table without
    the 17 packages tobler brings (rasterio, statsmodels, libpysal …) for one matrix.
    """
    src = gpd.GeoDataFrame({"_i": np.arange(len(table))}, geometry=_measured(table))
    dst = gpd.GeoDataFrame({"_j": np.arange(len(zones))}, geometry=_measured(zones))
    pieces = gpd.overlay(src, dst, how="intersection", keep_geom_type=True)
    areas = np.zeros((len(table), len(zones)))
    np.add.at(areas, (pieces["_i"].to_numpy(), pieces["_j"].to_numpy()), pieces.geometry.area.to_numpy())
    return areas


@renamed(table="features")
def apportion_to_zones(
    features: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    extensive: Sequence[str] = (),
    intensive: Sequence[str] = (),
    zone_id: str = "id",
    allocate_total: bool = False,
) -> pd.DataFrame:
    """Area-weighted interpolation of source polygons' variables onto zones.

    Extensive variables (counts: population, firms) are split by the share of each source polygon's
    area that falls in a zone; intensive ones (rates, densities) are averages weighted by the area
    each source shares with the zone. Both layers must share a CRS and have valid polygons; the
    areas are measured in EPSG:4550 (the layers are reprojected, never measured in degrees). The
    figures are those of ``tobler.area_weighted.area_interpolate`` with the same options.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Source polygons (e.g. the 10 街道) with the numeric columns to move, none missing.
        ``table=`` is its old name (deprecated, warns).
    zones : geopandas.GeoDataFrame
        Target polygons, with an id column ``zone_id``.
    extensive, intensive : sequence of str
        Columns of ``features`` to move as counts (split by area) or as rates (area-weighted average).
    zone_id : str, default ``"id"``
        The column of ``zones`` that indexes the result.
    allocate_total : bool, default False
        ``False`` gives each zone the share of a source's value equal to the share of the source's
        *area* inside the zone, so a source half outside every zone keeps half its value outside;
        ``True`` hands the whole value to the zones it touches.

    Returns
    -------
    pandas.DataFrame
        Indexed by zone id in the order of ``zones``, one column per variable.

    Examples
    --------
    >>> import hepinggis
    >>> jiedao = hepinggis.load("jiedao").assign(firms=1000.0)
    >>> out = hepinggis.apportion_to_zones(jiedao, hepinggis.load("zones"), extensive=["firms"])
    >>> round(float(out["firms"].sum()))
    10000
    """
    if not extensive and not intensive:
        raise InvalidOptionError("name at least one extensive or intensive variable")
    require_layer(features, "features", polygons=True)
    require_layer(zones, "zones", polygons=True)
    require_same_crs(("features", features), ("zones", zones))
    require_column(zones, zone_id, "zones")
    for col in [*extensive, *intensive]:
        require_column(features, col, "features")
        if not pd.api.types.is_numeric_dtype(features[col]):
            raise LayerSchemaError(f"features: column {col!r} is not numeric ({features[col].dtype})")
        if features[col].isna().any():
            raise LayerSchemaError(
                f"features: column {col!r} has missing values in rows {list(features.index[features[col].isna()])[:5]}"
            )
        if not np.isfinite(features[col].to_numpy(dtype=float)).all():
            raise LayerSchemaError(f"features: column {col!r} has infinite values")
    areas = _intersection_areas(features, zones)
    out = pd.DataFrame(index=pd.Index(zones[zone_id].to_numpy(), name=zone_id))
    if extensive:
        # share of each source in each zone: of its own area, or of the part that falls in zones
        den = areas.sum(axis=1) if allocate_total else features.geometry.to_crs(MEASURE_CRS).area.to_numpy()
        weights = areas / np.where(den == 0, 1.0, den)[:, None]
        for col in extensive:
            out[col] = features[col].to_numpy(dtype=float) @ weights
    if intensive:
        # each zone's average of the sources, weighted by the area they share with it
        den = areas.sum(axis=0)
        weights = areas / np.where(den == 0, 1.0, den)[None, :]
        for col in intensive:
            out[col] = features[col].to_numpy(dtype=float) @ weights
    return out[[*extensive, *intensive]]
