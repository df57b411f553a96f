"""Reading the yearly figures a bureau enters (`read_actuals`): every row read, or reported with the
row number the spreadsheet shows, the column and the reason, in Chinese; each figure read as the
person typed it (see `_figures`) and, where a habit makes it doubtful, asked about (see `_doubts`)."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.monitor._doubts import flag_doubts
from hepinggis.monitor._figures import entry_mode, is_no_data, parse_figure, unit_message, value_rule
from hepinggis.monitor._sheets import Cell, Grid, read_grid
from hepinggis.monitor._targets import TARGET_NAMES_ZH, known_figures, target_name
from hepinggis.monitor._wide import to_long

__all__ = ["EXAMPLE_MARK", "HEADERS", "OUTCOME_ZH", "PLAN_YEARS", "YEARS", "ActualsResult", "read_actuals"]

#: Years a figure may be entered for (figures outside the plan period are read and listed as such).
YEARS = (2000, 2035)
#: The plan period: the years judged (2020 is the base year).
PLAN_YEARS = (2021, 2025)
#: Column headers of the entry workbook (Chinese, as planners fill it in), by English role.
HEADERS = {
    "indicator_id": "指标编号",
    "target_id": "功能区/轴/带",
    "indicator_zh": "指标",
    "unit": "单位",
    "target_text": "2025年目标",
    "year": "年份",
    "entry": "填报口径",
    "value": "数值",
    "note": "备注",
}
_ALIASES = {
    "indicator_id": ("indicator_id", "指标编号", "编号", "id"),
    "indicator_zh": ("indicator_zh", "指标", "指标名称"),
    "target_id": ("target_id", "功能区/轴/带", "功能区/轴/带/全区", "功能区", "范围"),
    "unit": ("unit", "单位", "计量单位"),
    "year": ("year", "年份", "年度"),
    "value": ("value", "数值", "实际值", "完成值", "数据"),
    "entry": ("entry", "填报口径", "口径"),
    "note": ("note", "备注", "说明"),
}
#: What each reading outcome is called in the bureau's report.
OUTCOME_ZH = {"read": "已读入", "blank": "未填", "no_data": "无数据", "skipped": "已跳过", "rejected": "未读入"}
#: The bundled example figures say so in every note; a package says "示例" only for them.
EXAMPLE_MARK = "示意数据"
_YEAR = re.compile(r"(\d{4})(?:\.0+)?\s*(?:年度?)?")
_CONFIRM = ("已核实", "核实", "已确认", "确认")
_VALUE_COLUMNS = ["indicator_id", "year", "value", "entry", "note", "row", "confirmed", "flag", "question"]


@dataclass
class ActualsResult:
    """What `read_actuals` returns: the figures read, and one report line per input row.

    Parameters
    ----------
    values : pandas.DataFrame
        The figures read: ``indicator_id``, ``year``, ``value``, ``entry`` (当年新增 / 累计数),
        ``note`` (备注, byte for byte), ``row`` (the row number the spreadsheet shows),
        ``confirmed``, ``flag`` and ``question`` (a figure asked about, and why).
    report : pandas.DataFrame
        One line per input row: ``row``, ``indicator_id``, ``year``, ``outcome`` (``read``,
        ``blank``, ``no_data``, ``skipped``, ``rejected``), ``field`` and ``message`` (the reason,
        in Chinese).
    source : str
        The file read.
    rows_in : int
        How many rows below the header the file has.
    sheet : str, optional
        The sheet read (None for a CSV).

    Attributes
    ----------
    rejected : pandas.DataFrame
        The report lines of the refused rows.
    doubtful : pandas.DataFrame
        The figures read but asked about (not judged until confirmed).
    is_example : bool
        True when every figure is one of the bundled illustrative ones.

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"indicator_id": ["sanhaojie_high_tech_firms"], "year": [2022],
    ...                        "value": [61.0], "note": [""], "flag": [""]})
    >>> report = pd.DataFrame({"row": [2, 3], "outcome": ["read", "rejected"]})
    >>> result = ActualsResult(values, report, source="a.csv", rows_in=2)
    >>> len(result.rejected), len(result.doubtful), result.is_example
    (1, 0, False)
    """

    values: pd.DataFrame  # indicator_id, year, value, entry, note, row, confirmed, flag, question
    report: pd.DataFrame  # row, indicator_id, year, outcome, field, message
    source: str
    rows_in: int
    sheet: str | None = None

    @property
    def rejected(self) -> pd.DataFrame:
        return self.report[self.report["outcome"] == "rejected"].reset_index(drop=True)

    @property
    def doubtful(self) -> pd.DataFrame:
        """The figures read but asked about (a share typed as a fraction, running totals typed as
        additions): not judged until the 填报口径 column confirms them."""
        v = self.values
        return v[v["flag"].fillna("").astype(str) != ""].reset_index(drop=True)

    @property
    def is_example(self) -> bool:
        """True when every figure is one of the bundled illustrative ones (each note says so)."""
        notes = self.values["note"].astype(str) if len(self.values) else pd.Series(dtype=str)
        return bool(len(notes)) and bool(notes.str.contains(EXAMPLE_MARK).all())

    def summary(self) -> str:
        counts = self.report["outcome"].value_counts()
        place = f"（工作表“{self.sheet}”）" if self.sheet else ""
        return (
            f"{Path(self.source).name}{place}：{self.rows_in} 行，读入 {len(self.values)} 项数值，"
            f"未读入 {int(counts.get('rejected', 0))} 行，未填 {int(counts.get('blank', 0))} 行，"
            f"填报为无数据 {int(counts.get('no_data', 0))} 行，待核实 {len(self.doubtful)} 项"
        )

    def report_zh(self) -> pd.DataFrame:
        """The reading report with Chinese headers and outcomes, for the bureau's workbook."""
        frame = self.report.assign(outcome=self.report["outcome"].map(OUTCOME_ZH))
        return frame.rename(
            columns={
                "row": "行号",
                "indicator_id": "指标编号",
                "year": "年份",
                "outcome": "结果",
                "field": "栏目",
                "message": "说明",
            }
        )

    def write_report(self, path: Path) -> None:
        path = Path(path)
        if path.suffix.lower() == ".xlsx":
            write_workbook({"读取报告": self.report_zh()}, path)
        else:
            write_csv(self.report_zh(), path)


