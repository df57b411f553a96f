"""Shown as judged: no page of the package shows a figure equal to its requirement beside a
behind status. Every quantitative indicator is filled just short of its requirement (by less than
the unit's usual rounding), the package is written, and the workbook and every PDF are scanned."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hepinggis.monitor._pdf_pages import _wrap
from hepinggis.monitor._targets import indicators
from hepinggis.monitor._trend import trend
from hepinggis.monitor.evaluate import STATUS_ZH
from hepinggis.monitor.indicators import read_actuals
from hepinggis.monitor.package import monitor

FILLS = Path(__file__).resolve().parents[1] / "data" / "monitor_fills" / "fills_2023.csv"
BEHIND = {STATUS_ZH[s] for s in ("behind", "at_risk", "missed")}
_COUNTS = {"户", "家", "件", "场", "座", "个", "项", "次", "人"}


def _just_short(tmp: Path) -> Path:
    """2020–2025 figures a hair short of each requirement: 2.85 % for 2.9 %, 239.996 for 240 亿元."""
    rows = []
    for ind in indicators().to_dict("records"):
        kind, unit, target = ind["kind"], ind["unit"], ind["target"]
        eps = 1 if unit in _COUNTS else 0.05 if unit == "%" else 0.004
        iid = ind["id"]
        if kind in ("qualitative", "above_reference"):
            continue
        if kind in ("annual_growth_at_least", "multiple_of_base"):
            end = 100 * (1 + target / 100) ** 5 if kind == "annual_growth_at_least" else 100 * target
            rows += [(iid, 2020, 100), (iid, 2025, round(end - eps, 4))]
        elif ind["basis"] == "cumulative":
            rows += [(iid, y, target / 5) for y in range(2021, 2025)] + [(iid, 2025, target / 5 - eps)]
        elif ind["basis"] == "per_year":
            rows += [(iid, y, target + (0 if y < 2025 else -eps)) for y in range(2021, 2026)]
        elif kind == "share_at_most":
            rows += [(iid, 2025, target + eps)]
        else:
            rows += [(iid, 2025, round(target - eps, 4))]
    path = tmp / "just_short.csv"
    pd.DataFrame(rows, columns=["指标编号", "年份", "数值"]).to_csv(path, index=False)
    return path


def _pdf_violations(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    bad, status, block = [], "", ""
    for line in [*text.splitlines(), "无数据"]:
        if line.strip() in STATUS_ZH.values():
            shown = re.search(r"\d{4}年 (?:至少 )?(-?[\d,.]+)", block)
            needs = re.findall(r"(?:当年应达|\d{4}年需达) (-?[\d,.]+)", block)
            if status in BEHIND and shown and shown.group(1) in needs:
                bad.append(f"{pdf.name}: {status}: {block[:120]}")
            status, block = line.strip(), ""
        else:
            block += line
    return bad


@pytest.mark.parametrize("fills", ["just short of every requirement", "reviewer's fills"])
def test_no_figure_shown_equal_to_its_requirement_beside_a_behind_status(tmp_path: Path, fills: str) -> None:
    source = _just_short(tmp_path) if fills.startswith("just") else FILLS
    year = 2025 if fills.startswith("just") else 2023
    out = tmp_path / "pkg"
    monitor(read_actuals(source), out, year=year)
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 7
    bad = [v for p in pdfs for v in _pdf_violations(p)]
    sheet = openpyxl.load_workbook(out / "monitoring.xlsx")["指标评估"]
    head = [c.value for c in sheet[1]]
    for col in ("指标编号", "状态", "数值", "当年应达"):
        assert col in head  # reviewers' own sheets refer to these columns
    at = {h: head.index(h) for h in head}
    behind_rows = 0
    for row in sheet.iter_rows(min_row=2, values_only=True):
        value, need, status = row[at["数值"]], row[at["当年应达"]], row[at["状态"]]
        if status in BEHIND and isinstance(value, (int, float)) and isinstance(need, (int, float)):
            behind_rows += 1
            ind = indicators().set_index("id").loc[row[at["指标编号"]]]
            if not ind["strict"]:
                assert value != need, row  # stored as typed: never rounded onto the requirement
    assert bad == []
    if fills.startswith("just"):
        assert behind_rows >= 40  # the scan saw the cases it is about


def test_the_workbook_keeps_the_figures_as_typed(tmp_path: Path) -> None:
    monitor(read_actuals(FILLS), tmp_path / "pkg", year=2023)
    sheet = openpyxl.load_workbook(tmp_path / "pkg" / "monitoring.xlsx")["指标评估"]
    head = [c.value for c in sheet[1]]
    by_id = {r[head.index("指标编号")]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_id["nanshichang_retail_share"][head.index("数值")] == 0.22  # not 0.2
    assert by_id["district_rd_share"][head.index("数值")] == 2.85  # not 2.9
    listed = openpyxl.load_workbook(tmp_path / "pkg" / "monitoring.xlsx")["未监测的规划目标"]
    assert any("1—2 个" in str(c.value) for c in listed["B"])


def test_a_lower_is_better_trend_falls_to_its_target() -> None:
    values = pd.DataFrame({"indicator_id": "district_approval_time_share", "year": [2020, 2023], "value": [80.0, 74.0]})
    series = trend(values, "district_approval_time_share")
    assert series["required"].round(6).tolist() == [80.0, 78.0, 76.0, 74.0, 72.0, 70.0]


def test_no_number_is_wrapped_inside_itself() -> None:
    text = "按当年新增相加为 605场（提前达成）；" * 3 + "截至2025年累计 1,234,567.89亿元，进度 302.5%"
    for width in range(8, 40):
        lines = _wrap(text, width)
        assert "".join(lines) == text
        for a, b in itertools.pairwise(lines):
            assert not (re.search(r"[\d.,]$", a) and re.match(r"[\d.,%]", b)), (width, a, b)
