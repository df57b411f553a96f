"""The plan's 2025 targets as indicators, and the yearly figures a planning bureau enters for them.

`indicators` loads ``geodata/src/indicators.json`` (one row per target of chapter 6, each with its
exact quote); `write_template` writes the entry workbook (one row per indicator and year, Chinese
headers, numbers validated); `read_actuals` reads it back — XLSX or CSV, GBK or UTF-8 — with the
same row-by-row strictness as the project importer: every row is either read or reported.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ._paths import data_dir
from ._sheets import write_csv, write_workbook
from ._tables import ImportFileError, read_raw
from .errors import LayerSchemaError

__all__ = ["KINDS", "YEARS", "ActualsResult", "indicators", "read_actuals", "write_template"]

KINDS = ("count_at_least", "share_at_least", "annual_growth_at_least", "multiple_of_base", "qualitative")
#: Years a figure may be entered for.
YEARS = (2020, 2035)
#: Column headers of the entry workbook (Chinese, as planners fill it in) and the English names.
HEADERS = {
    "indicator_id": "指标编号",
    "target_id": "功能区/轴/带",
    "indicator_zh": "指标",
    "unit": "单位",
    "target_text": "2025年目标",
    "year": "年份",
    "value": "数值",
    "note": "备注",
}
_ALIASES = {
    "indicator_id": ("indicator_id", "指标编号", "编号", "id"),
    "year": ("year", "年份", "年度"),
    "value": ("value", "数值", "实际值", "完成值"),
    "note": ("note", "备注", "说明"),
}


def indicators(path: Path | None = None) -> pd.DataFrame:
    """The plan's targets, one row each, validated (unique ids, known kinds, numeric targets).

    Examples
    --------
    >>> table = indicators()
    >>> int((table["kind"] != "qualitative").sum()), int((table["kind"] == "qualitative").sum())
    (22, 5)
    """
    path = path or data_dir() / "src" / "indicators.json"
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    table = pd.DataFrame(data["indicators"])
    dup = table["id"][table["id"].duplicated()].tolist()
    if dup:
        raise LayerSchemaError(f"indicators: id {dup[0]!r} is used twice")
    bad = sorted(set(table["kind"]) - set(KINDS))
    if bad:
        raise LayerSchemaError(f"indicators: unknown kind(s) {', '.join(bad)}; kinds: {', '.join(KINDS)}")
    quantitative = table["kind"] != "qualitative"
    if table.loc[quantitative, "target"].isna().any():
        raise LayerSchemaError("indicators: a quantitative indicator has no target value")
    return table


def _target_text(row: pd.Series) -> str:
    unit = row["unit"] or ""
    texts: dict[str, str] = {
        "count_at_least": f"≥ {row['target']:g} {unit}" + ("/年" if row["basis"] == "per_year" else ""),
        "share_at_least": f"≥ {row['target']:g}%",
        "annual_growth_at_least": f"年均增长 ≥ {row['target']:g}%",
        "multiple_of_base": f"为{row['base_year']}年的 {row['target']:g} 倍",
        "qualitative": "定性目标",
    }
    return texts[str(row["kind"])]


def write_template(path: str | Path, *, years: range = range(2020, 2026)) -> Path:
    """Write the entry workbook: one row per quantitative indicator and year, Chinese headers, the
    target beside it, a number-only data validation on the value column and a notes column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "monitor.xlsx")
    >>> out.suffix
    '.xlsx'
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ImportFileError(f"{path}: the template is an Excel workbook; name it .xlsx")
    table = indicators()
    table = table[table["kind"] != "qualitative"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "填报"
    sheet.append(list(HEADERS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for _, row in table.iterrows():
        target = _target_text(row)
        for year in years:
            sheet.append([row["id"], row["target_id"], row["indicator_zh"], row["unit"], target, year, None, None])
    last = sheet.max_row
    numbers = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+15",
        formula2="1E+15",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="只能填写数字",
        error="“数值”一栏只能填写数字（百分比填 15 表示 15%）；说明请写在“备注”栏。",
    )
    sheet.add_data_validation(numbers)
    numbers.add(f"G2:G{last}")
    for col, width in zip("ABCDEFGH", (36, 14, 30, 8, 22, 8, 12, 40), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    about = book.create_sheet("说明")
    for line in (
        "每行一个指标、一个年份。在“数值”栏填写该年的统计数，备注栏写口径或来源。",
        "百分比填数字本身：15% 填 15。年均增长、翻一番类指标须填写2020年（基期）数值。",
        "“新增……（累计）”类指标填写当年新增数，系统自动累计。",
        "读入：hepinggis.read_actuals(路径) 或 hepinggis monitor 本文件 --out 输出目录。",
    ):
        about.append([line])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


@dataclass
class ActualsResult:
    """What `read_actuals` returns: the figures read, and one report line per input row."""

    values: pd.DataFrame  # indicator_id, year, value, note, row
    report: pd.DataFrame  # row, indicator_id, year, outcome, field, message
    source: str
    rows_in: int

    @property
    def rejected(self) -> pd.DataFrame:
        return self.report[self.report["outcome"] == "rejected"].reset_index(drop=True)

    def summary(self) -> str:
        blank = int((self.report["outcome"] == "blank").sum())
        return (
            f"{self.source}: {self.rows_in} rows in → {len(self.values)} figures read, "
            f"{len(self.rejected)} rejected, {blank} left blank"
        )

    def write_report(self, path: Path) -> None:
        path = Path(path)
        if path.suffix.lower() == ".xlsx":
            write_workbook({"report": self.report}, path)
        else:
            write_csv(self.report, path)


def _column(headers: list[str], role: str) -> str | None:
    for name in _ALIASES[role]:
        for h in headers:
            if h.strip().lower() == name.lower():
                return h
    return None


def _cell(rec: pd.Series, column: str) -> str:
    value = rec[column] if column else None
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _line(row: int, iid: str, year: object, outcome: str, fieldname: str | None, message: str) -> dict[str, object]:
    return {
        "row": row,
        "indicator_id": iid or None,
        "year": year,
        "outcome": outcome,
        "field": fieldname,
        "message": message,
    }


def _check_row(
    iid: str, year_text: str, value_text: str, known: pd.DataFrame, cols: dict[str, str | None]
) -> tuple[str, str | None, str, int | None] | None:
    """(outcome, field, message, year) for a row that is not read as a figure; None for a good one."""
    if not iid and not year_text and not value_text:
        return "rejected", None, "the row is empty", None
    if iid not in known.index:
        return "rejected", cols["indicator_id"], f"unknown indicator id {iid!r}; see hepinggis.indicators()", None
    if known.loc[iid, "kind"] == "qualitative":
        return "rejected", cols["indicator_id"], f"{iid!r} is a qualitative target: report it in words", None
    year_num = float(pd.to_numeric(year_text, errors="coerce"))
    if not np.isfinite(year_num) or year_num != int(year_num) or not YEARS[0] <= year_num <= YEARS[1]:
        return "rejected", cols["year"], f"{year_text!r} is not a year from {YEARS[0]} to {YEARS[1]}", None
    year = int(year_num)
    if value_text in ("", "nan", "None"):
        return "blank", cols["value"], "no figure entered", year
    number = float(pd.to_numeric(value_text.replace(",", "").replace("，", "").rstrip("%"), errors="coerce"))
    if not np.isfinite(number):
        return "rejected", cols["value"], f"{value_text!r} is not a number", year
    return None


def read_actuals(path: str | Path, *, encoding: str | None = None, sheet: str | int | None = None) -> ActualsResult:
    """Read yearly figures (XLSX from `write_template`, or CSV in UTF-8/GBK) row by row.

    Rows whose value is blank are kept as "blank" (the template lists every year); a row is
    rejected, with its row number, field and reason, for an unknown indicator id, a qualitative
    indicator, a value that is not a number, a year outside 2020–2035, or an (indicator, year) pair
    given twice (the first one is kept and named). Nothing is dropped silently.

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
    raw = read_raw(path, encoding=encoding, sheet=sheet if sheet is not None else 0)
    frame = raw.frame
    headers = [str(c) for c in frame.columns]
    frame.columns = headers
    cols = {role: _column(headers, role) for role in _ALIASES}
    missing = [HEADERS[r] for r in ("indicator_id", "year", "value") if cols[r] is None]
    if missing:
        raise ImportFileError(f"{path}: no column {', '.join(missing)} (columns: {', '.join(headers)})")
    known = indicators().set_index("id")
    report: list[dict[str, object]] = []
    values: list[dict[str, object]] = []
    first: dict[tuple[str, int], int] = {}
    id_col, year_col, value_col, note_col = (str(cols[r] or "") for r in ("indicator_id", "year", "value", "note"))
    for rownum, (_, rec) in zip(raw.row_numbers, frame.iterrows(), strict=True):
        iid = _cell(rec, id_col)
        year_text = unicodedata.normalize("NFKC", _cell(rec, year_col))  # full-width digits as typed in Chinese IMEs
        value_text = unicodedata.normalize("NFKC", _cell(rec, value_col))
        note = _cell(rec, note_col) if note_col else ""
        problem = _check_row(iid, year_text, value_text, known, cols)
        if problem is not None:
            outcome, fieldname, message, year = problem
            report.append(_line(rownum, iid, year, outcome, fieldname, message))
            continue
        year = int(float(year_text))
        number = float(value_text.replace(",", "").replace("，", "").rstrip("%"))
        key = (iid, year)
        if key in first:
            message = f"{iid} {year} was already given on row {first[key]}"
            report.append(_line(rownum, iid, year, "rejected", value_col, message))
            continue
        first[key] = rownum
        values.append({"indicator_id": iid, "year": year, "value": number, "note": note, "row": rownum})
        report.append(_line(rownum, iid, year, "read", None, ""))
    value_frame = pd.DataFrame(values, columns=["indicator_id", "year", "value", "note", "row"])
    return ActualsResult(value_frame, pd.DataFrame(report), str(path), len(frame))
