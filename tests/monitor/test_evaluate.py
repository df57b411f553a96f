"""The monitoring verdicts against hand-computed cases: each number below is worked out by hand from
the rule in `hepinggis.evaluate`'s docstring, not taken from the code's output."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hepinggis.monitor.evaluate import evaluate, zone_summary

HT = "sanhaojie_high_tech_firms"  # level count, target 100, base = the 2020 figure
CULTURE = "beishichang_new_culture_firms"  # cumulative count, target 100 from 2021
FEST = "beishichang_festivals"  # per-year count, target 10 a year
GROWTH = "nanshichang_business_services_revenue"  # annual growth 5 %
MULTIPLE = "taiyuanjie_wholesale_retail_revenue"  # 2 × the 2020 figure
SHARE = "beishichang_retail_share"  # share, target 15 %


def _eval(rows: list[tuple], year: int | None = None) -> pd.Series:
    cols = ["indicator_id", "year", "value", "entry"][: len(rows[0])]
    return evaluate(pd.DataFrame(rows, columns=cols), year=year).set_index("indicator_id").loc[rows[0][0]]


CASES = [
    # (name, figures, year asked, required, status, progress %)
    ("level on the line", [(HT, 2020, 40), (HT, 2022, 64)], None, 64.0, "on_track", 40.0),
    ("level, 83 % of the way", [(HT, 2020, 40), (HT, 2022, 60)], None, 64.0, "behind", 100 / 3),
    ("level, 42 %", [(HT, 2020, 40), (HT, 2022, 50)], None, 64.0, "at_risk", 100 / 6),
    # the base already above the target: a figure at or above the target is 提前达成, not "at risk"
    ("base above target, decline to 110", [(HT, 2020, 150), (HT, 2022, 110)], None, 100.0, "achieved_early", 110.0),
    ("base above target, fallen to 90 %", [(HT, 2020, 150), (HT, 2022, 90)], None, 100.0, "behind", 90.0),
    ("base above target, fallen to 70 %", [(HT, 2020, 150), (HT, 2022, 70)], None, 100.0, "at_risk", 70.0),
    ("level reaches 2025 target early", [(HT, 2020, 40), (HT, 2022, 105)], None, 64.0, "achieved_early", 65 / 0.6),
    ("level at 2025, missed", [(HT, 2020, 40), (HT, 2025, 90)], None, 100.0, "missed", 50 / 0.6),
    ("level at 2025, achieved", [(HT, 2020, 40), (HT, 2025, 100)], None, 100.0, "achieved", 100.0),
    ("cumulative additions", [(CULTURE, 2021, 18), (CULTURE, 2022, 22)], None, 40.0, "on_track", 40.0),
    ("cumulative reached early", [(CULTURE, 2021, 60), (CULTURE, 2022, 45)], None, 40.0, "achieved_early", 105.0),
    ("per-year average 10.33", [(FEST, 2021, 8), (FEST, 2022, 11), (FEST, 2023, 12)], None, 10.0, "on_track", 31 / 0.3),
    ("per-year 80 %", [(FEST, 2021, 8)], None, 10.0, "behind", 80.0),
    (
        "per-year at 2025, average 9.6: missed",
        [(FEST, y, v) for y, v in zip(range(2021, 2026), (8, 9, 10, 10, 11), strict=True)],
        None,
        10.0,
        "missed",
        96.0,
    ),
    ("share", [(SHARE, 2020, 13.2), (SHARE, 2023, 14.1)], None, 13.2 + 1.8 * 0.6, "behind", 50.0),
    (
        "growth",
        [(GROWTH, 2020, 30), (GROWTH, 2023, 33)],
        None,
        30 * 1.05**3,
        "at_risk",
        math.log(1.1) / math.log(1.05**5) * 100,
    ),
    (
        "multiple",
        [(MULTIPLE, 2020, 210), (MULTIPLE, 2023, 279)],
        None,
        210 * 2**0.6,
        "at_risk",
        math.log(279 / 210) / math.log(2) * 100,
    ),
    (
        "multiple ahead",
        [(MULTIPLE, 2020, 210), (MULTIPLE, 2023, 330)],
        None,
        210 * 2**0.6,
        "on_track",
        math.log(330 / 210) / math.log(2) * 100,
    ),
    # after 2025 the plan-period verdict stays: judged on 2025, growth does not compound on
    (
        "growth asked in 2027",
        [(GROWTH, 2020, 30), (GROWTH, 2025, 39), (GROWTH, 2027, 41)],
        2027,
        30 * 1.05**5,
        "achieved",
        math.log(1.3) / math.log(1.05**5) * 100,
    ),
    (
        "multiple asked in 2027",
        [(MULTIPLE, 2020, 200), (MULTIPLE, 2025, 380), (MULTIPLE, 2027, 450)],
        2027,
        400.0,
        "missed",
        math.log(1.9) / math.log(2) * 100,
    ),
    ("level with no base: compared with the target", [(HT, 2023, 85)], None, 100.0, "behind", 85.0),
]


@pytest.mark.parametrize(("name", "rows", "year", "required", "status", "progress"), CASES, ids=[c[0] for c in CASES])
def test_hand_computed(
    name: str, rows: list[tuple], year: int | None, required: float, status: str, progress: float
) -> None:
    r = _eval(rows, year)
    assert r["status"] == status, name
    assert math.isclose(r["required"], required, rel_tol=1e-9), (name, r["required"])
    assert math.isclose(r["progress_pct"], progress, rel_tol=1e-9), (name, r["progress_pct"])


def test_after_2025_later_years_are_shown_as_such() -> None:
    r = _eval([(MULTIPLE, 2020, 200), (MULTIPLE, 2025, 380), (MULTIPLE, 2027, 450)], 2027)
    assert r["year"] == 2027 and r["judged_year"] == 2025 and r["latest_year"] == 2025 and r["latest"] == 380
    assert r["later"] == "2027年 450亿元"
    assert "2025年后的年份单独列示" in r["tool_note"]
    # cumulative counts stop adding at 2025
    rows = [(CULTURE, y, 20) for y in range(2021, 2028)]
    r = _eval(rows, 2027)
    assert r["latest"] == 100 and r["status"] == "achieved" and "2026年 20户" in r["later"]


def test_a_base_alone_is_no_data() -> None:
    r = _eval([(HT, 2020, 40)])
    assert r["status"] == "no_data" and math.isnan(r["progress_pct"])
    assert "仅有2020年（基期）数值" in r["tool_note"]
    # and a later row refused at reading leaves the same: the zone's share ignores it
    summary = zone_summary(evaluate(pd.DataFrame([(HT, 2020, 40)], columns=["indicator_id", "year", "value"])))
    assert summary.loc["sanhaojie", "with_data"] == 0 and math.isnan(summary.loc["sanhaojie", "on_track_pct"])


def test_growth_without_base_is_no_base_with_the_reason() -> None:
    r = _eval([("sanhaojie_invention_patents", 2022, 470)])
    assert r["status"] == "no_base" and "缺少2020年基数" in r["tool_note"]
    assert r["note"] == ""  # the tool's words never go into the bureau's notes


def test_missing_years_in_a_cumulative_count_are_no_data_not_zero() -> None:
    # 10 + 10 with 2022 missing: at least 20, below the 60 required by 2023: no verdict
    r = _eval([(CULTURE, 2021, 10), (CULTURE, 2023, 10)])
    assert r["status"] == "no_data" and "缺少2022年" in r["tool_note"]


def test_running_totals_are_not_summed_again() -> None:
    running = _eval([(CULTURE, 2021, 18, "running_total"), (CULTURE, 2022, 40, "running_total")])
    assert running["latest"] == 40 and running["status"] == "on_track"
    assert running["aggregation"] == "2022年填报的累计数"
    mixed = _eval([(CULTURE, 2021, 18, "running_total"), (CULTURE, 2022, 22, "addition")])
    assert mixed["latest"] == 40 and mixed["aggregation"] == "2021年填报的累计数 + 2022–2022年新增数之和"
    # a running total covers the years before it: no gap
    late = _eval([(CULTURE, 2023, 70, "running_total")])
    assert late["latest"] == 70 and late["status"] == "on_track"


def test_every_judged_row_states_its_rule_in_words() -> None:
    figures = pd.DataFrame(
        [
            (HT, 2020, 40, "口径：年末存量"),
            (HT, 2022, 64, ""),
            (GROWTH, 2020, 30, ""),
            (GROWTH, 2023, 33, ""),
            (FEST, 2021, 9, ""),
        ],
        columns=["indicator_id", "year", "value", "note"],
    )
    r = evaluate(figures).set_index("indicator_id")
    assert r.loc[HT, "trajectory"] == "自基数线性增至2025年目标"
    assert r.loc[HT, "base_source"] == "2020年填报值" and r.loc[HT, "aggregation"] == "2022年数值"
    assert r.loc[HT, "rule_zh"].startswith("按2022年数值判断（2023年尚无数值）；轨迹：自基数线性增至2025年目标")
    assert r.loc[GROWTH, "trajectory"] == "按年均增长5%复合增长"
    assert r.loc[FEST, "aggregation"] == "2021年数值" and r.loc[FEST, "base_source"].startswith("不需要")
    assert r.loc[HT, "note"] == "口径：年末存量" and r.loc[HT, "tool_note"] == ""
    assert r.loc[HT, "rule_zh"].count("2023年") == 1  # the year judged is said once


def test_stated_base_of_a_district_target() -> None:
    r = _eval([("district_high_tech_firms", 2022, 300)])
    # base 264 (chapter 1), target 400: required 264 + 136 × 0.4 = 318.4; (300 − 264) / 54.4 = 66 % → at risk
    assert math.isclose(r["required"], 318.4) and r["status"] == "at_risk"
    assert r["base_source"] == "规划写明（264家）"


def test_zone_share_only_over_indicators_with_data() -> None:
    figures = pd.DataFrame(
        [(HT, 2020, 40), (HT, 2022, 64), ("sanhaojie_retail_share", 2020, 20), ("sanhaojie_retail_share", 2022, 20)],
        columns=["indicator_id", "year", "value"],
    )
    s = zone_summary(evaluate(figures)).loc["sanhaojie"]
    # two of four have data; one on track (HT), one at risk (share flat): 50 % of 2, not 25 % of 4
    assert (s["with_data"], s["quantitative"], s["on_track"], s["at_risk"], s["no_data"]) == (2, 4, 1, 1, 2)
    assert s["on_track_pct"] == 50.0
