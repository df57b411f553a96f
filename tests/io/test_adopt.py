"""The bureau's own boundaries: ``hepinggis adopt`` brings an official file into a layer's schema,
and ``--boundaries`` makes every product use it. The "official" zones here are the bundled ones as a
bureau would deliver them — CGCS2000 / GK CM 123°E (EPSG:4550), GBK attributes, full Chinese names,
no ids — with the edge between 南市场 and 泛太原街 moved 200 m."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from shapely.geometry import Polygon

import hepinggis
from hepinggis.errors import AdoptError
from hepinggis.io.adopt import adopt

ZONES = hepinggis.load("zones")
JIEDAO = hepinggis.load("jiedao")
SHORT = ["北市场", "南市场", "泛太原街", "三好街", "长白岛", "满融"]


def _moved_edge(crs: int = 4550) -> gpd.GeoDataFrame:
    z = ZONES.to_crs(4550)
    a = int(np.flatnonzero(z["id"] == "nanshichang")[0])
    b = int(np.flatnonzero(z["id"] == "taiyuanjie")[0])
    strip = z.geometry.iloc[b].intersection(z.geometry.iloc[a].buffer(200))
    geoms = list(z.geometry)
    geoms[a] = shapely.make_valid(geoms[a].union(strip))
    geoms[b] = shapely.make_valid(geoms[b].difference(strip))
    return gpd.GeoDataFrame({"名称": z["name_zh"].to_numpy(), "备注": "官方"}, geometry=geoms, crs=4550).to_crs(crs)


def _shapefile(folder: Path, frame: gpd.GeoDataFrame, name: str = "官方功能区") -> Path:
    path = folder / f"{name}.shp"
    frame.to_file(path, encoding="gbk")
    return path


@pytest.fixture
def official(tmp_path: Path) -> Path:
    return _shapefile(tmp_path, _moved_edge())


def test_adopted_zones_keep_the_plan_attributes_and_say_where_they_came_from(official: Path, tmp_path: Path) -> None:
    out = tmp_path / "layers.gpkg"
    adopted = adopt(official, as_layer="zones", out=out)
    assert adopted["id"].tolist() == ZONES["id"].tolist()
    assert adopted["sizhi_zh"].tolist() == ZONES["sizhi_zh"].tolist()  # 四至, targets … carried over
    assert set(adopted["adopted_from"]) == {"官方功能区.shp"} and set(adopted["method"]) == {"adopted"}
    loaded = hepinggis.load("zones", boundaries=out)
    areas = hepinggis.geodesic_area(loaded.set_index("id"))
    bundled = hepinggis.geodesic_area(ZONES.set_index("id"))
    assert areas["nanshichang"] > bundled["nanshichang"] + 1 and areas["taiyuanjie"] < bundled["taiyuanjie"] - 1
    assert abs(areas.sum() - bundled.sum()) < 0.01
    with sqlite3.connect(out) as db:  # opens styled in QGIS, as exports do
        assert ("zones",) in db.execute("SELECT f_table_name FROM layer_styles").fetchall()


@pytest.mark.parametrize(
    "names",
    [
        ["北市场", "南市场", "泛太原街", "三好街", "长白岛", "满融"],  # short names
        ["北市场集聚区", "南市场集聚区", "泛太原街集聚区", "三好街示范区", "长白岛集聚区", "满融示范区"],  # suffixed
        ["beishichang", "nanshichang", "taiyuanjie", "sanhaojie", "changbaidao", "manrong"],  # ids
    ],
)
def test_names_are_matched_in_their_usual_forms(tmp_path: Path, names: list[str]) -> None:
    frame = _moved_edge()
    frame["名称"] = names
    adopted = adopt(_shapefile(tmp_path, frame), as_layer="zones", out=tmp_path / "l.gpkg")
    assert adopted["id"].tolist() == ZONES["id"].tolist()


def test_jiedao_names_with_and_without_the_suffix(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"街道名称": [n.removesuffix("街道") for n in JIEDAO["name_zh"]]}, geometry=JIEDAO.geometry
    )
    adopted = adopt(_shapefile(tmp_path, frame.to_crs(4550), "街道"), as_layer="jiedao", out=tmp_path / "l.gpkg")
    assert adopted["id"].tolist() == JIEDAO["id"].tolist()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.assign(名称=["北市场", "南市场", "泛太原街", "三好街", "长白岛", "浑南"]),
            "'浑南'.*对应不上.*最接近.*满融",
        ),
        (
            lambda f: f.assign(名称=["北市场", "南市场", "南市场", "三好街", "长白岛", "满融"]),
            "第 2 个和第 3 个要素都是",
        ),
        (lambda f: f.iloc[:5], "缺少 满融"),
    ],
)
def test_unknown_repeated_or_missing_names_are_refused(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "l.gpkg"
    with pytest.raises(AdoptError, match=message):
        adopt(_shapefile(tmp_path, change(_moved_edge())), as_layer="zones", out=out)
    assert not out.exists()  # nothing written


@pytest.mark.parametrize("epsg", [4550, 4529, 4490, 4326])
def test_coordinate_systems(tmp_path: Path, epsg: int) -> None:
    adopted = adopt(_shapefile(tmp_path, _moved_edge(epsg)), as_layer="zones", out=tmp_path / "l.gpkg")
    expected = _moved_edge(4326).geometry  # the same places, whatever the ring order the file keeps
    assert all(shapely.hausdorff_distance(a, b) < 1e-6 for a, b in zip(adopted.geometry, expected, strict=True))


def test_a_missing_prj_must_be_given(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, _moved_edge())
    path.with_suffix(".prj").unlink()
    with pytest.raises(AdoptError, match=r"没有坐标系.*--crs"):
        adopt(path, as_layer="zones", out=tmp_path / "l.gpkg")
    adopted = adopt(path, as_layer="zones", out=tmp_path / "l.gpkg", crs="EPSG:4550")
    assert len(adopted) == 6
    with pytest.raises(AdoptError, match="是 EPSG:4550，不是 4529"):
        adopt(path, as_layer="zones", out=tmp_path / "m.gpkg", crs="EPSG:4529")


def _broken(kind: str) -> gpd.GeoDataFrame:
    frame = _moved_edge()
    k = int(np.flatnonzero(ZONES["id"] == "sanhaojie")[0])
    geoms = list(frame.geometry)
    if kind == "gap":  # a square cut out of two zones where they meet: a hole between the features
        j = int(np.flatnonzero(ZONES["id"] == "nanshichang")[0])
        shared = geoms[k].boundary.intersection(geoms[j].boundary)
        hole = shared.interpolate(0.5, normalized=True).buffer(100, cap_style="square")
        geoms[k], geoms[j] = geoms[k].difference(hole), geoms[j].difference(hole)
    elif kind == "overlap":
        geoms[k] = geoms[k].buffer(120)
    else:  # a bow-tie: the outline crosses itself
        minx, miny, maxx, maxy = geoms[k].bounds
        geoms[k] = Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    return frame.set_geometry(geoms)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("gap", "南市场.* 与 三好街.*之间有 [0-9,]+ m² 的缝隙"),
        ("overlap", "三好街科技文化融合示范区.*互相重叠"),
        ("self", r"第 4 个要素.*自身坐标系中无效.*Self-intersection"),
    ],
)
def test_broken_official_files_are_refused_naming_the_feature(tmp_path: Path, kind: str, message: str) -> None:
    out = tmp_path / "l.gpkg"
    adopt(_shapefile(tmp_path, _moved_edge(), "good"), as_layer="zones", out=out)
    before = out.read_bytes()
    with pytest.raises(AdoptError, match=message):
        adopt(_shapefile(tmp_path, _broken(kind), "broken"), as_layer="zones", out=out)
    assert out.read_bytes() == before  # the GeoPackage is untouched


def test_partial_adoption_keeps_the_other_layers_bundled(tmp_path: Path) -> None:
    out = tmp_path / "l.gpkg"
    frame = gpd.GeoDataFrame({"名称": JIEDAO["name_zh"]}, geometry=JIEDAO.geometry).to_crs(4550)
    adopt(_shapefile(tmp_path, frame, "街道"), as_layer="jiedao", out=out)
    with hepinggis.use_boundaries(out):
        assert set(hepinggis.load("jiedao")["method"]) == {"adopted"}
        assert hepinggis.load("zones")["method"].tolist() == ZONES["method"].tolist()
    adopt(_shapefile(tmp_path, _moved_edge()), as_layer="zones", out=out)  # a second call adds to the file
    with hepinggis.use_boundaries(out):
        assert set(hepinggis.load("zones")["method"]) == {"adopted"}
        assert set(hepinggis.load("jiedao")["method"]) == {"adopted"}
    assert hepinggis.load("zones")["method"].tolist() == ZONES["method"].tolist()  # outside: bundled again


def test_an_adopted_layer_edited_in_qgis_is_adopted_again(official: Path, tmp_path: Path) -> None:
    out = tmp_path / "l.gpkg"
    adopt(official, as_layer="zones", out=out)
    again = adopt(out, as_layer="zones", out=tmp_path / "again.gpkg", table="zones", name_col="name_zh")
    first = hepinggis.load("zones", boundaries=out)
    assert all(shapely.hausdorff_distance(a, b) < 1e-9 for a, b in zip(again.geometry, first.geometry, strict=True))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}  # this checkout's package
    return subprocess.run([sys.executable, "-m", "hepinggis", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_adopt_check_build_on_the_official_zones(official: Path, tmp_path: Path) -> None:
    from hepinggis.io._synthetic import write_register

    register = write_register(tmp_path / "清单.csv", 300, seed=11)
    done = _cli("adopt", str(official), "--as", "zones", "--out", "layers.gpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _cli("check", "layers.gpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    done = _cli(
        "build", "--quiet", "--boundaries", "layers.gpkg", "--projects", str(register), "--crs", "gcj02",
        "--out", "maps", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    official_zones = hepinggis.load("zones", boundaries=tmp_path / "layers.gpkg")
    book = openpyxl.load_workbook(tmp_path / "maps" / "stats" / "hepinggis_stats.xlsx")
    areas = {r[0]: r[3] for r in book["zone_areas"].iter_rows(min_row=2, values_only=True)}
    expected = hepinggis.geodesic_area(official_zones.set_index("id")).round(3)
    assert {k: round(v, 3) for k, v in areas.items()} == expected.to_dict()
    rows = {r[0]: r for r in book["projects_by_zone"].iter_rows(min_row=2, values_only=True)}
    # the 区外 and 未定位 rows make the `projects` column add up (their any-share count is not defined)
    places = {k: rows.pop(k)[1] for k in ("区外", "未定位")}
    counts = {k: r[2] for k, r in rows.items()}
    imported = hepinggis.read_projects(register, crs="gcj02").projects
    assert sum(counts.values()) + places["区外"] + places["未定位"] == pytest.approx(len(imported))
    zones = gpd.GeoDataFrame({"zone": official_zones["id"]}, geometry=official_zones.geometry)
    joined = gpd.sjoin(imported[["geometry"]], zones, predicate="within")
    assert counts == joined.groupby("zone").size().reindex(official_zones["id"], fill_value=0).to_dict()
    page = (tmp_path / "maps" / "comparison.html").read_text(encoding="utf-8")
    with hepinggis.use_boundaries(tmp_path / "layers.gpkg"):
        tables = hepinggis.stats_tables(projects=imported)
    moved = tables["projects_changing_area"]
    assert f"改变所属的项目（{len(moved)} 个）" in page and len(moved) > 0
    other = tables["projects_other_zone_jiedao"]  # official zones, bundled 街道: stated on the page
    assert f"所在街道按规划属于另一功能区的项目（{len(other)} 个" in page and len(other) > 0
    assert "各图层来源" in page and "官方功能区.shp（" in page
    for name in ("index.html", "overview.html", "zone_nanshichang.html", "comparison.html"):
        assert "功能区边界：官方功能区.shp，" in (tmp_path / "maps" / name).read_text(encoding="utf-8"), name
    assert "功能区边界：官方功能区.shp" in (tmp_path / "maps" / "overview.svg").read_text(encoding="utf-8")


def test_cli_adopt_errors_are_one_line(tmp_path: Path) -> None:
    done = _cli("adopt", "nothing.shp", "--as", "zones", "--out", "l.gpkg", cwd=tmp_path)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    done = _cli("build", "--boundaries", "missing.gpkg", cwd=tmp_path)
    assert done.returncode != 0 and "missing.gpkg does not exist" in done.stderr
