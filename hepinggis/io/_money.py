"""Investment amounts as planners type them: ``1.2亿元``, ``3,000万元``, ``５,０００万元``, ``约1亿元``,
``2.5 亿元``, ``待定`` or blank — read into 元, with what each cell was read as.

The unit comes from the cell (``亿元``/``亿``/``万元``/``万``/``元``) or else from the header
(``总投资（亿元）``); a number with no unit anywhere is kept as written and said to be ambiguous,
never scaled silently.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Amount", "header_unit", "parse_amount"]

_UNITS: dict[str, float] = {"亿元": 1e8, "亿": 1e8, "万元": 1e4, "万": 1e4, "千元": 1e3, "元": 1.0}
_UNIT_ZH = {1e8: "亿元", 1e4: "万元", 1e3: "千元", 1.0: "元"}
_APPROX = re.compile(r"^(约|大约|大概|近|超过|超|逾|预计)|(左右|以上|多|余)$")
_PENDING = {"待定", "未定", "暂无", "不详", "无", "/", "-", "—", "--", "——", "tbd", "n/a", "na", "？", "?"}
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


@dataclass(frozen=True)
class Amount:
    """One investment cell: ``value`` in 元 (NaN when missing), ``approx`` for 约/左右, and
    ``level``/``note`` for the report (``""`` when read without remark)."""

    value: float
    approx: bool = False
    level: str = ""  # "", "warning" (kept, but said) or "error" (not a number at all)
    note: str = ""


def header_unit(header: str) -> float | None:
    """The unit a header states (``总投资（亿元）`` → 1e8), or None.

    Examples
    --------
    >>> header_unit("总投资（亿元）"), header_unit("计划投资(万元)"), header_unit("投资")
    (100000000.0, 10000.0, None)
    """
    text = unicodedata.normalize("NFKC", str(header))
    return next((f for unit, f in _UNITS.items() if unit in text), None)


def parse_amount(cell: object, unit: float | None) -> Amount:
    """Read one cell; ``unit`` is the header's (`header_unit`), used when the cell has none.

    Examples
    --------
    >>> parse_amount("1.2亿元", None).value, parse_amount("3,000万元", None).value
    (120000000.0, 30000000.0)
    >>> a = parse_amount("约1亿元", None); (a.value, a.approx)
    (100000000.0, True)
    >>> parse_amount("５,０００万元", None).value
    50000000.0
    >>> parse_amount("1500", None).level
    'warning'
    >>> parse_amount("2.5", 1e8).value
    250000000.0
    """
    raw = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell)
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        text = repr(float(cell)) if not float(cell).is_integer() else str(int(cell))
    else:
        text = unicodedata.normalize("NFKC", raw)
    text = re.sub(r"\s+", "", text).replace("，", ",").replace("人民币", "")
    if text == "":
        return Amount(math.nan, level="warning", note="投资额为空，按缺失处理")
    if text.lower() in _PENDING:
        return Amount(math.nan, level="warning", note=f"投资额“{raw.strip()}”，按缺失处理")
    approx = False
    while True:
        stripped = _APPROX.sub("", text)
        if stripped == text:
            break
        approx, text = True, stripped
    cell_unit: float | None = None
    for name, scale in _UNITS.items():
        if text.endswith(name):
            cell_unit, text = scale, text[: -len(name)]
            break
    if not _NUMBER.match(text):
        return Amount(math.nan, level="warning", note=f"投资额“{raw.strip()}”不是金额，按缺失处理")
    number = float(text.replace(",", ""))
    if number < 0:
        return Amount(math.nan, level="warning", note=f"投资额“{raw.strip()}”为负数，按缺失处理")
    factor = cell_unit or unit
    say = f"“{raw.strip()}”读作 {{:,.0f}} 元" + ("（约数）" if approx else "")
    if factor is None:
        return Amount(
            number, approx, "warning", say.format(number) + "；表头和单元格均无单位，按元计，请在表头注明单位"
        )
    value = number * factor
    note = say.format(value)
    if cell_unit is not None and unit is not None and cell_unit != unit:
        note += f"（单元格单位{_UNIT_ZH[cell_unit]}优先于表头单位{_UNIT_ZH[unit]}）"
        return Amount(value, approx, "warning", note)
    return Amount(value, approx, "warning" if approx else "", note)
