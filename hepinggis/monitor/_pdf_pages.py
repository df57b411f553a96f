"""The pages of the printable A4 monitoring report of one zone (or the district), laid out as
matplotlib figures: a locator map, what is monitored, and every indicator as a block — status (the
word on its colour, contrast ≥ 4.5:1), the plan's own sentence, the target with its unit (and the
absolute figure for a rate or a multiple), the figure judged, the rule, the questions to the clerk
and the notes — over as many pages as it takes; no type under 7 pt and no two texts overlapping
(`pages` returns the figures, so a test can measure every text box). Written to PDF by
`hepinggis.monitor._pdf`, which imports this module only where the pages are drawn (a forked
child, on two cores): matplotlib is not loaded by the process writing the maps.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hepinggis.base._style import PLAN_TITLE_ZH, ZONE_COLORS
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.maps.static import CJK_FONT, MIN_FONT_PT, plain_text, quiet_redraws, require_cjk_font
from hepinggis.monitor._layers import zones
from hepinggis.monitor._targets import indicator_record
from hepinggis.monitor._trend import trend
from hepinggis.monitor._words import (
    STATUS_COLORS,
    STATUS_TEXT,
    STATUS_ZH,
    Coverage,
    figure_parts,
    fmt_pct,
    target_name,
)
from hepinggis.monitor.evaluate import JUDGED

__all__ = ["pages", "texts"]

_A4 = (21.0 / 2.54, 29.7 / 2.54)
_PT = 1 / (29.7 / 2.54 * 72)  # one point in figure height units
_LEFT, _TEXT_X, _RIGHT = 0.06, 0.165, 0.94
_BOTTOM = 0.085  # the footer lies below
_SMALL = MIN_FONT_PT
_MAX_LINES = 4  # of one note, question or remark in a block
_RULES = (
    "判断规则：提前达成 = 已达到2025年目标；达到进度 = 不低于规划轨迹的当年要求值；略有滞后 = 完成应有进度的 80% 以上；"
    "明显滞后 = 不足 80%；2025年判断已达成/未达成；待核实 = 有数值疑似填错（见该指标的问题），核实前不判断；"
    "无法评估 = 增长类目标缺少基数（或基数为 0）；无数据 = 规划期内无数值；定性目标 = 规划以文字表述，不设数值。"
    "趋势图：实线为填报值，虚线为规划轨迹。"
)


def _units(ch: str) -> float:
    return 0.55 if ord(ch) < 0x2E80 and ch not in "“”‘’—…·" else 1.0


def _wrap(text: str, width: float) -> list[str]:
    """Lines of at most ``width`` em (a CJK character is one em, Latin about half); a number
    (``2,025.5``, ``302.5%``) or a Latin word is never cut inside itself, and a line break the
    clerk typed in a note starts a new line."""
    lines: list[str] = []
    for para in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, used = "", 0.0
        for token in _TOKEN.findall(para):
            w = sum(_units(ch) for ch in token)
            if used + w > width and line:
                lines.append(line)
                line, used = "", 0.0
            if w > width:  # a token longer than a line (a long code): cut where it must be
                for ch in token:
                    if used + _units(ch) > width and line:
                        lines.append(line)
                        line, used = "", 0.0
                    line, used = line + ch, used + _units(ch)
                continue
            line, used = line + token, used + w
        if line or not lines:
            lines.append(line)
    return [ln for ln in lines if ln] or [""]


#: What stays on one line: a number with its separators, sign and per cent, or a Latin word.
_TOKEN = re.compile(r"[+\-]?[0-9][0-9.,]*%?|[A-Za-z][A-Za-z0-9_.\-]*|.", re.S)


def _cut(text: str, width: float) -> str:
    lines = _wrap(text, width)
    return lines[0] if len(lines) <= 1 else lines[0][:-1] + "…"


@functools.cache
def _zone_paths() -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Each zone's outline in EPSG:4550 as matplotlib paths, built once per run."""
    from matplotlib.path import Path as MplPath

    out = []
    for z in zones().to_crs(MEASURE_CRS).itertuples():
        geoms = getattr(z.geometry, "geoms", [z.geometry])
        paths = []
        for poly in geoms:
            rings = [poly.exterior, *poly.interiors]
            verts = [c for ring in rings for c in ring.coords]
            codes = [code for ring in rings for code in [MplPath.MOVETO] + [MplPath.LINETO] * (len(ring.coords) - 1)]
            paths.append(MplPath(verts, codes))
        out.append((str(z.id), tuple(paths)))
    return tuple(out)


