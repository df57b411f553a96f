"""Reading the yearly figures a bureau enters (`read_actuals`): every row read, or reported with the
row number the spreadsheet shows, the column and the reason, in Chinese; each figure read as the
person typed it (see `_figures`) and, where a habit makes it doubtful, asked about (see `_doubts`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.monitor._actual_row import PLAN_YEARS, YEARS, _blank, _norm, _read_row, _Row, _Skip
from hepinggis.monitor._doubts import flag_doubts
from hepinggis.monitor._sheets import Cell, Grid, read_grid
from hepinggis.monitor._targets import known_figures
from hepinggis.monitor._wide import to_long

__all__ = ["EXAMPLE_MARK", "HEADERS", "OUTCOME_ZH", "PLAN_YEARS", "YEARS", "ActualsResult", "read_actuals"]

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
    at, cols, texts, names = _table_header(grid, where)
    known = known_figures()
    width = max((k + 1 for k, t in enumerate(texts) if t), default=0)
    body = grid.rows[at + 1 :]
    while body and all(_blank(c) for c in body[-1][1]):
        body.pop()  # formatted but empty rows below the table are not rows of it
    values, report = _read_body(body, cols, names, width=width, csv=grid.sheet is None, known=known)
    value_frame = flag_doubts(pd.DataFrame(values, columns=_VALUE_COLUMNS), known)
    report_frame = _report_frame(report, value_frame, names["value"])
    rows_in = len({n for n, _ in body})  # a wide sheet's row gives one long row per year: counted once
    result = ActualsResult(value_frame, report_frame, str(path), rows_in, grid.sheet)
    result.values["value"] = result.values["value"].astype(float)
    result.values["year"] = result.values["year"].astype(int) if len(result.values) else result.values["year"]
    return result


def _table_header(grid: Grid, where: str) -> tuple[int, dict[str, int | None], list[str], dict[str, str]]:
    """The header row (index into ``grid.rows``), the columns by role, the header texts and each
    role's column name as the sheet writes it; `ImportFileError` in Chinese where there is no
    header or a needed column is missing."""
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
    return at, cols, texts, names


def _line(
    at: int, outcome: str, fieldname: str | None, message: str, iid: str = "", year: object = None
) -> dict[str, object]:
    """One line of the reading report: the row number the spreadsheet shows, the outcome, the
    column and the reason."""
    return {"row": at, "indicator_id": iid or None, "year": year, "outcome": outcome, "field": fieldname} | {
        "message": message
    }


def _read_body(
    body: list[tuple[int, list[Cell]]],
    cols: dict[str, int | None],
    names: dict[str, str],
    *,
    width: int,
    csv: bool,
    known: pd.DataFrame,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Every row below the header read: the figures, and one report line per row (a CSV row with
    more fields than the header is refused; an empty 指标编号 under a row of the same 指标 takes
    that row's, as a merged cell would)."""
    report: list[dict[str, object]] = []
    values: list[dict[str, object]] = []
    first: dict[tuple[str, int], int] = {}
    above: tuple[str, str] = ("", "")  # the last row's indicator id and name (for a CSV's merged cells)
    for rownum, cells in body:
        row = _Row(cells, cols, names)
        if all(_blank(c) for c in cells):
            report.append(_line(rownum, "skipped", None, "空行（已跳过）"))
            continue
        extra = [c for c in cells[width:] if not _blank(c)]
        if csv and extra:  # a CSV row split at an unquoted comma
            report.append(
                _line(
                    rownum,
                    "rejected",
                    None,
                    f"此行有 {width + len(extra)} 个字段，表头只有 {width} 列："
                    "文字中的英文逗号请用引号括起，或改用中文逗号“，”",
                    row.text("indicator_id"),
                )
            )
            continue
        iid = row.text("indicator_id")
        zh = row.text("indicator_zh")
        fill_note = ""
        if not iid and above[0] and (not zh or zh == above[1]) and not _blank(row.cell("year")):
            iid, fill_note = above[0], f"指标编号为空，沿用上一行的“{above[0]}”（合并单元格）"
        if not iid and _blank(row.cell("year")) and _blank(row.cell("value")):
            report.append(_line(rownum, "skipped", None, "说明行（无指标编号、年份和数值，未作为数据读入）"))
            continue
        if not iid:
            report.append(_line(rownum, "rejected", names["indicator_id"], "未填指标编号"))
            continue
        above = (iid, zh)
        try:
            _ind, year, value, mode, confirmed, warnings = _read_row(row, iid, known)
        except _Skip as skip:
            report.append(_line(rownum, skip.outcome, skip.field, skip.message, iid, skip.year))
            continue
        if fill_note:
            warnings.insert(0, fill_note)
        if (iid, year) in first:
            kept = first[(iid, year)]
            said = f"该指标{year}年已在第 {kept} 行填报（保留第 {kept} 行）"
            report.append(_line(rownum, "rejected", names["value"], said, iid, year))
            continue
        first[(iid, year)] = rownum
        values.append(_figure(row, rownum, iid, year, value, mode, confirmed))
        report.append(_line(rownum, "read", names["value"] if warnings else None, "；".join(warnings), iid, year))
    return values, report


def _figure(
    row: _Row, rownum: int, iid: str, year: int, value: float, mode: str | None, confirmed: bool
) -> dict[str, object]:
    """A figure read, as a row of `ActualsResult.values` (备注 kept byte for byte)."""
    note_cell = row.cell("note").value
    note = "" if note_cell is None else note_cell if isinstance(note_cell, str) else str(note_cell)
    return {
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


def _report_frame(report: list[dict[str, object]], values: pd.DataFrame, value_name: str) -> pd.DataFrame:
    """The report as a table in row order, the question of each figure to ask about (待核实) added
    to its row's line."""
    report_frame = pd.DataFrame(report, columns=["row", "indicator_id", "year", "outcome", "field", "message"])
    for rec in values[values["flag"] != ""].to_dict("records"):
        at_row = report_frame["row"] == rec["row"]
        report_frame.loc[at_row, "message"] = [
            "；".join(m for m in (str(old or ""), f"待核实：{rec['question']}") if m)
            for old in report_frame.loc[at_row, "message"]
        ]
        report_frame.loc[at_row, "field"] = value_name
    report_frame = report_frame.sort_values("row", kind="stable").reset_index(drop=True)
    report_frame["year"] = report_frame["year"].astype(object).where(report_frame["year"].notna(), None)
    return report_frame
