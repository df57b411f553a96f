"""Reading the yearly figures a bureau enters (`read_actuals`): every row read, or refused with its
number, field and reason, in Chinese; each figure read as the person typed it (see `_figures`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.io._tables import ImportFileError, read_raw
from hepinggis.monitor._figures import entry_mode, parse_figure, value_rule

__all__ = ["EXAMPLE_MARK", "HEADERS", "OUTCOME_ZH", "YEARS", "ActualsResult", "read_actuals"]

#: Years a figure may be entered for.
YEARS = (2020, 2035)
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
    "year": ("year", "年份", "年度"),
    "value": ("value", "数值", "实际值", "完成值"),
    "entry": ("entry", "填报口径", "口径"),
    "note": ("note", "备注", "说明"),
}
#: What each reading outcome is called in the bureau's report.
OUTCOME_ZH = {"read": "已读入", "blank": "未填", "rejected": "未读入"}
#: The bundled example figures say so in every note; a package says "示例" only for them.
EXAMPLE_MARK = "示意数据"


@dataclass
class ActualsResult:
    """What `read_actuals` returns: the figures read, and one report line per input row."""

    values: pd.DataFrame  # indicator_id, year, value, entry, note, row
    report: pd.DataFrame  # row, indicator_id, year, outcome, field, message
    source: str
    rows_in: int

    @property
    def rejected(self) -> pd.DataFrame:
        return self.report[self.report["outcome"] == "rejected"].reset_index(drop=True)

    @property
    def is_example(self) -> bool:
        """True when every figure is one of the bundled illustrative ones (each note says so)."""
        notes = self.values["note"].astype(str) if len(self.values) else pd.Series(dtype=str)
        return bool(len(notes)) and bool(notes.str.contains(EXAMPLE_MARK).all())

    def summary(self) -> str:
        blank = int((self.report["outcome"] == "blank").sum())
        return (
            f"{self.source}: {self.rows_in} rows in → {len(self.values)} figures read, "
            f"{len(self.rejected)} rejected, {blank} left blank"
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


def _column(headers: list[str], role: str) -> str | None:
    for name in _ALIASES[role]:
        for h in headers:
            if h.strip().lower() == name.lower():
                return h
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() in ("", "nan", "None")


def _text(value: object) -> str:
    return "" if _blank(value) else unicodedata.normalize("NFKC", str(value)).strip()


def _line(row: int, iid: str, year: object, outcome: str, fieldname: str | None, message: str) -> dict[str, object]:
    return {
        "row": row,
        "indicator_id": iid or None,
        "year": year,
        "outcome": outcome,
        "field": fieldname,
        "message": message,
    }


def _percent_rows(path: Path, sheet: str | int | None, column: int) -> set[int]:
    """Spreadsheet rows whose cell in ``column`` (0-based) Excel shows as a percentage: such a cell
    holds 0.52 for what the person saw and typed as 52 %."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book.worksheets[sheet or 0] if not isinstance(sheet, str) else book[sheet]
        rows: set[int] = set()
        for r, row in enumerate(ws.iter_rows(min_col=column + 1, max_col=column + 1), start=1):
            cell = row[0] if row else None
            fmt = getattr(cell, "number_format", "") or ""
            if "%" in fmt and isinstance(getattr(cell, "value", None), (int, float)):
                rows.add(r)
        return rows
    finally:
        book.close()


def _year(text: str) -> int | None:
    number = float(pd.to_numeric(text, errors="coerce"))
    if not np.isfinite(number) or number != int(number) or not YEARS[0] <= number <= YEARS[1]:
        return None
    return int(number)


class _Skip(Exception):
    """A row not read as a figure: left blank, or refused with the field and the reason."""

    def __init__(self, outcome: str, fieldname: str | None, message: str, year: int | None = None) -> None:
        super().__init__(message)
        self.outcome, self.field, self.message, self.year = outcome, fieldname, message, year


def _identify(
    iid: str, year_text: str, cell: object, known: pd.DataFrame, cols: dict[str, str | None]
) -> tuple[pd.Series, int]:
    """The indicator and year a row is for, or `_Skip` (empty row, unknown or qualitative
    indicator, no year in range, no figure)."""
    if not iid and not year_text and _blank(cell):
        raise _Skip("rejected", None, "此行为空")
    if iid not in known.index:
        raise _Skip("rejected", cols["indicator_id"], f"未知的指标编号“{iid}”：见填报模板或 hepinggis.indicators()")
    ind = known.loc[str(iid)]
    assert isinstance(ind, pd.Series)  # ids are unique (checked by `indicators`): one row
    if ind["kind"] == "qualitative":
        raise _Skip("rejected", cols["indicator_id"], f"“{iid}”为定性目标：请在年度报告中文字说明")
    year = _year(year_text)
    if year is None:
        raise _Skip("rejected", cols["year"], f"“{year_text}”不是 {YEARS[0]}–{YEARS[1]} 之间的年份")
    if _blank(cell):
        raise _Skip("blank", cols["value"], "未填数值", year)
    return ind, year


