"""The entry template filled with openpyxl as a clerk fills it in Excel — shares typed as 19.5 %
into percent-formatted cells, the 指标编号 of one indicator merged over its years, a blank row, a
note with a line break, "/" for no data, "2024年" as a year, and the usual slips — then saved
again as .xls (BIFF, written with xlwt as Excel 97–2003 would) and as GBK CSV (as Excel's
"CSV" save shows the cells). All three must give the same figures, the same report row numbers
and the same verdicts, and the slips must come back as the questions a reviewer would ask."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from hepinggis.cli import main
from hepinggis.monitor._targets import known_figures
from hepinggis.monitor.evaluate import evaluate
from hepinggis.monitor.indicators import read_actuals, write_template

HEAD = ["指标编号", "功能区/轴/带", "指标", "单位", "2025年目标", "年份", "填报口径", "数值", "备注"]


def _typical(ind: pd.Series, year: int) -> float:
    """A plausible figure for an indicator and year (on or near its trajectory)."""
    if ind["kind"] in ("above_reference", "reference"):  # growth rates: the district's above the city's
        return 5.5 if ind["kind"] == "above_reference" else 5.0
    n, target, unit = year - 2020, float(ind["target"]), ind["unit"]
    if ind["kind"] == "share_at_least":
        return round(target * (0.9 + 0.025 * n), 1)
    if ind["kind"] == "share_at_most":
        return 80.0 - 2 * n
    if ind["kind"] == "annual_growth_at_least":
        return round(100 * 1.06**n, 2) if unit not in ("家", "件", "户") else float(round(100 * 1.06**n))
    if ind["kind"] == "multiple_of_base":
        return round(50 * 2 ** (n / 5) * 1.02, 2)
    whole = unit in ("户", "家", "件", "场", "座", "个", "人")
    if ind["basis"] == "cumulative":
        v = target / 5 * 0.9
    elif ind["basis"] == "per_year":
        v = target * 1.05
    else:
        v = target * (0.5 + 0.1 * n)
    return float(round(v)) if whole else round(v, 2)


def _fill(path: Path) -> Path:
    """Fill the template as a clerk would, for 2020–2024, with the habits and slips listed above."""
    book = openpyxl.load_workbook(path)
    ws = book["填报"]
    table = known_figures()
    rows = {(ws.cell(r, 1).value, ws.cell(r, 6).value): r for r in range(2, ws.max_row + 1)}
    for (iid, year), r in rows.items():
        ind = table.loc[iid]
        if year > 2024:
            continue
        value = _typical(ind, year)
        cell = ws.cell(r, 8)
        if ind["unit"] == "%":
            cell.value = value / 100  # typed "19.5%": Excel keeps 0.195 in a percent cell
            cell.number_format = "0.0%"
        else:
            cell.value = value
    share = "nanshichang_retail_share"
    for year, v in ((2021, 0.21), (2022, 0.195), (2023, 0.205)):
        ws.cell(rows[(share, year)], 8).value = v
    ws.cell(rows[(share, 2024)], 8).value = 0.22  # typed 0.22 into a General cell: a slip
    ws.cell(rows[(share, 2024)], 8).number_format = "General"
    for year, v in zip(range(2021, 2025), (35, 63, 109, 161), strict=True):  # running totals as 当年新增
        ws.cell(rows[("district_exhibitions", year)], 8).value = v
    culture = "beishichang_new_culture_firms"
    for year, v in ((2021, 45), (2022, "/"), (2023, 60), (2024, None)):
        ws.cell(rows[(culture, year)], 8).value = v
    ws.cell(rows[("taiyuanjie_wholesale_retail_revenue", 2020)], 8).value = 0  # 0 for "not available"
    for year in (2021, 2022, 2023):
        ws.cell(rows[("beishichang_festivals", year)], 8).value = None
    ws.cell(rows[("beishichang_festivals", 2024)], 8).value = 12
    ws.cell(rows[("sanhaojie_high_tech_firms", 2022)], 6).value = "2022年"
    ws.cell(rows[("sanhaojie_high_tech_firms", 2023)], 9).value = "口径：年末存量\n（含迁入企业）"
    ws.cell(rows[("district_tech_smes", 2023)], 8).value = 1e308  # a slip of the keyboard
    ws.cell(rows[("district_digital_economy_value", 2023)], 8).value = "151,000万元"
    ht = [rows[("sanhaojie_high_tech_firms", y)] for y in range(2020, 2026)]
    ws.merge_cells(start_row=ht[0], start_column=1, end_row=ht[-1], end_column=1)  # the id merged over its years
    ws.append(["district_high_tech_firms", "district", "高新技术企业数量（全区）", "家", "", 2020, None, 250, "补报"])
    ws.insert_rows(ht[-1] + 1)  # a blank row between two indicators
    out = path.with_name("filled.xlsx")
    book.save(out)
    return out


def _as_xls(xlsx: Path) -> Path:
    """Save again as Excel 97–2003: the same cells, number formats and merges (xlwt)."""
    src = openpyxl.load_workbook(xlsx)
    book = xlwt.Workbook(encoding="utf-8")
    for ws in src.worksheets:
        out = book.add_sheet(ws.title)
        merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
        covered = {(row, col) for r in ws.merged_cells.ranges for row, col in r.cells} - set(merged)
        styles: dict[str, xlwt.XFStyle] = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or (c.row, c.column) in covered:
                    continue
                fmt = c.number_format if "%" in str(c.number_format) else "General"
                style = styles.setdefault(fmt, xlwt.easyxf(num_format_str=fmt))
                if (c.row, c.column) in merged:
                    r = merged[(c.row, c.column)]
                    out.write_merge(r.min_row - 1, r.max_row - 1, r.min_col - 1, r.max_col - 1, c.value, style)
                else:
                    out.write(c.row - 1, c.column - 1, c.value, style)
    path = xlsx.with_suffix(".xls")
    book.save(str(path))
    return path


def _shown(value: object, fmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and "%" in fmt:  # openpyxl gives 100 % back as the int 1
        return f"{value * 100:.1f}%"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _as_csv(xlsx: Path) -> Path:
    """Save again as CSV (GBK), as Excel does: each cell as shown, a merged block's value in its
    first cell only, a note with a line break quoted."""
    ws = openpyxl.load_workbook(xlsx)["填报"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in ws.iter_rows():
        writer.writerow([_shown(c.value, str(c.number_format)) for c in row])
    path = xlsx.with_suffix(".csv")
    path.write_bytes(buf.getvalue().encode("gbk"))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("clerk")
    xlsx = _fill(write_template(tmp / "template.xlsx"))
    return {"xlsx": xlsx, "xls": _as_xls(xlsx), "csv": _as_csv(xlsx)}


def test_the_three_formats_give_the_same_figures_rows_and_verdicts(files: dict[str, Path]) -> None:
    read = {k: read_actuals(p) for k, p in files.items()}
    base = read["xlsx"]
    assert base.sheet == "填报" and read["csv"].sheet is None  # a cover sheet would be passed over: 填报 is found
    for kind, r in read.items():
        a = base.values[["indicator_id", "year", "value", "row", "flag"]].reset_index(drop=True)
        b = r.values[["indicator_id", "year", "value", "row", "flag"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=kind)
        assert base.report[["row", "outcome"]].values.tolist() == r.report[["row", "outcome"]].values.tolist(), kind
        assert (base.values["note"] == r.values["note"]).all(), kind  # 备注 byte for byte, line break kept
    verdicts = {k: evaluate(r).set_index("indicator_id")["status"] for k, r in read.items()}
    pd.testing.assert_series_equal(verdicts["xlsx"], verdicts["xls"])
    pd.testing.assert_series_equal(verdicts["xlsx"], verdicts["csv"])


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
def test_the_clerks_habits_are_read_as_meant_or_asked_about(files: dict[str, Path], kind: str) -> None:
    r = read_actuals(files[kind])
    v = r.values.set_index(["indicator_id", "year"])
    assert v.loc[("nanshichang_retail_share", 2022), "value"] == pytest.approx(19.5)  # percent format: 19.5, not 0.195
    assert v.loc[("district_rd_share", 2021), "value"] == pytest.approx(2.7)  # 2.9 × 0.925 = 2.68 → 2.7
    assert v.loc[("sanhaojie_high_tech_firms", 2022), "value"] == 70  # 100 × 0.7; "2022年" is 2022; merged id filled
    assert v.loc[("sanhaojie_high_tech_firms", 2023), "note"] == "口径：年末存量\n（含迁入企业）"
    report = r.report.set_index("row")
    by_id = r.report.set_index(["indicator_id", "year"])
    assert by_id.loc[("beishichang_new_culture_firms", 2022), "outcome"] == "no_data"  # "/" is no data
    assert "超出该指标的合理范围" in by_id.loc[("district_tech_smes", 2023), "message"]
    assert "151,000万元 = 15.1亿元" in by_id.loc[("district_digital_economy_value", 2023), "message"]
    assert (report["outcome"] == "skipped").sum() == 1  # the blank row: skipped, not refused
    # row numbers are the ones Excel shows: the note with a line break is one row
    xl = openpyxl.load_workbook(files["xlsx"])["填报"]
    row_of = {(xl.cell(k, 1).value, xl.cell(k, 6).value): k for k in range(2, xl.max_row + 1)}
    assert v.loc[("district_exhibitions", 2024), "row"] == row_of[("district_exhibitions", 2024)]
    results = evaluate(r).set_index("indicator_id")
    share = results.loc["nanshichang_retail_share"]
    assert share["status"] == "to_confirm" and "疑似把 22% 写成 0.22" in share["question"]
    exhibitions = results.loc["district_exhibitions"]
    assert exhibitions["status"] == "to_confirm" and "疑似填的是累计数" in exhibitions["question"]
    assert "368场" in exhibitions["tool_note"] and "161场" in exhibitions["tool_note"]
    culture = results.loc["beishichang_new_culture_firms"]
    assert culture["status"] == "achieved_early" and culture["latest"] == 105 and culture["at_least"]
    assert results.loc["taiyuanjie_wholesale_retail_revenue", "status"] == "no_base"
    assert "填报的2020年数值为 250家" in results.loc["district_high_tech_firms", "base_source"]
    assert "只报了2024年" in results.loc["beishichang_festivals", "tool_note"]
    assert results["year"].iloc[0] == 2024


def test_header_only_file_is_an_error_and_sheet_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write_template(tmp_path / "empty.xlsx")
    assert main(["monitor", str(empty), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err
    assert "没有读入任何数值" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "index.html").exists()
    # a cover sheet first: the figures sheet is found; --sheet names another, the error names it
    book = openpyxl.Workbook()
    book.active.title = "封面"
    book.active.append(["2024年规划实施监测填报"])
    data = book.create_sheet("数据")
    data.append(["指标编号", "年份", "数值"])
    data.append(["sanhaojie_high_tech_firms", 2023, 70])
    path = tmp_path / "cover.xlsx"
    book.save(path)
    assert read_actuals(path).sheet == "数据"
    assert main(["monitor", str(path), "--sheet", "封面", "--out", str(tmp_path / "o2")]) != 0
    err = capsys.readouterr().err
    assert "工作表“封面”" in err and "找不到表头" in err
    assert main(["monitor", str(path), "--sheet", "无此表", "--out", str(tmp_path / "o3")]) != 0
    assert "没有名为“无此表”的工作表（现有：封面、数据）" in capsys.readouterr().err
    assert main(["monitor", str(path), "--year", "1999", "--out", str(tmp_path / "o4")]) != 0
    assert "不在 2021–2030 年之间" in capsys.readouterr().err


def test_ods_percent_cells_are_read_as_shown(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="填报")
    for cells in (
        [("string", "指标编号"), ("string", "年份"), ("string", "数值")],
        [("string", "nanshichang_retail_share"), ("float", 2022), ("percentage", 0.195)],
        [("string", "nanshichang_retail_share"), ("string", "2023年"), ("string", "—")],
    ):
        tr = TableRow()
        for kind, value in cells:
            tc = TableCell(valuetype="string") if kind == "string" else TableCell(valuetype=kind, value=value)
            tc.addElement(P(text=str(value)))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "f.ods"
    doc.save(str(path))
    r = read_actuals(path)
    assert r.values["value"].tolist() == [pytest.approx(19.5)]
    assert r.report.set_index("row").loc[3, "outcome"] == "no_data"
