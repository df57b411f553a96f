"""The printable A4 monitoring page of one zone (or the district): locator map, coverage, and a
table of its indicators — unit, figure and year, requirement, 2025 target, progress bar, status
and the trend — in the status palette; no type under 7 pt."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from hepinggis.analysis.measure import MEASURE_CRS
from hepinggis.maps._credits import boundaries_credit
from hepinggis.maps._style import PLAN_TITLE_ZH, ZONE_COLORS
from hepinggis.maps.static import CJK_FONT, MIN_FONT_PT, plain_text, quiet_redraws, require_cjk_font
from hepinggis.monitor._trend import trend
from hepinggis.monitor._words import STATUS_COLORS, STATUS_ZH, Coverage, fmt, fmt_year, target_name
from hepinggis.plan.layers import load

__all__ = ["monitor_pdf"]

_COLS = {"name": 0.06, "latest": 0.36, "need": 0.50, "bar": 0.64, "trend": 0.76, "status": 0.89}


def _locator(fig: plt.Figure, zone_id: str) -> None:
    zones = load("zones").to_crs(MEASURE_CRS)
    ax = fig.add_axes((0.06, 0.70, 0.30, 0.22))
    for z in zones.itertuples():
        on = zone_id == "district" or z.id == zone_id
        gpd.GeoSeries([z.geometry], crs=MEASURE_CRS).plot(
            ax=ax, color=ZONE_COLORS.get(z.id, "#999"), alpha=0.9 if on else 0.15, edgecolor="#333", lw=0.5
        )
    ax.set_axis_off()
    ax.set_aspect("equal")


def _trend_axes(fig: plt.Figure, y: float, series: pd.DataFrame, colour: str) -> None:
    figures = series.dropna(subset=["value"])
    if figures.empty:
        return
    ax = fig.add_axes((_COLS["trend"], y - 0.006, 0.11, 0.024))
    req = series.dropna(subset=["required"])
    ax.plot(req["year"], req["required"], color="#888", lw=0.7, ls="--")
    ax.plot(figures["year"], figures["value"], color=colour, lw=1.0, marker="o", ms=1.6)
    ax.set_axis_off()


def _row(fig: plt.Figure, y: float, r: dict[str, object], values: pd.DataFrame) -> None:
    status = str(r["status"])
    unit = r["unit"] if isinstance(r["unit"], str) else ""
    name = plain_text(str(r["indicator_zh"]))
    fig.text(_COLS["name"], y, name if len(name) <= 22 else name[:21] + "…", fontsize=8)
    fig.text(_COLS["status"], y, STATUS_ZH[status], fontsize=8, color=STATUS_COLORS[status], fontweight="bold")
    if status == "qualitative":
        fig.text(_COLS["latest"], y, "定性目标：年度报告中文字说明", fontsize=MIN_FONT_PT, color="#555")
        return
    fig.text(_COLS["need"], y, f"{fmt(r['required'], unit)} / {fmt(r['final_required'], unit)}", fontsize=MIN_FONT_PT)
    if status == "no_data":
        fig.text(_COLS["latest"], y, "—", fontsize=8)
    else:
        fig.text(_COLS["latest"], y, f"{fmt(r['latest'], unit)}（{fmt_year(r['latest_year'])}）", fontsize=MIN_FONT_PT)
        pct = r["progress_pct"]
        bar = fig.add_axes((_COLS["bar"], y - 0.002, 0.10, 0.012))
        bar.barh([0], [100], color="#eeeeee")
        if isinstance(pct, float) and not math.isnan(pct):
            bar.barh([0], [min(max(pct, 0.0), 100.0)], color=STATUS_COLORS[status])
            bar.text(101, 0, f"{pct:.0f}%", fontsize=MIN_FONT_PT, va="center")
        bar.set_xlim(0, 100)
        bar.set_axis_off()
        _trend_axes(fig, y, trend(values, str(r["indicator_id"])), STATUS_COLORS[status])
    detail = str(r.get("rule_zh") or "")
    extra = "；".join(str(r[k]) for k in ("tool_note", "note") if r.get(k))
    text = detail + (f"；{extra}" if extra else "")
    if text:
        text = text if len(text) <= 70 else text[:69] + "…"
        fig.text(_COLS["name"] + 0.02, y - 0.016, plain_text(text), fontsize=MIN_FONT_PT, color="#555")


def monitor_pdf(
    results: pd.DataFrame,
    zone_id: str,
    path: str | Path,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    source: str | None = None,
    example: bool = False,
) -> Path:
    """A printable one-page A4 report for one zone (or ``"district"``): a locator map, the coverage
    and rows not read, and a table of its indicators with unit, figure (year), requirement now /
    in 2025, progress bar, trend and status. "示例" appears only when ``example`` is true."""
    require_cjk_font()
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    plt.rcParams["pdf.fonttype"] = 42
    mine = results[results["target_id"] == zone_id]
    figures = values if values is not None else pd.DataFrame(columns=["indicator_id", "year", "value"])
    when = f"{year}年" if year else "最新"
    fig = plt.figure(figsize=(21.0 / 2.54, 29.7 / 2.54))
    quiet_redraws(fig)
    fig.text(
        0.5, 0.965, plain_text(f"{PLAN_TITLE_ZH} · {when}规划实施监测"), ha="center", fontsize=13, fontweight="bold"
    )
    fig.text(0.5, 0.94, plain_text(target_name(zone_id, load("zones"))), ha="center", fontsize=11)
    _locator(fig, zone_id)
    counts = mine["status"].value_counts()
    lines = [f"{STATUS_ZH[s]}：{int(counts.get(s, 0))} 项" for s in STATUS_ZH if counts.get(s, 0)]
    cover = Coverage(mine, refused_rows).text()
    lines += ["", plain_text(cover), plain_text(f"监测数据：{source or '—'}"), plain_text(boundaries_credit())]
    if example:
        lines.append("示例数据，非真实统计")
    fig.text(0.42, 0.91, "\n".join(lines), va="top", fontsize=9, linespacing=1.6)
    y = 0.66
    heads = {
        "name": "指标",
        "latest": "最新（年份）",
        "need": "应达 / 2025年需",
        "bar": "进度",
        "trend": "趋势",
        "status": "状态",
    }
    for key, text in heads.items():
        fig.text(_COLS[key], y, text, fontsize=8, fontweight="bold")
    for r in mine.to_dict("records"):
        y -= 0.05
        _row(fig, y, {str(k): v for k, v in r.items()}, figures)
    fig.text(
        0.06,
        0.025,
        "规则：提前达成 = 已达到2025年目标；达到进度 = 不低于规划轨迹的当年要求值；略有滞后 = 完成应有进度的 80% 以上；"
        "明显滞后 = 不足 80%；\n2025年判断已达成/未达成；无数据 = 规划期内无数值（仅有基期、缺年或缺基数）。"
        "趋势：实线为填报值，虚线为规划轨迹。目标与原文见 geodata/src/indicators.json。",
        fontsize=MIN_FONT_PT,
        color="#444",
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
