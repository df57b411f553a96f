"""One yearly figure as a person typed it: the number, read by the indicator's kind.

Every rule here answers "what did the person mean?" and refuses what cannot be told:

* a cell Excel formats as a percentage holds 0.52 for what the person saw and typed as ``52%``;
  a share is read as 52, a count or an amount with a percentage is refused;
* ``52%`` typed as text is 52 for a share and refused elsewhere;
* a comma is a thousands separator only in groups of three (``3,000``, ``1,234,567.5``);
  ``16,5`` may be 16.5 or 165 and is refused with both readings named;
* full-width digits and signs (``５２％``) are read as their ASCII forms (NFKC);
* the indicator's own unit may follow the number (``66家``); any other unit is refused;
* shares lie in 0–100, counts are whole and not negative, amounts are not negative, and nothing
  lies above the indicator's plausible maximum (``1e308`` is a slip of the keyboard, not a count);
* a number followed by another unit than the indicator's (``151,000万元`` in a 亿元 row) is a unit
  problem, said with the figure converted, never a thousands-separator one;
* ``/``, ``—``, ``无``, ``不适用`` … are the clerk's "no data" (`NO_DATA_WORDS`), not an error.

`parse_figure` returns the number and, separately, a warning (kept and said) or an error (the row
is refused). Messages are Chinese: they are read by the bureau's staff.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "COUNT_UNITS",
    "ENTRY_ZH",
    "NO_DATA_WORDS",
    "Figure",
    "entry_mode",
    "is_no_data",
    "parse_figure",
    "unit_factor",
    "value_rule",
]

#: Units of indicators counted in whole things (enterprises, events, buildings, patents …).
COUNT_UNITS = frozenset({"户", "家", "件", "场", "座", "个", "项", "次", "人"})
#: What clerks type for "no figure for this year" (compared after NFKC and stripping).
NO_DATA_WORDS = frozenset(
    {
        "/",
        "／",
        "-",
        "--",
        "—",
        "——",
        "–",
        "无",
        "暂无",
        "不适用",
        "无数据",
        "n/a",
        "na",
        "…",
        "...",
        "待统计",
        "未统计",
    }
)
#: Units a clerk may type instead of the indicator's, and how many of the indicator's unit one is.
_UNIT_FACTORS = {
    ("万元", "亿元"): 1e-4,
    ("元", "亿元"): 1e-8,
    ("亿元", "万元"): 1e4,
    ("元", "万元"): 1e-4,
    ("个", "万个"): 1e-4,
    ("人", "万人"): 1e-4,
    ("万人", "人"): 1e4,
    ("万个", "个"): 1e4,
}
_UNIT_WORDS = ("亿元", "万元", "元", "万个", "万人", "个", "人", "户", "家", "件", "场", "座", "项", "次", "%")
#: How a cumulative count is entered: the year's addition, or the running total since 2021.
ENTRY_ZH = {"addition": "当年新增", "running_total": "累计数"}
_ENTRY_WORDS = {
    "addition": ("当年新增", "新增", "当年", "年度新增", "本年新增", "增量", "addition"),
    "running_total": ("累计数", "累计", "累计值", "累计总数", "截至当年累计", "running total", "running_total"),
}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Figure:
    """A figure as read: the value (None when refused), a warning to keep with it, or the error."""

    value: float | None
    warning: str = ""
    error: str = ""


def value_rule(kind: str, unit: object) -> str:
    """``share`` (0–100), ``count`` (whole, ≥ 0) or ``amount`` (≥ 0) for an indicator."""
    if kind == "share_at_least" or unit == "%":
        return "share"
    if isinstance(unit, str) and unit in COUNT_UNITS:
        return "count"
    return "amount"


def is_no_data(raw: object) -> bool:
    """True for a clerk's "no data" (``/``, ``—``, ``无``, ``不适用`` …)."""
    return isinstance(raw, str) and unicodedata.normalize("NFKC", raw).strip().lower() in NO_DATA_WORDS


def unit_factor(typed: str, unit: str) -> float | None:
    """How many ``unit`` one ``typed`` is (万元 in 亿元: 0.0001), None if they do not convert."""
    return _UNIT_FACTORS.get((typed, unit))


def unit_message(shown: str, number: float | None, typed: str, unit: str) -> str:
    """The message for a figure typed in another unit than the indicator's, with the conversion."""
    factor = unit_factor(typed, unit)
    head = f"“{shown}”的单位是“{typed}”，但该指标的单位是“{unit}”"
    if factor is None or number is None:
        return f"{head}：请按{unit}填写"
    converted = f"{number * factor:.6g}"
    return f"{head}：{shown} = {converted}{unit}，请在“数值”栏填 {converted}（单位{unit}）"


