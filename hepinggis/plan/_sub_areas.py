"""The zones' named sub-areas, placed by the forms in geodata/src/sub_areas.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import split

from hepinggis.errors import DigitizeError
from hepinggis.plan._faces import Faces, ordered
from hepinggis.plan._network import to_lonlat, to_metric

__all__ = ["sub_area_features"]


def _sub_geometry(b: Faces, g: Mapping[str, Any], zone: BaseGeometry) -> BaseGeometry:
    if "point" in g:
        return Point(g["point"])
    if "crossing" in g:
        a, b = (b.line[k] for k in g["crossing"])
        return shapely.get_parts(a.intersection(b))[0]
    if "along" in g:
        band = to_lonlat(to_metric(b.street(g["along"])).buffer(float(g["buffer_m"])))
        return band.intersection(zone)
    if "within_belt" in g:
        return b.belt_polygon().intersection(zone)
    if "quadrant" in g:
        c = to_metric(zone).centroid
        big = 1e5
        dx = -big if "west" in g["quadrant"] else big
        dy = -big if "south" in g["quadrant"] else big
        quad = shapely.box(min(c.x, c.x + dx), min(c.y, c.y + dy), max(c.x, c.x + dx), max(c.y, c.y + dy))
        return to_lonlat(quad).intersection(zone)
    if "jiedao" in g:
        poly = b.jiedao[g["jiedao"]]
        if "part" not in g:
            return poly
        line = b.street(g["line"])
        halves = sorted(shapely.get_parts(split(poly, line)), key=lambda p: p.centroid.x)
        return halves[0] if g["part"] == "west_of" else halves[-1]
    raise DigitizeError(f"sub-area geometry {dict(g)} is not one of the known forms")


def sub_area_features(b: Faces) -> tuple[list[tuple[dict[str, Any], BaseGeometry]], dict[str, Any]]:
    sections = {z["id"]: z["plan_section"] for z in b.plan["zones"]}
    out = []
    for s in b.subs["placed"]:
        zone = b.zones[s["zone_id"]]
        geom = _sub_geometry(b, s["geometry"], zone)
        if not zone.buffer(1e-7).contains(geom):
            raise DigitizeError(f"sub-area {s['id']!r} falls outside its zone {s['zone_id']!r}")
        out.append(
            (
                ordered(
                    b.specs["sub_areas"],
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
    return out, {"unplaced": b.subs["unplaced"]}
