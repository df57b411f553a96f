"""The pages of the printable A4 monitoring report of one zone (or the district), laid out as
`hepinggis.monitor._pdf_sheet.Sheet` objects (texts, rectangles, lines, outlines): a locator
map, what is monitored, and every indicator as a block — status (the
word on its colour, contrast ≥ 4.5:1), the plan's own sentence, the target with its unit (and the
absolute figure for a rate or a multiple), the figure judged, the rule, the questions to the clerk
and the notes — over as many pages as it takes; no type under 7 pt and no two texts overlapping
(`pages` returns the sheets, so a test can measure every text box). Written to PDF by
`hepinggis.monitor._pdf` (through fpdf2, `hepinggis.monitor._pdf_draw`), which imports this module
only where the pages are drawn (a forked child, on two cores). The texts are wrapped here
(`_wrap`), never measured by a drawing library, so laying the pages out needs none.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hepinggis.base._style import PLAN_TITLE_ZH, ZONE_COLORS
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.monitor._layers import zones
from hepinggis.monitor._pdf_sheet import A4_PT, Line, Rect, Shape, Sheet
from hepinggis.monitor._pdf_sheet import texts as texts
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

_PT = 1 / A4_PT[1]  # one point in page height units
_LEFT, _TEXT_X, _RIGHT = 0.06, 0.165, 0.94
_BOTTOM = 0.085  # the footer lies below
_SMALL = 7.0  # the smallest type printed (as the static maps' MIN_FONT_PT)
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
def _zone_rings() -> tuple[tuple[str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Each zone's rings (exteriors and holes) in EPSG:4550, built once per run."""
    out = []
    for z in zones().to_crs(MEASURE_CRS).itertuples():
        rings = []
        for poly in getattr(z.geometry, "geoms", [z.geometry]):
            for ring in [poly.exterior, *poly.interiors]:
                rings.append(tuple((float(x), float(y)) for x, y, *_ in ring.coords))
        out.append((str(z.id), tuple(rings)))
    return tuple(out)


#: The locator map's box on the page (left, bottom, width, height as page fractions).
_LOCATOR = (_LEFT, 0.72, 0.30, 0.19)


def _locator(sheet: Sheet, zone_id: str) -> None:
    """Every zone's outline, the one reported (or all, for the district) strong, the others pale,
    fitted into `_LOCATOR` at one scale on both axes with a 5 % margin, centred."""
    zones_ = _zone_rings()
    xs = [x for _, rings in zones_ for ring in rings for x, _ in ring]
    ys = [y for _, rings in zones_ for ring in rings for _, y in ring]
    if not xs:
        return
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    dx, dy = (x1 - x0) * 1.1 or 1.0, (y1 - y0) * 1.1 or 1.0
    left, bottom, width, height = _LOCATOR
    w_pt, h_pt = width * A4_PT[0], height * A4_PT[1]
    scale = min(w_pt / dx, h_pt / dy)  # points per metre
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    mid_x, mid_y = left * A4_PT[0] + w_pt / 2, bottom * A4_PT[1] + h_pt / 2
    for zid, rings in zones_:
        on = zone_id == "district" or zid == zone_id
        page_rings = tuple(
            tuple(((mid_x + (x - cx) * scale) / A4_PT[0], (mid_y + (y - cy) * scale) / A4_PT[1]) for x, y in ring)
            for ring in rings
        )
        sheet.shapes.append(Shape(page_rings, ZONE_COLORS.get(zid, "#999999"), 0.9 if on else 0.15, "#333333", 0.5))


