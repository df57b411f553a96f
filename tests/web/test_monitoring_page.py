"""The 规划监测 page shows what the package shows: the plan's sentence beside every verdict, the
待核实 question and its reason, the figure and its requirement as judged; it takes .ods and .xls
(an .xlsx saved under the name .xls) as well as .xlsx and CSV, and wide sheets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from _server import Server, wait_gone
from test_web_browser import Tab

FILLS = Path(__file__).resolve().parents[1] / "data" / "monitor_fills" / "fills_2023.csv"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("monitoring") / "store"
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


def _typed(text: str) -> object:
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text or None


def _row(page: object, indicator: str) -> str:
    rows = page.eval_on_selector_all(  # type: ignore[attr-defined]
        "#verdict-table tbody tr", "els => els.map(e => e.innerText)"
    )
    hits = [r for r in rows if indicator in r]
    assert hits, indicator
    return hits[0]


def test_the_page_shows_the_plan_sentence_the_question_and_reads_ods(tab: Tab, tmp_path: Path) -> None:
    long = pd.read_csv(FILLS, dtype=str, keep_default_na=False)
    long["数值"] = long["数值"].map(_typed)
    ods = tmp_path / "监测.ods"
    long.to_excel(ods, engine="odf", index=False, sheet_name="填报")
    page = tab.goto("/monitoring")
    assert page.get_attribute("#file", "accept") == ".xlsx,.xls,.ods,.csv"
    page.set_input_files("#file", str(ods))
    page.wait_for_url("**/monitoring?figures=*", timeout=180_000)  # the upload read, the page shows it
    page.wait_for_selector("#verdict-table")
    soft = _row(page, "软件与信息服务业")
    assert "软件与信息服务业营业收入年均增长5%以上" in soft and "第六章第四节" in soft  # the plan's sentence
    assert "待核实" in soft and "“约60”是约数" in soft  # the question and its reason
    rd = _row(page, "R&D经费占GDP比重")
    assert "2.85%" in rd and "达到进度" in rd
    assert "全区地区生产总值增速力争高于全市水平" in _row(page, "地区生产总值增速（与全市比较）")


def test_an_xlsx_named_xls_with_years_as_columns_is_read(tab: Tab, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["指标编号", "指标", "2021年", "2022年", "2023年"])
    ws.append(["district_high_tech_firms", "高新技术企业", 300, 320, 340])
    ws.append(["district_rd_share", "R&D", 2.6, 2.7, 2.85])
    path = tmp_path / "宽表.xls"
    book.save(path)  # an .xlsx under the name .xls
    page = tab.goto("/monitoring")
    page.set_input_files("#file", str(path))
    page.wait_for_url("**/monitoring?figures=*", timeout=180_000)  # the upload read, the page shows it
    page.wait_for_selector("#verdict-table")
    assert page.inner_text("#n-read") == "6" and page.inner_text("#n-refused") == "0"
    assert "略有滞后" in _row(page, "高新技术企业数量（全区）")
