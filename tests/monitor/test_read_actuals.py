"""Reading the figures a bureau enters: the template filled with openpyxl the way Excel stores what a
person types (percent formats, text numbers, full-width digits), and CSV rows as offices write them.
Every row is read, left blank or refused with its number; nothing is lost."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from hepinggis.monitor._figures import parse_figure
from hepinggis.monitor.indicators import indicators, read_actuals, write_template

HT = "sanhaojie_high_tech_firms"  # 家
SHARE = "sanhaojie_retail_share"  # %
REVENUE = "sanhaojie_software_revenue"  # 亿元
JOBS = "district_new_jobs"  # 万个
CULTURE = "beishichang_new_culture_firms"  # 户, cumulative


def _csv(tmp_path: Path, lines: list[str], encoding: str = "gbk") -> Path:
    path = tmp_path / "figures.csv"
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_every_row_is_read_or_refused_with_its_number(tmp_path: Path) -> None:
    lines = [
        "指标编号,年份,数值,备注",
        f"{HT},2020,58,",
        f"{HT},2021,６６,全角数字",
        f"{HT},2021,70,重复",
        "no_such_indicator,2021,1,",
        f"{HT},2019,50,",
        f"{HT},2040,50,",
        f"{HT},二〇二二,50,",
        f"{HT},2022,很多,",
        "manrong_qualitative_1,2022,1,",
        f"{HT},2023,,未填",
        ",,,",
        f"{HT},2024,80,口径说明,含逗号",  # an unquoted comma in 备注: refused with its row, not lost
        f"{HT},2025,90,",
    ]
    r = read_actuals(_csv(tmp_path, lines))
    assert r.rows_in == 13 and len(r.report) == 13  # every row accounted for, once
    outcomes = r.report["outcome"].value_counts()
    assert (outcomes["read"], outcomes["rejected"], outcomes["blank"], outcomes["skipped"]) == (4, 7, 1, 1)
    assert r.values[["year", "value"]].values.tolist() == [[2020, 58.0], [2021, 66.0], [2019, 50.0], [2025, 90.0]]
    by_row = dict(zip(r.rejected["row"], r.rejected["message"], strict=True))
    assert sorted(by_row) == [4, 5, 7, 8, 9, 10, 13]
    assert "已在第 3 行填报" in by_row[4]
    assert "未知的指标编号“no_such_indicator”" in by_row[5]
    assert "“2040”不是年份" in by_row[7] and "“二〇二二”不是年份" in by_row[8]
    assert "“很多”不是数字" in by_row[9] and "定性目标" in by_row[10]
    assert "此行有 5 个字段，表头只有 4 列" in by_row[13]
    report = r.report.set_index("row")
    assert "不在规划期" in report.loc[6, "message"] and report.loc[12, "message"] == "空行（已跳过）"
    # no developer words in what the clerk reads
    assert not any("hepinggis" in str(m) or "indicators()" in str(m) for m in r.report["message"])


@pytest.mark.parametrize(
    ("indicator", "typed", "value", "error"),
    [
        (HT, "16,5", None, "逗号无法判断是小数点还是千位分隔符（可能是 16.5 或 165）"),
        (HT, "3,000", 3000.0, ""),
        (HT, "1,234", 1234.0, ""),
        (HT, "1e308", None, "超出该指标的合理范围"),
        (HT, "inf", None, "不是"),
        (HT, "12,34", None, "可能是 12.34 或 1234"),
        (HT, "45%", None, "数值带“%”，但该指标的单位是“家”"),
        (HT, "-3", None, "为负数"),
        (HT, "12.5", None, "不是整数"),
        (HT, "66家", 66.0, ""),
        (HT, "66户", None, "单位是“户”，但该指标的单位是“家”"),
        (REVENUE, "151,000万元", 15.1, ""),  # the unit in the cell, converted: 151,000万元 = 15.1亿元
        (REVENUE, "23亿", 23.0, ""),  # 亿 in an 亿元 row
        (JOBS, "3.1万", 3.1, ""),  # 万 in a 万个 row
        (REVENUE, "3.1万", None, "单位是“万”，但该指标的单位是“亿元”"),  # 万元 or 万亿元? asked, never 0亿元
        (REVENUE, "3.1万元", 0.00031, ""),  # the unit typed in full: certain
        (HT, "十二", 12.0, ""),  # Chinese numerals
        (HT, "两百", 200.0, ""),
        (HT, "一万二", None, "不是数字"),  # the spoken form is ambiguous (12,000 or 10,002?)
        (HT, "约20", None, "是约数"),
        (HT, "20左右", None, "是约数"),
        (HT, "20-25", None, "是一个区间"),
        (HT, "≥20", None, "是下限或上限"),
        (REVENUE, "45人", None, "单位是“人”，但该指标的单位是“亿元”"),
        (SHARE, "52%", 52.0, ""),
        (SHARE, "５２％", 52.0, ""),
        (SHARE, "120", None, "不在 0–100 之间"),
        (SHARE, "-1", None, "不在 0–100 之间"),
        (REVENUE, "-2.5", None, "为负数"),
        (REVENUE, "12.5", 12.5, ""),
        (REVENUE, "8%", None, "单位是“亿元”"),
    ],
)
def test_figures_are_read_as_typed(tmp_path: Path, indicator: str, typed: str, value: float | None, error: str) -> None:
    r = read_actuals(_csv(tmp_path, ["指标编号,年份,数值", f'{indicator},2022,"{typed}"'], encoding="utf-8"))
    if value is None:
        assert len(r.values) == 0 and error in r.rejected["message"].iloc[0], r.report.to_dict("records")
        assert r.rejected["field"].iloc[0] == "数值"
    else:
        assert r.values["value"].tolist() == [value]


def test_a_share_below_one_is_kept_and_warned() -> None:
    fig = parse_figure("0.52", rule="share", unit="%")
    assert fig.value == 0.52 and "若指 52%，请填 52" in fig.warning


def _template_rows(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[tuple[str, int], int]:
    head = [c.value for c in sheet[1]]
    i, y = head.index("指标编号"), head.index("年份")
    return {(row[i].value, row[y].value): row[0].row for row in sheet.iter_rows(min_row=2)}


def test_template_filled_as_excel_stores_it(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["填报"]
    head = [c.value for c in sheet[1]]
    assert head == ["指标编号", "功能区/轴/带", "指标", "单位", "2025年目标", "年份", "填报口径", "数值", "备注"]
    rows = _template_rows(sheet)
    v = head.index("数值") + 1
    # 52 % typed into a percent-formatted cell: Excel stores 0.52 with format 0%
    sheet.cell(rows[(SHARE, 2022)], v, 0.52).number_format = "0%"
    sheet.cell(rows[(SHARE, 2023)], v, 0.5).number_format = "0.00%"
    # a count typed into a percent-formatted cell cannot be meant as a count
    sheet.cell(rows[(HT, 2022)], v, 0.45).number_format = "0%"
    # numbers stored as text (a leading apostrophe), full-width digits typed by a Chinese IME
    sheet.cell(rows[(HT, 2023)], v, "66").data_type = "s"
    sheet.cell(rows[(HT, 2021)], v, "６０")
    sheet.cell(rows[(REVENUE, 2020)], v, 12.5)
    # the cumulative count entered as running totals, saying so in 填报口径
    e = head.index("填报口径") + 1
    for year, total in ((2021, 18), (2022, 40)):
        sheet.cell(rows[(CULTURE, year)], e, "累计数")
        sheet.cell(rows[(CULTURE, year)], v, total)
    sheet.cell(rows[(CULTURE, 2023)], e, "随便")
    sheet.cell(rows[(CULTURE, 2023)], v, 5)
    book.save(path)
    r = read_actuals(path)
    got = {(a, b): c for a, b, c in r.values[["indicator_id", "year", "value"]].itertuples(index=False)}
    assert got[(SHARE, 2022)] == 52.0 and got[(SHARE, 2023)] == 50.0
    assert got[(HT, 2023)] == 66.0 and got[(HT, 2021)] == 60.0 and got[(REVENUE, 2020)] == 12.5
    assert (HT, 2022) not in got
    refused = r.rejected.set_index("row")["message"]
    assert "单元格为百分比格式，但该指标的单位是“家”" in refused[rows[(HT, 2022)]]
    assert "填报口径“随便”无法识别" in refused[rows[(CULTURE, 2023)]]
    entries = r.values.set_index(["indicator_id", "year"])["entry"]
    assert entries[(CULTURE, 2021)] == "running_total" and entries[(CULTURE, 2022)] == "running_total"
    assert len(r.values) + len(r.rejected) + int((r.report["outcome"] == "blank").sum()) == r.rows_in


def test_template_offers_the_years_each_kind_needs(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["填报"]
    rows = _template_rows(sheet)
    table = indicators().set_index("id")
    quantitative = table[table["kind"] != "qualitative"]
    for iid, ind in quantitative.iterrows():
        years = sorted(y for (i, y) in rows if i == iid)
        needs_2020 = ind["basis"] not in ("per_year", "cumulative") and ind["base_value"] != ind["base_value"]
        assert years == list(range(2020 if needs_2020 else 2021, 2026)), iid
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert kinds == {"decimal", "whole", "list"}
    head = [c.value for c in sheet[1]]
    entry_col = head.index("填报口径")
    cum = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == CULTURE]
    assert {r[entry_col] for r in cum} == {"当年新增"}


def test_a_title_row_above_the_header_is_skipped(tmp_path: Path) -> None:
    lines = ["和平区规划实施监测填报（2023年）,,,", "指标编号,年份,数值,备注", f"{HT},2023,70,"]
    r = read_actuals(_csv(tmp_path, lines))
    assert r.values["value"].tolist() == [70.0] and r.values["row"].tolist() == [3]


def test_figures_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    from hepinggis.errors import ImportFileError

    with pytest.raises(ImportFileError, match="缺少“数值”列"):
        read_actuals(_csv(tmp_path, ["指标编号,年份,值", f"{HT},2023,70"]))
