"""The message catalogue: every condition worded twice, the page's words free of command-line text."""

from __future__ import annotations

import pytest

from hepinggis.base.clock import local_date, local_time
from hepinggis.base.messages import CATALOGUE, CONTROLS, FORBIDDEN, crs_name, for_page, forbidden_in


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_condition_has_both_wordings(key: str) -> None:
    msg = CATALOGUE[key]
    assert msg.cli and msg.page
    assert msg.cli != msg.page or "--" not in msg.cli
    values = {f: "x" for f in ("where", "missing", "headers", "why", "names", "n", "listed", "col", "label", "name")}
    values.update(crs="x", choices="x")
    assert not forbidden_in(msg.page.format(**values)), key


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
