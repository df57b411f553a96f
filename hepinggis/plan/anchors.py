"""Independent anchor points, and how far each digitized line is from them.

The anchors (``geodata/src/anchors.json``) are points whose place is known from a source other
than the line they test: metro stations (AMap POIs, converted from GCJ-02, and OpenStreetMap
points), each with the facts it pins — "on 南京街", "south of the 浑河", "inside 长白岛", "outside
the district". Anchors used to draw a line are marked ``digitize``; the others are held out, and
only held-out residuals are an honest accuracy figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from hepinggis._paths import data_dir
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import LayerSchemaError

__all__ = ["anchor_facts", "anchors", "line_accuracy"]

_SIDES = {"north", "south", "east", "west"}
_FAR = 1e5  # metres: long enough to cross the district from any anchor


def _load(path: Path | None) -> dict[str, Any]:
    path = path or data_dir() / "src" / "anchors.json"
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def anchors(path: Path | None = None) -> gpd.GeoDataFrame:
    """The anchor points (EPSG:4326), one row each, with ``role``, ``source``, the datum and the
    coordinates as published, and ``pins`` (the facts each one fixes).

    Examples
    --------
    >>> a = anchors()
    >>> set(a["role"]) == {"digitize", "holdout"}
    True
    >>> a.set_index("id").loc["l4_nanjingqiao", "datum"]
    'GCJ-02'
    """
    data = _load(path)
    rows = [
        {
            "id": a["id"],
            "name_zh": a["name_zh"],
            "what_zh": a["what_zh"],
            "datum": a["datum"],
            "published_x": a["published"][0],
            "published_y": a["published"][1],
            "source": a["source"],
            "role": a["role"],
            "pins": a["pins"],
        }
        for a in data["anchors"]
    ]
    points = [Point(a["lon"], a["lat"]) for a in data["anchors"]]
    return gpd.GeoDataFrame(rows, geometry=points, crs="EPSG:4326")


def _metric(frame: gpd.GeoDataFrame) -> dict[str, BaseGeometry]:
    return dict(zip(frame["id"], frame.geometry.to_crs(MEASURE_CRS).values, strict=True))


def _side(point: Point, line: BaseGeometry, side: str) -> tuple[bool | None, float]:
    """Whether ``point`` lies to ``side`` of ``line`` (found along a north–south or east–west probe
    through the point), and its distance from the line along that probe; None when the probe
    does not meet the line (the anchor is beyond the line's ends)."""
    vertical = side in ("north", "south")
    probe = (
        LineString([(point.x, point.y - _FAR), (point.x, point.y + _FAR)])
        if vertical
        else LineString([(point.x - _FAR, point.y), (point.x + _FAR, point.y)])
    )
    hits = [h for h in shapely.get_parts(line.intersection(probe)) if not h.is_empty]
    if not hits:
        return None, float("nan")
    coords = [c for h in hits for c in h.coords]
    along = [c[1] for c in coords] if vertical else [c[0] for c in coords]
    mine = point.y if vertical else point.x
    nearest = min(along, key=lambda v: abs(v - mine))
    beyond = mine > nearest if side in ("north", "east") else mine < nearest
    return beyond, abs(mine - nearest)


def anchor_facts(
    lines: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    district: gpd.GeoDataFrame,
    *,
    path: Path | None = None,
) -> pd.DataFrame:
    """Every fact the anchors pin, checked against the layers: one row per (anchor, fact).

    ``lines`` holds the lines by ``id`` (the ``boundary_lines`` layer and the axes' segments);
    facts about a line the layers do not have are listed with ``ok`` None (not applicable).

    Returns
    -------
    pandas.DataFrame
        ``anchor`` (or crossing id), ``role``, ``fact`` (``on``, ``side``, ``crossing``,
        ``in_zone``, ``outside_district``), ``target``, ``residual_m`` (distance to the line, or
        from the line's crossing to the bracket's midpoint), ``ok`` and ``detail``.

    Examples
    --------
    >>> import hepinggis
    >>> lines = pd.concat([hepinggis.load("boundary_lines"), hepinggis.load("axes")])
    >>> facts = anchor_facts(lines, hepinggis.load("zones"), hepinggis.load("district"))
    >>> bool(facts["ok"].dropna().all())
    True
    """
    data = _load(path)
    points = anchors(path)
    pts = _metric(points)
    facts = _Facts(
        by_line={
            str(k): g
            for k, g in zip(lines["id"], lines.to_crs(MEASURE_CRS).geometry.values, strict=True)
            if k not in ("nanjingjie_axis", "sanhaojie_axis")
        },
        zones=dict(zip(zones["id"], zones.to_crs(MEASURE_CRS).geometry.values, strict=True)),
        edge=shapely.union_all(district.to_crs(MEASURE_CRS).geometry.values),
        accuracy=dict(zip(lines["id"], lines["accuracy_m"], strict=True)),
    )
    for a in points.itertuples():
        for pin in a.pins:
            facts.pin(str(a.id), pin.get("role", a.role), pts[a.id], pin)
    for c in data.get("crossings", []):
        facts.crossing(c, pts)
    return pd.DataFrame(facts.rows, columns=["anchor", "role", "fact", "target", "residual_m", "ok", "detail"])


@dataclass
class _Facts:
    """The layers an anchor's facts are checked against (in EPSG:4550), and the facts found."""

    by_line: dict[str, Any]
    zones: dict[str, Any]
    edge: Any
    accuracy: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, anchor: str, role: str, fact: str, target: str, residual: float, ok: bool | None, detail: str
    ) -> None:
        self.rows.append(
            {
                "anchor": anchor,
                "role": role,
                "fact": fact,
                "target": target,
                "residual_m": residual,
                "ok": ok,
                "detail": detail,
            }
        )

    def pin(self, aid: str, role: str, p: Point, pin: dict[str, Any]) -> None:
        """One pinned fact: on a line (within its accuracy), on a side of it, in a zone, outside the district."""
        if "on" in pin:
            line = self.by_line.get(pin["on"])
            if line is None:
                self.add(aid, role, "on", pin["on"], np.nan, None, "line not in the layers")
                return
            d = float(line.distance(p))
            limit = float(self.accuracy[pin["on"]])
            self.add(aid, role, "on", pin["on"], d, d <= limit, f"{d:.0f} m from the line (±{limit:.0f} m stated)")
        elif "side_of" in pin:
            if pin["side"] not in _SIDES:
                raise LayerSchemaError(f"anchors: {aid}: side must be one of {sorted(_SIDES)}")
            line = self.by_line.get(pin["side_of"])
            if line is None:
                self.add(aid, role, "side", pin["side_of"], np.nan, None, "line not in the layers")
                return
            right, dist = _side(p, line, pin["side"])
            detail = (
                "beyond the line's ends"
                if right is None
                else f"{dist:.0f} m {pin['side'] if right else 'on the wrong side'} of it"
            )
            self.add(aid, role, "side", f"{pin['side']} of {pin['side_of']}", np.nan, right, detail)
        elif "in_zone" in pin:
            zone = self.zones.get(pin["in_zone"])
            ok = None if zone is None else bool(zone.contains(p))
            self.add(aid, role, "in_zone", pin["in_zone"], np.nan, ok, "" if ok else "outside that zone")
        elif pin.get("outside_district"):
            inside = bool(self.edge.contains(p))
            edge = self.edge
            dist = float(edge.exterior.distance(p)) if hasattr(edge, "exterior") else float(edge.distance(p))
            self.add(aid, role, "outside_district", "district", np.nan, not inside, f"{dist:.0f} m from the edge")
        else:
            raise LayerSchemaError(f"anchors: {aid}: unknown pin {pin}")

    def crossing(self, c: dict[str, Any], pts: dict[str, Any]) -> None:
        """A line crossing between two points either side of it: how far from their midpoint."""
        line = self.by_line.get(c["line"])
        if line is None:
            self.add(c["id"], c["role"], "crossing", c["line"], np.nan, None, "line not in the layers")
            return
        a, b = (pts[k] for k in c["between"])
        span = LineString([a, b])
        hit = [h for h in shapely.get_parts(line.intersection(span)) if not h.is_empty]
        if not hit:
            detail = "the line does not pass between the two points"
            self.add(c["id"], c["role"], "crossing", c["line"], np.nan, False, detail)
            return
        d = float(hit[0].distance(span.interpolate(0.5, normalized=True)))
        limit = float(self.accuracy[c["line"]])
        detail = f"crosses {d:.0f} m from the midpoint of a {span.length:.0f} m bracket (±{limit:.0f} m stated)"
        self.add(c["id"], c["role"], "crossing", c["line"], d, d <= limit, detail)


