"""Writing layers as diff-friendly RFC 7946 GeoJSON.

Hand-written rather than GDAL's GeoJSON driver because the layers need a FeatureCollection-level
``metadata`` member (e.g. the sub-areas that could not be placed) and a fixed layout (one feature
per line, property order from the catalogue) so that rebuilding is byte-for-byte reproducible and
git diffs stay readable. Geometry still goes through shapely (precision grid, RFC 7946 winding).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

__all__ = ["DECIMALS", "normalise", "write_collection"]

DECIMALS = 7


def normalise(geom: BaseGeometry) -> BaseGeometry:
    """Snap to the 1e-7 degree grid (keeping validity) and wind polygons as RFC 7946 asks.

    Polygons are also put in GEOS's canonical vertex order first, so that normalising twice gives
    the same coordinates (set_precision may rotate a ring's first vertex); lines keep their direction.
    """
    snapped = shapely.set_precision(geom, 10.0**-DECIMALS)
    snapped = shapely.transform(snapped, lambda xy: np.round(xy, DECIMALS))
    if snapped.geom_type in ("Polygon", "MultiPolygon"):
        snapped = shapely.normalize(snapped)
    return shapely.orient_polygons(snapped)


def _coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        return [_coords(o) for o in obj]
    return round(float(obj), DECIMALS)


def _geometry(geom: BaseGeometry) -> dict[str, Any]:
    gj = mapping(normalise(geom))
    return {"type": gj["type"], "coordinates": _coords(gj["coordinates"])}


def write_collection(
    path: Path,
    name: str,
    features: Iterable[tuple[Mapping[str, Any], BaseGeometry]],
    *,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write ``(properties, geometry)`` pairs as a FeatureCollection, one feature per line."""
    head: dict[str, Any] = {"type": "FeatureCollection", "name": name}
    if metadata:
        head["metadata"] = metadata
    lines = []
    for props, geom in features:
        feature = {"type": "Feature", "properties": dict(props), "geometry": _geometry(geom)}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = ",\n".join(lines)
    path.write_text(f'{text},"features":[\n{body}\n]}}\n', encoding="utf-8", newline="\n")
