"""Partial adoption: zones and 街道 from different sources (say official 街道, bundled zones).
Each zone is defined by its 街道 (the plan's ``jiedao_ids``); where the two layers come from
different places, a project can lie in a 街道 whose zone is not the zone that counts it. These
functions list those projects and the zones whose 街道 do not agree with them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from hepinggis.analysis.assign import zone_of
from hepinggis.base.measure import MEASURE_CRS

__all__ = ["IOU_WARNING", "jiedao_zone_mismatch", "zone_jiedao_warnings"]

#: A zone and the union of the 街道 that define it should overlap at least this much (IoU).
IOU_WARNING = 0.98


def jiedao_zone_mismatch(projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, jiedao: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per project whose 街道 (by ``jiedao``) belongs, by the plan, to another zone than
    the one it lies in (by ``zones``): ``id``, ``name_zh``, ``zone``, ``jiedao``, ``jiedao_zone``."""
    columns = ["id", "name_zh", "zone", "jiedao", "jiedao_zone"]
    if projects is None or projects.empty:
        return pd.DataFrame(columns=columns)
    points = projects.to_crs(4326)
    zone = zone_of(points, zones.to_crs(4326))
    street = zone_of(points, jiedao.to_crs(4326))
    zone_of_street = {j: str(z.id) for z in zones.itertuples() for j in str(z.jiedao_ids).split(",") if j}
    zone_name = dict(zip(zones["id"], zones["name_zh"], strict=True))
    street_name = dict(zip(jiedao["id"], jiedao["name_zh"], strict=True))
    rows = []
    for idx in points.index:
        z, j = zone.loc[idx], street.loc[idx]
        if pd.isna(z) or pd.isna(j) or zone_of_street.get(str(j)) in (None, z):
            continue
        rows.append(
            {
                "id": points.loc[idx, "id"] if "id" in points.columns else idx,
                "name_zh": points.loc[idx, "name_zh"] if "name_zh" in points.columns else "",
                "zone": zone_name.get(z, z),
                "jiedao": street_name.get(j, j),
                "jiedao_zone": zone_name.get(zone_of_street[str(j)], ""),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def zone_jiedao_warnings(zones: gpd.GeoDataFrame, jiedao: gpd.GeoDataFrame) -> list[str]:
    """A warning (Chinese) for each zone whose plan 街道 overlap it by IoU < `IOU_WARNING`."""
    z = zones.to_crs(MEASURE_CRS)
    j = jiedao.to_crs(MEASURE_CRS).set_index("id")
    out = []
    for row in z.itertuples():
        ids = [i for i in str(row.jiedao_ids).split(",") if i in j.index]
        if not ids:
            continue
        union = shapely.union_all(list(j.loc[ids].geometry))
        inter, uni = row.geometry.intersection(union).area, row.geometry.union(union).area
        iou = inter / uni if uni else 1.0
        if iou < IOU_WARNING:
            names = "、".join(j.loc[ids, "name_zh"])
            out.append(f"{row.name_zh} 与其所辖街道（{names}）的重合度 IoU 为 {iou:.3f}，低于 {IOU_WARNING}")
    return out