def _norm(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().lower() if value is not None else ""


def _columns(header: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for role, names in _ALIASES.items():
        found[role] = next((k for name in names for k, h in enumerate(header) if h == _norm(name)), None)
    return found


def _header(grid: Grid) -> tuple[int, dict[str, int | None], list[str]] | None:
    """The header row (index into ``grid.rows``), the columns by role and the header texts; a
    two-row header (a merged group title above 数值) is read as one."""
    for k, (_, cells) in enumerate(grid.rows[:20]):
        texts = [_norm(c.value) for c in cells]
        cols = _columns(texts)
        if cols["indicator_id"] is None:
            continue
        if (cols["year"] is None or cols["value"] is None) and k + 1 < len(grid.rows):
            below = [_norm(c.value) for c in grid.rows[k + 1][1]]
            merged = [b or t for t, b in zip(texts, below + [""] * len(texts), strict=False)]
            both = _columns(merged)
            if both["year"] is not None and both["value"] is not None:
                return k + 1, both, merged
        return k, cols, texts
    return None


def _accepts(grid: Grid) -> bool:
    found = _header(grid)
    long = found is not None and found[1]["year"] is not None and found[1]["value"] is not None
    return long or to_long(grid) is not None


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


def read_actuals(path: str | Path, *, encoding: str | None = None, sheet: str | None = None) -> ActualsResult:
    """Read yearly figures (the entry workbook of `write_template` as .xlsx, .xls or .ods, or a CSV
    in UTF-8/GBK) row by row.

    The sheet is ``sheet`` (a name or its number from 1), else the first with a 指标编号/年份/数值
    header, or a wide one with the years as columns (`hepinggis.monitor._wide`; a cover sheet is
    passed over). Every row below the header is read, left blank (未填),
    said to have no data ("/", "—", "无", "不适用" …), skipped (an empty row, a section title
    without year or figure) or refused with the row number the spreadsheet shows, the column and
    the reason in Chinese: an unknown indicator, a value for a qualitative target, a cell that is
    not a year ("2025年" is 2025), a figure not read as the person meant it (see
    `hepinggis.monitor._figures.parse_figure`: percent formats, commas, units, plausible ranges),
    an (indicator, year) pair given twice (the first is kept and named). Merged 指标编号 cells name
    each row they cover (in a CSV, an empty 指标编号 under a row of the same 指标 takes that row's).
    The figures are then checked together (`hepinggis.monitor._doubts.flag_doubts`). 备注 is kept
    byte for byte.

    Parameters
    ----------
    path : str or Path
        A .xlsx, .xls, .ods or .csv file.
    encoding : str, optional
        The CSV's encoding (default: detected, UTF-8 or GBK).
    sheet : str, optional
        The sheet to read, by name or its number from 1 (default: found as said above).

    Returns
    -------
    ActualsResult
        The figures read (``values``) and one report line per row (``report``; ``rejected``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = f.write_text("指标编号,年份,数值\\nsanhaojie_high_tech_firms,2022,61\\nnope,2022,1\\n", encoding="gbk")
    >>> r = read_actuals(f)
    >>> len(r.values), len(r.rejected)
    (1, 1)
    """
    path = Path(path)
    grid = read_grid(path, sheet=sheet, encoding=encoding, accept=_accepts)
    where = f"{path.name}{'（' + grid.where() + '）' if grid.sheet else ''}"
    grid = to_long(grid) or grid  # years as columns: one row per indicator and year
    found = _header(grid)
    if found is None:
        others = Said("monitor_other_sheets", sheets="、".join(grid.sheets)) if len(grid.sheets) > 1 else ""
        raise ImportFileError(Said("monitor_no_header", where=where, others=others))
    at, cols, texts = found
    names = {role: str(grid.rows[at][1][k].value or texts[k]) for role, k in cols.items() if k is not None}
    names = {role: HEADERS.get(role, role) if not n.strip() else n.strip() for role, n in names.items()}
    missing = [HEADERS[r] for r in ("indicator_id", "year", "value") if cols[r] is None]
    if missing:
        shown = "、".join(t for t in texts if t) or "（空）"
        raise ImportFileError(f"{where}：缺少“{'”“'.join(missing)}”列（表头为：{shown}）")
    known = known_figures()
    width = max((k + 1 for k, t in enumerate(texts) if t), default=0)
    body = grid.rows[at + 1 :]
    while body and all(_blank(c) for c in body[-1][1]):
        body.pop()  # formatted but empty rows below the table are not rows of it
    report: list[dict[str, object]] = []
    values: list[dict[str, object]] = []
    first: dict[tuple[str, int], int] = {}
    above: tuple[str, str] = ("", "")  # the last row's indicator id and name (for a CSV's merged cells)
    for rownum, cells in body:
        row = _Row(cells, cols, names)

        def line(
            outcome: str, fieldname: str | None, message: str, iid: str = "", year: object = None, at: int = rownum
        ) -> None:
            report.append(
                {"row": at, "indicator_id": iid or None, "year": year, "outcome": outcome, "field": fieldname}
                | {"message": message}
            )

        if all(_blank(c) for c in cells):
            line("skipped", None, "空行（已跳过）")
            continue
        extra = [c for c in cells[width:] if not _blank(c)]
        if grid.sheet is None and extra:  # a CSV row split at an unquoted comma
            line(
                "rejected",
                None,
                f"此行有 {width + len(extra)} 个字段，表头只有 {width} 列："
                "文字中的英文逗号请用引号括起，或改用中文逗号“，”",
                row.text("indicator_id"),
            )
            continue
        iid = row.text("indicator_id")
        zh = row.text("indicator_zh")
        fill_note = ""
        if not iid and above[0] and (not zh or zh == above[1]) and not _blank(row.cell("year")):
            iid, fill_note = above[0], f"指标编号为空，沿用上一行的“{above[0]}”（合并单元格）"
        if not iid and _blank(row.cell("year")) and _blank(row.cell("value")):
            line("skipped", None, "说明行（无指标编号、年份和数值，未作为数据读入）")
            continue
        if not iid:
            line("rejected", names["indicator_id"], "未填指标编号")
            continue
        above = (iid, zh)
        try:
            _ind, year, value, mode, confirmed, warnings = _read_row(row, iid, known)
        except _Skip as skip:
            line(skip.outcome, skip.field, skip.message, iid, skip.year)
            continue
        if fill_note:
            warnings.insert(0, fill_note)
        if (iid, year) in first:
            kept = first[(iid, year)]
            line("rejected", names["value"], f"该指标{year}年已在第 {kept} 行填报（保留第 {kept} 行）", iid, year)
            continue
        first[(iid, year)] = rownum
        note_cell = row.cell("note").value
        note = "" if note_cell is None else note_cell if isinstance(note_cell, str) else str(note_cell)
        values.append(
            {
                "indicator_id": iid,
                "year": year,
                "value": value,
                "entry": mode,
                "note": note,
                "row": rownum,
                "confirmed": confirmed,
                "flag": "",
                "question": "",
            }
        )
        line("read", names["value"] if warnings else None, "；".join(warnings), iid, year)
    value_frame = pd.DataFrame(values, columns=_VALUE_COLUMNS)
    value_frame = flag_doubts(value_frame, known)
    report_frame = pd.DataFrame(report, columns=["row", "indicator_id", "year", "outcome", "field", "message"])
    for rec in value_frame[value_frame["flag"] != ""].to_dict("records"):
        at_row = report_frame["row"] == rec["row"]
        report_frame.loc[at_row, "message"] = [
            "；".join(m for m in (str(old or ""), f"待核实：{rec['question']}") if m)
            for old in report_frame.loc[at_row, "message"]
        ]
        report_frame.loc[at_row, "field"] = names["value"]
    report_frame = report_frame.sort_values("row", kind="stable").reset_index(drop=True)
    report_frame["year"] = report_frame["year"].astype(object).where(report_frame["year"].notna(), None)
    rows_in = len({n for n, _ in body})  # a wide sheet's row gives one long row per year: counted once
    result = ActualsResult(value_frame, report_frame, str(path), rows_in, grid.sheet)
    result.values["value"] = result.values["value"].astype(float)
    result.values["year"] = result.values["year"].astype(int) if len(result.values) else result.values["year"]
    return result
