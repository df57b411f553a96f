"""The message catalogue: every condition worded twice, the page's words free of command-line text."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from hepinggis.base.clock import local_date, local_time
from hepinggis.base.messages import (
    BOUNDARY_CONTROLS,
    CATALOGUE,
    CONTROLS,
    FORBIDDEN,
    Said,
    cli,
    crs_name,
    for_page,
    forbidden_in,
    forbidden_spans,
    page,
    page_of,
)

#: Values for each condition of the catalogue (every key must have some: a new condition is
#: rendered, and scanned, here before a page can show it).
_LONG = 41534200.0  # an easting with its zone: float notation unless written out
EXAMPLES: dict[str, dict[str, object]] = {
    "crs_required": {},
    "crs_unknown": {"crs": "mars", "choices": "wgs84、gcj02"},
    "header_not_found": {"where": "（第 3 行）", "missing": "项目名称", "headers": "甲、乙"},
    "hidden_imported": {"why": "Excel 中此行被隐藏"},
    "hidden_skipped": {"why": "Excel 中此行被筛选隐藏（自动筛选）"},
    "unit_ambiguous": {"names": "“总投资（万元）”、“完成（亿元）”"},
    "sheet_choose": {
        "problem": "工作表“说明”中找不到项目清单的表头",
        "n": 2,
        "listed": "1 说明、2 清单",
        "hint": "",
        "name": "清单",
        "k": 2,
    },
    "sheet_missing": {"sheet": "没有", "listed": "1 说明、2 清单"},
    "upload_missing": {},
    "invalid_value": {"name": "header_row", "label": "表头在第几行"},
    "missing_value": {"name": "file", "label": "文件"},
    "formula_no_value": {"col": "总投资"},
    "crs_file_unsupported": {"name": "Beijing 1954", "codes": ["wgs84", "gcj02", "bd09", "cgcs2000", "EPSG:4550"]},
    "crs_file_missing": {},
    "crs_declared": {"crs": "gcj02"},
    "crs_declared_differs": {"text": "位置（百度坐标）", "stated": "bd09", "crs": "wgs84"},
    "crs_from_header": {"text": "位置（百度坐标）", "crs": "bd09"},
    "crs_required_table": {"proposal": ""},
    "crs_proposal": {"counts": {"wgs84": 0, "gcj02": 12, "bd09": 3}, "n": 12, "best": "gcj02"},
    "crs_cannot_tell": {"counts": {"wgs84": 30, "gcj02": 29}, "n": 30, "tied": ["wgs84", "gcj02"]},
    "crs_stated": {"text": "位置（百度坐标）", "crs": "bd09"},
    "crs_best": {"crs": "bd09", "n": 30, "k": 30},
    "crs_near_tie": {"tied": ["wgs84", "gcj02"], "n": 30, "ks": "30、29"},
    "coords_metres": {"likely": "EPSG:4529（CGCS2000 3度带，东坐标带带号 41）", "codes": ["EPSG:4529"]},
    "coords_not_degrees": {"x": _LONG, "y": 4615342.1, "metres": "像是米"},
    "coords_swapped": {"x": 41.76, "y": 123.4},
    "out_of_china": {"axis": "经度", "value": 0.00001},
    "zone41_not_4550": {"x": _LONG, "a": "EPSG:4529", "b": "EPSG:4550"},
    "out_of_range": {"x": _LONG, "y": 1e9, "crs": "EPSG:4550"},
    "north_out_of_range": {"y": 1e9, "crs": "EPSG:4529"},
    "east_not_zoned": {"x": 1e9, "crs": "EPSG:4529"},
    "east_not_zoned_but_4550": {"x": 411000.0, "crs": "EPSG:4529", "alt": "EPSG:4550"},
    "far_swapped": {"x": 41.76, "y": 123.4},
    "far_not_degrees": {"x": _LONG, "y": 4615342.1, "metres": "像是米"},
    "far_from_district": {"x": 116.4, "y": 39.9, "crs": "wgs84", "km": 623.4},
    "outside": {"crs": "gcj02", "km": 0.06},
    "outside_alt": {"crs": "wgs84", "km": 0.6, "alt": "gcj02"},
    "likely_other_crs": {"n": 30, "k": 20, "crs": "wgs84", "m": 19, "alt": "gcj02"},
    "unit_given": {"unit": "万元"},
    "unit_note": {"col": "总投资", "unit": "万元", "source": "表头“总投资（万元）”"},
    "progress_unit_note": {"col": "年度计划投资", "unit": "万元", "source": "表头“年度计划投资（万元）”"},
    "role_ambiguous": {"role_zh": "项目名称", "cols": "项目名称、工程名称", "role": "name"},
    "name_column_missing": {"headers": "甲、乙"},
    "encoding_unknown": {"at": 12},
    "encoding_line_unknown": {"k": 3, "at": 12},
    "dbf_encoding_unknown": {},
    "layers_choose": {"n": 2, "names": "项目2022、项目2023"},
    "monitor_no_header": {"where": "填报.xlsx（工作表“封面”）", "others": ""},
    "monitor_other_sheets": {"sheets": "封面、填报"},
    "csv_no_sheets": {"name": "填报.csv"},
    "joined": {"first": "已去掉 Z 坐标", "then": "Excel 中此行被隐藏"},
}
TEMPLATES = Path(__file__).resolve().parents[2] / "hepinggis" / "web" / "templates"


def test_every_condition_has_an_example() -> None:
    assert set(EXAMPLES) == set(CATALOGUE)


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_condition_has_both_wordings(key: str) -> None:
    msg = CATALOGUE[key]
    assert msg.cli and msg.page
    said = Said(key, **EXAMPLES[key])
    assert str(said) == cli(key, **EXAMPLES[key]) and said.page == page(key, **EXAMPLES[key])
    assert said.page != str(said) or "--" not in str(said)
    assert not forbidden_in(said.page), (key, forbidden_spans(said.page))
    if "--" in str(said):  # the command line names a flag: the page names a control, or what to do instead
        assert msg.control or "重新上传" in said.page or "无需" in said.page, key


def _visible(template: str) -> str:
    """The words a template shows (its text and aria-labels, the tags taken out)."""
    labels = " ".join(re.findall(r'aria-label="([^"]*)"', template))
    return re.sub(r"<[^>]+>", " ", template) + " " + labels


@pytest.mark.parametrize("key", sorted(k for k, m in CATALOGUE.items() if m.control))
def test_the_control_a_page_wording_names_exists_on_its_page(key: str) -> None:
    msg = CATALOGUE[key]
    source = (TEMPLATES / msg.template).read_text(encoding="utf-8")
    assert f'id="{msg.control}"' in source, (key, msg.control, msg.template)
    assert msg.label and msg.label in _visible(source), (key, msg.label, msg.template)
    assert msg.label in msg.page, (key, msg.label)  # the page text names the control by its label


def test_the_boundary_pages_controls_exist() -> None:
    shown = _visible((TEMPLATES / "boundaries.html").read_text(encoding="utf-8"))
    for control, _flag in BOUNDARY_CONTROLS.values():
        assert control.strip("「」") in shown, control


def test_a_condition_keeps_its_values_for_each_audience() -> None:
    inner = Said("coords_metres", likely="EPSG:4550（CGCS2000 3度带，中央经线 123°）", codes=["EPSG:4550"])
    outer = Said("coords_not_degrees", x=411000.0, y=4622000.0, metres=inner)
    assert "--crs EPSG:4550" in outer and "不是经纬度" in outer  # the command line's words, nested too
    assert "“坐标系”一栏" in outer.page and "（EPSG:4550）" in outer.page and "--" not in outer.page
    at = Said("crs_file_missing").at("/srv/data/files/ab/清单.geojson")
    assert at.startswith("/srv/data/files/ab/清单.geojson: ") and at.page.startswith("清单.geojson：")
    assert forbidden_in(at.page) == [] and pickle.loads(pickle.dumps(outer)).page == outer.page
    assert page_of(outer) == outer.page and page_of("已导入") == "已导入" and page_of(None) == ""
    big = Said("far_not_degrees", x=_LONG, y=4615342.1, metres=inner)
    assert "4.15342e+07" in big and "41534200" in big.page and forbidden_in(big.page) == []


def test_cli_names_the_flag_and_page_the_control() -> None:
    assert "--crs" in CATALOGUE["crs_required"].cli and "“坐标系”" in CATALOGUE["crs_required"].page
    assert "--skip-hidden" in CATALOGUE["hidden_imported"].cli and "勾选" in CATALOGUE["hidden_imported"].page


CLI_LINES = [
    "/srv/data/files/ab12.csv: 表中未注明坐标系，请用 --crs 指定（wgs84、gcj02 高德、bd09 百度、cgcs2000、EPSG:4550）"
    "；hepinggis 不自行猜测；按各坐标系试算（wgs84 0 行，gcj02 12 行），可用 --crs gcj02",
    "表头（第 3 行）中找不到项目名称列；请用 --header-row 行号 指明表头所在行，或用 --col name=列名 --col x=列名 指定",
    "Excel 中此行被隐藏，仍已导入；如是作废项目，请删除该行或用 --skip-hidden 跳过",
    "本文件有 3 个工作表：a、b；请用 --sheet 汇总 或 --sheet 2 指定",
    "坐标 (4.15342e+07, 4615342.1) 像是以米为单位的投影坐标：请用 --crs 指定坐标系（如 --crs EPSG:4550）",
    "文件既不是 UTF-8 也不是 GBK/GB18030 编码（第 12 字节）：请用 --encoding 指定编码",
    "投资列未注明单位，而表中注明了几种单位（万元、亿元）：请用 --unit 万元（或 unit='万元'）指定",
    "坐标按指定的 --crs gcj02（GCJ-02（高德、腾讯））读取",
]


@pytest.mark.parametrize("line", CLI_LINES)
def test_for_page_leaves_nothing_forbidden(line: str) -> None:
    assert forbidden_in(line)  # the line as the command line says it is caught…
    assert forbidden_in(for_page(line)) == [], for_page(line)  # …and the page's words are clean


def test_for_page_names_controls_and_crs() -> None:
    assert "“坐标系”一栏选 高德/腾讯坐标（GCJ-02）" in for_page("可用 --crs gcj02")
    assert CONTROLS["--col"] in for_page("或用 --col name=列名 --col x=列名 指定")
    assert "41534200" in for_page("东坐标 4.15342e+07")
    assert crs_name("bd09") == "百度坐标（BD-09）" and crs_name("EPSG:4550").endswith("（EPSG:4550）")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("用 --col x=经度", "--flag"),
        ("文件 /tmp/hg/abc.csv", "path"),
        ("SHA-256 " + "a" * 64, "hash"),
        ("2026-12-07T10:15:18+00:00", "+00:00"),
        ("(4.15342e+07, 1)", "e+0"),
        ("坐标系 gcj02", "code"),
        ("列 geometry", "geometry"),
        ("参数取值无效：参数 header_row", "param"),
    ],
)
def test_forbidden_patterns_catch(text: str, name: str) -> None:
    assert name in forbidden_in(text)
    assert {n for n, _p in FORBIDDEN} >= {name}


def test_beijing_time(monkeypatch: pytest.MonkeyPatch) -> None:
    assert local_time("2026-12-07T10:15:18+00:00") == "2026-12-07 18:15"
    assert local_date("2026-12-07T20:15:18+00:00") == "2026-12-08"
    monkeypatch.setenv("HEPINGGIS_TZ", "UTC")
    assert local_time("2026-12-07T10:15:18+00:00") == "2026-12-07 10:15"
