"""Areas and lengths on the ellipsoid (pyproj.Geod) and in CGCS2000 / 3-degree GK CM 123E (EPSG:4550).

Never in degrees: a layer without a CRS is refused rather than guessed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Geod

from hepinggis._strict import require_projected
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


def geodesic_area(frame: gpd.GeoDataFrame) -> pd.Series:
    """Area of each feature on the WGS 84 ellipsoid, in km².

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Any layer with a CRS; it is converted to lon/lat for the computation.

    Returns
    -------
    pandas.Series
        km², aligned to ``frame.index`` (0 for points and lines).

    Examples
    --------
    >>> import hepinggis
    >>> round(float(hepinggis.geodesic_area(hepinggis.load("district")).iloc[0]), 1)
    60.0
    """
    geoms = _lonlat(frame)
    values = [
        float("nan") if g is None else abs(_GEOD.geometry_area_perimeter(g)[0]) / 1e6 if g.geom_type in _AREAL else 0.0
        for g in geoms
    ]
    return pd.Series(values, index=frame.index, name="geodesic_area_km2")


def projected_area(frame: gpd.GeoDataFrame) -> pd.Series:
    """Area of each feature in EPSG:4550, in km², aligned to ``frame.index``.

    Examples
    --------
    >>> import hepinggis
    >>> round(float(hepinggis.projected_area(hepinggis.load("district")).iloc[0]), 1)
    60.0
    """
    return pd.Series(_projected(frame).area.to_numpy() / 1e6, index=frame.index, name="epsg4550_area_km2")


def geodesic_length(frame: gpd.GeoDataFrame) -> pd.Series:
    """Length of each feature on the WGS 84 ellipsoid, in km (perimeter for polygons).

    Examples
    --------
    >>> import hepinggis
    >>> axes = hepinggis.load("axes")
    >>> float(hepinggis.geodesic_length(axes).max()) > 5
    True
    """
    geoms = _lonlat(frame)
    values = [_GEOD.geometry_length(g) / 1e3 if g is not None else float("nan") for g in geoms]
    return pd.Series(values, index=frame.index, name="geodesic_length_km")


def projected_length(frame: gpd.GeoDataFrame) -> pd.Series:
    """Length of each feature in EPSG:4550, in km, aligned to ``frame.index``."""
    return pd.Series(_projected(frame).length.to_numpy() / 1e3, index=frame.index, name="epsg4550_length_km")


def planar_area(frame: gpd.GeoDataFrame) -> pd.Series:
    """Area in the frame's own projected CRS, in km²; raises `GeographicCRSError` for lon/lat.

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
    require_projected(frame, "planar_area")
    return pd.Series(frame.geometry.area.to_numpy() / 1e6, index=frame.index, name="planar_area_km2")


def planar_length(frame: gpd.GeoDataFrame) -> pd.Series:
    """Length in the frame's own projected CRS, in km; raises `GeographicCRSError` for lon/lat."""
    require_projected(frame, "planar_length")
    return pd.Series(frame.geometry.length.to_numpy() / 1e3, index=frame.index, name="planar_length_km")


def geodesic_area_of(geoms: object, crs: object) -> np.ndarray:
    """`geodesic_area` of bare geometries (a list or array) in ``crs``, as a numpy array of km²."""
    return geodesic_area(gpd.GeoDataFrame(geometry=list(geoms), crs=crs)).to_numpy()  # type: ignore[call-overload]


def geodesic_length_of(geoms: object, crs: object) -> np.ndarray:
    """`geodesic_length` of bare geometries (a list or array) in ``crs``, as a numpy array of km."""
    return geodesic_length(gpd.GeoDataFrame(geometry=list(geoms), crs=crs)).to_numpy()  # type: ignore[call-overload]
