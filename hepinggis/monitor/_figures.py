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
    """``share`` (0–100), ``count`` (whole, ≥ 0), ``amount`` (≥ 0) or ``rate`` (a growth rate in
    per cent, which may be negative: the figures a relative target compares) for an indicator."""
    if kind in ("above_reference", "reference"):
        return "rate"
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
            if rule not in ("share", "rate"):
                return Figure(
                    None, error=f"单元格为百分比格式，但该指标的单位是“{unit_text}”：请填写数量并取消百分比格式"
                )
            value *= 100
        shown = f"{raw:.10g}" if isinstance(raw, float) else str(raw)
        return _checked(value, shown, rule, unit_text, typed_percent=percent_format, plausible_max=plausible_max)
    shown = str(raw).strip()
    text = unicodedata.normalize("NFKC", shown).strip().replace(" ", "")
    refused = _not_a_figure(text, shown)
    if refused:
        return Figure(None, error=refused)
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
        if rule not in ("share", "rate"):
            return Figure(None, error=f"数值带“%”，但该指标的单位是“{unit_text}”：请填写数量")
    number, suffix = _split(text)
    if number is None:
        return Figure(None, error=f"“{shown}”不是数字")
    factor, said = 1.0, ""
    if suffix and not percent:
        converted = _in_unit(suffix, unit_text)
        if converted is None:  # another unit than the indicator's: a unit problem, said as such
            guess, _ = _number(number) if _ARABIC.search(number) else (_chinese(number), "")
            typed = next((u for u in _UNIT_WORDS if suffix == u), suffix)
            return Figure(None, error=unit_message(shown, guess, typed, unit_text))
        factor = converted
    if _ARABIC.search(number):
        parsed, error = _number(number)
        if parsed is None:
            return Figure(None, error=error)
    else:
        parsed = _chinese(number)
        if parsed is None:
            return Figure(
                None, error=f"“{shown}”不是数字（中文数字请写成“十二”“一百零五”这样的完整写法，或直接填阿拉伯数字）"
            )
        said = f"中文数字“{number}”按 {parsed:g} 读取"
    value = parsed
    if factor != 1.0:
        result = float(f"{value * factor:.12g}")  # 151,000 × 1e-4 is 15.1, not 15.100000000000001
        said = "；".join(
            x
            for x in (said, f"“{shown}”按 {_g(result)}{unit_text} 读取（换算：{shown} = {_g(result)}{unit_text}）")
            if x
        )
        value = result
    fig = _checked(value, shown, rule, unit_text, typed_percent=percent, plausible_max=plausible_max)
    if fig.value is None or not said:
        return fig
    return Figure(fig.value, warning="；".join(x for x in (said, fig.warning) if x))


def _g(x: float) -> str:
    return f"{x:,.10g}" if abs(x) >= 10000 else f"{x:.10g}"


_ARABIC = re.compile(r"\d")
_CN_DIGITS = "零一二两三四五六七八九十百千万亿点壹贰叁肆伍陆柒捌玖拾佰仟〇"
#: A multiplier a clerk writes before (or instead of) the unit: 23亿, 3.1万, 15万元.
_MULTIPLIERS = {"亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4, "千": 1e3}
_APPROX_HEAD = ("约", "大约", "大概", "近", "将近", "接近", "超过", "逾", "估计", "预计")
_APPROX_TAIL = ("左右", "上下", "余", "多", "余个", "多个", "余家", "多家", "以上", "以下", "以内")
_BOUND_HEAD = ("≥", ">=", ">", "≤", "<=", "<", "不少于", "不低于", "不超过", "不高于", "至少", "最多", "大于", "小于")
_RANGE = re.compile(r"[+-]?[\d.,]+[%]?(?:-|~|～|至|到|—|–|－)[\d.,]+.*")


def _not_a_figure(text: str, shown: str) -> str:
    """Why ``text`` is not one figure (a bound, an approximation, a range), or ""."""
    if text.startswith(_BOUND_HEAD):
        return f"“{shown}”是下限或上限，不是统计数：请填写当年的统计数本身（不带“≥”“不少于”等）"
    bare = text.rstrip("%")
    tail = next((t for t in _APPROX_TAIL if bare.endswith(t) and len(bare) > len(t)), "")
    numeral_before = bool(tail) and (bare[-len(tail) - 1].isdigit() or bare[-len(tail) - 1] in _CN_DIGITS)
    head = text.startswith(_APPROX_HEAD) and bool(_ARABIC.search(text) or any(c in _CN_DIGITS for c in text[1:]))
    if head or numeral_before:
        return f"“{shown}”是约数，不是统计数：请填写统计数本身（不带“约”“左右”“余”等）"
    if _RANGE.fullmatch(text):
        return f"“{shown}”是一个区间，不是统计数：请只填一个数"
    return ""


def _split(text: str) -> tuple[str | None, str]:
    """The number part and the unit written after it (``23亿`` → ``23``, ``亿``); for Chinese
    numerals the unit is what follows the last numeral character (``一百零五家`` → ``家``)."""
    if _ARABIC.search(text):
        m = re.fullmatch(r"([+-]?[\d.,]*\d[\d.,]*(?:[eE][+-]?\d+)?)(.*)", text)
        return (m.group(1), m.group(2)) if m else (None, "")
    k = len(text)
    while k and text[k - 1] not in _CN_DIGITS:
        k -= 1
    return (text[:k], text[k:]) if k else (None, "")


def _chinese(text: str) -> float | None:
    """A number written in Chinese numerals (十二, 一百零五, 两百, 十二点五), or None: read by cn2an
    in its strict mode, which refuses the ambiguous spoken forms (一万二)."""
    if not text or any(c not in _CN_DIGITS for c in text):
        return None
    import cn2an  # loaded only for a figure typed in Chinese numerals

    try:
        return float(cn2an.cn2an(text.replace("两", "二"), "strict"))
    except (ValueError, KeyError, IndexError):
        return None


def _unit_parts(unit: str) -> tuple[float, str]:
    """A unit as its multiplier and its base: 亿元 → (1e8, 元), 万个 → (1e4, 个), 家 → (1, 家)."""
    for word, factor in _MULTIPLIERS.items():
        if unit.startswith(word):
            return factor, unit[len(word) :]
    return 1.0, unit


def _in_unit(suffix: str, unit: str) -> float | None:
    """How many of ``unit`` one ``suffix`` is, where that is certain: the same base (万元 in 亿元,
    万个 in 个) or a multiplier alone that is the unit's own (亿 in 亿元, 万 in 万个) or multiplies a
    plain unit (万 in 个); None otherwise (人 in 万元; 万 in 亿元, which may mean 万元 or 万亿元)."""
    if not unit or unit == "%":
        return None
    typed_factor, typed_base = _unit_parts(suffix)
    unit_factor_, unit_base = _unit_parts(unit)
    if typed_base and typed_base != unit_base:
        return None
    if not typed_base and (typed_factor == 1.0 or unit_factor_ not in (1.0, typed_factor)):
        return None
    return typed_factor / unit_factor_


def _checked(
    value: float, shown: str, rule: str, unit: str, *, typed_percent: bool, plausible_max: float | None = None
) -> Figure:
    if not math.isfinite(value):
        return Figure(None, error=f"“{shown}”不是有限的数：请核对")
    if rule == "rate":
        if plausible_max is not None and abs(value) > plausible_max:
            return Figure(None, error=f"增速“{shown}”超出合理范围（绝对值不超过 {plausible_max:g}%）：请核对")
        return Figure(value)
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