def _locator(fig: Figure, zone_id: str) -> None:
    from matplotlib.collections import PathCollection
    from matplotlib.colors import to_rgba

    ax = fig.add_axes((_LEFT, 0.72, 0.30, 0.19))
    for zid, paths in _zone_paths():
        on = zone_id == "district" or zid == zone_id
        face = to_rgba(ZONE_COLORS.get(zid, "#999999"), 0.9 if on else 0.15)
        ax.add_collection(PathCollection(list(paths), facecolors=[face], edgecolors="#333333", linewidths=0.5))
    ax.autoscale_view()
    ax.set_axis_off()
    ax.set_aspect("equal")


def _trend_lines(fig: Figure, y: float, series: pd.DataFrame, colour: str) -> None:
    """The trend as two lines in page coordinates (no axes: an axes per indicator is slow)."""
    from matplotlib.lines import Line2D

    year = series["year"].to_numpy(dtype=float)  # plain arrays: DataFrame filters cost more than the lines
    value = series["value"].to_numpy(dtype=float)
    required = series["required"].to_numpy(dtype=float)
    has_value, has_required = ~np.isnan(value), ~np.isnan(required)
    if not has_value.any():
        return
    both = np.concatenate([value[has_value], required[has_required]])
    lo, hi = float(both.min()), float(both.max())
    lo, hi = (lo - 1, hi + 1) if hi == lo else (lo, hi)
    x0, x1 = float(np.nanmin(year)), float(np.nanmax(year))
    span = x1 - x0 or 1.0

    def xs(years: np.ndarray) -> list[float]:
        return [0.85 + (float(v) - x0) / span * 0.09 for v in years]

    def ys(vals: np.ndarray) -> list[float]:
        return [y - 2 * _PT + (float(v) - lo) / (hi - lo) * 9 * _PT for v in vals]

    fig.add_artist(
        Line2D(
            xs(year[has_required]),
            ys(required[has_required]),
            transform=fig.transFigure,
            color="#888888",
            lw=0.7,
            ls="--",
        )
    )
    fig.add_artist(
        Line2D(
            xs(year[has_value]),
            ys(value[has_value]),
            transform=fig.transFigure,
            color=colour,
            lw=1.0,
            marker="o",
            ms=1.6,
        )
    )


class _Page:
    """One A4 page being filled from the top; `room` says whether a block still fits."""

    def __init__(self, top: float) -> None:
        self.fig = plt.figure(figsize=_A4)
        quiet_redraws(self.fig)
        self.y = top

    def room(self, height: float) -> bool:
        return self.y - height >= _BOTTOM


def _block_lines(r: dict[str, object], quote: str, section: str) -> list[tuple[str, str]]:
    """The lines under an indicator's name: (text, colour), wrapped to the column."""
    status = str(r["status"])
    width = 66.0
    out: list[tuple[str, str]] = []
    if status not in ("qualitative", "no_data") and not _missing(r["latest"]):
        parts = figure_parts(r)
        out += [(t, "#222222") for t in _wrap("；".join(parts), width)]
    out += [(t, "#333333") for t in _wrap(f"规划原文：“{quote}”（{section}）", width)]
    target = f"目标：{r['target_zh']}"
    if r.get("rule_zh"):
        target += f"；规则：{r['rule_zh']}"
    out += [(t, "#444444") for t in _wrap(target, width)]
    for key, label, colour in (
        ("question", "待核实", "#6a1b9a"),
        ("tool_note", "说明", "#444444"),
        ("later", "规划期后", "#444444"),
        ("note", "备注", "#444444"),
    ):
        if r.get(key):
            wrapped = _wrap(f"{label}：{r[key]}", width)
            if len(wrapped) > _MAX_LINES:  # a long note: its start here, all of it in the workbook
                wrapped = [
                    *wrapped[: _MAX_LINES - 1],
                    _cut(wrapped[_MAX_LINES - 1], width - 12) + "（全文见监测结果工作簿）",
                ]
            out += [(t, colour) for t in wrapped]
    return out


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_LINE = 10.5 * _PT  # a 7 pt line
_HEAD = 13.5 * _PT  # the name line (8.5 pt)
_GAP = 7 * _PT


