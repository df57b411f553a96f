"""Validation of a layer against its catalogue entry: the one place where layer rules live.

`find_problems` lists every problem (``hepinggis check`` reports them all); `raise_problems` turns
them into the domain exception of the first kind found, naming the file, row, feature and field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from hepinggis.base._catalogue import LayerSpec
from hepinggis.errors import HepingGISError, InvalidGeometryError, LayerCRSError, LayerSchemaError

__all__ = ["Problem", "find_problems", "is_wgs84", "raise_problems"]

_KIND_ERRORS: dict[str, type[HepingGISError]] = {
    "crs": LayerCRSError,
    "schema": LayerSchemaError,
    "geometry": InvalidGeometryError,
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: which layer and file, which row/feature/field, and why."""

    layer: str
    file: str
    kind: str  # "crs", "schema" or "geometry"
    message: str
    row: int | None = None
    feature_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.feature_id is not None:
            where.append(f"feature {self.feature_id!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}"


def is_wgs84(crs: object) -> bool:
    """True for EPSG:4326 or OGC:CRS84 (GeoJSON's lon/lat WGS 84)."""
    if crs is None:
        return False
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    return c.to_epsg() == 4326 or c.equals(CRS.from_user_input("OGC:CRS84"))


def _type_ok(value: object, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, (int, float)) and math.isfinite(float(value))


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def find_problems(frame: gpd.GeoDataFrame, spec: LayerSpec, file: str) -> list[Problem]:
    """Return every way ``frame`` breaks ``spec`` (empty list when it is clean)."""
    out: list[Problem] = []

    def add(
        kind: str, message: str, row: int | None = None, fid: str | None = None, fieldname: str | None = None
    ) -> None:
        out.append(Problem(spec.name, file, kind, message, row, fid, fieldname))

    if not is_wgs84(frame.crs):
        add("crs", f"CRS is {frame.crs or 'missing'}; layers must be stored in EPSG:4326 (lon, lat)")
    if len(frame) == 0:
        add("schema", "the layer has no features")
        return out
    missing = [f.name for f in spec.fields if f.name not in frame.columns]
    for name in missing:
        add("schema", "required field is missing from the layer", fieldname=name)
    ids = frame["id"] if "id" in frame.columns else pd.Series([None] * len(frame), index=frame.index)
    for row, (idx, rec) in enumerate(frame.iterrows()):
        fid = None if _is_null(ids.loc[idx]) else str(ids.loc[idx])
        for f in spec.fields:
            if f.name in missing:
                continue
            value = rec[f.name]
            if _is_null(value):
                if not f.nullable:
                    add("schema", "value is missing (null) but required", row, fid, f.name)
                continue
            if not _type_ok(value, f.type):
                add("schema", f"value {value!r} is not of type {f.type}", row, fid, f.name)
            elif f.name in spec.enums and value not in spec.enums[f.name]:
                allowed = ", ".join(spec.enums[f.name])
                add("schema", f"value {value!r} is not one of: {allowed}", row, fid, f.name)
        geom = rec.geometry
        if geom is None or geom.is_empty:
            add("geometry", "geometry is empty", row, fid)
        elif geom.geom_type not in spec.geometry_types:
            add("geometry", f"geometry type {geom.geom_type} is not one of {', '.join(spec.geometry_types)}", row, fid)
        elif not geom.is_valid:
            add("geometry", f"geometry is invalid: {shapely.is_valid_reason(geom)}", row, fid)
    if "id" in frame.columns:
        dup = ids[ids.duplicated(keep="first") & ids.notna()]
        for idx, value in dup.items():
            add(
                "schema",
                f"id {value!r} is used by more than one feature",
                int(frame.index.get_loc(idx)),
                str(value),
                "id",
            )
        if spec.ids is not None:
            present = set(ids.dropna().astype(str))
            for expected in spec.ids:
                if expected not in present:
                    add(
                        "schema",
                        f"feature {expected!r} is missing (expected ids: {', '.join(spec.ids)})",
                        fieldname="id",
                    )
            for extra in sorted(present - set(spec.ids)):
                add(
                    "schema",
                    f"unexpected feature id {extra!r} (expected ids: {', '.join(spec.ids)})",
                    fid=extra,
                    fieldname="id",
                )
    return out


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the domain error for the first problem, listing all of them; do nothing if none."""
    if not problems:
        return
    first = problems[0]
    lines = "\n  ".join(str(p) for p in problems[:20])
    more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
    raise _KIND_ERRORS[first.kind](f"layer {first.layer!r} is broken:\n  {lines}{more}")
