"""The 浑河 belt (a strip along the river's centreline) and its two banks."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from hepinggis.plan._faces import Faces, cut, east_to_west, ordered
from hepinggis.plan._network import to_lonlat, to_metric

__all__ = ["belt_features"]


def _bank(b: Faces, side: str, centre: LineString) -> LineString:
    half = float(b.plan["belt"]["river_half_width_m"])
    cm = to_metric(centre)
    cands = [cm.offset_curve(half, join_style="round"), cm.offset_curve(-half, join_style="round")]
    pick = max if side == "north" else min
    off = pick(cands, key=lambda g: g.centroid.y)
    inside = shapely.line_merge(off.intersection(to_metric(b.outline)))
    parts = sorted(shapely.get_parts(inside), key=lambda g: -g.length)
    return east_to_west(to_lonlat(parts[0]))


def belt_features(f: Faces) -> list[tuple[dict[str, Any], BaseGeometry]]:
    spec, b = f.specs["belt"], f.plan["belt"]
    src = "district_outline; boundary_lines hun_river_inner, hun_river_west_edge"
    acc = max(float(f.meta[k]["accuracy_m"]) for k in ("hun_river_inner", "hun_river_west_edge"))
    out = [
        (
            ordered(
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
            f.belt_polygon(),
        )
    ]
    for bank in b["banks"]:
        centre = f.centreline() if bank["side"] == "south" else east_to_west(f.street("hun_river_inner"))
        line = _bank(f, bank["side"], centre)
        if bank["from"] != "district_edge":
            line = cut(line, [f.line[bank["from"]]])[-1]
        if bank["to"] != "district_edge":
            line = cut(line, [f.line[bank["to"]]])[0]
        out.append(
            (
                ordered(
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
