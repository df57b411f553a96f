"""Projects per 街道 (issue 23, item 10): `projects_by_jiedao` against an independent geopandas
``sjoin``, on the bundled projects and on a generated 300-project register, and the same numbers in
the workbook, the CSVs, ``hepinggis stats`` and the 街道 and zone popups (headless Chromium); the
hostile corpus through the new outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from _chromium import Visit

import hepinggis
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.io._synthetic import synthetic_projects, write_register
from hepinggis.maps import overview_map, save_html

JIEDAO = hepinggis.load("jiedao")
HOSTILE = [
    c["text"] for c in json.loads((Path(__file__).parents[1] / "data" / "hostile.json").read_text("utf-8"))["corpus"]
]


def _sjoin_counts(points: gpd.GeoDataFrame) -> pd.Series:
    """Points per 街道 by geopandas' spatial join (within), every 街道 listed."""
    joined = gpd.sjoin(points[["geometry"]], JIEDAO[["id", "geometry"]], predicate="within")
    return joined.groupby("id").size().reindex(JIEDAO["id"], fill_value=0)


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_register(tmp_path_factory.mktemp("jd") / "清单.csv", 300, seed=23)


def test_generated_300_counts_and_investment_equal_sjoin() -> None:
    projects = synthetic_projects(300, seed=23)
    table = hepinggis.projects_by_jiedao(projects)
    assert list(table.index) == list(JIEDAO["id"]) and table.index.name == "jiedao_id"
    assert table["name_zh"].tolist() == JIEDAO["name_zh"].tolist()
    expected = _sjoin_counts(projects)
    assert table["projects_any_share"].tolist() == expected.tolist()
    assert int(table["projects_any_share"].sum()) == 300  # every project in exactly one 街道
    joined = gpd.sjoin(projects, JIEDAO[["id", "geometry"]], predicate="within")
    money = joined.groupby("id")["investment_cny"].sum().reindex(JIEDAO["id"], fill_value=0)
    assert np.allclose(table["investment_cny_stated"].to_numpy(), money.to_numpy(), rtol=1e-12)
    by_zone = hepinggis.projects_by_zone(projects, hepinggis.load("zones"))
    assert by_zone["projects_any_share"].sum() == 300  # the same list, per zone, next to it


def test_imported_register_counts_equal_sjoin(register: Path) -> None:
    projects = hepinggis.read_projects(register, crs="gcj02").projects  # GCJ-02 → WGS 84 on import
    table = hepinggis.projects_by_jiedao(projects)
    assert table["projects_any_share"].tolist() == _sjoin_counts(projects).tolist()


def test_bundled_projects_equal_sjoin() -> None:
    projects = hepinggis.load("projects")
    table = hepinggis.projects_by_jiedao(projects)
    points = projects[projects.geom_type == "Point"]
    assert hepinggis.projects_by_jiedao(points)["projects_any_share"].tolist() == _sjoin_counts(points).tolist()
    # lines and extents: each 街道 holds the share of the project inside it, measured here apart
    # (intersections of the sjoin pairs in EPSG:4550; the library measures on the ellipsoid)
    # (a line drawn along the line between two 街道 lies in both: left out, its shares sum to ≤ 1)
    areas = projects[projects.geom_type.isin(["Point", "Polygon", "MultiPolygon"])]
    table = hepinggis.projects_by_jiedao(areas)
    metric, jd = areas.to_crs(MEASURE_CRS), JIEDAO.to_crs(MEASURE_CRS)
    pairs = gpd.sjoin(metric, jd[["id", "geometry"]].rename(columns={"id": "jd"}), predicate="intersects")
    other = gpd.GeoSeries(jd.set_index("id").geometry.reindex(pairs["jd"]).to_numpy(), index=pairs.index, crs=jd.crs)
    parts = pairs.geometry.intersection(other)
    share = np.where(pairs.geom_type == "Point", 1.0, parts.area / np.where(pairs.area > 0, pairs.area, 1))
    expected = pd.Series(share, index=pairs["jd"].to_numpy()).groupby(level=0).sum().reindex(JIEDAO["id"], fill_value=0)
    assert np.allclose(table["projects"].to_numpy(), expected.to_numpy(), atol=0.01)
    lines = projects[projects.geom_type == "LineString"].set_index("id")
    assert (hepinggis.zone_shares(lines, JIEDAO).groupby("feature")["share"].sum() <= 1 + 1e-9).all()


def test_custom_layer_and_id_column() -> None:
    layer = JIEDAO.rename(columns={"id": "code"}).drop(columns=["zone_id"])
    projects = synthetic_projects(40, seed=1)
    table = hepinggis.projects_by_jiedao(projects, layer, jiedao_id="code")
    assert table.index.name == "jiedao_id" and list(table.columns[:2]) == ["name_zh", "projects"]
    # the analysis stage's own takes the layer (it may not load the plan's); the same table
    from hepinggis.analysis import projects_by_jiedao

    pd.testing.assert_frame_equal(projects_by_jiedao(projects, layer, jiedao_id="code"), table)
    with pytest.raises(TypeError):
        projects_by_jiedao(projects)  # type: ignore[call-arg]


