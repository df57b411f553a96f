"""Which unit an amount column is in, and where the sheet says so: the column's own header
(``总投资（亿元）``), else its group header (``投资情况（万元）``), else a line above the header
(``单位：万元``); ``unit=`` / ``--unit`` set it explicitly. A cell's own unit (``1.2亿元``) always
wins over all of them (see `_money`).

When no unit is stated for the column but the sheet states one elsewhere, that one is used and said
so — never 元 while the sheet states a unit anywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._money import header_unit

__all__ = ["UNIT_NAMES", "ColumnUnit", "column_unit", "parse_unit"]

UNIT_NAMES: dict[str, float] = {"亿元": 1e8, "亿": 1e8, "万元": 1e4, "万": 1e4, "千元": 1e3, "元": 1.0}
_UNIT_ZH = {1e8: "亿元", 1e4: "万元", 1e3: "千元", 1.0: "元"}
#: ``（万元）``, ``(单位：亿元)``, ``单位：万元``, ``金额单位:万元``
_IN_BRACKETS = re.compile(r"[（(]\s*(?:[^）)]*单位\s*[:：]\s*)?(?:人民币)?\s*(亿元|万元|千元|元|亿|万)\s*[)）]")
_AMOUNT = re.compile(r"投资|金额|资金|造价|费用|产值|营业|收入")
_AFTER_LABEL = re.compile(r"单位\s*[:：]\s*(?:人民币)?\s*(亿元|万元|千元|元)")


@dataclass(frozen=True)
class ColumnUnit:
    """The unit applied to an amount column (``factor`` in 元; None: none stated anywhere) and where
    it was read (``source``, in Chinese, for the report)."""

    factor: float | None
    source: str

    @property
    def name(self) -> str:
        return _UNIT_ZH.get(self.factor, "") if self.factor is not None else "未注明"


def parse_unit(text: str) -> float:
    """``万元`` / ``万`` / ``亿元`` / ``亿`` / ``千元`` / ``元`` → its factor in 元.

    Examples
    --------
    >>> parse_unit("万元"), parse_unit(" 亿 ")
    (10000.0, 100000000.0)
    """
    key = unicodedata.normalize("NFKC", str(text)).strip()
    if key not in UNIT_NAMES:
        raise ImportFileError(f"不认识的金额单位“{text}”：请用 元、千元、万元 或 亿元")
    return UNIT_NAMES[key]


def _stated(text: str) -> float | None:
    """The unit a label or line states in brackets or after ``单位：``, else None."""
    text = unicodedata.normalize("NFKC", text)
    hit = _IN_BRACKETS.search(text) or _AFTER_LABEL.search(text)
    return UNIT_NAMES[hit.group(1)] if hit else None


def units_stated(labels: list[str], title_lines: list[str]) -> dict[float, str]:
    """Every unit the header labels and the lines above state, with the first text stating it."""
    out: dict[float, str] = {}
    for text in [*labels, *title_lines]:
        factor = _stated(text)
        if factor is not None:
            out.setdefault(factor, text)
    return out


def column_unit(
    levels: list[str], title_lines: list[str], *, explicit: str | None, all_labels: list[str]
) -> ColumnUnit:
    """The unit of one amount column with header labels ``levels`` (top to bottom).

    Examples
    --------
    >>> column_unit(["投资情况（万元）", "总投资"], [], explicit=None, all_labels=[]).source
    '分组表头“投资情况（万元）”'
    >>> column_unit(["总投资"], ["填报单位：区发改局  单位：万元"], explicit=None, all_labels=[]).name
    '万元'
    """
    if explicit is not None:
        return ColumnUnit(parse_unit(explicit), Said("unit_given", unit=explicit.strip()))
    if levels:
        own = header_unit(levels[-1])
        if own is not None:
            return ColumnUnit(own, f"表头“{levels[-1]}”")
    for label in reversed(levels[:-1]):
        factor = _stated(label)
        if factor is not None:
            return ColumnUnit(factor, f"分组表头“{label}”")
    for line in title_lines:
        factor = _stated(line)
        if factor is not None:
            return ColumnUnit(factor, f"表头上方“{line.strip()}”")
    elsewhere = units_stated([t for t in all_labels if _AMOUNT.search(t)], [])
    if len(elsewhere) == 1:
        factor, text = next(iter(elsewhere.items()))
        return ColumnUnit(factor, f"本列未注明单位，按表中唯一注明的单位（“{text}”）计")
    if len(elsewhere) > 1:
        names = "、".join(f"“{t}”" for t in elsewhere.values())
        raise ImportFileError(Said("unit_ambiguous", names=names))
    return ColumnUnit(None, "表头、表头上方和单元格均未注明单位")
