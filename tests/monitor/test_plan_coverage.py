"""Every numeric target of seed 004 is an indicator with its verbatim quote, or is listed as not
monitored with its reason; the relative targets and the targets in words are there too.

The count, made by reading the plan (issue 34): chapter 6 holds 22 numeric zone targets; chapters
3–5 hold 29 numeric district targets, chapters 7, 8 and 10 another 15 (第七章 7, 第八章 1, 第十章 7):
44 district targets in all. Two more are borderline (每个领域1—2个外商投资项目: not monitored, with the
reason; 23个地块征收: monitored), chapter 7 repeats chapter 5's 社会消费品零售总额年均增长5%-7% word for
word (one indicator), chapter 2 holds two relative targets and chapters 8 and 10 four in words.
"""

from __future__ import annotations

import re
from pathlib import Path

from hepinggis.monitor._targets import coverage, indicators, not_monitored, references

#: Numbers that are not targets: years, names of technologies and grades, ages.
_NOT_A_TARGET = r"20[0-9]{2} ?年|二〇三五|十四五|5G|IPv6|4A|2\.0|1\.5 ?级|0—3 岁|24 ?小时"
_TARGET_WORDS = r"以上|以下|以内|达到|突破|年均增长|不少于|累计|提升|全覆盖|\d+ ?个"


def _numeric_clauses(plan: str) -> list[str]:
    """The plan's clauses that set a number, outside chapter 1 (the 十三五 record) and chapter 6
    (the zones, counted on their own); a clause listing several targets with 、 is split."""
    body = plan[plan.index("第二章 总体要求和主要目标") : plan.index("附件1")]
    body = body.replace(body[body.index("第六章 科学统筹") : body.index("第七章 扩大对内对外开放")], "")
    out: list[str] = []
    for clause in (c.strip() for c in re.split(r"[,，;；。]", body)):
        bare = re.sub(_NOT_A_TARGET, "", clause)
        if clause.startswith("依托") or not re.search(r"\d", bare) or not re.search(_TARGET_WORDS, bare):
            continue
        parts = clause.split("、") if clause.count("以上") > 1 else [clause]
        out += [p for p in parts if p not in out]
    return out


def test_every_numeric_target_of_the_plan_is_monitored_or_listed_with_its_reason(seeds_dir: Path) -> None:
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    table = indicators()
    clauses = _numeric_clauses(plan)
    skipped = not_monitored()
    quotes = list(table.loc[table["kind"] != "qualitative", "quote"])
    monitored = [c for c in clauses if any(c in q or q in c for q in quotes)]
    listed = [c for c in clauses if c not in monitored and any(c in n["quote"] or n["quote"] in c for n in skipped)]
    assert sorted(set(clauses) - set(monitored) - set(listed)) == []
    # 44 district targets + 23个地块 (borderline, monitored) + 1—2个 per field (borderline, listed)
    assert len(clauses) == 46 and len(monitored) == 45 and len(listed) == 1
    assert all(n["reason"] and n["quote"] in plan for n in skipped)
    zonal = table[(table["target_id"] != "district") & (table["kind"] != "qualitative")]
    assert len(zonal) == 22
    for rec in table.to_dict("records"):
        assert rec["quote"] in plan, rec["id"]  # verbatim
        if isinstance(rec.get("base_quote"), str):
            assert rec["base_quote"] in plan, rec["id"]


def test_relative_and_word_only_targets(seeds_dir: Path) -> None:
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    table = indicators().set_index("id")
    relative = table[table["kind"] == "above_reference"]
    assert sorted(relative["quote"]) == [
        "全区地区生产总值增速力争高于全市水平",
        "城市居民人均可支配收入增速力争高于经济增速",
    ]
    # each is compared with a figure the template asks for: the city's growth, the district's own
    assert set(relative["reference_id"]) == {"reference_city_gdp_growth", "district_gdp_growth_vs_city"}
    assert list(references()["id"]) == ["reference_city_gdp_growth"]
    words = set(table.loc[table["kind"] == "qualitative", "quote"])
    for sentence in ("5G 基站连续覆盖", "数字校园三星级标准全覆盖", "困难家庭高校毕业生全部就业", "法定人员全覆盖"):
        assert any(sentence in w for w in words), sentence
    assert all(w in plan for w in words)
    said = coverage()
    for chapter in ("第一章", "第九、十一、十二章", "第七章", "第十章"):
        assert chapter in said


def test_the_plans_own_words_are_kept_as_rules() -> None:
    table = indicators().set_index("id")
    assert bool(table.loc["district_business_satisfaction", "every_year"])  # 保持
    assert bool(table.loc["district_registered_population", "strict"])  # 突破
    bases = {  # the bases chapter 1 states
        "district_gazelle_unicorn_firms": 5,
        "district_makers": 0.6814,
        "district_electronics_high_tech_share": 18,
        "district_registered_population": 76.3,
    }
    for iid, base in bases.items():
        assert table.loc[iid, "base_value"] == base, iid
