"""The projects layer, placed from geodata/src/projects.json onto the layers built from the faces."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from hepinggis.errors import DigitizeError
from hepinggis.plan._faces import Faces, ordered, read_json
from hepinggis.plan._geojson import normalise
from hepinggis.plan._network import to_metric

__all__ = ["ProjectSites"]


def _extent_accuracy(geom: BaseGeometry) -> float:
    """Half the diagonal of the extent's bounding box, in metres: the site may be anywhere inside."""
    minx, miny, maxx, maxy = to_metric(geom).bounds
    return float(round(((maxx - minx) ** 2 + (maxy - miny) ** 2) ** 0.5 / 2, -1))


class ProjectSites:
    """The projects layer, placed from geodata/src/projects.json onto the layers built above."""

    def __init__(
        self, builder: Faces, src: Path, subs: Mapping[str, BaseGeometry], banks: Mapping[str, BaseGeometry]
    ) -> None:
        self.b = builder
        self.data = read_json(src / "projects.json")
        self.anchors = {a["id"]: a for a in read_json(src / "anchors.json")["anchors"]}
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
            out.append((ordered(spec, props), geom))
        return out, {"unplaced": self.data["unplaced"]}