def _draw_block(page: _Page, r: dict[str, object], lines: list[tuple[str, str]], values: pd.DataFrame) -> None:
    status = str(r["status"])
    fig, y = page.fig, page.y
    fig.add_artist(
        Rectangle(
            (_LEFT, y - 3 * _PT),
            0.09,
            12 * _PT,
            transform=fig.transFigure,
            facecolor=STATUS_COLORS[status],
            edgecolor="none",
        )
    )
    fig.text(
        _LEFT + 0.045, y + 3 * _PT, STATUS_ZH[status], fontsize=7.5, color=STATUS_TEXT[status], ha="center", va="center"
    )
    fig.text(_TEXT_X, y, plain_text(_cut(str(r["indicator_zh"]), 33)), fontsize=8.5)
    pct = r["progress_pct"]
    if status in JUDGED and isinstance(pct, float) and not math.isnan(pct):  # 待核实: no progress shown
        for width, colour in ((0.11, "#eeeeee"), (0.11 * min(max(pct, 0.0), 100.0) / 100, STATUS_COLORS[status])):
            fig.add_artist(
                Rectangle((0.66, y), width, 6 * _PT, transform=fig.transFigure, facecolor=colour, edgecolor="none")
            )
        fig.text(0.775, y, fmt_pct(pct), fontsize=_SMALL)
        _trend_lines(fig, y, trend(values, str(r["indicator_id"])), STATUS_COLORS[status])
    y -= _HEAD
    for text, colour in lines:
        fig.text(_TEXT_X, y, plain_text(text), fontsize=_SMALL, color=colour)
        y -= _LINE
    page.y = y - _GAP


def _footer(fig: Figure, credits: Sequence[str], number: int, total: int) -> None:
    # the plan, the figures' file, the boundaries in force, on the page's width (A4: 595 pt)
    lines = _wrap("；".join(credits), (_RIGHT - _LEFT) * 595.0 / _SMALL - 2)[:3]
    top = 0.04 + max(0, len(lines) - 2) * 11 * _PT
    for k, line in enumerate(lines):
        fig.text(_LEFT, top - k * 11 * _PT, plain_text(line), fontsize=_SMALL, color="#444444")
    fig.text(_RIGHT, 0.012, f"第 {number}/{total} 页", fontsize=_SMALL, color="#444444", ha="right")


def pages(
    results: pd.DataFrame,
    zone_id: str,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    credits: Sequence[str] = (),
) -> list[Figure]:
    """The A4 pages of one zone's (or the district's) report, as matplotlib figures."""
    require_cjk_font()
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]  # measured (and drawn) in the CJK font
    plt.rcParams["font.family"] = "sans-serif"
    mine = results[results["target_id"] == zone_id]
    figures = values if values is not None else pd.DataFrame(columns=["indicator_id", "year", "value"])
    when = f"{year}年" if year else "最新"
    first = _Page(0.70)
    fig = first.fig
    fig.text(0.5, 0.965, plain_text(f"{PLAN_TITLE_ZH} · {when}规划实施监测"), ha="center", fontsize=13)
    fig.text(0.5, 0.94, plain_text(target_name(zone_id, zones())), ha="center", fontsize=11)
    _locator(fig, zone_id)
    counts = mine["status"].value_counts()
    lines = [f"{STATUS_ZH[s]}：{int(counts.get(s, 0))} 项" for s in STATUS_ZH if counts.get(s, 0)]
    lines += _wrap(Coverage(mine, refused_rows).text(), 30)
    y = 0.905
    for line in lines:
        fig.text(0.42, y, plain_text(line), fontsize=9)
        y -= 15 * _PT
    for line in _wrap(_RULES, 44):
        if y < 0.725:
            break
        fig.text(0.42, y, line, fontsize=_SMALL, color="#444444")
        y -= _LINE
    out = [first]
    page = first
    for rec in mine.to_dict("records"):
        r = {str(k): v for k, v in rec.items()}
        ind = indicator_record(str(r["indicator_id"]))
        lines_ = _block_lines(r, str(ind["quote"]), str(ind["plan_section"]))
        height = _HEAD + len(lines_) * _LINE + _GAP
        if not page.room(height):
            page = _Page(0.95)
            out.append(page)
        _draw_block(page, r, lines_, figures)
    for k, p in enumerate(out, start=1):
        _footer(p.fig, credits, k, len(out))
    return [p.fig for p in out]


def texts(figs: Iterable[Figure]) -> set[str]:
    """The characters of every text of ``figs``."""
    chars: set[str] = set()
    for fig in figs:
        for t in fig.texts:  # every text of a page is a figure text (the axes hold none)
            chars.update(t.get_text())
    return chars
