"""The words and colours of the monitoring package, shared by its maps, PDFs, pages and workbook:
one status palette, Chinese names, numbers and years written without "nan" or ".0"."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from hepinggis.monitor._targets import TARGET_NAMES_ZH, target_name
from hepinggis.monitor.evaluate import JUDGED, STATUS_ZH

__all__ = [
    "NO_DATA_COLOUR",
    "STATUS_COLORS",
    "STATUS_TEXT",
    "STATUS_ZH",
    "TARGET_NAMES_ZH",
    "Coverage",
    "contrast",
    "figure_parts",
    "fmt",
    "fmt_judged",
    "fmt_pair",
    "fmt_pct",
    "fmt_year",
    "share_colour",
    "target_name",
    "verdict_words",
]

#: One palette for every product: green (达成/达到进度), amber (略有滞后), red (明显滞后/未达成),
#: purple (待核实), dark grey (无法评估), light greys (无数据, 定性目标). The status word is always
#: written too, in `STATUS_TEXT` on the fill: every pair has a contrast of at least 4.5:1 (WCAG AA;
#: `contrast` computes it, the tests check it on every page and PDF).
GREEN, AMBER, RED = "#1a7f37", "#f2b705", "#c62828"
PURPLE, DARK_GREY = "#6a1b9a", "#5f6368"
NO_DATA_COLOUR = "#d9d9d9"
STATUS_COLORS = {
    "achieved_early": GREEN,
    "on_track": GREEN,
    "behind": AMBER,
    "at_risk": RED,
    "achieved": GREEN,
    "missed": RED,
    "to_confirm": PURPLE,
    "no_base": DARK_GREY,
    "no_data": NO_DATA_COLOUR,
    "qualitative": "#eeeeee",
}
_DARK_TEXT = "#222222"
#: The colour of the status word on its fill.
STATUS_TEXT = {
    s: _DARK_TEXT if c in (AMBER, NO_DATA_COLOUR, "#eeeeee") else "#ffffff" for s, c in STATUS_COLORS.items()
}


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21).

    Examples
    --------
    >>> round(contrast("#ffffff", "#000000"), 1)
    21.0
    """

    def lum(colour: str) -> float:
        h = colour.lstrip("#")
        rgb = [int(h[k : k + 2], 16) / 255 for k in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


#: Units of amounts (two decimals at most); counts are whole; shares one decimal.
_COUNT_UNITS = frozenset({"户", "家", "件", "场", "座", "个", "项", "次", "人"})


def fmt(value: object, unit: object = None, *, need: bool = False, digits: int | None = None) -> str:
    """A figure for a reader, rounded to what its unit merits: counts whole (a requirement,
    ``need``, rounded up: 557.48 场 needed is 558; a figure that is not whole — an average of the
    years reported, 11.67 场 — keeps two decimals: rounded to 12 it would read as more than it is),
    shares to 0.1 %, amounts to 0.01; thousands separators; the unit; "—" when missing (never
    "nan").

    Examples
    --------
    >>> fmt(557.4797865000002, "场", need=True), fmt(62.5, "%"), fmt(127.62815625, "亿元"), fmt(None)
    ('558场', '62.5%', '127.63亿元', '—')
    >>> fmt(35 / 3, "场"), fmt(12.0, "场"), fmt(10.5, "场")
    ('11.67场', '12场', '10.5场')

    A figure that is not zero is never written as zero (two significant digits where the unit's
    decimals would round it away):

    >>> fmt(0.00031, "亿元"), fmt(0.04, "%"), fmt(0, "亿元")
    ('0.00031亿元', '0.04%', '0亿元')
    """
    if _missing(value):
        return "—"
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return "—"
    u = unit if isinstance(unit, str) else ""
    if digits is not None and digits > 0:  # more decimals, asked where a verdict needs them
        text = f"{number:,.{digits}f}".rstrip("0").rstrip(".")
    elif u in _COUNT_UNITS and not need and abs(number - round(number)) > 1e-9:
        text = f"{number:,.2f}".rstrip("0").rstrip(".")  # an average: its decimals matter
    elif u in _COUNT_UNITS:
        number = math.ceil(number - 1e-9) if need else round(number)
        text = f"{number:,.0f}"
    elif u == "%":
        text = f"{number:,.1f}".removesuffix(".0")
    else:
        text = f"{number:,.2f}".rstrip("0").rstrip(".")
    if number != 0 and text.lstrip("-").strip("0.,") == "":  # 0.00031亿元 is never written “0亿元”
        decimals = 1 - math.floor(math.log10(abs(number)))  # two significant digits
        text = f"{number:,.{decimals}f}".rstrip("0").rstrip(".")
    return text + u


def fmt_pair(value: object, required: object, unit: object) -> tuple[str, str]:
    """A figure and its requirement written so that the reader sees what the verdict saw: where
    the two differ but would be written alike (2.85 % and 2.9 % both “2.9%”), decimals are added
    until they are not (“2.85%”, “2.9%”), so a figure shown equal to its requirement is equal to it
    or above it, never behind it.

    Examples
    --------
    >>> fmt_pair(2.85, 2.9, "%"), fmt_pair(0.87256, 0.95, "万人"), fmt_pair(557, 557.2, "场")
    (('2.85%', '2.9%'), ('0.87万人', '0.95万人'), ('557场', '558场'))
    """
    shown, needs = fmt_judged(value, [required], unit)
    return shown, needs[0]


def fmt_judged(value: object, required: list[object], unit: object) -> tuple[str, list[str]]:
    """`fmt_pair` for a figure beside several requirements (now and in the target year): one
    number of decimals for all, enough that none that differs is written alike.

    >>> fmt_judged(2.85, [2.74, 2.9], "%")
    ('2.85%', ['2.74%', '2.9%'])
    """

    def texts(digits: int | None) -> tuple[str, list[str]]:
        return fmt(value, unit, digits=digits), [fmt(r, unit, need=True, digits=digits) for r in required]

    shown, needs = texts(None)
    if _missing(value):
        return shown, needs
    a = float(value)  # type: ignore[arg-type]

    def clash(shown: str, needs: list[str]) -> bool:
        return any(not _missing(r) and float(r) != a and n == shown for r, n in zip(required, needs, strict=True))  # type: ignore[arg-type]

    for digits in range(1, 10):
        if not clash(shown, needs):
            break
        shown, needs = texts(digits)
    return shown, needs


def figure_parts(r: Any) -> list[str]:
    """The figure judged, the requirement now and in the target year, each written with the
    decimals its verdict needs (`fmt_pair`); a relative or 突破 target says “须高于”."""
    unit = r["unit"] if isinstance(r["unit"], str) else ""
    if r.get("status") == "to_confirm":  # not judged: the figures as typed, no requirement beside them
        if r.get("both_ways"):
            return [f"{fmt_year(r['latest_year'])}年 两种读法：{r['both_ways']}（待核实，未作判断）"]
        return [f"{fmt_year(r['latest_year'])}年 填报 {fmt(r['latest'], unit)}（待核实，未作判断）"]
    least = "至少 " if r.get("at_least") else ""
    latest, (now, final) = fmt_judged(r["latest"], [r["required"], r["final_required"]], unit)
    parts = [f"{fmt_year(r['latest_year'])}年 {least}{latest}（{r['aggregation']}）"]
    if _missing(r["required"]):
        return parts
    if r.get("kind") == "above_reference":
        return [*parts, f"须高于 {now}（同年比较对象）"]
    word = "须高于" if r.get("strict") else "应达"
    parts.append(f"当年{word} {now}")
    if not _missing(r["final_required"]):
        parts.append(f"{fmt_year(r['target_year'])}年{'须高于' if r.get('strict') else '需达'} {final}")
    return parts


def fmt_pct(value: object) -> str:
    """A progress percentage to 0.1 (62.5 %, 100 %); "—" when missing."""
    if _missing(value) or not math.isfinite(float(value)):  # type: ignore[arg-type]
        return "—"
    return f"{float(value):.1f}".removesuffix(".0") + "%"  # type: ignore[arg-type]


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
        self.to_confirm = int((quantitative["status"] == "to_confirm").sum())
        self.no_base = int((quantitative["status"] == "no_base").sum())
        self.no_data = int((quantitative["status"] == "no_data").sum())
        self.qualitative = int((results["status"] == "qualitative").sum())
        self.refused_rows = refused_rows

    def text(self) -> str:
        refused = (
            f"；填报表有 {self.refused_rows} 行未读入（见读取报告）" if self.refused_rows else "；填报表各行均已读入"
        )
        parts = [f"有数据的指标 {self.with_data}/{self.quantitative} 项"]
        if self.to_confirm:
            parts.append(f"待核实 {self.to_confirm} 项")
        if self.no_base:
            parts.append(f"缺基数无法评估 {self.no_base} 项")
        parts.append(f"无数据 {self.no_data} 项")
        if self.qualitative:
            parts.append(f"定性目标 {self.qualitative} 项（不设数值）")
        return "，".join(parts) + refused

    def as_dict(self) -> dict[str, Any]:
        return {
            "with_data": self.with_data,
            "quantitative": self.quantitative,
            "to_confirm": self.to_confirm,
            "no_base": self.no_base,
            "no_data": self.no_data,
            "qualitative": self.qualitative,
            "refused_rows": self.refused_rows,
        }


def verdict_words(results: pd.DataFrame) -> pd.DataFrame:
    """Per verdict, what a page shows beside it: the plan's sentence and section, the figure and the
    requirement as judged (`fmt_pair`), and the figures line (`figure_parts`); aligned to ``results``."""
    from hepinggis.monitor._targets import indicator_record

    rows = []
    for r in results.to_dict("records"):
        ind = indicator_record(str(r["indicator_id"]))
        latest, (need, _) = fmt_judged(r["latest"], [r["required"], r["final_required"]], r["unit"])
        judged = r["status"] in JUDGED
        rows.append(
            {
                "quote": str(ind["quote"]),
                "plan_section": str(ind["plan_section"]),
                "plan_target": str(r.get("target_zh") or ""),
                "latest_shown": latest if not _missing(r["latest"]) else "",
                "required_shown": need if judged and not _missing(r["required"]) else "",
                "figure_text": "；".join(figure_parts(r)) if not _missing(r["latest"]) else "",
            }
        )
    return pd.DataFrame(rows, index=results.index)
