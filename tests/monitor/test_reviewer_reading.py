"""What the reviewer reads (QA findings of issue 34): an average keeps the decimals that matter
(11.67 场, not 12 场), a growth target's progress says the scale it is measured on, and the entry
template names the zones in Chinese while the reader still takes ids or names — and refuses a row
whose zone contradicts its indicator."""

from __future__ import annotations

import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from hepinggis.monitor._pdf_pages import pages
from hepinggis.monitor._words import figure_parts, verdict_words
from hepinggis.monitor.evaluate import evaluate
from hepinggis.monitor.indicators import indicators, read_actuals, write_template

FEST = "beishichang_festivals"  # 年均举办品牌节庆活动10 场以上 (average of the years reported)
MULTIPLE = "taiyuanjie_wholesale_retail_revenue"  # 比2020 年翻一番
GROWTH = "nanshichang_business_services_revenue"  # 年均增长5%以上
HT = "sanhaojie_high_tech_firms"  # 100 家 (a level, linear progress)


def _results(rows: list[tuple[str, int, float]], year: int = 2023) -> pd.DataFrame:
    return evaluate(pd.DataFrame(rows, columns=["indicator_id", "year", "value"]), year=year)


def _pdf_text(results: pd.DataFrame, zone: str) -> str:
    return "".join(t.text for sheet in pages(results, zone, year=2023) for t in sheet.texts)


@pytest.mark.parametrize(
    ("figures", "shown", "status"),
    [
        ((8, 12, 15), "11.67场", "on_track"),  # 35 / 3: rounded to 12 it would read as more than it is
        ((9, 10, 10), "9.67场", "behind"),  # 29 / 3 beside 10 场 required
        ((10, 11, 12), "11场", "on_track"),  # a whole average stays whole
    ],
)
def test_an_averaged_count_keeps_the_decimals_that_matter(figures: tuple[int, ...], shown: str, status: str) -> None:
    results = _results([(FEST, 2020 + k, v) for k, v in enumerate(figures, start=1)])
    r = results.set_index("indicator_id").loc[FEST]
    assert r["status"] == status
    assert math.isclose(r["latest"], sum(figures) / 3)
    line = "；".join(figure_parts(r))
    assert line.startswith(f"2023年 {shown}（已报3年"), line
    assert "当年应达 10场" in line
    words = verdict_words(results).set_index(results["indicator_id"]).loc[FEST]
    assert words["latest_shown"] == shown  # the 规划监测 page
    assert f"2023年 {shown}" in _pdf_text(results, "beishichang")  # the PDF
    assert shown == "11场" or not re.search(r"^2023年 \d+场（", line)  # never rounded to the unit


@pytest.mark.parametrize(
    ("rows", "half", "linear", "log_pct"),
    [
        # 翻一番 from 210: 279 is 32.9 % of the increment, 41.0 % on the log scale of the trajectory
        ([(MULTIPLE, 2020, 210), (MULTIPLE, 2023, 279)], "1.41倍", "32.9%", math.log(279 / 210) / math.log(2) * 100),
        # 年均增长5%: 30 × 1.05^5 = 38.29 by 2025; 33 is 3 / 8.29 = 36.2 % of the increment
        ([(GROWTH, 2020, 30), (GROWTH, 2023, 33)], "1.13倍", "36.2%", math.log(1.1) / math.log(1.05**5) * 100),
    ],
)
def test_growth_progress_says_its_log_scale_and_the_linear_share(
    rows: list[tuple[str, int, float]], half: str, linear: str, log_pct: float
) -> None:
    results = _results(rows)
    r = results.set_index("indicator_id").loc[rows[0][0]]
    assert math.isclose(r["progress_pct"], log_pct, rel_tol=1e-9)  # the verdict's scale is unchanged
    said = f"进度：按增长倍数的对数计（与复合增长的规划轨迹同一尺度，增至基数的{half}即为50%），按增量线性计为{linear}"
    assert said in r["rule_zh"]
    zone = str(r["target_id"])
    text = re.sub(r"\s", "", _pdf_text(results, zone))
    assert "按增长倍数的对数计" in text and f"按增量线性计为{linear}" in text


def test_a_level_target_says_nothing_of_log_scales() -> None:
    r = _results([(HT, 2020, 40), (HT, 2023, 70)]).set_index("indicator_id").loc[HT]
    assert r["rule_zh"] and "对数" not in r["rule_zh"]
    # a growth target with no base is not judged on any scale: nothing said either
    r = _results([(GROWTH, 2023, 33)]).set_index("indicator_id").loc[GROWTH]
    assert "对数" not in str(r["rule_zh"])


def _template(tmp_path: Path) -> tuple[Path, openpyxl.Workbook, list[str]]:
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    head = [str(c.value) for c in book["填报"][1]]
    return path, book, head


def test_the_template_names_zones_in_chinese(tmp_path: Path) -> None:
    _, book, head = _template(tmp_path)
    col = head.index("功能区/轴/带")
    seen = {r[0]: r[col] for r in book["填报"].iter_rows(min_row=2, values_only=True)}
    table = indicators().set_index("id")
    for iid, zone in seen.items():
        assert not re.fullmatch(r"[a-z_]+", str(zone)), (iid, zone)  # no pinyin id
        if iid in table.index:
            assert zone != table.loc[iid, "target_id"]
    assert seen[HT] == "三好街科技文化融合示范区" and seen["district_high_tech_firms"] == "和平区（全区）"
    listing = book["指标一览"]
    listed = [r[1] for r in listing.iter_rows(min_row=2, values_only=True) if r[0] in table.index]
    assert listed and all(re.search(r"[\u4e00-\u9fff]", str(z)) for z in listed)


@pytest.mark.parametrize(
    ("zone", "refused"),
    [
        (None, False),  # as the template writes it: the full Chinese name
        ("sanhaojie", False),  # an older template: the id
        ("三好街", False),  # the short name
        ("  三好街科技文化融合示范区 ", False),
        ("三好街一带", False),  # names no zone: the 指标编号 decides
        ("南市场历史文化产业集聚区", True),  # another zone's name: which column is wrong is not ours to guess
        ("nanshichang", True),
        ("和平区（全区）", True),
    ],
)
def test_the_zone_column_is_read_back_as_id_or_name(tmp_path: Path, zone: str | None, refused: bool) -> None:
    path, book, head = _template(tmp_path)
    sheet = book["填报"]
    row = next(k for k, r in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2) if r[:1] == (HT,))
    sheet.cell(row, head.index("数值") + 1, 61)
    if zone is not None:
        sheet.cell(row, head.index("功能区/轴/带") + 1, zone)
    book.save(path)
    r = read_actuals(path)
    if refused:
        assert r.values.empty
        rec = r.rejected.set_index("row").loc[row]
        assert rec["field"] == "功能区/轴/带"
        assert f"功能区“{zone.strip()}”与指标编号“{HT}”所属的“" in rec["message"]
    else:
        assert r.values[["indicator_id", "value", "row"]].values.tolist() == [[HT, 61.0, row]]
        assert r.rejected.empty
