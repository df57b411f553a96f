"""What the bureau's own boundaries change: for each adopted layer, per feature, the bundled and
adopted areas, their symmetric difference, the largest offset between the outlines, and the
projects that move to another zone or 街道."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from hepinggis.analysis.assign import zone_of
from hepinggis.base._layer_source import ADOPTABLE, active_layers, adopted_names, use_boundaries
from hepinggis.base.measure import MEASURE_CRS, geodesic_area, geodesic_area_of
from hepinggis.plan._partial import jiedao_zone_mismatch
from hepinggis.plan._tiling import safe_overlay
from hepinggis.plan.layers import load

__all__ = ["compare_boundaries"]


def compare_boundaries(projects: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """``boundary_comparison`` (one row per adopted feature) and ``projects_changing_area`` (one
    row per project whose zone or 街道 the adopted layer changes), for the GeoPackage in use;
    empty dict when every layer is bundled."""
    path = active_layers()
    if path is None:
        return {}
    rows, moves = [], []
    points = projects.to_crs(4326)
    for name in (n for n in adopted_names(path) if n in ("zones", "jiedao", "district")):
        adopted = load(name)
        with use_boundaries(None):
            bundled = load(name)
        both = bundled.set_index("id").geometry.to_crs(MEASURE_CRS)
        new = adopted.set_index("id").geometry.to_crs(MEASURE_CRS)
        old_km2 = geodesic_area(bundled.set_index("id"))
        new_km2 = geodesic_area(adopted.set_index("id"))
        for fid in adopted["id"]:
            a, b = both.loc[fid], new.loc[fid]
            sym = float(geodesic_area_of([safe_overlay(shapely.symmetric_difference, a, b, grid=1e-3)], MEASURE_CRS)[0])
            rows.append(
                {
                    "layer": ADOPTABLE[name],
                    "id": fid,
                    "name_zh": adopted.set_index("id").loc[fid, "name_zh"],
                    "bundled_km2": round(float(old_km2.loc[fid]), 4),
                    "adopted_km2": round(float(new_km2.loc[fid]), 4),
                    "symdiff_km2": round(sym, 4),
                    "symdiff_pct": round(100 * sym / float(old_km2.loc[fid]), 2),
                    "max_offset_m": round(float(shapely.hausdorff_distance(a.boundary, b.boundary)), 1),
                }
            )
        if name == "district" or points.empty:
            continue
        before = zone_of(points, bundled.to_crs(4326))
        after = zone_of(points, adopted.to_crs(4326))
        names = dict(zip(adopted["id"], adopted["name_zh"], strict=True))
        changed = before.fillna("") != after.fillna("")
        for idx in points.index[changed.to_numpy()]:
            moves.append(
                {
                    "layer": ADOPTABLE[name],
                    "id": points.loc[idx, "id"] if "id" in points.columns else idx,
                    "name_zh": points.loc[idx, "name_zh"] if "name_zh" in points.columns else "",
                    "bundled": names.get(before.loc[idx], "（区外）"),
                    "adopted": names.get(after.loc[idx], "（区外）"),
                }
            )
    columns = ["layer", "id", "name_zh", "bundled", "adopted"]
    out = {"boundary_comparison": pd.DataFrame(rows), "projects_changing_area": pd.DataFrame(moves, columns=columns)}
    held = set(adopted_names(path))
    out["layer_sources"] = pd.DataFrame(
        {
            "item": [ADOPTABLE[n] for n in ADOPTABLE],
            "source": [_source(n, path) if n in held else "随包数字化边界（示意）" for n in ADOPTABLE],
        }
    )
    if ("zones" in held) != ("jiedao" in held):  # partial adoption: zones and 街道 from different sources
        out["projects_other_zone_jiedao"] = jiedao_zone_mismatch(points, load("zones"), load("jiedao"))
    return out


def _source(name: str, path: Path) -> str:
    frame = load(name)
    return f"{frame['adopted_from'].iloc[0]}（{frame['adopted_on'].iloc[0]} 采用，存于 {path.name}）"
