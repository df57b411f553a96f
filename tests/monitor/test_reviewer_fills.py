"""A reviewer's own fills with the verdicts written down before the code ran
(tests/data/monitor_fills: ``fills_2023.csv`` as typed, ``expected_2023.csv`` with the verdict and
the hand computation beside each), read from the CSV, from a wide sheet (years as columns, two
header rows) saved as .xlsx but named .xls, and from an .ods: every verdict agrees."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hepinggis.monitor.evaluate import STATUS_ZH, evaluate
from hepinggis.monitor.indicators import read_actuals

FILLS = Path(__file__).resolve().parents[1] / "data" / "monitor_fills"


def _expected() -> dict[str, str]:
    with open(FILLS / "expected_2023.csv", encoding="utf-8", newline="") as fh:
        return {row[0]: row[1] for row in list(csv.reader(fh))[1:]}


def _typed(text: str) -> object:
    """A cell as a clerk's spreadsheet holds it: plain numbers as numbers, the rest as text."""
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text or None


def _wide(tmp: Path, suffix: str) -> Path:
    long = pd.read_csv(FILLS / "fills_2023.csv", dtype=str, keep_default_na=False)
    years = sorted({int(y) for y in long["年份"]})
    ids = list(dict.fromkeys(long["指标编号"]))
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "监测数据"
    ws.append(["指标编号", "填报口径", "实际完成值"] + [None] * (len(years) - 1))
    ws.merge_cells(start_row=1, start_column=3, end_row=1, end_column=2 + len(years))
    ws.append([None, None] + [f"{y}年" for y in years])
    for iid in ids:
        mine = long[long["指标编号"] == iid].set_index("年份")
        entry = next((e for e in mine["填报口径"] if e), None)
        ws.append([iid, entry] + [_typed(mine.loc[str(y), "数值"]) if str(y) in mine.index else None for y in years])
    path = tmp / f"监测{suffix}"
    book.save(path)  # an .xlsx; named .xls for the renamed case
    return path


def _ods(tmp: Path) -> Path:
    long = pd.read_csv(FILLS / "fills_2023.csv", dtype=str, keep_default_na=False)
    long["数值"] = long["数值"].map(_typed)
    path = tmp / "监测.ods"
    long.to_excel(path, engine="odf", index=False, sheet_name="填报")
    return path


@pytest.mark.parametrize("form", ["csv", "wide xlsx named .xls", "ods"])
def test_the_reviewers_fills_get_the_verdicts_written_before_the_run(tmp_path: Path, form: str) -> None:
    path = {
        "csv": lambda: FILLS / "fills_2023.csv",
        "wide xlsx named .xls": lambda: _wide(tmp_path, ".xls"),
        "ods": lambda: _ods(tmp_path),
    }[form]()
    results = evaluate(read_actuals(path), year=2023).set_index("indicator_id")
    expected = _expected()
    assert len(expected) == 45
    got = {iid: STATUS_ZH[str(results.loc[iid, "status"])] for iid in expected}
    wrong = {iid: (want, got[iid]) for iid, want in expected.items() if got[iid] != want}
    assert wrong == {}, wrong


def test_a_refused_figure_in_the_year_judged_is_asked_about_never_replaced_by_the_year_before() -> None:
    r = evaluate(read_actuals(FILLS / "fills_2023.csv"), year=2023).set_index("indicator_id")
    soft = r.loc["sanhaojie_software_revenue"]
    assert soft["status"] == "to_confirm" and soft["year_note"] == ""
    assert "2023年填报的数值未读入：“约60”是约数" in soft["question"]
    # a year left blank (not typed) is still judged on the latest figure, and said so
    kinder = r.loc["district_public_kindergarten_share"]
    assert kinder["status"] == "on_track" and kinder["year_note"] == "2023年尚无数值，按2022年数值判断"


def test_a_wide_sheet_with_one_header_row_and_a_base_column(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["序号", "指标编号", "单位", "2020年（基期）", "2021年", "2022年", "2023年", "备注"])
    ws.append([1, "nanshichang_business_services_revenue", "亿元", 100, 104, None, "115亿", "口径：规上"])
    ws.append([2, "district_tech_smes", "家", None, 800, 900, "一千"])
    path = tmp_path / "宽表.xlsx"
    book.save(path)
    r = read_actuals(path)
    v = r.values.set_index(["indicator_id", "year"])["value"]
    assert v.to_dict() == {
        ("nanshichang_business_services_revenue", 2020): 100.0,
        ("nanshichang_business_services_revenue", 2021): 104.0,
        ("nanshichang_business_services_revenue", 2023): 115.0,
        ("district_tech_smes", 2021): 800.0,
        ("district_tech_smes", 2022): 900.0,
        ("district_tech_smes", 2023): 1000.0,
    }
    assert r.rows_in == 2 and set(r.report["row"]) == {2, 3}  # the rows Excel shows
    notes = r.values.set_index(["indicator_id", "year"])["note"]
    assert notes[("nanshichang_business_services_revenue", 2021)] == "口径：规上"
