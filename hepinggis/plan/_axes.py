"""The two development axes and their segments, from the digitized streets the plan names."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from hepinggis.plan._faces import Faces, cut, north_to_south, ordered, single

__all__ = ["axes_features"]


def axes_features(b: Faces) -> list[tuple[dict[str, Any], BaseGeometry]]:
    spec = b.specs["axes"]
    out = []
    for a in b.plan["axes"]:
        streets = [b.street(s) for s in a["streets"]]
        whole = single(shapely.union_all(streets), a["id"]) if len(streets) > 1 else streets[0]
        acc = max(float(b.meta[s]["accuracy_m"]) for s in a["streets"])
        base = {
            "axis_id": a["id"],
            "plan_section": a["plan_section"],
            "source": "; ".join(sorted({b.meta[s]["source"] for s in a["streets"]})),
        }
        out.append(
            (
                ordered(
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
                        "method": "Digitized street(s) " + ", ".join(a["streets"]) + " clipped to the district (see "
                        "boundary_lines / geodata/src/lines.json for each street's method).",
                    },
                ),
                whole,
            )
        )
        if len(streets) == 1:
            line = north_to_south(streets[0])
            cuts = [s["to"] for s in a["segments"][:-1]]
            pieces = cut(line, [b.line[c] for c in cuts])
            geoms = dict(zip([s["id"] for s in a["segments"]], pieces, strict=True))
        else:
            geoms = {s["id"]: b.street(s["street"]) for s in a["segments"]}
        for s in a["segments"]:
            out.append(
                (
                    ordered(
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
                            "accuracy_m": float(b.meta[s.get("street", a["streets"][0])]["accuracy_m"]),
                            "method": "Part of the axis between the digitized lines the plan names as its ends: "
                            + s["extent_zh"],
                        },
                    ),
                    geoms[s["id"]],
                )
            )
    return out
