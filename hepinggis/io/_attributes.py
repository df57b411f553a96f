"""The attribute columns of an import: category, status, nature, address and year as typed or
refused, the investment and the progress amounts read into 元 with their columns' units (said in
the import's notes), the progress dates and texts as typed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hepinggis.base.messages import Said
from hepinggis.io._cells import amounts, number_cells, text_cells
from hepinggis.io._import_report import Rejections
from hepinggis.io._money import Amount
from hepinggis.io._prepare import Prepared
from hepinggis.io._units import ColumnUnit, column_unit

__all__ = ["PROGRESS_MONEY", "PROGRESS_TEXT", "attributes", "investment_unit", "progress_units"]


def attributes(
    frame: pd.DataFrame,
    cols: dict[str, str],
    rej: Rejections,
    unit: ColumnUnit | None,
    progress_units: dict[str, ColumnUnit] | None = None,
) -> tuple[dict[str, object], list[Amount] | None]:
    """Category, status, nature, address, year (refused unless a whole year 1900–2100) and the
    investment read into 元 with the column's unit."""
    extras: dict[str, object] = {}
    for role in ("category", "status", "nature", "address"):
        if role in cols or role in ("category", "status"):
            extras[role] = text_cells(frame[cols[role]]).replace("", None).to_numpy() if role in cols else None
    if "year" in cols:
        values, _blank, bad = number_cells(frame[cols["year"]])
        if bad.any():
            rej.add(bad, cols["year"], [f"“{v}”不是数字" for v in text_cells(frame[cols["year"]])])
        not_year = np.isfinite(values) & ~((values >= 1900) & (values <= 2100) & (np.mod(values, 1) == 0))
        rej.add(not_year, cols["year"], [f"{v:g} 不是年份" for v in values])
        extras["year"] = pd.array(np.where(np.isfinite(values), values, np.nan), dtype="Int64")
    else:
        extras["year"] = None
    factor = unit.factor if unit is not None else None
    money = amounts(frame[cols["investment"]], factor) if "investment" in cols else None
    extras["investment_cny"] = None if money is None else np.array([a.value for a in money], dtype=float)
    for role, out in PROGRESS_TEXT.items():  # the unit and dates as typed (the warnings read them)
        if role in cols:
            extras[out] = text_cells(frame[cols[role]]).replace("", None).to_numpy()
    for role, out in PROGRESS_MONEY.items():
        if role in cols:
            col_unit = (progress_units or {}).get(role)
            read = amounts(frame[cols[role]], col_unit.factor if col_unit is not None else None)
            extras[out] = np.array([a.value for a in read], dtype=float)
            extras[f"{out}_text"] = text_cells(frame[cols[role]]).replace("", None).to_numpy()
    return extras, money


#: Progress roles kept as typed, and the columns they become.
PROGRESS_TEXT = {
    "owner": "owner",
    "planned_start": "planned_start",
    "actual_start": "actual_start",
    "planned_end": "planned_end",
    "progress_text": "progress_text",
}
#: Progress amounts, read into 元 with their own column's unit.
PROGRESS_MONEY = {"annual_plan": "annual_plan_cny", "completed_investment": "completed_cny"}


def investment_unit(prepared: Prepared, explicit: str | None) -> ColumnUnit | None:
    """The unit of the investment column, said in the notes."""
    cols = prepared.cols
    if "investment" not in cols:
        if explicit is not None:
            prepared.notes.append(f"指定了单位 {explicit}，但表中没有投资列")
        return None
    unit = _column_unit(prepared, cols["investment"], explicit)
    prepared.notes.append(Said("unit_note", col=cols["investment"], unit=unit.name, source=unit.source))
    return unit


def progress_units(prepared: Prepared, explicit: str | None) -> dict[str, ColumnUnit]:
    """The unit of each progress amount column (年度计划投资, 累计完成投资), said in the notes."""
    out: dict[str, ColumnUnit] = {}
    for role in PROGRESS_MONEY:
        if role in prepared.cols:
            col = prepared.cols[role]
            out[role] = _column_unit(prepared, col, explicit)
            prepared.notes.append(Said("progress_unit_note", col=col, unit=out[role].name, source=out[role].source))
    return out


def _column_unit(prepared: Prepared, col: str, explicit: str | None) -> ColumnUnit:
    raw = prepared.raw
    headers = list(raw.frame.columns)
    k = headers.index(col)
    levels = raw.levels[k] if k < len(raw.levels) else [col]
    others = [label for lv in raw.levels for label in lv] if raw.levels else headers
    return column_unit(levels, raw.title_lines, explicit=explicit, all_labels=others)
