"""Inner boundary lines edited in a GIS, merged back into geodata/src/lines.json."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from hepinggis.errors import DigitizeError
from hepinggis.plan._faces import grid
from hepinggis.plan._network import edge_stretch, to_lonlat, to_metric

__all__ = ["EXTEND_M", "merge_edited_lines"]


EXTEND_M = 3.0  # edited lines are extended this far past their ends, so that they cross what they meet


def _extend(line: LineString, metres: float) -> LineString:
    m = to_metric(line)
    xy = list(m.coords)

    def push(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float]:
        dx, dy = a[0] - b[0], a[1] - b[1]
        n = (dx * dx + dy * dy) ** 0.5 or 1.0
        return (a[0] + dx / n * metres, a[1] + dy / n * metres)

    out = LineString([push(xy[0], xy[1]), *xy[1:-1], push(xy[-1], xy[-2])])
    result = to_lonlat(out)
    assert isinstance(result, LineString)
    return result


def merge_edited_lines(
    lines_src: Mapping[str, Any],
    edited: gpd.GeoDataFrame,
    outline: Polygon,
    current: Mapping[str, BaseGeometry],
) -> tuple[dict[str, Any], list[str]]:
    """``lines_src`` (the content of lines.json) with the inner lines replaced by their edited
    geometry from ``edited`` (a ``boundary_lines`` layer, e.g. as ``hepinggis export`` wrote it and
    QGIS edited it). Each edited line is extended by `EXTEND_M` past both ends so that it crosses the
    line or outline it meets again (the overshoot is removed when the network is built). Edge lines
    follow the district outline and cannot be edited here: a moved one is an error. Returns the new
    content and the ids whose geometry changed (compared with ``current``, the lines as built)."""
    if "id" not in edited.columns:
        raise DigitizeError("the edited layer has no 'id' column: export it with hepinggis export and edit that")
    if edited.crs is None:
        raise DigitizeError("the edited layer has no CRS; hepinggis does not guess")
    edited = edited.to_crs(4326)
    known = {e["id"]: e for e in lines_src["boundary_lines"]}
    unknown = sorted(set(edited["id"]) - set(known))
    if unknown:
        raise DigitizeError(f"the edited layer has lines that lines.json does not know: {', '.join(unknown)}")
    dup = edited["id"][edited["id"].duplicated()].tolist()
    if dup:
        raise DigitizeError(f"the edited layer has line {dup[0]!r} more than once; merge its parts into one line")
    out = json.loads(json.dumps(lines_src))
    by_id = {e["id"]: e for e in out["boundary_lines"]}
    ring = LineString(outline.exterior.coords)
    changed = []
    for fid, geom in zip(edited["id"], edited.geometry.values, strict=True):
        entry = by_id[fid]
        merged = shapely.line_merge(geom) if geom is not None and not isinstance(geom, LineString) else geom
        if not isinstance(merged, LineString) or merged.is_empty:
            raise DigitizeError(
                f"edited line {fid!r} must be one continuous line (it is {getattr(geom, 'geom_type', None)})"
            )
        if "edge" in entry:
            stretch = edge_stretch(ring, *entry["edge"])
            moved = to_metric(merged).hausdorff_distance(to_metric(stretch))
            if moved > 1.0:
                raise DigitizeError(
                    f"edge line {fid!r} follows the district outline and moved {moved:.0f} m; edit the district "
                    "outline instead, or turn the line into an inner line in lines.json"
                )
            continue
        if to_metric(merged).hausdorff_distance(to_metric(current[fid])) <= 0.5:
            continue  # unchanged (within the export's rounding)
        entry["inner"] = [[grid(x), grid(y)] for x, y in _extend(merged, EXTEND_M).coords]
        note = "Edited in a GIS and re-imported with hepinggis digitize --lines."
        if note not in entry["method"]:
            entry["method"] = f"{entry['method']} {note}"
        changed.append(fid)
    return out, changed
