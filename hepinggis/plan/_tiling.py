"""Whether the features of a layer tile the district, with a tolerance that is a distance.

Every gap or overlap between features, or between their union and the district outline, is a piece;
its *width* is twice the radius of the largest circle inside it. A piece no wider than the
tolerance (the accuracy the office states) is a difference of digitizing: `snap_to_tiling` gives it
to the neighbour (an overlap stays with one feature, a gap goes to the feature sharing most of its
edge, a sliver outside an adopted district is cut off) and reports what moved. A wider piece is a
fault naming the features, its width, its area and where it is. Holes are the district's own: a
district with an enclave is one feature with a hole, and 街道 with the matching hole tile it.

Measured in EPSG:4550. The outline is either authoritative (an adopted district: every difference
counts) or the bundled one (drawn from AMap): then a strip between the features and the outline is
a difference of outlines, reported against the accuracy the bundled lines state for that stretch
(`outline_band`) and never a fault, while a gap *between* features — a piece bounded mostly by
feature edges, even where it opens onto the outline — is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
import shapely.errors
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from hepinggis.base.measure import MEASURE_CRS

__all__ = [
    "APPROXIMATE_OUTLINE_M",
    "FAR_OUTSIDE_M",
    "MIN_AREA_M2",
    "Snapped",
    "TilingIssue",
    "outline_band",
    "piece_width",
    "safe_overlay",
    "snap_to_tiling",
    "tiling_issues",
]

#: A gap or overlap of at least this area (m²) is reported.
MIN_AREA_M2 = 1.0
#: A part of a feature farther than this (m) outside the district is refused.
FAR_OUTSIDE_M = 200.0
#: The bundled outline's accuracy (m) where no boundary line states one.
APPROXIMATE_OUTLINE_M = 30.0
#: A piece whose edge runs along feature edges for at least this share is a gap between features.
_BETWEEN_SHARE = 0.75
_TOUCH_M = 0.05
#: Pieces smaller than this (m²) are left as they are: numerical noise of the overlays.
_NOISE_M2 = 0.01
#: The grids GEOS falls back to on a robustness failure: 1 mm in EPSG:4550, about 1 mm in degrees.
_GRID_M = 1e-3
_GRID_DEG = 1e-8
_GRID_SNAP_DEG = 1e-9
_KIND_ORDER = {"far_outside": 0, "gap": 1, "overlap": 2, "uncovered": 3, "outside": 4, "outline_difference": 5}


@dataclass(frozen=True)
class TilingIssue:
    """One gap, overlap or piece outside; ``fault`` False for a difference from an approximate
    outline or a piece within the tolerance."""

    kind: str  # "gap", "overlap", "uncovered", "outside", "far_outside", "outline_difference"
    features: tuple[str, ...]
    area_m2: float
    lon: float
    lat: float
    fault: bool = True
    distance_m: float = 0.0  # the farthest point of a part outside, from the district
    nearest_m: float = 0.0  # its nearest point
    width_m: float = 0.0  # twice the radius of the largest circle inside the piece
    stated_m: float = 0.0  # for an outline difference: the accuracy the bundled outline states there
    beyond_m2: float = 0.0  # for an outline difference: its area beyond the accuracy each stretch states

    def text(self) -> str:
        """The issue in Chinese, e.g. ``新华街道 与 太原街街道 之间有 5,012 m² 的缝隙（最宽 12.3 m；约 …）``."""
        names = " 与 ".join(self.features) if self.features else "各要素"
        where = f"（约 东经 {self.lon:.5f}，北纬 {self.lat:.5f}）"
        wide = f"，最宽 {self.width_m:,.1f} m" if self.width_m else ""
        if self.kind == "gap":
            return f"{names} 之间有 {self.area_m2:,.0f} m² 的缝隙{wide}{where}"
        if self.kind == "overlap":
            return f"{names} 互相重叠 {self.area_m2:,.0f} m²{wide}{where}"
        if self.kind == "uncovered":
            return f"区界内有 {self.area_m2:,.0f} m²{wide} 不属于任何要素，邻接 {names}{where}"
        if self.kind == "outside":
            return f"{names} 有 {self.area_m2:,.0f} m²{wide} 超出区界{where}"
        if self.kind == "far_outside":
            return (
                f"{names} 有一部分（{self.area_m2:,.0f} m²）位于区界外 "
                f"{self.nearest_m:,.0f}–{self.distance_m:,.0f} m 处"
                f"（超过 {FAR_OUTSIDE_M:.0f} m）{where}"
            )
        stated = self.stated_m or APPROXIMATE_OUTLINE_M
        within = (
            f"其中 {self.beyond_m2:,.0f} m² 超出随包区界该段所述精度"
            if self.beyond_m2 >= MIN_AREA_M2
            else "都在随包区界该段所述精度内"
        )
        return (
            f"与随包区界（精度 ±{stated:g} m 以内）相差 {self.area_m2:,.0f} m²{wide}，{within}，"
            f"邻接 {names}{where}（仅供参考）"
        )


def _parts(geom: BaseGeometry) -> list[BaseGeometry]:
    polys = [q for p in shapely.get_parts(geom) for q in shapely.get_parts(p) if q.geom_type == "Polygon"]
    if geom.geom_type == "GeometryCollection":
        polys = [q for p in shapely.get_parts(geom) for q in _parts(p)]
    return [p for p in polys if not p.is_empty and p.area >= MIN_AREA_M2]


def safe_overlay(op: Callable[..., BaseGeometry], *args: BaseGeometry, grid: float) -> BaseGeometry:
    """``op(*args)``; where GEOS meets a numerical robustness failure (a non-noded intersection
    of nearly coincident edges), the same on a ``grid`` of the CRS's units (GEOS's own remedy)."""
    try:
        return op(*args)
    except shapely.errors.GEOSException:
        pass
    valid = [shapely.make_valid(a) for a in args]
    try:
        return op(*valid)
    except shapely.errors.GEOSException:
        pass
    return op(*[shapely.make_valid(shapely.set_precision(a, grid)) for a in valid], grid_size=grid)


def piece_width(piece: BaseGeometry) -> float:
    """Twice the radius of the largest circle inside ``piece`` (m), to a centimetre."""
    if piece.is_empty:
        return 0.0
    return 2.0 * float(shapely.maximum_inscribed_circle(piece, 0.01).length)


def _narrow(piece: BaseGeometry, tolerance_m: float) -> bool:
    """Whether ``piece`` is nowhere wider than ``tolerance_m``."""
    return tolerance_m > 0 and shapely.buffer(piece, -tolerance_m / 2).is_empty


def _lonlat(geom: BaseGeometry) -> tuple[float, float]:
    point = gpd.GeoSeries([geom.representative_point()], crs=MEASURE_CRS).to_crs(4326).iloc[0]
    return float(point.x), float(point.y)


def _touching(piece: BaseGeometry, names: list[str], tree: shapely.STRtree) -> tuple[str, ...]:
    hits = tree.query(piece.buffer(_TOUCH_M), predicate="intersects")
    return tuple(names[i] for i in sorted(hits))


def _between_share(piece: BaseGeometry, edges: BaseGeometry) -> float:
    ring = piece.boundary
    return float(ring.intersection(edges.buffer(_TOUCH_M)).length / ring.length) if ring.length else 0.0


def outline_band(district: BaseGeometry, lines: gpd.GeoDataFrame | None) -> BaseGeometry:
    """The strip along the bundled outline (EPSG:4550) within the accuracy each stretch states:
    the boundary lines that follow the outline, each buffered by its ``accuracy_m``, and
    `APPROXIMATE_OUTLINE_M` where no line states one."""
    band = [district.boundary.buffer(APPROXIMATE_OUTLINE_M)]
    if lines is not None and len(lines):
        metric = lines.to_crs(MEASURE_CRS)
        on_outline = metric[metric["source"].astype(str).str.contains("district_outline")]
        for geom, acc in zip(on_outline.geometry, on_outline["accuracy_m"].astype(float), strict=True):
            near = geom.intersection(district.boundary.buffer(1.0))
            if not near.is_empty and acc <= 150:  # the outline's own stretches, not lines across it
                band.append(near.buffer(acc))
    return shapely.union_all(band)


def _stated_at(piece: BaseGeometry, district: BaseGeometry, lines: gpd.GeoDataFrame | None) -> float:
    if lines is None or not len(lines):
        return APPROXIMATE_OUTLINE_M
    metric = lines.to_crs(MEASURE_CRS)
    on = metric[metric["source"].astype(str).str.contains("district_outline") & (metric["accuracy_m"] <= 150)]
    dist = on.distance(piece)
    near = on[dist <= 1.0]
    return float(near["accuracy_m"].max()) if len(near) else APPROXIMATE_OUTLINE_M


def tiling_issues(
    frame: gpd.GeoDataFrame,
    outline: gpd.GeoDataFrame | None,
    *,
    authoritative: bool = True,
    tolerance_m: float = 0.0,
    lines: gpd.GeoDataFrame | None = None,
) -> list[TilingIssue]:
    """Every gap, overlap and piece outside of the features of ``frame`` (named by ``name_zh``).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Polygon features with ``name_zh``, in any CRS.
    outline : geopandas.GeoDataFrame or None
        The district they must tile (holes included); None checks only between the features.
    authoritative : bool
        True for an adopted district (every difference is a fault); False for the bundled outline
        (differences along it are reported, not faults; gaps between features and parts farther
        than `FAR_OUTSIDE_M` outside remain faults).
    tolerance_m : float
        Pieces no wider than this (m) are not faults (`snap_to_tiling` removes them).
    lines : geopandas.GeoDataFrame, optional
        The bundled boundary lines: the accuracy each stretch of the bundled outline states.

    Returns
    -------
    list of TilingIssue
        Largest first within each kind; empty when the features tile.
    """
    metric = frame.to_crs(MEASURE_CRS)
    names = [str(n) for n in metric["name_zh"]]
    geoms = np.asarray([_valid_polygonal(g) for g in metric.geometry.values])
    found = _Found(names, shapely.STRtree(geoms), tolerance_m)
    left, right = found.tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            for piece in _parts(safe_overlay(shapely.intersection, geoms[i], geoms[j], grid=_GRID_M)):
                found.add("overlap", (names[i], names[j]), piece)
    union = safe_overlay(shapely.union_all, geoms, grid=_GRID_M)
    if outline is None:  # between the features only: a hole of their union inside none of them
        for poly in _parts(union):
            for ring in poly.interiors:
                hole = shapely.Polygon(ring)
                touching = found.touching(hole)
                if hole.area >= MIN_AREA_M2 and len(touching) >= 2:
                    found.add("gap", touching, hole)
        return found.sorted()
    district = shapely.union_all(outline.to_crs(MEASURE_CRS).geometry.values)
    band = outline_band(district, lines) if not authoritative else None
    edges = shapely.union_all([g.boundary for g in geoms])
    for piece in _parts(safe_overlay(shapely.difference, district, union, grid=_GRID_M)):
        _uncovered_piece(found, piece, edges, district, band, lines)
    reach = district.buffer(FAR_OUTSIDE_M)
    for k, geom in enumerate(geoms):
        for piece in _parts(safe_overlay(shapely.difference, geom, district, grid=_GRID_M)):
            far = piece.difference(reach)
            if far.area >= MIN_AREA_M2:
                dist = float(shapely.distance(shapely.points(shapely.get_coordinates(far)), district).max())
                near = float(shapely.distance(piece, district))
                found.add("far_outside", (names[k],), far, distance_m=dist, nearest_m=near)
            elif band is None:
                found.add("outside", (names[k],), piece)
            else:
                found.add_outline_difference((names[k],), piece, district, band, lines)
    return found.sorted()


@dataclass
class _Found:
    """The issues of one `tiling_issues` call, and what naming and filtering them needs."""

    names: list[str]
    tree: shapely.STRtree
    tolerance_m: float
    issues: list[TilingIssue] = field(default_factory=list)

    def add(self, kind: str, feats: tuple[str, ...], piece: BaseGeometry, *, fault: bool = True, **kw: float) -> None:
        """One issue, unless it is a fault no wider than the tolerance."""
        if fault and _narrow(piece, self.tolerance_m):
            return
        width = piece_width(piece) if kind != "far_outside" else 0.0
        self.issues.append(
            TilingIssue(kind, feats, float(piece.area), *_lonlat(piece), fault=fault, width_m=width, **kw)
        )

    def add_outline_difference(
        self,
        feats: tuple[str, ...],
        piece: BaseGeometry,
        district: BaseGeometry,
        band: BaseGeometry,
        lines: gpd.GeoDataFrame | None,
    ) -> None:
        """A difference along the approximate bundled outline: reported, not a fault."""
        self.add(
            "outline_difference",
            feats,
            piece,
            fault=False,
            stated_m=_stated_at(piece, district, lines),
            beyond_m2=float(shapely.difference(piece, band).area),
        )

    def touching(self, piece: BaseGeometry) -> tuple[str, ...]:
        return _touching(piece, self.names, self.tree)

    def sorted(self) -> list[TilingIssue]:
        return sorted(self.issues, key=lambda t: (_KIND_ORDER[t.kind], -t.area_m2))


def _uncovered_piece(
    found: _Found,
    piece: BaseGeometry,
    edges: BaseGeometry,
    district: BaseGeometry,
    band: BaseGeometry | None,
    lines: gpd.GeoDataFrame | None,
) -> None:
    """A piece of the district that no feature covers: a gap between features, uncovered (an
    adopted district), or a difference along the approximate bundled outline (``band``)."""
    touching = found.touching(piece)
    if len(touching) >= 2 and _between_share(piece, edges) >= _BETWEEN_SHARE:
        found.add("gap", touching, piece)
    elif band is None:
        found.add("uncovered", touching, piece)
    else:
        # a gap between features that runs into the strip along the approximate outline: what
        # lies farther inside than the outline's stated accuracy, bounded by feature edges, is
        # still a gap; a strip where features that share their edge stop short of it is not
        for core in _parts(shapely.difference(piece, band)):
            inner = found.touching(core)
            if len(inner) >= 2 and _between_share(core, edges.difference(band)) >= _BETWEEN_SHARE:
                found.add("gap", inner, core)
        found.add_outline_difference(touching, piece, district, band, lines)


@dataclass
class Snapped:
    """Features after `snap_to_tiling`: ``geoms`` (EPSG:4550), and per feature the area moved
    (m², the symmetric difference) and the largest shift of its edge (m)."""

    geoms: list[BaseGeometry]
    moved_m2: list[float] = field(default_factory=list)
    shift_m: list[float] = field(default_factory=list)

    def changed(self) -> bool:
        """Whether any edge moved."""
        return any(m > 0 for m in self.moved_m2)


def _valid_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` as it is where valid; else GEOS's repair, its polygons only (a reprojection can
    leave nearly coincident vertices that GEOS judges a self-touch)."""
    return geom if geom.is_valid else _polygonal(geom)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [q for p in shapely.get_parts(shapely.make_valid(geom)) for q in shapely.get_parts(p)]
    polys = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


