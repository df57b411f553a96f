"""Strict checks for analysis inputs: where geopandas only warns or returns nothing, hepinggis raises."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import shapely

from hepinggis.errors import (
    CRSMismatchError,
    EmptyLayerError,
    GeographicCRSError,
    InvalidGeometryError,
    LayerCRSError,
    LayerSchemaError,
    UnknownIdError,
)

__all__ = ["require_column", "require_ids", "require_layer", "require_projected", "require_same_crs"]


def require_layer(frame: gpd.GeoDataFrame, what: str, *, polygons: bool = False, allow_empty: bool = False) -> None:
    """A GeoDataFrame with a CRS and valid, non-empty geometries (polygons if asked); it must have
    features unless ``allow_empty`` (a project list of none is a list, not an error)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LayerSchemaError(f"{what}: expected a GeoDataFrame, got {type(frame).__name__}")
    if len(frame) == 0 and not allow_empty:
        raise EmptyLayerError(f"{what}: the layer has no features")
    if frame.crs is None:
        raise LayerCRSError(f"{what}: the layer has no CRS; set it (frame.set_crs(…)) — hepinggis does not guess")
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InvalidGeometryError(f"{what}: row {_label(frame, missing)} has an empty geometry")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        i = int(invalid.nonzero()[0][0])
        raise InvalidGeometryError(
            f"{what}: row {_label(frame, invalid)} has an invalid geometry: "
            f"{shapely.is_valid_reason(geoms[i])} (fix it with shapely.make_valid)"
        )
    if polygons:
        kinds = set(frame.geom_type)
        if not kinds <= {"Polygon", "MultiPolygon"}:
            raise LayerSchemaError(f"{what}: expected polygons, found {', '.join(sorted(kinds))}")


def _label(frame: gpd.GeoDataFrame, mask: Iterable[bool]) -> str:
    i = next(k for k, m in enumerate(mask) if m)
    idx = frame.index[i]
    fid = frame["id"].iloc[i] if "id" in frame.columns else None
    where = f"{frame['row'].iloc[i]} of the file" if "row" in frame.columns else f"{idx!r}"  # an import's own numbers
    return where + (f" (id {fid!r})" if fid is not None else "")


def require_same_crs(*frames: tuple[str, gpd.GeoDataFrame]) -> None:
    """All frames share one CRS; otherwise say which differ (no silent reprojection)."""
    first_name, first = frames[0]
    for name, frame in frames[1:]:
        if not first.crs.equals(frame.crs):
            raise CRSMismatchError(
                f"{first_name} is in {first.crs.to_string()} but {name} is in "
                f"{frame.crs.to_string()}; reproject one with .to_crs(…) first"
            )


def require_projected(frame: gpd.GeoDataFrame, what: str) -> None:
    """A planar measure needs metres: refuse lon/lat degrees."""
    if frame.crs is None:
        raise LayerCRSError(f"{what}: the layer has no CRS")
    if frame.crs.is_geographic:
        raise GeographicCRSError(
            f"{what}: a planar measure of {frame.crs.to_string()} would be in degrees; "
            "use the geodesic_* functions or .to_crs('EPSG:4550') first"
        )


def require_column(frame: gpd.GeoDataFrame, column: str, what: str) -> None:
    if column not in frame.columns:
        raise LayerSchemaError(f"{what}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")


def require_ids(frame: gpd.GeoDataFrame, column: str, ids: Iterable[str], what: str) -> None:
    require_column(frame, column, what)
    known = set(frame[column].astype(str))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UnknownIdError(
            f"{what}: unknown id(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}"
        )
