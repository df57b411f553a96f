"""Apportioning a 街道-level table (population, firms …) onto zones with tobler, strictly."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from hepinggis._strict import require_column, require_layer, require_same_crs
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import HepingGISError, InvalidOptionError, LayerSchemaError

__all__ = ["apportion_to_zones"]


def apportion_to_zones(
    table: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    extensive: Sequence[str] = (),
    intensive: Sequence[str] = (),
    zone_id: str = "id",
    allocate_total: bool = False,
) -> pd.DataFrame:
    """Area-weighted interpolation of source polygons' variables onto zones (tobler).

    Extensive variables (counts: population, firms) are split by the share of each source polygon's
    area that falls in a zone; intensive ones (rates, densities) are area-weighted averages. Both
    layers must share a CRS and have valid polygons; the areas are computed in EPSG:4550 (tobler
    measures planar areas, so the layers are reprojected explicitly rather than measured in degrees).
    Any warning tobler raises is turned into an error.

    ``allocate_total=False`` (the default) gives each zone the share of a source polygon's value
    equal to the share of its *area* inside the zone, so a source half outside every zone keeps
    half its value outside; ``True`` hands the whole value to the zones it touches (tobler's default).

    Returns
    -------
    pandas.DataFrame
        Indexed by zone id, one column per variable.

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
    require_layer(table, "table", polygons=True)
    require_layer(zones, "zones", polygons=True)
    require_same_crs(("table", table), ("zones", zones))
    require_column(zones, zone_id, "zones")
    for col in [*extensive, *intensive]:
        require_column(table, col, "table")
        if not pd.api.types.is_numeric_dtype(table[col]):
            raise LayerSchemaError(f"table: column {col!r} is not numeric ({table[col].dtype})")
        if table[col].isna().any():
            raise LayerSchemaError(
                f"table: column {col!r} has missing values in rows {list(table.index[table[col].isna()])[:5]}"
            )
    from tobler.area_weighted import area_interpolate

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = area_interpolate(
                source_df=table.to_crs(MEASURE_CRS),
                target_df=zones.to_crs(MEASURE_CRS),
                extensive_variables=list(extensive) or None,
                intensive_variables=list(intensive) or None,
                allocate_total=allocate_total,
            )
        except Warning as exc:
            raise HepingGISError(f"tobler warned, so the result is not trusted: {exc}") from exc
    out = pd.DataFrame(result.drop(columns=result.geometry.name))
    out.index = pd.Index(zones[zone_id].to_numpy(), name=zone_id)
    return out[[*extensive, *intensive]]