@lru_cache(maxsize=1)
def _to_metric_transformer() -> Transformer:
    return Transformer.from_crs(4326, MEASURE_CRS, always_xy=True)


def _metric(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` (EPSG:4326) in EPSG:4550, to measure it."""
    return shapely.transform(geom, lambda xy: np.column_stack(_to_metric_transformer().transform(xy[:, 0], xy[:, 1])))


def _small_narrow(piece: BaseGeometry, tolerance_m: float) -> bool:
    """A piece (EPSG:4326) to close: a polygon of at least `_NOISE_M2`, nowhere wider than the
    tolerance (smaller ones are numerical noise of the overlays)."""
    if piece.geom_type != "Polygon" or piece.is_empty:
        return False
    metric = _metric(piece)
    return bool(metric.area >= _NOISE_M2 and _narrow(metric, tolerance_m))


def snap_to_tiling(
    geoms: list[BaseGeometry], district: BaseGeometry | None, tolerance_m: float, *, authoritative: bool
) -> Snapped:
    """Close every gap and overlap no wider than ``tolerance_m`` between the features and, where
    ``authoritative``, against the district: an overlap stays with the first feature, a gap goes to
    the neighbour sharing most of its edge, a sliver outside the district is cut off. Wider pieces
    are left for `tiling_issues` to refuse. Holes of the district stay holes.

    Geometries are in EPSG:4326 (where they are stored and must be valid); widths and areas are
    measured in EPSG:4550."""
    out = [shapely.make_valid(g) for g in geoms]
    if tolerance_m <= 0:
        return Snapped(out, [0.0] * len(out), [0.0] * len(out))
    if district is not None and authoritative:
        for k, g in enumerate(out):
            for piece in shapely.get_parts(safe_overlay(shapely.difference, g, district, grid=_GRID_DEG)):
                if _small_narrow(piece, tolerance_m):
                    out[k] = safe_overlay(shapely.difference, out[k], piece, grid=_GRID_DEG)
    tree = shapely.STRtree(out)
    left, right = tree.query(out, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            for piece in shapely.get_parts(safe_overlay(shapely.intersection, out[i], out[j], grid=_GRID_DEG)):
                if _small_narrow(piece, tolerance_m):
                    out[j] = safe_overlay(shapely.difference, out[j], piece, grid=_GRID_DEG)
    union = safe_overlay(shapely.union_all, out, grid=_GRID_DEG)
    if district is not None and authoritative:
        space = safe_overlay(shapely.difference, district, union, grid=_GRID_DEG)
    else:  # between the features only: the holes of their union that no feature has
        space = shapely.union_all(
            [shapely.Polygon(r) for p in shapely.get_parts(union) for r in getattr(p, "interiors", [])]
            or [shapely.Polygon()]
        )
        if district is not None:  # and gaps opening onto the approximate outline
            extra = [
                p
                for p in shapely.get_parts(safe_overlay(shapely.difference, district, union, grid=_GRID_DEG))
                if _small_narrow(p, tolerance_m)
            ]
            space = shapely.union_all([space, *extra])
    touch = 1e-8  # degrees, about a millimetre
    for piece in shapely.get_parts(space):
        if not _small_narrow(piece, tolerance_m):
            continue
        ring = piece.boundary
        shared = [float(ring.intersection(g.buffer(touch)).length) for g in out]
        if max(shared) <= 0:
            continue
        if district is not None and not authoritative and sum(shared) < _BETWEEN_SHARE * float(ring.length):
            continue  # along the approximate outline: a difference of outlines, kept as drawn
        # each stretch of the sliver to the feature it runs along (a sliver can turn a corner from
        # one feature's edge onto another's): nearest first by shared edge, the rest to the first
        reach = 1.2 * piece_width(_metric(piece)) / 83_000.0  # its width in degrees of longitude here, and a bit
        rest = piece
        for k in sorted((k for k, v in enumerate(shared) if v > 0), key=lambda k: -shared[k]):
            part = safe_overlay(shapely.intersection, rest, out[k].buffer(reach), grid=_GRID_DEG)
            if not part.is_empty:
                out[k] = safe_overlay(shapely.union, out[k], part, grid=_GRID_DEG)
                rest = safe_overlay(shapely.difference, rest, part, grid=_GRID_DEG)
        if not rest.is_empty and rest.area > 0:
            best = int(np.argmax(shared))
            out[best] = safe_overlay(shapely.union, out[best], rest, grid=_GRID_DEG)
    # on a 1e-9° grid (0.1 mm): no vertex left nanometres from an edge, which EPSG:4550 would
    # read as a self-touch; shared vertices stay shared, being snapped to the same grid
    out = [_polygonal(shapely.set_precision(_polygonal(g), _GRID_SNAP_DEG)) for g in out]
    metric_old = [_metric(g) for g in geoms]
    metric_new = [_metric(g) for g in out]
    moved = [
        float(safe_overlay(shapely.symmetric_difference, a, b, grid=_GRID_M).area)
        for a, b in zip(metric_old, metric_new, strict=True)
    ]
    moved = [m if m >= MIN_AREA_M2 / 100 else 0.0 for m in moved]
    shift = [
        float(shapely.hausdorff_distance(a.boundary, b.boundary)) if m > 0 else 0.0
        for a, b, m in zip(metric_old, metric_new, moved, strict=True)
    ]
    return Snapped(out, moved, shift)
