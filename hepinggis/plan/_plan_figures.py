"""The layers against the plan's own figures: each zone's planned area and each line's planned
length beside what the layers measure (on the ellipsoid and in EPSG:4550), and why a zone that is
out of line is so. Part of `hepinggis.plan.check`."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from hepinggis.base.measure import geodesic_area, geodesic_length, projected_area, projected_length

__all__ = ["PLAN_TOLERANCE_PCT", "lengths", "zone_areas"]

#: A digitized figure within this share of the plan's is "in line" with it.
PLAN_TOLERANCE_PCT = 15.0

#: Zones that share one part of the outline (north of the river / south of it).
_LANDMASSES = {
    "north of the Hun River": ["beishichang", "nanshichang", "taiyuanjie", "sanhaojie"],
    "south of the Hun River": ["changbaidao", "manrong"],
}


def _pct(a: float, b: float) -> float:
    return round(100.0 * (a - b) / b, 1) if b else float("nan")


def zone_areas(zones: gpd.GeoDataFrame, lines: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Each zone's planned area beside its area on the ellipsoid and in EPSG:4550, explained where
    it is out of line (`PLAN_TOLERANCE_PCT`)."""
    frame = pd.DataFrame(
        {
            "id": zones["id"],
            "name_zh": zones["name_zh"],
            "planned_km2": zones["planned_area_km2"],
            "geodesic_km2": geodesic_area(zones).round(3),
            "epsg4550_km2": projected_area(zones).round(3),
        }
    )
    frame["diff_km2"] = (frame["geodesic_km2"] - frame["planned_km2"]).round(3)
    frame["diff_pct"] = [_pct(a, b) for a, b in zip(frame["geodesic_km2"], frame["planned_km2"], strict=True)]
    frame["in_line"] = frame["diff_pct"].abs() <= PLAN_TOLERANCE_PCT
    frame["explanation"] = [
        "" if ok else _explain(zid, frame, zones, lines) for zid, ok in zip(frame["id"], frame["in_line"], strict=True)
    ]
    return frame.reset_index(drop=True)


def _explain(zone_id: str, table: pd.DataFrame, zones: gpd.GeoDataFrame, lines: gpd.GeoDataFrame | None) -> str:
    """Say, from the digitized layers and the reference outline, why a zone is out of line."""
    group = next((g for g, ids in _LANDMASSES.items() if zone_id in ids), None)
    got_by = {str(k): float(v) for k, v in zip(table["id"], table["geodesic_km2"], strict=True)}
    plan_by = {str(k): float(v) for k, v in zip(table["id"], table["planned_km2"], strict=True)}
    pct_by = {str(k): float(v) for k, v in zip(table["id"], table["diff_pct"], strict=True)}
    parts = []
    if group is not None:
        ids = [i for i in _LANDMASSES[group] if i in got_by]
        got, plan = sum(got_by[i] for i in ids), sum(plan_by[i] for i in ids)
        other_txt = ", ".join(f"{i} {pct_by[i]:+.1f} %" for i in ids if i != zone_id)
        parts.append(
            f"The reference outline {group} holds {got:.2f} km² for {', '.join(ids)} against the plan's "
            f"{plan:.1f} km² ({_pct(got, plan):+.1f} %); the other zone(s) there are at {other_txt}, so "
            f"{zone_id} takes what is left: {got_by[zone_id]:.2f} km² vs {plan_by[zone_id]:.1f} km²."
        )
    if lines is not None:
        zone = zones.loc[zones["id"] == zone_id].geometry.iloc[0]
        edge = zone.boundary.buffer(1e-6)
        shared = gpd.GeoDataFrame(geometry=lines.geometry.intersection(edge).values, crs=lines.crs, index=lines.index)
        touching = lines[geodesic_length(shared) > 0.01]
        inner = touching[touching["kind"] != "district_edge"]
        if len(inner):
            txt = ", ".join(f"{r.name_zh} (±{r.accuracy_m:.0f} m)" for r in inner.itertuples())
            parts.append(f"Its inner edges are {txt}; only these could move it, within their accuracy.")
    return " ".join(parts)


def _belt_river(belt: gpd.GeoDataFrame, lines: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The belt's polygon measured along the river: the digitized centreline inside the belt."""
    poly = belt[belt["kind"] == "belt"]
    if lines is None or poly.empty:
        return poly.iloc[0:0]
    river = shapely.union_all(lines.loc[lines["kind"] == "river"].geometry.values)
    out = poly.copy()
    out["geometry"] = [shapely.line_merge(shapely.intersection(river, g.buffer(1e-7))) for g in poly.geometry]
    return out


def lengths(
    axes: gpd.GeoDataFrame | None, belt: gpd.GeoDataFrame | None, lines_layer: gpd.GeoDataFrame | None
) -> pd.DataFrame:
    """The axes, their segments, the belt along the river and the banks: planned length beside the
    length on the ellipsoid and in EPSG:4550."""
    frames = []
    parts = [axes]
    if belt is not None:
        parts += [_belt_river(belt, lines_layer), belt]
    for frame in parts:
        if frame is None:
            continue
        lines = frame[frame.geom_type.isin(["LineString", "MultiLineString"])]
        frames.append(
            pd.DataFrame(
                {
                    "id": lines["id"],
                    "name_zh": lines["name_zh"],
                    "kind": lines["kind"],
                    "planned_km": lines["planned_length_km"],
                    "geodesic_km": geodesic_length(lines).round(3),
                    "epsg4550_km": projected_length(lines).round(3),
                }
            )
        )
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    out["diff_pct"] = [
        _pct(a, b) if pd.notna(b) else float("nan") for a, b in zip(out["geodesic_km"], out["planned_km"], strict=True)
    ]
    out["in_line"] = [bool(abs(p) <= PLAN_TOLERANCE_PCT) if pd.notna(p) else None for p in out["diff_pct"]]
    return out