def test_workbook_csv_and_cli_state_the_same_numbers(register: Path, tmp_path: Path) -> None:
    projects = hepinggis.read_projects(register, crs="gcj02").projects
    expected = _sjoin_counts(projects)
    paths = hepinggis.write_stats(tmp_path / "zh", chinese=True, projects=projects)
    sheet = pd.read_excel(paths["workbook"], sheet_name="projects_by_jiedao")
    places = sheet.iloc[-2:]  # 区外 and 未定位 end the table, so that it adds up to every project
    assert places["街道"].tolist() == ["区外", "未定位"]
    assert sheet["项目数(按份额)"].sum() == pytest.approx(len(projects))
    sheet = sheet.iloc[:-2]
    assert sheet["街道"].tolist() == list(JIEDAO["id"]) and sheet["名称"].tolist() == JIEDAO["name_zh"].tolist()
    assert sheet["涉及项目数"].tolist() == expected.tolist()
    csv = pd.read_csv(paths["projects_by_jiedao"], encoding="utf-8-sig").iloc[:-2]
    assert csv["涉及项目数"].tolist() == expected.tolist()
    done = subprocess.run(
        [sys.executable, "-m", "hepinggis", "stats", "--projects", str(register), "--crs", "gcj02", "--out", "s"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},  # this checkout's package
    )
    assert done.returncode == 0, done.stderr
    assert "projects_by_jiedao" in done.stdout
    for name, n in zip(JIEDAO["name_zh"], expected, strict=True):
        assert f"  {name}：{n} 个；" in done.stdout, name


def test_jiedao_and_zone_popups_in_chromium(browser: Any, register: Path, tmp_path: Path) -> None:
    projects = hepinggis.read_projects(register, crs="gcj02").projects
    expected = dict(zip(JIEDAO["name_zh"], _sjoin_counts(projects), strict=True))
    v = Visit(
        browser, save_html(overview_map(basemap="none", projects=projects), tmp_path / "o.html"), size=(1366, 768)
    )
    # a reader hovering a 街道's line gets its count
    x, y = v.page.evaluate(  # a point of a 街道 line that nothing covers
        """() => { for (const p of document.querySelectorAll('path.hg-jiedao')) {
            const m = p.getScreenCTM(), n = p.getTotalLength();
            for (let k = 1; k < 40; k++) { const pt = p.getPointAtLength(n * k / 40);
                const x = pt.x * m.a + m.e, y = pt.y * m.d + m.f;
                if (document.elementFromPoint(x, y) === p) { return [x, y]; } } }
        return null; }"""
    )
    v.page.mouse.move(x + 30, y + 30)
    v.page.mouse.move(x, y)
    tip = v.page.locator(".leaflet-tooltip").first.inner_text(timeout=5_000)
    assert any(tip == f"{name}：项目 {n} 个" for name, n in expected.items()), tip
    # and every 街道 popup and tooltip, and each zone's popup, state the sjoin's counts
    texts = v.popup_and_tooltip_texts()
    for name, n in expected.items():
        assert any(t.startswith(name) and f"项目\t{n} 个" in t for t in texts), name  # its popup
        assert f"{name}：项目 {n} 个" in texts  # its tooltip
        assert any(
            t.startswith(("北市场", "南市场", "泛太原街", "三好街", "长白岛", "满融")) and f"其中 {name}\t{n} 个" in t
            for t in texts
        )
    assert v.external == []


def test_hostile_text_through_the_new_outputs(tmp_path: Path) -> None:
    projects = synthetic_projects(len(HOSTILE), seed=5)
    projects["category"] = [t if len(t) < 100 else "很长的类别" for t in HOSTILE]
    projects["status"] = HOSTILE
    layer = JIEDAO.copy()
    layer["name_zh"] = HOSTILE[: len(layer)]
    table = hepinggis.projects_by_jiedao(projects, layer).reset_index()
    assert table["name_zh"].tolist() == HOSTILE[: len(layer)]
    assert {f"status:{t}" for t in HOSTILE} <= set(table.columns)
    book = write_workbook({"projects_by_jiedao": table}, tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(book)["projects_by_jiedao"]
    assert [c.data_type for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    header = [c.value for c in ws[1]]
    assert {f"status:{t}" for t in HOSTILE} <= set(header)
    assert [r[header.index("name_zh")] for r in ws.iter_rows(min_row=2, values_only=True)] == HOSTILE[: len(layer)]
    back = pd.read_csv(write_csv(table, tmp_path / "b.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for text in HOSTILE[: len(layer)]:
        assert ("'" + text if text.startswith(("=", "+", "-", "@")) else text) in set(back["name_zh"])
    lines = hepinggis.stats.area_summary(projects)  # the CLI's lines: numbers only beside the names
    assert len(lines) == 1 + 6 + 10
