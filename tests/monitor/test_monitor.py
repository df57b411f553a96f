"""Plan monitoring: the targets counted against the plan text, the evaluation rules against hand-computed
cases, the strict reading of figures, project changes across years, and the package in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from _chromium import Visit
from shapely.affinity import translate

import hepinggis
from hepinggis.cli import main
from hepinggis.monitor.indicators import indicators

REPO = Path(__file__).resolve().parents[2]
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
    quoted = set(table.loc[(table["kind"] != "qualitative") & (table["target_id"] != "district"), "quote"])
    # each quantitative clause is structured (one clause may name several industries: one row each)
    assert {q.replace("泛太原街地区", "") for q in quoted} | set() >= {
        c.replace("泛太原街地区", "") for c in quantitative
    }
    zonal = table[table["target_id"] != "district"]
    assert len(quantitative) == 20 and len(zonal[zonal["kind"] != "qualitative"]) == 22
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    for rec in table.to_dict("records"):
        assert rec["quote"] in plan, rec["id"]
    # the targets stated only in words are listed, not dropped: 满融, both axes, the belt
    qualitative = table[table["kind"] == "qualitative"]
    assert set(qualitative["target_id"]) == {"manrong", "nanjingjie_axis", "sanhaojie_axis", "hunhe_belt", "district"}
    for s in sentences:
        if not re.search(r"\d{2,}|翻一番|%", s.replace("2025", "")):
            assert any(q in s for q in qualitative["quote"]), s


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


DISTRICT_TARGETS = {  # the district-wide targets the issue names, as the plan states them
    "district_retail_growth": ("annual_growth_at_least", 5, "社会消费品零售总额年均增长率达到5%-7%"),
    "district_high_tech_firms": ("count_at_least", 400, "高新技术企业达到400 家以上"),
    "district_invention_patents": ("annual_growth_at_least", 5, "发明专利申请量年均增长率达到5%"),
    "district_exhibitions": ("count_at_least", 200, "大型会展活动200场次以上"),
    "district_billion_yuan_buildings": ("count_at_least", 15, "亿元以上”商务楼宇达到15 座以上"),
    "district_incubators": ("count_at_least", 30, "众创空间孵化器达到30 家以上"),
}


def test_district_targets_with_their_quotes(seeds_dir: Path) -> None:
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    table = indicators().set_index("id")
    district = table[table["target_id"] == "district"]
    assert set(DISTRICT_TARGETS) <= set(district.index)
    for iid, (kind, target, fragment) in DISTRICT_TARGETS.items():
        assert (district.loc[iid, "kind"], district.loc[iid, "target"]) == (kind, target), iid
        assert fragment in district.loc[iid, "quote"] and district.loc[iid, "quote"] in plan, iid
    for iid, rec in district.iterrows():  # a stated base is quoted from the plan too
        if isinstance(rec["base_quote"], str):
            said = rec["base_quote"].replace(" ", "")
            shown = f"{rec['base_value']:g}"
            in_persons = f"{rec['base_value'] * 10000:g}" if rec["unit"] == "万人" else shown
            parts = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", said)]
            summed = len(parts) > 1 and sum(parts[-2:]) == rec["base_value"]  # 瞪羚 4 家 + 独角兽 1 家
            assert rec["base_quote"] in plan and (shown in said or in_persons in said or summed), iid
    assert district.loc["district_retail_growth", "target_max"] == 7


def test_every_quantitative_target_of_chapters_3_to_5_is_monitored(seeds_dir: Path) -> None:
    """Every clause of chapters 3–5 that sets a number (以上, 以下, 达到, 突破, 年均增长 with a figure)
    is the quote of a district indicator, verbatim; facts (依托全区46 个科研院所 …) are not targets."""
    plan = (seeds_dir / "004_327fa30ab054da2f.txt").read_text(encoding="utf-8")
    chapters = plan[plan.index("第三章 坚持创新驱动发展") : plan.index("第六章 科学统筹精准施策")]
    clauses = [c.strip() for c in re.split(r"[,，;；。]", chapters)]
    targets = [
        re.sub(r"^(到2025 年底?|“十四五”期间)", "", c)
        for c in clauses
        if re.search(r"\d", c.replace("2025", ""))
        and re.search(r"以上|以下|达到|突破|年均增长", c)
        and not c.startswith("依托")
    ]
    table = indicators()
    district = table[
        (table["target_id"] == "district")
        & (table["kind"] != "qualitative")
        & table["plan_section"].str.match("第[三四五]章")
    ]
    quotes = list(district["quote"])
    assert len(targets) == 29 and len(district) == 29
    for clause in targets:
        assert any(clause in q or q in clause for q in quotes), clause
    for rec in table.to_dict("records"):
        assert rec["quote"] in plan, rec["id"]
        assert rec["kind"] == "qualitative" or rec["unit"], rec["id"]


def _texts_of_package(out: Path, browser: Any) -> str:
    """What a reader sees: each page's text in Chromium (panels are built by script) and each PDF's."""
    import subprocess

    texts = []
    for page in sorted(out.glob("*.html")):
        v = Visit(browser, page, wait_for="h1" if page.name == "index.html" else "path.hg-zone")
        assert v.errors == [] and v.external == [], page.name
        texts.append(v.page.inner_text("body"))
    texts += [
        subprocess.run(["pdftotext", str(p), "-"], capture_output=True, text=True).stdout for p in out.glob("*.pdf")
    ]
    return "\n".join(texts)


def _no_placeholder_text(text: str) -> None:
    for bad in ("nan年", "NaN", ">nan<", " nan", ".0年", "—%", "None年", "None"):
        assert bad not in text, bad
    assert not re.search(r"\b20\d\d\.0\b", text)


def test_monitor_package_tells_the_truth_about_its_data(browser: Any, tmp_path: Path) -> None:
    figures = pd.read_csv(EXAMPLE, encoding="utf-8-sig", dtype=str)
    figures["备注"] = ""  # real figures: no "示例" anywhere
    evil = "<img src=x onerror=alert(1)>{{7*7}} =SUM(A1)"
    figures.loc[figures["指标编号"] == "sanhaojie_high_tech_firms", "备注"] = evil
    figures.loc[figures["指标编号"] == "sanhaojie_retail_share", "数值"] = "52%"  # typed as text: read as 52
    rows = figures.to_csv(index=False).splitlines()
    rows.append("sanhaojie_invention_patents,发明专利申请量,2024,16,5,逗号")  # unquoted comma: refused, row kept
    rows.append("beishichang_festivals,品牌节庆活动,2024,45%,")  # a percentage on a count: refused
    rows.append('sanhaojie_high_tech_firms,高新技术企业数量,2024,"16,5",')  # 16.5 or 165? refused
    path = tmp_path / "figures.csv"
    path.write_text("\n".join(rows) + "\n", encoding="gbk")
    out = tmp_path / "monitor"
    assert main(["monitor", str(path), "--out", str(out), "--year", "2023"]) == 1  # refused rows: exit 1
    names = {p.name for p in out.iterdir()}
    assert {"index.html", "overview.html", "monitoring.xlsx", "monitor_district.html", "monitor_district.pdf"} <= names
    assert {f"monitor_{z}.pdf" for z in hepinggis.load("zones")["id"]} <= names
    text = _texts_of_package(out, browser)
    _no_placeholder_text(text)
    assert "示例" not in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "2023年规划实施监测" in index and "三好街科技文化融合示范区" in index and "和平区（全区）" in index
    assert "未读入的行（3）" in index and "中的逗号无法判断" in index and "数值带“%”" in index
    assert "此行有 6 个字段，表头只有 5 列" in index
    assert re.search(r"有数据的指标 \d+/70 项", index) and "定性目标 13 项（不设数值）" in index
    v = Visit(browser, out / "monitor_sanhaojie.html")
    panel = v.page.locator(".hg-side").inner_text()
    assert v.page.locator(".hg-side .hg-ind .name", has_text="高新技术企业数量").count() == 1 and evil in panel
    assert "2023年规划实施监测 · 三好街" in v.page.locator(".hg-title").inner_text()
    assert "3 行未读入" in v.page.locator(".hg-title").inner_text()
    assert v.count(".hg-side .hg-ind") == 4 and v.count(".hg-side svg.hg-trend") == 4
    assert "规则：按2023年数值判断" in panel and "52%" in panel
    assert "规划原文：“高新技术企业数量达到100 家以上”" in panel
    assert v.dialogs == [] and v.errors == [] and v.external == []
    o = Visit(browser, out / "overview.html")
    assert o.count("path.hg-zone") == 6 and o.errors == [] and o.external == []
    legend = o.page.locator(".hg-legend").inner_text()
    assert "提前达成" in legend and "有数据的指标中达到进度的占比" in legend
    # one palette: the zones' fills are the status colours (green/amber/red/grey), nothing else
    fills = set(o.page.eval_on_selector_all("path.hg-zone", "els => els.map(e => e.getAttribute('fill'))"))
    from hepinggis.monitor._words import NO_DATA_COLOUR, STATUS_COLORS

    assert fills <= {*STATUS_COLORS.values(), NO_DATA_COLOUR}
    book = openpyxl.load_workbook(out / "monitoring.xlsx")
    assert book.sheetnames[:6] == ["指标评估", "功能区汇总", "数据覆盖", "规划目标", "填报数据", "读取报告"]
    sheet = book["指标评估"]
    head = [c.value for c in sheet[1]]
    assert {"状态", "轨迹", "基数来源", "取值方式", "判断年份", "填报备注", "系统说明"} <= set(head)
    statuses = {r[head.index("状态")] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert statuses <= set(hepinggis.monitor.STATUS_ZH.values())
    assert not any(cell.data_type == "f" for ws in book for row in ws.iter_rows() for cell in row)
    report = book["读取报告"]
    assert [c.value for c in report[1]] == ["行号", "指标编号", "年份", "结果", "栏目", "说明"]


def test_the_example_figures_say_they_are_an_example(browser: Any, monitor_example: Path) -> None:
    out = monitor_example  # `hepinggis monitor EXAMPLE --out …` (exit 0), built once for the run (conftest)
    text = _texts_of_package(out, browser)
    _no_placeholder_text(text)
    assert "示例数据，非真实统计" in (out / "index.html").read_text(encoding="utf-8")
    assert "示例数据" in text and "2023年规划实施监测" in text


def test_hostile_notes_through_every_monitoring_output(browser: Any, tmp_path: Path) -> None:
    corpus = json.loads((REPO / "tests" / "data" / "hostile.json").read_text(encoding="utf-8"))["corpus"]
    import csv

    path = tmp_path / "figures.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["指标编号", "年份", "数值", "备注"])
        for i, c in enumerate(corpus):
            w.writerow(
                ["sanhaojie_high_tech_firms", 2021 + i % 5, 60 + i, c["text"]]
                if i < 5
                else ["nope" + c["text"][:20], 2022, 1, c["text"]]
            )
    out = tmp_path / "m"
    main(["monitor", str(path), "--out", str(out)])
    v = Visit(browser, out / "monitor_sanhaojie.html")
    assert v.dialogs == [] and v.errors == [] and v.external == []
    i = Visit(browser, out / "index.html", wait_for="h1")
    assert i.dialogs == [] and i.errors == []
    assert not Path("/tmp/hepinggis-pwned").exists()
    book = openpyxl.load_workbook(out / "monitoring.xlsx")
    assert not any(cell.data_type == "f" for ws in book for row in ws.iter_rows() for cell in row)


def test_monitor_with_projects_by_year_lists_refused_rows_as_refused(tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    folder.mkdir()
    projects = hepinggis.load("projects")
    lines = ["编号,项目名称,经度,纬度,状态"]
    for rec in projects.to_crs(4326).itertuples():
        pt = rec.geometry.representative_point()
        status = "completed" if rec.id == "sensor_iot_park" else rec.status
        lon = "abc" if rec.id == "yunyangge" else f"{pt.x:.6f}"  # a typo: this row is refused on import
        lines.append(f"{rec.id},{rec.name_zh},{lon},{pt.y:.6f},{status}")
    (folder / "2023.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "m"
    assert main(["monitor", str(EXAMPLE), "--out", str(out), "--projects-by-year", str(folder), "--crs", "wgs84"]) == 0
    changes = pd.read_excel(out / "monitoring.xlsx", sheet_name="项目变化")
    got = changes[["年份", "变化", "原编号"]].values.tolist()
    assert ["2022→2023", "建成", "sensor_iot_park"] in got
    refused = changes[changes["变化"].str.startswith("未读入")]
    assert refused["项目名称"].tolist() == ["云飏阁"] and "第" in refused["说明"].iloc[0]
    assert "不再列出" not in set(changes["变化"])
    assert "未读入（清单中有，导入时被拒）：1" in (out / "index.html").read_text(encoding="utf-8")


def test_monitor_package_is_swapped_in_whole(tmp_path: Path, monitor_example: Path) -> None:
    # `hepinggis monitor EXAMPLE --out …` (exit 0), built once for the run (conftest), copied
    out = Path(shutil.copytree(monitor_example, tmp_path / "m"))
    from hepinggis.io._staging import verify_package

    assert verify_package(out) == []
    (out / "own_note.txt").write_text("mine", encoding="utf-8")  # a file the user put there is carried over
    assert main(["monitor", str(EXAMPLE), "--out", str(out), "--year", "2022"]) == 0
    assert (out / "own_note.txt").read_text(encoding="utf-8") == "mine"
    assert "2022年规划实施监测" in (out / "index.html").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".m.")]


def test_template_command_and_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["monitor", "--template", str(tmp_path / "t.xlsx")]) == 0
    assert main(["monitor"]) == 2
    assert main(["monitor", "--template", str(tmp_path / "t.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("hepinggis monitor:") for line in err)


def test_indicators_file_is_the_loader_source() -> None:
    data = json.loads((REPO / "geodata" / "src" / "indicators.json").read_text(encoding="utf-8"))
    assert len(indicators()) == len(data["indicators"])