def entry_mode(text: str) -> str | None:
    """``addition`` or ``running_total`` for what a person wrote in the 填报口径 column; None if blank.

    Raises ValueError for anything else (the caller refuses the row)."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    if not word:
        return None
    for mode, words in _ENTRY_WORDS.items():
        if word in words:
            return mode
    raise ValueError(f"填报口径“{text}”无法识别：请填“当年新增”或“累计数”")


def _number(text: str) -> tuple[float | None, str]:
    if _THOUSANDS.fullmatch(text):
        return float(text.replace(",", "")), ""
    if "," in text:
        bare = text.replace(",", "")
        if _PLAIN.fullmatch(bare) and text.count(",") == 1:
            dot = text.replace(",", ".")
            return None, (
                f"“{text}”中的逗号无法判断是小数点还是千位分隔符（可能是 {dot} 或 {bare}）："
                f"小数请写 {dot}，千位请写 {bare}"
            )
        return None, f"“{text}”不是数字（千位分隔符须每三位一组）"
    if _PLAIN.fullmatch(text):
        return float(text), ""
    return None, f"“{text}”不是数字"


def parse_figure(
    raw: object, *, rule: str, unit: object, percent_format: bool = False, plausible_max: float | None = None
) -> Figure:
    """Read one typed figure by the indicator's ``rule`` (see `value_rule`).

    ``raw`` is what the cell holds (a number from Excel, or text); ``percent_format`` says whether
    Excel showed the cell as a percentage (its number format has ``%``).

    Examples
    --------
    >>> parse_figure(0.52, rule="share", unit="%", percent_format=True).value
    52.0
    >>> parse_figure("16,5", rule="count", unit="家").error.startswith("“16,5”中的逗号无法判断")
    True
    >>> parse_figure("3,000", rule="count", unit="家").value
    3000.0
    >>> parse_figure("45%", rule="count", unit="家").error
    '数值带“%”，但该指标的单位是“家”：请填写数量'
    """
    unit_text = unit if isinstance(unit, str) else ""
    if isinstance(raw, bool):
        return Figure(None, error=f"“{raw}”不是数字")
    if isinstance(raw, (int, float)):
        value = float(raw)
        if percent_format:
            if rule != "share":
                return Figure(
                    None, error=f"单元格为百分比格式，但该指标的单位是“{unit_text}”：请填写数量并取消百分比格式"
                )
            value *= 100
        shown = f"{raw:.10g}" if isinstance(raw, float) else str(raw)
        return _checked(value, shown, rule, unit_text, typed_percent=percent_format, plausible_max=plausible_max)
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
        if rule != "share":
            return Figure(None, error=f"数值带“%”，但该指标的单位是“{unit_text}”：请填写数量")
    elif unit_text and unit_text != "%" and text.endswith(unit_text):
        text = text[: -len(unit_text)]
    else:
        typed = next((u for u in _UNIT_WORDS if text.endswith(u) and len(text) > len(u)), None)
        if typed is not None:  # another unit than the indicator's: a unit problem, said as such
            number, _ = _number(text[: -len(typed)])
            return Figure(None, error=unit_message(str(raw).strip(), number, typed, unit_text))
    number, error = _number(text)
    if number is None:
        return Figure(None, error=error)
    return _checked(number, str(raw).strip(), rule, unit_text, typed_percent=percent, plausible_max=plausible_max)


def _checked(
    value: float, shown: str, rule: str, unit: str, *, typed_percent: bool, plausible_max: float | None = None
) -> Figure:
    if not math.isfinite(value):
        return Figure(None, error=f"“{shown}”不是有限的数：请核对")
    if rule == "share" and not 0 <= value <= 100:
        return Figure(None, error=f"占比“{shown}”不在 0–100 之间（百分比填 52 表示 52%）")
    if plausible_max is not None and abs(value) > plausible_max:
        return Figure(
            None,
            error=f"“{shown}”超出该指标的合理范围（不超过 {plausible_max:,.10g}{'%' if rule == 'share' else unit}）："
            "请核对是否多输了位数或用错了单位",
        )
    if rule == "share":
        if 0 < value < 1 and not typed_percent:
            return Figure(
                value, warning=f"占比 {shown} 小于 1：按 {shown}% 读取；若指 {value * 100:g}%，请填 {value * 100:g}"
            )
        return Figure(value)
    if value < 0:
        return Figure(None, error=f"“{shown}”为负数：{'数量' if rule == 'count' else '金额'}不能小于 0")
    if rule == "count" and value != int(value):
        return Figure(None, error=f"“{shown}”不是整数：单位为“{unit}”的数量须为整数")
    return Figure(value)
