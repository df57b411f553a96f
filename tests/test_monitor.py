"""Plan monitoring: the targets counted against the plan text, the evaluation rules against hand-computed
cases, the strict reading of figures, project changes across years, and the package in Chromium."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from _chromium import Visit
from shapely.affinity import translate

import hepinggis
from hepinggis.cli import main
from hepinggis.evaluate import evaluate, zone_summary
from hepinggis.indicators import indicators, read_actuals, write_template

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


def _goal_sentences(seeds_dir: Path) -> list[str]:
    text = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    chapter = text[text.index("第六章") : text.index("第七章 扩大对内对外开放")]
    return re.findall(r"四、发展目标\s*\n(到2025 年.+?)\n", chapter)


def test_every_chapter6_target_is_an_indicator_with_its_quote(seeds_dir: Path) -> None:
    sentences = _goal_sentences(seeds_dir)
    assert len(sentences) == 9  # six zones, two axes, one belt
    clauses = [
        c.strip("。 ")
        for s in sentences
        for c in re.split(r"[,，]", s.split(",", 1)[1] if s.startswith("到2025 年,") else s)
    ]
    quantitative = {c for c in clauses if re.search(r"\d|翻一番", c)}
    table = indicators()
    quoted = set(table.loc[table["kind"] != "qualitative", "quote"])
    # each quantitative clause is structured (one clause may name several industries: one row each)
    assert {q.replace("泛太原街地区", "") for q in quoted} | set() >= {
        c.replace("泛太原街地区", "") for c in quantitative
    }
    assert len(quantitative) == 20 and len(table[table["kind"] != "qualitative"]) == 22
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    for rec in table.to_dict("records"):
        assert rec["quote"] in plan, rec["id"]
    # the targets stated only in words are listed, not dropped: 满融, both axes, the belt
    qualitative = table[table["kind"] == "qualitative"]
    assert set(qualitative["target_id"]) == {"manrong", "nanjingjie_axis", "sanhaojie_axis", "hunhe_belt"}
    for s in sentences:
        if not re.search(r"\d{2,}|翻一番|%", s.replace("2025", "")):
            assert any(q in s for q in qualitative["quote"]), s


def _eval(rows: list[tuple[str, int, float]], year: int | None = None) -> pd.Series:
    frame = pd.DataFrame(rows, columns=["indicator_id", "year", "value"])
    return evaluate(frame, year=year).set_index("indicator_id")


CASES = [
    # (kind, figures, expected required, expected status)
    (
        "level count on the line",
        [("sanhaojie_high_tech_firms", 2020, 40), ("sanhaojie_high_tech_firms", 2022, 64)],
        64.0,
        "on_track",
    ),
    (
        "level count, 83 % of the way",
        [("sanhaojie_high_tech_firms", 2020, 40), ("sanhaojie_high_tech_firms", 2022, 60)],
        64.0,
        "behind",
    ),
    (
        "level count, 42 %",
        [("sanhaojie_high_tech_firms", 2020, 40), ("sanhaojie_high_tech_firms", 2022, 50)],
        64.0,
        "at_risk",
    ),
    (
        "cumulative count",
        [("beishichang_new_culture_firms", 2021, 18), ("beishichang_new_culture_firms", 2022, 22)],
        40.0,
        "on_track",
    ),
    (
        "per-year count, average 10.3",
        [("beishichang_festivals", y, v) for y, v in ((2021, 8), (2022, 11), (2023, 12))],
        10.0,
        "on_track",
    ),
    ("per-year count, 80 %", [("beishichang_festivals", 2021, 8)], 10.0, "behind"),
    ("share", [("beishichang_retail_share", 2020, 13.2), ("beishichang_retail_share", 2023, 14.1)], 14.28, "behind"),
    (
        "growth",
        [("nanshichang_business_services_revenue", 2020, 30), ("nanshichang_business_services_revenue", 2023, 33)],
        30 * 1.05**3,
        "at_risk",
    ),
    (
        "multiple",
        [("taiyuanjie_wholesale_retail_revenue", 2020, 210), ("taiyuanjie_wholesale_retail_revenue", 2023, 279)],
        210 * 2**0.6,
        "at_risk",
    ),
    (
        "multiple ahead",
        [("taiyuanjie_wholesale_retail_revenue", 2020, 210), ("taiyuanjie_wholesale_retail_revenue", 2023, 330)],
        210 * 2**0.6,
        "on_track",
    ),
]


@pytest.mark.parametrize(("name", "rows", "required", "status"), CASES, ids=[c[0] for c in CASES])
def test_evaluate_hand_computed(name: str, rows: list[tuple[str, int, float]], required: float, status: str) -> None:
    r = _eval(rows).loc[rows[0][0]]
    assert math.isclose(r["required"], required, rel_tol=1e-9), name
    assert r["status"] == status, name


def test_progress_and_missing_figures() -> None:
    r = _eval([("taiyuanjie_wholesale_retail_revenue", 2020, 210), ("taiyuanjie_wholesale_retail_revenue", 2023, 279)])
    assert math.isclose(
        r.loc["taiyuanjie_wholesale_retail_revenue", "progress_pct"], math.log(279 / 210) / math.log(2) * 100
    )
    # growth without the 2020 base: no data, and the note says what is missing
    r = _eval([("sanhaojie_invention_patents", 2022, 470)])
    assert r.loc["sanhaojie_invention_patents", "status"] == "no_data"
    assert "缺少2020年基数" in r.loc["sanhaojie_invention_patents", "note"]
    # no figure at all, and a figure only after the evaluation year
    r = _eval([("sanhaojie_high_tech_firms", 2020, 40), ("sanhaojie_high_tech_firms", 2023, 90)], year=2021)
    assert (
        r.loc["sanhaojie_high_tech_firms", "latest"] == 40 and r.loc["sanhaojie_high_tech_firms", "latest_year"] == 2020
    )
    assert r.loc["changbaidao_hq_firms", "status"] == "no_data"
    assert r.loc["manrong_qualitative_1", "status"] == "qualitative"
    summary = zone_summary(evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"])))
    assert summary.loc["sanhaojie", "no_data"] == 4 and math.isnan(summary.loc["sanhaojie", "on_track_pct"])


def test_read_actuals_reports_every_bad_row(tmp_path: Path) -> None:
    lines = [
        "指标编号,年份,数值,备注",
        "sanhaojie_high_tech_firms,2020,58,",
        "sanhaojie_high_tech_firms,2021,６６,全角数字",
        "sanhaojie_high_tech_firms,2021,70,重复",
        "no_such_indicator,2021,1,",
        "sanhaojie_high_tech_firms,2019,50,",
        "sanhaojie_high_tech_firms,2040,50,",
        "sanhaojie_high_tech_firms,二〇二二,50,",
        "sanhaojie_high_tech_firms,2022,很多,",
        "manrong_qualitative_1,2022,1,",
        "sanhaojie_high_tech_firms,2023,,未填",
        ",,,",
    ]
    path = tmp_path / "figures.csv"
    path.write_text("\n".join(lines) + "\n", encoding="gbk")
    r = read_actuals(path)
    assert r.rows_in == 11
    assert len(r.values) + len(r.rejected) + int((r.report["outcome"] == "blank").sum()) == r.rows_in
    assert r.values[["year", "value"]].values.tolist() == [[2020, 58.0], [2021, 66.0]]
    messages = " | ".join(r.rejected["message"])
    for fragment in (
        "already given on row 3",
        "unknown indicator id 'no_such_indicator'",
        "'2019' is not a year",
        "'2040' is not a year",
        "'二〇二二' is not a year",
        "'很多' is not a number",
        "qualitative target",
        "the row is empty",
    ):
        assert fragment in messages
    assert r.rejected["row"].tolist() == [4, 5, 6, 7, 8, 9, 10, 12]


def test_template_round_trips_and_validates_numbers(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["填报"]
    assert [c.value for c in sheet[1]][:3] == ["指标编号", "功能区/轴/带", "指标"]
    assert len(sheet.data_validations.dataValidation) == 1
    assert sheet.data_validations.dataValidation[0].type == "decimal"
    assert sheet.max_row - 1 == 22 * 6  # every quantitative indicator, 2020–2025
    sheet["G2"] = 12.5
    sheet["H2"] = "=1+1 不是公式"
    sheet["H2"].data_type = "s"  # typed as text, as Excel keeps it after a leading apostrophe
    book.save(path)
    r = read_actuals(path)
    assert len(r.values) == 1 and r.values["note"].iloc[0] == "=1+1 不是公式"
    assert int((r.report["outcome"] == "blank").sum()) == 22 * 6 - 1


def test_project_changes_by_id_then_name() -> None:
    old = hepinggis.load("projects")
    new = old.copy()
    new.loc[new["id"] == "sensor_iot_park", "status"] = "completed"
    new.loc[new["id"] == "hepingwan_schools", "status"] = "planned"
    i = new.index[new["id"] == "yunlonghu_bridge_link"][0]
    new.loc[i, "geometry"] = translate(new.geometry[i], xoff=0.0018)  # ≈150 m east
    j = new.index[new["id"] == "football_park"][0]
    new.loc[j, ["id", "name_zh"]] = ["P-2023-07", "足球公园 "]  # a colleague's new id; same name
    new = new[new["id"] != "yunyangge"]
    extra = new.iloc[[0]].copy()
    extra["id"], extra["name_zh"] = "brand_new", "新项目"
    new = pd.concat([new, extra], ignore_index=True)
    changes = hepinggis.project_changes(old, new)
    got = {(c, n) for c, n in zip(changes["change"], changes["name_zh"], strict=True)}
    assert ("completed", "传感器(物联网)产业园") in got
    assert ("status_changed", "和平湾2所中小学") in got
    assert ("vanished", "云飏阁") in got and ("new", "新项目") in got
    moved = changes[changes["change"] == "moved"]
    assert moved["id_old"].tolist() == ["yunlonghu_bridge_link"] and 140 < moved["moved_m"].iloc[0] < 160
    assert "football_park" not in set(changes["id_old"])  # matched by name: no change to report


def test_monitor_cli_builds_the_package_and_it_renders_offline(browser: Any, tmp_path: Path) -> None:
    figures = pd.read_csv(EXAMPLE, encoding="utf-8-sig")
    evil = "<img src=x onerror=alert(1)>{{7*7}} =SUM(A1)"
    figures.loc[figures["指标编号"] == "sanhaojie_high_tech_firms", "备注"] = evil
    path = tmp_path / "figures.csv"
    figures.to_csv(path, index=False, encoding="gbk", errors="strict")
    out = tmp_path / "monitor"
    assert main(["monitor", str(path), "--out", str(out)]) == 0
    for name in (
        "index.html",
        "choropleth_on_track.html",
        "monitor_sanhaojie.html",
        "monitor_sanhaojie.pdf",
        "monitoring.xlsx",
    ):
        assert (out / name).is_file(), name
    assert (out / "monitor_manrong.pdf").stat().st_size > 10_000
    v = Visit(browser, out / "monitor_sanhaojie.html")
    panel = v.page.locator(".hg-side").inner_text()
    assert panel.count("高新技术企业数量") == 1 and evil in panel
    assert v.count(".hg-side .hg-bar") == 4 and v.count(".hg-side .hg-ind") == 4
    assert v.dialogs == [] and v.errors == [] and v.external == []
    c = Visit(browser, out / "choropleth_on_track.html")
    assert c.count("path.hg-zone") == 6 and c.errors == [] and c.external == []
    book = openpyxl.load_workbook(out / "monitoring.xlsx")
    assert {"indicators", "zones", "targets", "figures", "reading_report"} <= set(book.sheetnames)
    assert not any(cell.data_type == "f" for ws in book for row in ws.iter_rows() for cell in row)


def test_monitor_with_projects_by_year(tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    folder.mkdir()
    projects = hepinggis.load("projects")
    later = projects.copy()
    later.loc[later["id"] == "sensor_iot_park", "status"] = "completed"
    later.to_file(folder / "2023.geojson", driver="GeoJSON", engine="pyogrio")
    out = tmp_path / "m"
    assert main(["monitor", str(EXAMPLE), "--out", str(out), "--projects-by-year", str(folder)]) == 0
    changes = pd.read_excel(out / "monitoring.xlsx", sheet_name="project_changes")
    assert changes[["years", "change", "id_old"]].values.tolist() == [["2022→2023", "completed", "sensor_iot_park"]]


def test_template_command_and_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "--template", str(tmp_path / "t.xlsx")]) == 0
    assert main(["monitor"]) == 2
    assert main(["monitor", "--template", str(tmp_path / "t.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("hepinggis monitor:") for line in err)


def test_indicators_file_is_the_loader_source() -> None:
    data = json.loads((REPO / "geodata" / "src" / "indicators.json").read_text(encoding="utf-8"))
    assert len(indicators()) == len(data["indicators"])
