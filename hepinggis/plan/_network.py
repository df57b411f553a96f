"""Line-network geometry for digitizing: outline stretches, snapping, noding and face assignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from hepinggis.errors import DigitizeError

__all__ = ["Network", "edge_stretch", "metres", "snap_ends", "to_lonlat", "to_metric"]

SNAP_M = 5.0
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4550", always_xy=True)
_TO_DEG = Transformer.from_crs("EPSG:4550", "EPSG:4326", always_xy=True)


def _apply(transformer: Transformer, geom: BaseGeometry) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """Lon/lat (EPSG:4326) to EPSG:4550 metres."""
    return _apply(_TO_M, geom)


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """EPSG:4550 metres back to lon/lat."""
    return _apply(_TO_DEG, geom)


def metres(a: Sequence[float], b: Sequence[float]) -> float:
    """Distance in metres between two lon/lat points (EPSG:4550, ample for a few km)."""
    pa, pb = to_metric(Point(a)), to_metric(Point(b))
    return float(pa.distance(pb))


def edge_stretch(ring: LineString, start: Sequence[float], end: Sequence[float]) -> LineString:
    """The shorter of the two stretches of the closed ``ring`` between the points nearest ``start``
    and ``end``, running from ``start`` to ``end``; ends within `SNAP_M` of a vertex land on it."""
    d0, d1 = ring.project(Point(start)), ring.project(Point(end))
    lo, hi = sorted((d0, d1))
    inside = substring(ring, lo, hi)
    outside_head, outside_tail = substring(ring, hi, ring.length), substring(ring, 0, lo)
    if inside.length <= ring.length / 2:
        piece = inside if d0 <= d1 else inside.reverse()
    else:
        wrapped = LineString(list(outside_head.coords) + list(outside_tail.coords)[1:])
        piece = wrapped if d0 >= d1 else wrapped.reverse()
    assert isinstance(piece, LineString)
    return snap_ends(piece, ring)


def snap_ends(line: LineString, ring: LineString, *, tolerance_m: float = SNAP_M) -> LineString:
    """Move each end of ``line`` that lies within ``tolerance_m`` of a ring vertex onto that vertex."""
    coords = [tuple(c) for c in line.coords]
    ring_xy = np.asarray(ring.coords)
    ring_m = np.asarray(to_metric(LineString(ring_xy)).coords)
    for i in (0, -1):
        p = np.asarray(to_metric(Point(coords[i])).coords[0])
        dist = np.hypot(*(ring_m - p).T)
        j = int(np.argmin(dist))
        if dist[j] <= tolerance_m:
            coords[i] = (float(ring_xy[j, 0]), float(ring_xy[j, 1]))
    return LineString(coords)


class Network:
    """The outline ring plus inner lines, noded; its faces partition the outline."""

    def __init__(self, outline: Polygon, inner: Mapping[str, LineString]) -> None:
        self.outline = outline
        self.ring = LineString(outline.exterior.coords)
        noded = shapely.union_all([self.ring, *inner.values()])
        polys, _cuts, dangles, invalid = shapely.polygonize_full(shapely.get_parts(noded))
        if not invalid.is_empty:
            raise DigitizeError(f"the line network has invalid rings near {invalid.representative_point()}")
        self.dangles = dangles
        self.faces = [p for p in shapely.get_parts(polys) if outline.contains(p.representative_point())]
        covered = shapely.union_all(self.faces)
        gap = to_metric(outline.difference(covered)).area
        if gap > 1.0:
            raise DigitizeError(
                f"the faces leave {gap:.0f} m² of the outline uncovered near "
                f"{outline.difference(covered).representative_point()}: "
                "an inner line does not reach the line it should end on"
            )

    def clean(self, line: LineString, name: str) -> LineString | MultiLineString:
        """``line`` clipped to the outline without its dangling overshoots."""
        clipped = line.intersection(self.outline)
        if clipped.is_empty:
            raise DigitizeError(f"line {name!r} lies outside the district outline")
        if not self.dangles.is_empty:
            clipped = clipped.difference(self.dangles)
        merged = shapely.line_merge(clipped)
        if merged.is_empty:
            raise DigitizeError(
                f"line {name!r} is a dangle: both its ends must lie on the outline or on another "
                "line (extend it a few metres past the line it should meet)"
            )
        assert isinstance(merged, (LineString, MultiLineString))
        return merged

    def assign(self, labels: Mapping[str, Sequence[Sequence[float]]]) -> dict[str, Polygon]:
        """Union the faces by label: every face must hold exactly one label point."""
        owner: dict[int, str] = {}
        for key, points in labels.items():
            for pt in points:
                hits = [i for i, f in enumerate(self.faces) if f.contains(Point(pt))]
                if len(hits) != 1:
                    raise DigitizeError(
                        f"label point {tuple(pt)} of {key!r} lies in {len(hits)} faces; move it inside exactly one face"
                    )
                if hits[0] in owner and owner[hits[0]] != key:
                    raise DigitizeError(f"a face near {tuple(pt)} is labelled both {owner[hits[0]]!r} and {key!r}")
                owner[hits[0]] = key
        for i, face in enumerate(self.faces):
            if i not in owner:
                area = to_metric(face).area / 1e6
                raise DigitizeError(
                    f"the face of {area:.3f} km² around {face.representative_point()} has no "
                    "label point: add one to a 街道 in geodata/src/plan.json"
                )
        out: dict[str, Polygon] = {}
        for key in labels:
            parts = [f for i, f in enumerate(self.faces) if owner.get(i) == key]
            merged = shapely.union_all(parts)
            out[key] = merged
        return out
