"""The projects layer: every feature quotes the seed it comes from; nothing is invented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import hepinggis

NAMED_IN_ISSUE = [
    "中海商业综合体",
    "中东砂之船",
    "万象汇",
    "K11",
    "北斗数据中心",
    "联东U谷",
    "辽宁新数字文化产业园",
    "京城中心",
    "五洲商厦",
    "全民健身中心公园",
    "传感器(物联网)产业园",
    "生产力中心5A级总部大厦",
    "迎春街西—1",
    "长白供水管网一期",
    "胜利大街东小学",
    "老北市汉字主题书房",
    "疾控中心",
    "三好街科技金融广场",
    "宋雨桂艺术馆",
    "郎朗钢琴广场",
    "浑河晚渡",
]


@pytest.fixture(scope="module")
def layer() -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    data = json.loads(hepinggis.layer_path("projects").read_text(encoding="utf-8"))
    return [f["properties"] for f in data["features"]], data["metadata"]["unplaced"]


def _normalise(text: str) -> str:
    return "".join(text.split())


def test_every_quote_is_in_its_seed(layer: tuple[list[dict], list[dict]], seeds_dir: Path) -> None:  # type: ignore[type-arg]
    placed, unplaced = layer
    texts = {p.name: _normalise(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*.txt")}
    for rec in placed + unplaced:
        doc = rec["source_doc"].split(" ")[0]
        assert doc in texts, rec["id"]
        assert _normalise(rec["source_quote"]) in texts[doc], rec["id"]


def test_every_named_project_is_placed_or_listed(layer: tuple[list[dict], list[dict]]) -> None:  # type: ignore[type-arg]
    placed, unplaced = layer
    names = [r["name_zh"] for r in placed + unplaced]
    for wanted in NAMED_IN_ISSUE:
        assert any(wanted in n for n in names), wanted
    assert {r["id"] for r in placed}.isdisjoint(r["id"] for r in unplaced)
    assert all(r["reason"] for r in unplaced)


def test_no_invented_investment_and_honest_precision() -> None:
    projects = hepinggis.load("projects")
    assert projects["investment_cny"].isna().all()  # the seeds state no per-project figure
    points = projects[projects.geom_type == "Point"]
    assert (points["location_method"] == "point").all()
    extents = projects[projects["location_method"].str.endswith("_extent")]
    assert (extents.geom_type.isin(["Polygon", "MultiPolygon"])).all()
    # an extent is not a site: its accuracy is half its diagonal ("anywhere inside"), to the 10 m
    bounds = extents.to_crs(hepinggis.MEASURE_CRS).bounds
    half_diagonal = ((bounds.maxx - bounds.minx) ** 2 + (bounds.maxy - bounds.miny) ** 2) ** 0.5 / 2
    assert ((extents["accuracy_m"] - half_diagonal).abs() <= 5).all()
    assert (extents["accuracy_m"] >= 500).all()


def test_projects_lie_in_the_district() -> None:
    district = hepinggis.load("district").geometry.iloc[0].buffer(1e-6)
    for rec in hepinggis.load("projects").itertuples():
        assert district.contains(rec.geometry), rec.id
