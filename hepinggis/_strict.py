"""Strict checks for analysis inputs: where geopandas only warns or returns nothing, hepinggis raises."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import shapely

from hepinggis.errors import (
    CRSMismatchError,
    EmptyLayerError,
    GeographicCRSError,
    HepingGISError,
    InvalidGeometryError,
    LayerCRSError,
    LayerSchemaError,
    UnknownIdError,
)

__all__ = ["require_column", "require_ids", "require_layer", "require_projected", "require_same_crs"]


def require_layer(frame: gpd.GeoDataFrame, what: str, *, polygons: bool = False, allow_empty: bool = False) -> None:
    """A GeoDataFrame with a CRS and valid, non-empty geometries (polygons if asked); it must have
    features unless ``allow_empty`` (a project list of none is a list, not an error).

    Every problem is found before raising, as osmnx's ``_validate`` does: one error lists every
    row with an empty or invalid geometry (and a missing CRS, and geometries that are not
    polygons) at once, in Chinese, so that one round of fixes suffices. The error is of the class
    of the first problem (CRS before geometry before type) and carries the list as ``problems``.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise LayerSchemaError(f"{what}: expected a GeoDataFrame, got {type(frame).__name__}")
    if len(frame) == 0 and not allow_empty:
        raise EmptyLayerError(f"{what}: the layer has no features（图层没有要素）")
    found: list[tuple[type[HepingGISError], str]] = []
    if frame.crs is None:
        found.append((LayerCRSError, "图层没有坐标系 (no CRS)；请先设置（frame.set_crs(…)），hepinggis 不猜测坐标系"))
    geoms = frame.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in missing.nonzero()[0]:
        found.append((InvalidGeometryError, f"{_label(frame, int(i))}：几何为空 (empty geometry)"))
    invalid = ~missing & ~shapely.is_valid(geoms)
    for i in invalid.nonzero()[0]:
        reason = shapely.is_valid_reason(geoms[int(i)])
        found.append(
            (InvalidGeometryError, f"{_label(frame, int(i))}：几何无效 {reason}（可用 shapely.make_valid 修复）")
        )
    if polygons:
        kinds = set(frame.geom_type.dropna())
        if not kinds <= {"Polygon", "MultiPolygon"}:
            found.append((LayerSchemaError, f"应为面 (expected polygons)，实为 {', '.join(sorted(kinds))}"))
    if found:
        lines = "\n  ".join(text for _, text in found[:_SHOWN])
        more = f"\n  ……另有 {len(found) - _SHOWN} 处" if len(found) > _SHOWN else ""
        error = found[0][0](f"{what}：{len(found)} 处问题：\n  {lines}{more}")
        error.problems = tuple(text for _, text in found)
        raise error


#: How many problems an error message lists (all are in the error's ``problems``).
_SHOWN = 20


def _label(frame: gpd.GeoDataFrame, i: int) -> str:
    idx = frame.index[i]
    fid = frame["id"].iloc[i] if "id" in frame.columns else None
    where = f"{frame['row'].iloc[i]} of the file" if "row" in frame.columns else f"{idx!r}"  # an import's own numbers
    return f"row {where}" + (f" (id {fid!r})" if fid is not None else "")


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
