"""Projects per zone and per 街道 as the interactive maps' popups say them (Chinese, escaped later by
`_web.popup_table`): the zone popup gives the zone's count and investment and those of each of its
街道, the 街道 popup its own. The numbers are `projects_by_zone` and `projects_by_jiedao`, the same
tables as the workbook's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import geopandas as gpd
import pandas as pd

from hepinggis.analysis.assign import projects_by_jiedao, projects_by_zone

__all__ = ["AreaCounts", "area_counts", "count_text", "jiedao_rows", "zone_rows"]


@dataclass(frozen=True)
class AreaCounts:
    """`projects_by_zone` and `projects_by_jiedao` of one project table."""

    by_zone: pd.DataFrame
    by_jiedao: pd.DataFrame


def area_counts(projects: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, jiedao: gpd.GeoDataFrame) -> AreaCounts:
    """The per-zone and per-街道 tables of ``projects`` (all three layers in one CRS)."""
    return AreaCounts(projects_by_zone(projects, zones), projects_by_jiedao(projects, jiedao))


def _row(table: pd.DataFrame, key: str) -> pd.Series:
    return cast(pd.Series, table.loc[key])  # ids are unique: one row


def count_text(row: pd.Series) -> str:
    """``12 个；已载明投资 3.40 亿元（10 个载明）`` for one row of either table. A project that
    spans areas counts once in each it reaches; its investment is shared by area."""
    text = f"{int(row['projects_any_share'])} 个"
    stated = int(row.get("n_with_investment", 0))
    if stated:
        text += f"；已载明投资 {float(row['investment_cny_stated']) / 1e8:,.2f} 亿元（{stated} 个载明）"
    else:
        text += "；投资未载明"
    return text


def zone_rows(counts: AreaCounts, zone_id: str) -> list[tuple[str, object]]:
    """The zone popup's rows: its projects, then each 街道 the layer places in it."""
    if zone_id not in counts.by_zone.index:
        return []
    rows: list[tuple[str, object]] = [("项目", count_text(_row(counts.by_zone, zone_id)))]
    jd = counts.by_jiedao
    if "zone_id" in jd.columns:
        for _, row in jd[jd["zone_id"] == zone_id].iterrows():
            rows.append((f"其中 {row.get('name_zh', row.name)}", count_text(row)))
    return rows


def jiedao_rows(counts: AreaCounts, jiedao_id: str) -> list[tuple[str, object]]:
    """The 街道 popup's rows: its projects."""
    if jiedao_id not in counts.by_jiedao.index:
        return []
    return [("项目", count_text(_row(counts.by_jiedao, jiedao_id)))]