def _trend_lines(sheet: Sheet, y: float, series: pd.DataFrame, colour: str) -> None:
    """The trend as two lines beside the progress bar: the plan's trajectory dashed, the figures
    solid with a dot on each year."""
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

    def points(years: np.ndarray, vals: np.ndarray) -> tuple[tuple[float, float], ...]:
        return tuple(
            (0.85 + (float(a) - x0) / span * 0.09, y - 2 * _PT + (float(v) - lo) / (hi - lo) * 9 * _PT)
            for a, v in zip(years, vals, strict=True)
        )

    sheet.lines.append(Line(points(year[has_required], required[has_required]), "#888888", 0.7, dashed=True))
    sheet.lines.append(Line(points(year[has_value], value[has_value]), colour, 1.0, dots=2.6))


class _Page:
    """One A4 page being filled from the top; `room` says whether a block still fits."""

    def __init__(self, top: float) -> None:
        self.sheet = Sheet()
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
    sheet, y = page.sheet, page.y
    sheet.rects.append(Rect(_LEFT, y - 3 * _PT, 0.09, 12 * _PT, STATUS_COLORS[status]))
    sheet.text(
        _LEFT + 0.045, y + 3 * _PT, STATUS_ZH[status], size=7.5, colour=STATUS_TEXT[status], ha="center", va="center"
    )
    sheet.text(_TEXT_X, y, _cut(str(r["indicator_zh"]), 33), size=8.5)
    pct = r["progress_pct"]
    if status in JUDGED and isinstance(pct, float) and not math.isnan(pct):  # 待核实: no progress shown
        for width, colour in ((0.11, "#eeeeee"), (0.11 * min(max(pct, 0.0), 100.0) / 100, STATUS_COLORS[status])):
            sheet.rects.append(Rect(0.66, y, width, 6 * _PT, colour))
        sheet.text(0.775, y, fmt_pct(pct), size=_SMALL)
        _trend_lines(sheet, y, trend(values, str(r["indicator_id"])), STATUS_COLORS[status])
    y -= _HEAD
    for text, colour in lines:
        sheet.text(_TEXT_X, y, text, size=_SMALL, colour=colour)
        y -= _LINE
    page.y = y - _GAP


def _footer(sheet: Sheet, credits: Sequence[str], number: int, total: int) -> None:
    # the plan, the figures' file, the boundaries in force, on the page's width (A4: 595 pt)
    lines = _wrap("；".join(credits), (_RIGHT - _LEFT) * 595.0 / _SMALL - 2)[:3]
    top = 0.04 + max(0, len(lines) - 2) * 11 * _PT
    for k, line in enumerate(lines):
        sheet.text(_LEFT, top - k * 11 * _PT, line, size=_SMALL, colour="#444444")
    sheet.text(_RIGHT, 0.012, f"第 {number}/{total} 页", size=_SMALL, colour="#444444", ha="right")


def pages(
    results: pd.DataFrame,
    zone_id: str,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    credits: Sequence[str] = (),
) -> list[Sheet]:
    """The A4 pages of one zone's (or the district's) report, as `Sheet` objects."""
    mine = results[results["target_id"] == zone_id]
    figures = values if values is not None else pd.DataFrame(columns=["indicator_id", "year", "value"])
    when = f"{year}年" if year else "最新"
    first = _Page(0.70)
    sheet = first.sheet
    sheet.text(0.5, 0.965, f"{PLAN_TITLE_ZH} · {when}规划实施监测", ha="center", size=13)
    sheet.text(0.5, 0.94, target_name(zone_id, zones()), ha="center", size=11)
    _locator(sheet, zone_id)
    counts = mine["status"].value_counts()
    lines = [f"{STATUS_ZH[s]}：{int(counts.get(s, 0))} 项" for s in STATUS_ZH if counts.get(s, 0)]
    lines += _wrap(Coverage(mine, refused_rows).text(), 30)
    y = 0.905
    for line in lines:
        sheet.text(0.42, y, line, size=9)
        y -= 15 * _PT
    for line in _wrap(_RULES, 44):
        if y < 0.725:
            break
        sheet.text(0.42, y, line, size=_SMALL, colour="#444444")
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
        _footer(p.sheet, credits, k, len(out))
    return [p.sheet for p in out]
