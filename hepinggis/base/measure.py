"""Areas and lengths on the ellipsoid (pyproj.Geod) and in CGCS2000 / 3-degree GK CM 123E (EPSG:4550).

Never in degrees: a layer without a CRS is refused rather than guessed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from hepinggis._strict import require_projected
from hepinggis.base._renamed import renamed
from hepinggis.errors import LayerCRSError

__all__ = ["MEASURE_CRS", "geodesic_area", "geodesic_length", "projected_area", "projected_length"]

#: CGCS2000 / 3-degree Gauss-Kruger CM 123E, the planners' projected CRS for Shenyang (123.4°E).
MEASURE_CRS = "EPSG:4550"

_GEOD = Geod(ellps="WGS84")
_AREAL = {"Polygon", "MultiPolygon", "GeometryCollection"}


def _lonlat(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if frame.crs is None:
        raise LayerCRSError(
            "the layer has no CRS; set it (e.g. frame.set_crs(4326)) instead of letting hepinggis guess"
        )
    geoms = frame.geometry
    return geoms if frame.crs.to_epsg() == 4326 else geoms.to_crs(4326)


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    if frame.crs is None:
        raise LayerCRSError(
            "the layer has no CRS; set it (e.g. frame.set_crs(4326)) instead of letting hepinggis guess"
        )
    return frame.geometry.to_crs(MEASURE_CRS)


@renamed(frame="features")
def geodesic_area(features: gpd.GeoDataFrame) -> pd.Series:
    """Area of each feature on the WGS 84 ellipsoid, in km².

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Any layer with a CRS; it is converted to lon/lat for the computation. ``frame=`` is its
        old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``geodesic_area_km2``, aligned to ``features.index`` (0 for points and lines).

    Examples
    --------
    >>> import hepinggis
    >>> round(float(hepinggis.geodesic_area(hepinggis.load("district")).iloc[0]), 1)
    60.0
    """
    geoms = _lonlat(features)
    values = [
        float("nan") if g is None else abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 if g.geom_type in _AREAL else 0.0
        for g in geoms
    ]
    return pd.Series(values, index=features.index, name="geodesic_area_km2")


@renamed(frame="features")
def projected_area(features: gpd.GeoDataFrame) -> pd.Series:
    """Area of each feature in EPSG:4550 (CGCS2000 / 3-degree Gauss-Kruger CM 123E), in km².

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Any layer with a CRS; it is projected to EPSG:4550 for the computation. ``frame=`` is its
        old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``epsg4550_area_km2``, aligned to ``features.index``.

    Examples
    --------
    >>> import hepinggis
    >>> round(float(hepinggis.projected_area(hepinggis.load("district")).iloc[0]), 1)
    60.0
    """
    return pd.Series(_projected(features).area.to_numpy() / 1e6, index=features.index, name="epsg4550_area_km2")


@renamed(frame="features")
def geodesic_length(features: gpd.GeoDataFrame) -> pd.Series:
    """Length of each feature on the WGS 84 ellipsoid, in km (perimeter for polygons).

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Any layer with a CRS; it is converted to lon/lat for the computation. ``frame=`` is its
        old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``geodesic_length_km``, aligned to ``features.index`` (0 for points).

    Examples
    --------
    >>> import hepinggis
    >>> axes = hepinggis.load("axes")
    >>> float(hepinggis.geodesic_length(axes).max()) > 5
    True
    """
    geoms = _lonlat(features)
    values = [_GEOD.geometry_length(g) / 1e3 if g is not None else float("nan") for g in geoms]
    return pd.Series(values, index=features.index, name="geodesic_length_km")


@renamed(frame="features")
def projected_length(features: gpd.GeoDataFrame) -> pd.Series:
    """Length of each feature in EPSG:4550, in km (perimeter for polygons).

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        Any layer with a CRS; it is projected to EPSG:4550 for the computation. ``frame=`` is its
        old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``epsg4550_length_km``, aligned to ``features.index``.

    Examples
    --------
    >>> import hepinggis
    >>> axes = hepinggis.load("axes")
    >>> bool((hepinggis.projected_length(axes) - hepinggis.geodesic_length(axes)).abs().max() < 0.01)
    True
    """
    return pd.Series(_projected(features).length.to_numpy() / 1e3, index=features.index, name="epsg4550_length_km")


@renamed(frame="features")
def planar_area(features: gpd.GeoDataFrame) -> pd.Series:
    """Area in the layer's own projected CRS, in km²; no reprojection and no guess.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        A layer in a projected CRS (metres). ``frame=`` is its old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``planar_area_km2``, aligned to ``features.index``.

    Raises
    ------
    GeographicCRSError
        The layer is in lon/lat (a planar measure would be in degrees).

    Examples
    --------
    >>> import hepinggis
    >>> hepinggis.planar_area(hepinggis.load("zones"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hepinggis.errors.GeographicCRSError: planar_area: a planar measure of EPSG:4326 would be in degrees; ...
    >>> round(float(hepinggis.planar_area(hepinggis.load("zones").to_crs(hepinggis.MEASURE_CRS)).sum()), 1)
    60.0
    """
    require_projected(features, "planar_area")
    return pd.Series(features.geometry.area.to_numpy() / 1e6, index=features.index, name="planar_area_km2")


@renamed(frame="features")
def planar_length(features: gpd.GeoDataFrame) -> pd.Series:
    """Length in the layer's own projected CRS, in km; no reprojection and no guess.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        A layer in a projected CRS (metres). ``frame=`` is its old name (deprecated, warns).

    Returns
    -------
    pandas.Series
        ``planar_length_km``, aligned to ``features.index``.

    Raises
    ------
    GeographicCRSError
        The layer is in lon/lat (a planar measure would be in degrees).

    Examples
    --------
    >>> import hepinggis
    >>> axes = hepinggis.load("axes").to_crs(hepinggis.MEASURE_CRS)
    >>> bool((hepinggis.planar_length(axes) - hepinggis.projected_length(axes)).abs().max() < 1e-9)
    True
    """
    require_projected(features, "planar_length")
    return pd.Series(features.geometry.length.to_numpy() / 1e3, index=features.index, name="planar_length_km")


def geodesic_area_of(geoms: object, crs: object) -> np.ndarray:
    """`geodesic_area` of bare geometries (a list or array) in ``crs``, as a numpy array of km²."""
    return geodesic_area(gpd.GeoDataFrame(geometry=list(geoms), crs=crs)).to_numpy()  # type: ignore[call-overload]


def geodesic_length_of(geoms: object, crs: object) -> np.ndarray:
    """`geodesic_length` of bare geometries (a list or array) in ``crs``, as a numpy array of km."""
    return geodesic_length(gpd.GeoDataFrame(geometry=list(geoms), crs=crs)).to_numpy()  # type: ignore[call-overload]
