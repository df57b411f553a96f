"""The words and colours of the monitoring package, shared by its maps, PDFs, pages and workbook:
one status palette, Chinese names, numbers and years written without "nan" or ".0"."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from hepinggis.maps._style import ZONE_SHORT_ZH
from hepinggis.monitor.evaluate import JUDGED, STATUS_ZH

__all__ = [
    "NO_DATA_COLOUR",
    "STATUS_COLORS",
    "STATUS_ZH",
    "TARGET_NAMES_ZH",
    "Coverage",
    "fmt",
    "fmt_year",
    "share_colour",
    "target_name",
]

#: One palette for every product: green (达成/达到进度), amber (略有滞后), red (明显滞后/未达成),
#: greys (无数据, 定性目标). ColorBrewer RdYlGn ends; the text always says the status too.
GREEN, AMBER, RED = "#1a9850", "#e6a800", "#d73027"
NO_DATA_COLOUR = "#bdbdbd"
STATUS_COLORS = {
    "achieved_early": GREEN,
    "on_track": GREEN,
    "behind": AMBER,
    "at_risk": RED,
    "achieved": GREEN,
    "missed": RED,
    "no_data": NO_DATA_COLOUR,
    "qualitative": "#e0e0e0",
}
TARGET_NAMES_ZH = {
    "district": "和平区（全区）",
    "nanjingjie_axis": "南京街发展轴",
    "sanhaojie_axis": "三好街—长白北路—领事馆路发展轴",
    "hunhe_belt": "浑河文体旅生态发展带",
}


def target_name(target_id: str, zones: pd.DataFrame | None = None) -> str:
    """The Chinese name of a zone, axis, belt or the district."""
    if zones is not None and target_id in set(zones["id"]):
        return str(zones.set_index("id").loc[target_id, "name_zh"])
    return TARGET_NAMES_ZH.get(target_id, ZONE_SHORT_ZH.get(target_id, target_id))


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def fmt(value: object, unit: object = None) -> str:
    """A figure for a reader: thousands separators, at most 4 significant digits, the unit; "—"
    for a missing one (never "nan")."""
    if _missing(value):
        return "—"
    number = float(value)  # type: ignore[arg-type]
    text = f"{number:,.0f}" if abs(number) >= 1000 else f"{number:,.4g}"
    return text + (unit if isinstance(unit, str) else "")


def fmt_year(value: object) -> str:
    """A year as written (2023, never 2023.0); "—" when missing."""
    return "—" if _missing(value) else str(int(float(value)))  # type: ignore[arg-type]


def share_colour(value: object) -> str:
    """A zone's share of indicators on track, in the status palette (≥ 80 %, 50–80 %, < 50 %)."""
    if _missing(value):
        return NO_DATA_COLOUR
    v = float(value)  # type: ignore[arg-type]
    return GREEN if v >= 80 else AMBER if v >= 50 else RED


class Coverage:
    """How much of the monitoring rests on figures: indicators with data of all quantitative ones,
    and the rows of the figures file that were not read."""

    def __init__(self, results: pd.DataFrame, refused_rows: int) -> None:
        quantitative = results[results["status"] != "qualitative"]
        self.with_data = int(quantitative["status"].isin(JUDGED).sum())
        self.quantitative = len(quantitative)
        self.refused_rows = refused_rows

    def text(self) -> str:
        refused = (
            f"；填报表有 {self.refused_rows} 行未读入（见读取报告）" if self.refused_rows else "；填报表各行均已读入"
        )
        return f"有数据的指标 {self.with_data}/{self.quantitative} 项{refused}"

    def as_dict(self) -> dict[str, Any]:
        return {"with_data": self.with_data, "quantitative": self.quantitative, "refused_rows": self.refused_rows}