def _figure(
    ind: pd.Series, cell: object, entry_text: str, year: int, percent: bool, cols: dict[str, str | None]
) -> tuple[float, str | None, list[str]]:
    """The figure as typed (see `parse_figure`), its entry mode for cumulative counts, and the
    warnings to keep with it; or `_Skip`."""
    fig = parse_figure(cell, rule=value_rule(str(ind["kind"]), ind["unit"]), unit=ind["unit"], percent_format=percent)
    if fig.value is None:
        raise _Skip("rejected", cols["value"], fig.error, year)
    warnings = [fig.warning] if fig.warning else []
    cumulative = ind["basis"] == "cumulative"
    try:
        mode = entry_mode(entry_text)
    except ValueError as exc:
        raise _Skip("rejected", cols["entry"], str(exc), year) from None
    if cumulative:
        mode = mode or str(ind["entry"] or "addition")
    elif mode is not None:
        warnings.append(f"填报口径“{entry_text}”只适用于累计类指标，此处不采用")
        mode = None
    if year == int(ind["base_year"] or 2020) and ind["basis"] in ("cumulative", "per_year"):
        warnings.append(f"{year}年为基期：不计入规划期（2021年起）的{'累计' if cumulative else '年均'}，仅在趋势中列示")
    return fig.value, mode, warnings


def read_actuals(path: str | Path, *, encoding: str | None = None, sheet: str | int | None = None) -> ActualsResult:
    """Read yearly figures (XLSX from `write_template`, or CSV in UTF-8/GBK) row by row.

    Every row is read, left blank (the template lists every year) or refused with its row number,
    field and reason (in Chinese): an unknown indicator id, a qualitative indicator, a year outside
    2020–2035, an (indicator, year) pair given twice (the first is kept and named), a row with more
    fields than the header (an unquoted comma), and a figure that cannot be read as the person
    meant it (see `hepinggis.monitor._figures.parse_figure`: percent formats, ambiguous commas, ranges per
    kind). For cumulative counts the 填报口径 column says whether a row is the year's addition
    (当年新增) or the running total since 2021 (累计数); blank means the indicator's default.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = f.write_text("指标编号,年份,数值\\nsanhaojie_high_tech_firms,2022,61\\nnope,2022,1\\n", encoding="gbk")
    >>> r = read_actuals(f)
    >>> len(r.values), len(r.rejected)
    (1, 1)
    """
    from hepinggis.monitor.indicators import indicators

    path = Path(path)
    ids = {a.lower() for a in _ALIASES["indicator_id"]}
    raw = read_raw(
        path,
        encoding=encoding,
        sheet=sheet if sheet is not None else 0,
        is_header=lambda cells: any(c.lower() in ids for c in cells),  # a title row above the header is skipped
    )
    frame = raw.frame
    headers = [str(c) for c in frame.columns]
    frame.columns = headers
    cols = {role: _column(headers, role) for role in _ALIASES}
    missing = [HEADERS[r] for r in ("indicator_id", "year", "value") if cols[r] is None]
    if missing:
        raise ImportFileError(f"{path}: 缺少“{'”“'.join(missing)}”列（现有列：{'、'.join(headers)}）")
    known = indicators().set_index("id")
    value_col = str(cols["value"])
    percent_rows = (
        _percent_rows(path, sheet, headers.index(value_col)) if path.suffix.lower() in {".xlsx", ".xlsm"} else set()
    )
    report = [_line(n, "", None, "rejected", None, m) for n, m in raw.bad_rows]
    values: list[dict[str, object]] = []
    first: dict[tuple[str, int], int] = {}
    for rownum, (_, rec) in zip(raw.row_numbers, frame.iterrows(), strict=True):
        iid = _text(rec[str(cols["indicator_id"])])
        cell = rec[value_col]
        try:
            ind, year = _identify(iid, _text(rec[str(cols["year"])]), cell, known, cols)
            value, mode, warnings = _figure(
                ind, cell, _text(rec[cols["entry"]]) if cols["entry"] else "", year, rownum in percent_rows, cols
            )
        except _Skip as skip:
            report.append(_line(rownum, iid, skip.year, skip.outcome, skip.field, skip.message))
            continue
        if rownum in raw.row_notes:
            warnings.append(raw.row_notes[rownum])
        if (iid, year) in first:
            kept = first[(iid, year)]
            report.append(
                _line(
                    rownum, iid, year, "rejected", value_col, f"{iid} {year}年已在第 {kept} 行填报（保留第 {kept} 行）"
                )
            )
            continue
        first[(iid, year)] = rownum
        note = _text(rec[cols["note"]]) if cols["note"] else ""
        values.append({"indicator_id": iid, "year": year, "value": value, "entry": mode, "note": note, "row": rownum})
        report.append(_line(rownum, iid, year, "read", value_col if warnings else None, "；".join(warnings)))
    value_frame = pd.DataFrame(values, columns=["indicator_id", "year", "value", "entry", "note", "row"])
    report_frame = pd.DataFrame(report, columns=["row", "indicator_id", "year", "outcome", "field", "message"])
    report_frame = report_frame.sort_values("row", kind="stable").reset_index(drop=True)
    return ActualsResult(value_frame, report_frame, str(path), len(frame) + len(raw.bad_rows))
