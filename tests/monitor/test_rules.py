"""One hand-computed case per monitoring rule of issue 25, each with the plan sentence it follows
(checked to be the plan's own words); the numbers are worked out by hand here, not read back from
the code."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from hepinggis.errors import InvalidOptionError
from hepinggis.monitor._doubts import flag_doubts
from hepinggis.monitor._targets import known_figures
from hepinggis.monitor.evaluate import check_year, evaluate
from hepinggis.monitor.indicators import indicators

CULTURE = "beishichang_new_culture_firms"  # 新增文化企业100 户以上 (cumulative from 2021)
MULTIPLE = "taiyuanjie_wholesale_retail_revenue"  # 比2020 年翻一番
GROWTH = "nanshichang_business_services_revenue"  # 年均增长5%以上
HT_DISTRICT = "district_high_tech_firms"  # 400 家, base 264 stated in chapter 1
FEST = "beishichang_festivals"  # 年均 10 场 (average)
EVENTS = "district_innovation_events"  # 每年 200 场 (each year)
APPROVAL = "district_approval_time_share"  # 70% 以下 (lower is better)
SHARE_20 = "nanshichang_retail_share"  # 20% 以上
HT = "sanhaojie_high_tech_firms"  # 100 家, no stated base


def _run(rows: list[tuple], year: int | None = None) -> pd.Series:
    frame = pd.DataFrame(rows, columns=["indicator_id", "year", "value", "entry"][: len(rows[0])])
    frame = frame.assign(confirmed=False, flag="", question="", note="")
    if "entry" not in frame.columns:
        frame["entry"] = None
    frame["entry"] = frame["entry"].where(frame["entry"].notna(), None)
    cumulative = frame["indicator_id"].map(known_figures()["basis"]) == "cumulative"
    frame.loc[cumulative & frame["entry"].isna(), "entry"] = "addition"
    frame = flag_doubts(frame, indicators().set_index("id"))
    return evaluate(frame, year=year).set_index("indicator_id").loc[rows[0][0]]


SATISFACTION = "district_business_satisfaction"  # 保持在95%以上 (every year)
POPULATION = "district_registered_population"  # 突破85 万人 (strictly above; base 76.3 stated in chapter 1)
GAZELLE = "district_gazelle_unicorn_firms"  # 10 家; base 4 + 1 stated in chapter 1
MAKERS = "district_makers"  # 1 万人; base 6,814 人 stated in chapter 1
GDP = "district_gdp_growth_vs_city"  # 力争高于全市水平
CITY = "reference_city_gdp_growth"
INCOME = "district_income_growth_vs_gdp"  # 力争高于经济增速
UNEMPLOYMENT = "district_unemployment_rate"  # 控制在4%以内 (every year)

# (rule, plan sentence, figures, year asked, status, figure judged, required now, words said)
CASES = [
    (
        "保持 holds every year: 94 in 2022 is below 95 although 2023 is 97: missed",
        "营商环境满意度保持在95%以上",
        [(SATISFACTION, 2021, 96), (SATISFACTION, 2022, 94), (SATISFACTION, 2023, 97)],
        None,
        "missed",
        94.0,
        95.0,
        "保持",
    ),
    (
        "保持 held in every year reported so far: on track",
        "营商环境满意度保持在95%以上",
        [(SATISFACTION, 2021, 96), (SATISFACTION, 2023, 97)],
        None,
        "on_track",
        96.0,
        95.0,
        "每年均须达到",
    ),
    (
        "突破 is strictly above: 85 万人 in 2025 does not break through 85: missed",
        "户籍人口力争突破85 万人",
        [(POPULATION, 2025, 85)],
        None,
        "missed",
        85.0,
        85.0,
        "规划写明（76.3万人）",
    ),
    (
        "突破: 85.1 万人 in 2025: achieved",
        "户籍人口力争突破85 万人",
        [(POPULATION, 2025, 85.1)],
        None,
        "achieved",
        85.1,
        85.0,
        "规划写明（76.3万人）",
    ),
    (
        "base 4 + 1 stated in chapter 1: 5 + (10 − 5) × 0.6 = 8 needed in 2023; 7 covers 2/3 of the way: at risk",
        "培育瞪羚独角兽企业10 家以上",
        [(GAZELLE, 2023, 7)],
        None,
        "at_risk",
        7.0,
        8.0,
        "规划写明（5家）",
    ),
    (
        "base 6,814 人 stated: 0.6814 + 0.3186 × 0.4 = 0.80884 needed in 2022; 0.8 covers 93 %: behind",
        "创客人数达到1 万人以上",
        [(MAKERS, 2022, 0.8)],
        None,
        "behind",
        0.8,
        0.6814 + 0.3186 * 0.4,
        "规划写明（6,814人）",
    ),
    (
        "relative: 5.0 % against the city's 5.0 % is not higher: behind",
        "全区地区生产总值增速力争高于全市水平",
        [(GDP, 2023, 5.0), (CITY, 2023, 5.0)],
        None,
        "behind",
        5.0,
        5.0,
        "相等不算高于",
    ),
    (
        "relative to another target's figure: income 6.0 % against GDP growth 5.5 % in 2025: achieved",
        "城市居民人均可支配收入增速力争高于经济增速",
        [(INCOME, 2025, 6.0), (GDP, 2025, 5.5)],
        None,
        "achieved",
        6.0,
        5.5,
        "地区生产总值增速",
    ),
    (
        "控制在4%以内 every year: 4.2 in 2022 exceeds it: missed",
        "登记失业率控制在4%以内",
        [(UNEMPLOYMENT, 2021, 3.5), (UNEMPLOYMENT, 2022, 4.2), (UNEMPLOYMENT, 2023, 3.9)],
        None,
        "missed",
        4.2,
        4.0,
        "每年均须达到",
    ),
    (
        "cumulative with a missing year, known years already past the target: at least 45 + 60 = 105",
        "新增文化企业100 户以上",
        [(CULTURE, 2021, 45), (CULTURE, 2023, 60)],
        None,
        "achieved_early",
        105.0,
        60.0,
        "实际累计至少为此数",
    ),
    (
        "cumulative with a missing year, at least 30 + 35 = 65 ≥ 60 required by 2023: on track",
        "新增文化企业100 户以上",
        [(CULTURE, 2021, 30), (CULTURE, 2023, 35)],
        None,
        "on_track",
        65.0,
        60.0,
        "缺少2022年的数值",
    ),
    (
        "cumulative with a missing year, at least 20 < 60: no verdict",
        "新增文化企业100 户以上",
        [(CULTURE, 2021, 10), (CULTURE, 2023, 10)],
        None,
        "no_data",
        20.0,
        60.0,
        "缺少2022年的数值",
    ),
    (
        "翻一番 with a 2020 base of 0: no base",
        "批发和零售业营业收入比2020 年翻一番",
        [(MULTIPLE, 2020, 0), (MULTIPLE, 2023, 50)],
        None,
        "no_base",
        50.0,
        math.nan,
        "基数填报为 0",
    ),
    (
        "growth with a 2020 base of 0: no base",
        "商务服务产业营业收入年均增长5%以上",
        [(GROWTH, 2020, 0), (GROWTH, 2022, 12)],
        None,
        "no_base",
        12.0,
        math.nan,
        "增长目标无从计算",
    ),
    (
        "a 2020 figure typed where the plan states the base: the plan's 264 judged, 250 shown beside it",
        "力争高新技术企业达到400 家以上",
        [(HT_DISTRICT, 2020, 250), (HT_DISTRICT, 2023, 350)],
        None,
        "on_track",
        350.0,
        264 + 136 * 0.6,
        "填报的2020年数值为 250家",
    ),
    (
        "per-year (年均) with only 2025: judged on the year reported, and said",
        "年均举办具有影响力的品牌节庆活动10 场以上",
        [(FEST, 2025, 12)],
        None,
        "achieved",
        12.0,
        10.0,
        "只报了2025年（缺2021、2022、2023、2024年）",
    ),
    (
        "per-year (每年): the weakest year counts; 190 of 200 in 2022 misses 每年 for good: missed",
        "每年举办双创活动200 场以上",
        [(EVENTS, 2021, 250), (EVENTS, 2022, 190), (EVENTS, 2023, 260)],
        None,
        "missed",
        190.0,
        200.0,
        "每年均须达到",
    ),
    (
        "lower is better: 90 % in 2020 to 70 % by 2025, 78 % allowed in 2023, 75 % is on track",
        "审批时限平均压缩至法定时限70%以下",
        [(APPROVAL, 2020, 90), (APPROVAL, 2023, 75)],
        None,
        "on_track",
        75.0,
        78.0,
        "降至",
    ),
    (
        "lower is better, already 65 % ≤ 70 %: achieved early",
        "审批时限平均压缩至法定时限70%以下",
        [(APPROVAL, 2023, 65)],
        None,
        "achieved_early",
        65.0,
        70.0,
        "",
    ),
    (
        "a share typed 0.22 among 21 and 19.5: asked, not judged",
        "社会消费品零售总额占全区的20%以上",
        [(SHARE_20, 2021, 21), (SHARE_20, 2022, 19.5), (SHARE_20, 2023, 0.22)],
        None,
        "to_confirm",
        0.22,
        20.0,
        "疑似把 22% 写成 0.22",
    ),
    (
        "running totals typed as additions (35, 63, 109, 161): 368 or 161, two verdicts: held",
        "到2025 年举办有影响的大型会展活动200场次以上",
        [("district_exhibitions", y, v) for y, v in zip(range(2021, 2025), (35, 63, 109, 161), strict=True)],
        None,
        "to_confirm",
        368.0,
        160.0,
        "按累计数为 161场（达到进度）",
    ),
    (
        "a year before the plan period is listed, not judged",
        "高新技术企业数量达到100 家以上",
        [(HT, 2019, 30), (HT, 2020, 40), (HT, 2022, 64)],
        None,
        "on_track",
        64.0,
        64.0,
        "2019年不在规划期内",
    ),
    (
        "a 2030 figure never becomes the year judged: the package's year is 2022",
        "高新技术企业数量达到100 家以上",
        [(HT, 2020, 40), (HT, 2022, 64), (HT, 2030, 500)],
        None,
        "on_track",
        64.0,
        64.0,
        "",
    ),
]


@pytest.mark.parametrize(
    ("rule", "sentence", "rows", "year", "status", "latest", "required", "said"), CASES, ids=[c[0] for c in CASES]
)
def test_rule(
    seeds_dir: Path,
    rule: str,
    sentence: str,
    rows: list[tuple],
    year: int | None,
    status: str,
    latest: float,
    required: float,
    said: str,
) -> None:
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    quote = indicators().set_index("id").loc[rows[0][0], "quote"]
    assert sentence in plan and sentence in quote, rule  # the case follows the plan's own words
    r = _run(rows, year)
    assert r["status"] == status, (rule, r["status"], r["tool_note"])
    assert math.isclose(float(r["latest"]), latest, rel_tol=1e-9), (rule, r["latest"])
    if math.isnan(required):
        assert math.isnan(float(r["required"])), rule
    else:
        assert math.isclose(float(r["required"]), required, rel_tol=1e-9), (rule, r["required"])
    words = " ".join(
        str(r[k]) for k in ("tool_note", "question", "aggregation", "base_source", "trajectory", "rule_zh")
    )
    assert said in words, (rule, words)


def test_the_package_year_is_in_the_plan_period_and_asked_years_are_checked() -> None:
    r = _run([(HT, 2020, 40), (HT, 2022, 64), (HT, 2030, 500)])
    assert r["year"] == 2022 and r["judged_year"] == 2022
    for bad in (1999, 2020, 2031):
        with pytest.raises(InvalidOptionError, match="不在 2021–2030 年之间"):
            check_year(bad)
    assert check_year(2027) == 2027


def test_targets_with_their_unit_and_the_absolute_figure() -> None:
    growth = _run([(GROWTH, 2020, 100), (GROWTH, 2022, 111)])
    assert growth["target_zh"] == "年均增长 ≥ 5%；2025年需达 127.63亿元"  # 100 × 1.05^5 = 127.628…
    multiple = _run([(MULTIPLE, 2020, 210), (MULTIPLE, 2022, 260)])
    assert multiple["target_zh"] == "2025年为2020年的 2 倍；2025年需达 420亿元"
    assert _run([(CULTURE, 2021, 5)])["target_zh"] == "2021–2025年累计 ≥ 100户"
    assert _run([(APPROVAL, 2021, 80)])["target_zh"] == "2025年 ≤ 70%"


def test_the_year_judged_is_said_once() -> None:
    r = _run([(HT, 2020, 40), (HT, 2022, 64), (GROWTH, 2023, 1)], year=2023)
    assert r["rule_zh"].startswith("按2022年数值判断（2023年尚无数值）")
    assert (r["rule_zh"] + r["tool_note"]).count("2023年") == 1
