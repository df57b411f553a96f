"""The hostile-text corpus (tests/data/hostile.json) through every output: import, every interactive
map (in headless Chromium, with a dialog listener), the static maps, the workbook and CSVs, and every
export format. Each string must come out literally: nothing executed, lost or mangled."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from _chromium import Visit

import hepinggis
from hepinggis.base.coords import wgs84_to_gcj02
from hepinggis.errors import HepingGISError
from hepinggis.io.exchange import export, read_export
from hepinggis.maps import choropleth_map, overview_map, save_html, zone_map
from hepinggis.maps.static import static_map

CORPUS: list[dict[str, str]] = json.loads(
    (Path(__file__).parent / "data" / "hostile.json").read_text(encoding="utf-8")
)["corpus"]
TEXTS = [c["text"] for c in CORPUS]
IDS = [c["id"] for c in CORPUS]
PWNED = Path("/tmp/hepinggis-pwned")  # what the Jinja payload in the corpus would create


def _category(text: str) -> str:
    return text if len(text) < 100 else "很长的类别"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> hepinggis.ImportResult:
    """The corpus as a planner's list: UTF-8 CSV (GBK cannot hold the emoji), AMap (GCJ-02) coordinates,
    one project per string, spread over the six zones; the category and status are hostile too."""
    PWNED.unlink(missing_ok=True)
    zones = hepinggis.load("zones").to_crs(hepinggis.MEASURE_CRS)
    anchors = list(zones.geometry.representative_point())
    pts = gpd.GeoSeries(
        [
            anchors[i % 6].buffer(150 + 40 * (i // 6)).exterior.interpolate(0.25 * i, normalized=True)
            for i in range(len(CORPUS))
        ],
        crs=hepinggis.MEASURE_CRS,
    ).to_crs(4326)
    lon, lat = wgs84_to_gcj02(pts.x.to_numpy(), pts.y.to_numpy())
    path = tmp_path_factory.mktemp("hostile") / "清单.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["编号", "项目名称", "经度", "纬度", "类别", "状态"])
        for i, text in enumerate(TEXTS):
            w.writerow([f"H{i}", text, f"{lon[i]:.7f}", f"{lat[i]:.7f}", _category(text), text[:50]])
    return hepinggis.read_projects(path, crs="gcj02")


def test_import_keeps_every_string(imported: hepinggis.ImportResult) -> None:
    assert imported.n_rejected == 0 and imported.n_imported == len(TEXTS)
    assert imported.projects["name"].tolist() == TEXTS
    assert imported.projects["category"].tolist() == [_category(t) for t in TEXTS]


def _maps(projects: gpd.GeoDataFrame) -> dict[str, Any]:
    counts = hepinggis.projects_by_zone(projects, hepinggis.load("zones"))["projects_any_share"]
    return {
        "overview": overview_map(basemap="none", projects=projects),
        "zone": zone_map("sanhaojie", basemap="none", projects=projects),
        "choropleth": choropleth_map(counts, title=TEXTS[0] + TEXTS[4], unit=TEXTS[1], basemap="none"),
    }


def test_no_template_engine_sees_user_text(imported: hepinggis.ImportResult) -> None:
    for name, m in _maps(imported.projects).items():
        page = m.get_root().render()  # a {% or {# in a name would raise TemplateSyntaxError here
        if name != "zone":  # the zone map holds only its own projects
            assert "{{7*7}}" in page, name
        if name == "overview":
            assert "lipsum.__globals__" in page and "{# 注释" in page
    assert not PWNED.exists(), "a project name ran a shell command"


@pytest.mark.parametrize("which", ["overview", "zone", "choropleth"])
def test_maps_show_the_corpus_literally_in_chromium(
    browser: Any, tmp_path: Path, imported: hepinggis.ImportResult, which: str
) -> None:
    m = _maps(imported.projects)[which]
    v = Visit(browser, save_html(m, tmp_path / f"{which}.html"))
    shown = "\n".join(v.popup_and_tooltip_texts())
    panels = "\n".join(v.page.locator(".hg-panel").all_inner_texts())
    if which == "overview":
        for text in TEXTS:
            assert text in shown, f"{text[:40]!r} not shown literally"
        assert "49" not in shown.replace("2029", "")
    elif which == "zone":
        listed = [t for t in TEXTS if t in panels]
        assert len(listed) >= 3  # the zone's own projects, named literally in the side panel
        for text in listed:
            assert text in shown
    else:
        assert TEXTS[0] + TEXTS[4] in panels and TEXTS[1] in panels
    assert v.page.locator(".hg-panel img, .leaflet-popup img, svg[onload]").count() == 0
    assert v.dialogs == [] and v.errors == [] and v.external == []
    assert not PWNED.exists()


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_static_maps_draw_the_corpus(tmp_path: Path, imported: hepinggis.ImportResult, suffix: str) -> None:
    out = static_map(tmp_path / f"overview{suffix}", projects=imported.projects, dpi=50)
    assert out.stat().st_size > 5_000
    if suffix == ".svg":  # text is kept as text (svg.fonttype none): the legend names the categories
        texts = {"".join(t.itertext()) for t in ET.parse(out).iter("{http://www.w3.org/2000/svg}text")}
        for cat in {_category(t) for t in TEXTS}:
            assert f"项目：{cat}" in texts, cat


def test_workbook_has_no_formula_and_keeps_text(tmp_path: Path, imported: hepinggis.ImportResult) -> None:
    paths = hepinggis.write_stats(tmp_path, projects=imported.projects, import_report=imported.report)
    book = openpyxl.load_workbook(paths["workbook"])
    formulas = [(ws.title, c.coordinate) for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    sheet = book["import_report"]
    header = [c.value for c in sheet[1]]
    names = [row[header.index("name")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(n for n in names if n) == sorted(TEXTS)
    shares = pd.read_excel(paths["workbook"], sheet_name="project_zone_shares")
    assert set(shares["name_zh"]) == set(TEXTS)  # every project lies in a zone, named literally
    # the CSVs: text a spreadsheet would run gets a leading apostrophe, and only that
    report = pd.read_csv(paths["import_report"], dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for text in TEXTS:
        expected = "'" + text if text.startswith(("=", "+", "-", "@")) else text
        assert expected in set(report["name"])


@pytest.mark.parametrize(
    ("fmt", "dest", "kw"),
    [
        ("gpkg", "p.gpkg", {}),
        ("geojson", "geojson", {}),
        ("kml", "kml", {}),
        ("shp", "shp", {"encoding": "UTF-8"}),
        ("xlsx", "p.xlsx", {}),
    ],
)
def test_every_export_round_trips_the_corpus(
    tmp_path: Path, imported: hepinggis.ImportResult, fmt: str, dest: str, kw: dict[str, str]
) -> None:
    out = export(tmp_path / dest, fmt=fmt, names=["projects"], projects=imported.projects, **kw)
    back = read_export(out, "projects", fmt=fmt).set_index("id")
    ids = [f"H{i}" for i in range(len(TEXTS))]
    assert back.loc[ids, "name_zh"].tolist() == TEXTS
    assert back.loc[ids, "category"].tolist() == [_category(t) for t in TEXTS]


def test_gbk_shapefile_refuses_text_gbk_cannot_hold(tmp_path: Path, imported: hepinggis.ImportResult) -> None:
    with pytest.raises(HepingGISError, match=r"feature 'H\d+'.*name_zh"):
        export(tmp_path / "shp", fmt="shp", names=["projects"], projects=imported.projects, encoding="GBK")
    assert not (tmp_path / "shp").exists()