def _stats(values: pd.Series) -> tuple[int, float, float]:
    v = values.dropna()
    return len(v), float(v.median()) if len(v) else np.nan, float(v.max()) if len(v) else np.nan


def line_accuracy(facts: pd.DataFrame, lines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per line with anchors: its stated accuracy, the residuals of the anchors used to draw it and
    of the held-out ones (n, median, max, metres), the side facts, and whether all hold.

    Examples
    --------
    >>> import hepinggis
    >>> lines = pd.concat([hepinggis.load("boundary_lines"), hepinggis.load("axes")])
    >>> facts = anchor_facts(lines, hepinggis.load("zones"), hepinggis.load("district"))
    >>> table = line_accuracy(facts, lines)
    >>> bool(table.set_index("line").loc["hun_river_inner", "ok"])
    True
    """
    acc = dict(zip(lines["id"], lines["accuracy_m"], strict=True))
    measured = facts[facts["fact"].isin(["on", "crossing"]) & facts["ok"].notna()]
    sides = facts[(facts["fact"] == "side") & facts["ok"].notna()].copy()
    sides["line"] = sides["target"].str.split(" of ").str[-1]
    rows = []
    for line in sorted(set(measured["target"]) | set(sides["line"])):
        mine = measured[measured["target"] == line]
        dig = _stats(mine.loc[mine["role"] == "digitize", "residual_m"])
        held = _stats(mine.loc[mine["role"] == "holdout", "residual_m"])
        side = sides[sides["line"] == line]
        rows.append(
            {
                "line": line,
                "accuracy_m": float(acc[line]),
                "n_digitize": dig[0],
                "median_digitize_m": round(dig[1], 1),
                "max_digitize_m": round(dig[2], 1),
                "n_holdout": held[0],
                "median_holdout_m": round(held[1], 1),
                "max_holdout_m": round(held[2], 1),
                "side_facts": len(side),
                "side_violations": int((~side["ok"].astype(bool)).sum()),
                "ok": bool(mine["ok"].astype(bool).all() and side["ok"].astype(bool).all()),
            }
        )
    return pd.DataFrame(rows)
