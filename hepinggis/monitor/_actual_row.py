"""One row of yearly figures read (`hepinggis.monitor._read_actuals` reads the table): its
indicator, its year, the figure as the person typed it and the entry mode, or `_Skip` with the
outcome, the column and the reason in Chinese."""

from __future__ import annotations

import functools
import re
import unicodedata

import pandas as pd

from hepinggis.monitor._figures import entry_mode, is_no_data, parse_figure, unit_message, value_rule
from hepinggis.monitor._sheets import Cell
from hepinggis.monitor._targets import TARGET_NAMES_ZH, known_figures, target_name

#: Years a figure may be entered for (figures outside the plan period are read and listed as such).
YEARS = (2000, 2035)
#: The plan period: the years judged (2020 is the base year).
PLAN_YEARS = (2021, 2025)
_YEAR = re.compile(r"(\d{4})(?:\.0+)?\s*(?:年度?)?")
_CONFIRM = ("已核实", "核实", "已确认", "确认")


def _norm(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().lower() if value is not None else ""


def _year(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() and YEARS[0] <= value <= YEARS[1] else None
    match = _YEAR.fullmatch(unicodedata.normalize("NFKC", str(value)).strip())
    if match is None:
        return None
    year = int(match.group(1))
    return year if YEARS[0] <= year <= YEARS[1] else None


def _blank(cell: Cell) -> bool:
    return cell.value is None or (isinstance(cell.value, str) and not cell.value.strip())


def _entry(text: str) -> tuple[str | None, bool]:
    """The entry mode written in 填报口径 and whether the clerk confirmed it (“当年新增（已核实）”)."""
    word = unicodedata.normalize("NFKC", text).strip()
    confirmed = any(c in word for c in _CONFIRM)
    for c in _CONFIRM:
        word = word.replace(c, "")
    word = word.strip(" ()（）,，;；")
    return entry_mode(word), confirmed


class _Skip(Exception):
    """A row not read as a figure: left blank, said to have no data, or refused with the reason."""

    def __init__(self, outcome: str, fieldname: str | None, message: str, year: int | None = None) -> None:
        super().__init__(message)
        self.outcome, self.field, self.message, self.year = outcome, fieldname, message, year


class _Row:
    """One data row, its cells by role."""

    def __init__(self, cells: list[Cell], cols: dict[str, int | None], names: dict[str, str]) -> None:
        self.cells, self.cols, self.names = cells, cols, names

    def cell(self, role: str) -> Cell:
        k = self.cols.get(role)
        return self.cells[k] if k is not None and k < len(self.cells) else Cell()

    def text(self, role: str) -> str:
        value = self.cell(role).value
        return "" if value is None else unicodedata.normalize("NFKC", str(value)).strip()

    def name(self, role: str) -> str:
        return self.names.get(role, role)


def _check_unit(ind: pd.Series, row: _Row, year: int) -> None:
    typed = row.text("unit")
    unit = ind["unit"] if isinstance(ind["unit"], str) else ""
    if not typed or not unit or typed == unit:
        return
    # another unit than the indicator's: said with the conversion where there is one
    raw = row.cell("value").value
    try:
        number: float | None = float(str(raw).replace(",", "")) if raw is not None else None
    except ValueError:
        number = None
    shown = f"{raw}{typed}" if raw is not None else typed
    message = "单位栏" + unit_message(shown, number, typed, unit)
    raise _Skip("rejected", row.name("unit"), message, year)


@functools.cache
def _target_keys() -> dict[str, str]:
    """Every way the 功能区 column may name a zone, axis, belt or the district (its id, its full
    or short Chinese name — the template writes the full name, older ones the id) → its id."""
    from hepinggis.base._style import ZONE_SHORT_ZH
    from hepinggis.plan.layers import load

    zones = load("zones")
    ids = {str(t) for t in known_figures()["target_id"] if t != "reference"} | set(zones["id"].astype(str))
    keys: dict[str, str] = {}
    for tid in ids:
        for name in (tid, target_name(tid, zones), TARGET_NAMES_ZH.get(tid), ZONE_SHORT_ZH.get(tid)):
            if name:
                keys[_norm(name)] = tid
    keys[_norm("和平区")] = keys[_norm("全区")] = "district"
    return keys


def _check_target(ind: pd.Series, row: _Row, iid: str, year: int) -> None:
    """A 功能区 cell that names another zone than the indicator's: which column is wrong is not
    ours to guess, so the row is refused. Text that names no zone is left to the 指标编号."""
    typed = row.text("target_id")
    if not typed:
        return
    said = _target_keys().get(_norm(typed))
    own = str(ind["target_id"])
    if said is None or said == own or own == "reference":  # a reference figure belongs to no zone
        return
    raise _Skip(
        "rejected",
        row.name("target_id"),
        f"功能区“{str(row.cell('target_id').value).strip()}”与指标编号“{iid}”所属的“{target_name(own)}”不一致："
        "请核对指标编号或功能区",
        year,
    )


def _read_row(row: _Row, iid: str, known: pd.DataFrame) -> tuple[pd.Series, int, float, str | None, bool, list[str]]:
    """The indicator, year, figure, entry mode, confirmation and warnings of a row; or `_Skip`."""
    if iid not in known.index:
        raise _Skip(
            "rejected",
            row.name("indicator_id"),
            f"未知的指标编号“{iid}”：请使用填报模板中的指标编号（模板“指标一览”页列出全部指标）",
        )
    ind = known.loc[iid]
    assert isinstance(ind, pd.Series)  # ids are unique (checked by `indicators`): one row
    year_cell = row.cell("year")
    year = _year(year_cell.value)
    if year is None:
        shown = "" if _blank(year_cell) else str(year_cell.value).strip()
        raise _Skip("rejected", row.name("year"), f"“{shown}”不是年份（请填 2021–2025 之间的年份，如 2023）")
    _check_target(ind, row, iid, year)
    if ind["kind"] == "qualitative":
        if _blank(row.cell("value")) or is_no_data(row.cell("value").value):
            raise _Skip("skipped", row.name("value"), f"“{ind['indicator_zh']}”为定性目标，不填数值", year)
        raise _Skip(
            "rejected", row.name("value"), f"“{ind['indicator_zh']}”为定性目标，不填数值：请在年度报告中文字说明", year
        )
    value_cell = row.cell("value")
    if _blank(value_cell):
        raise _Skip("blank", row.name("value"), "未填数值", year)
    if is_no_data(value_cell.value):
        raise _Skip("no_data", row.name("value"), f"填报为“{str(value_cell.value).strip()}”：按无数据处理", year)
    _check_unit(ind, row, year)
    limit = ind.get("plausible_max")
    fig = parse_figure(
        value_cell.value,
        rule=value_rule(str(ind["kind"]), ind["unit"]),
        unit=ind["unit"],
        percent_format=value_cell.percent,
        plausible_max=float(limit) if limit is not None and pd.notna(limit) else None,
    )
    if fig.value is None:
        raise _Skip("rejected", row.name("value"), fig.error, year)
    warnings = [fig.warning] if fig.warning else []
    entry_text = row.text("entry")
    try:
        mode, confirmed = _entry(entry_text)
    except ValueError as exc:
        raise _Skip("rejected", row.name("entry"), str(exc), year) from None
    if ind["basis"] == "cumulative":
        mode = mode or str(ind["entry"] or "addition")
    elif mode is not None:
        warnings.append(f"填报口径“{entry_text}”只适用于累计类指标，此处不采用")
        mode = None
    if year < PLAN_YEARS[0] - 1 or year > PLAN_YEARS[1]:
        warnings.append(f"{year}年不在规划期（2021–2025年）内：单独列示，不参与判断")
    elif year == PLAN_YEARS[0] - 1 and ind["basis"] in ("cumulative", "per_year"):
        cumulative = ind["basis"] == "cumulative"
        warnings.append(f"{year}年为基期：不计入规划期（2021年起）的{'累计' if cumulative else '年均'}，仅在趋势中列示")
    return ind, year, fig.value, mode, confirmed, warnings
