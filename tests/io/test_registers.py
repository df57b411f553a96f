"""The corpus of messy registers in ``tests/data/registers`` (written by ``tools/make_registers.py``):
every row's expected outcome stands beside it in the file (预期…), and the import must give exactly
that — nothing lost, nothing misread, and every output valid afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPoint

import hepinggis
from hepinggis.analysis.projects import prepare_projects
from hepinggis.errors import ImportFileError, LayerSchemaError
from hepinggis.maps.static import static_map

DATA = Path(__file__).resolve().parents[1] / "data" / "registers"
TITLED = DATA / "重点项目清单_标题行_GBK.csv"
MESSY = DATA / "问题行_GBK混UTF8.csv"
GEOMETRY = DATA / "几何问题.geojson"


def _expected_lines(path: Path) -> dict[int, str]:
    """Line number → the 预期 cell, read independently of the importer (each line decoded alone)."""
    out = {}
    for k, raw in enumerate(path.read_bytes().split(b"\r\n"), start=1):
        if k == 1 or not raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("gbk")
        out[k] = text.rsplit(",", 1)[-1]
    return out


def _check_outcomes(result: hepinggis.ImportResult, expected: dict[int, str]) -> None:
    report = result.report
    assert result.n_imported + result.n_rejected == len(expected)  # every record accounted for
    for row, want in expected.items():
        mine = report[report["row"] == row]
        outcome, *rest = want.split(" ", 1)
        assert set(mine["outcome"]) == {outcome}, (row, want, mine.to_dict("records"))
        if outcome == "rejected":
            assert rest[0] in " ".join(mine["message"]), (row, want, mine["message"].tolist())
        elif rest:  # "warning X": imported, with a warning saying X
            kind, fragment = rest[0].split(" ", 1)
            warned = mine[mine["level"] == kind]
            assert fragment in " ".join(warned["message"]), (row, want, mine["message"].tolist())
        else:
            assert set(mine["level"]) == {""}, (row, mine["message"].tolist())


@pytest.fixture(scope="module")
def titled() -> hepinggis.ImportResult:
    return hepinggis.read_projects(TITLED, crs="gcj02")


def test_a_register_with_a_title_row_imports_every_row_with_its_amounts_in_yuan(titled: hepinggis.ImportResult) -> None:
    assert (titled.n_imported, titled.n_rejected, titled.rows_in) == (60, 0, 60)
    p = titled.projects
    expected = pd.to_numeric(p["预期投资元"].replace("", np.nan))
    got = p["investment_cny"]
    assert ((got == expected) | (got.isna() & expected.isna())).all()
    assert p["row"].tolist() == list(range(3, 63))  # the file's own rows: title on 1, header on 2
    assert set(p["category"]) == {"商业综合体", "城市更新", "文旅", "基础设施", "教育"}  # 项目类型
    assert set(p["status"]) == {"在建", "计划", "已建成", "拟引进"}  # 建设状态
    assert set(p["nature"]) == {"新建", "续建"} and p["address"].str.startswith("和平区某路").all()
    assert (p["investment_approx"] == p["预期说明"].eq("约数")).all()
    assert p["investment_read"].str.contains("读作").sum() == expected.notna().sum()


def test_every_remark_on_the_amounts_is_in_the_report(titled: hepinggis.ImportResult) -> None:
    warned = titled.report[titled.report["level"] == "warning"].set_index("row")["message"]
    for rec in titled.projects.itertuples():
        note = rec.预期说明
        if note == "":
            assert rec.row not in warned.index
        else:
            assert note in {"约数": "约数", "按缺失处理": "按缺失处理", "无单位": "无单位"}[note]
            assert note.replace("无单位", "均无单位") in warned.loc[rec.row]


def test_per_zone_counts_equal_an_independent_spatial_join(titled: hepinggis.ImportResult) -> None:
    zones = hepinggis.load("zones")
    ours = hepinggis.projects_by_zone(titled.projects, zones)["projects_any_share"]
    truth = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            titled.projects["真实经度"].astype(float), titled.projects["真实纬度"].astype(float)
        ),
        crs=4326,
    )
    joined = gpd.sjoin(truth, zones[["id", "geometry"]], predicate="within")
    theirs = joined.groupby("id").size().reindex(zones["id"], fill_value=0)
    assert ours.tolist() == theirs.tolist() and int(ours.sum()) == 60


def test_the_header_row_can_be_forced(tmp_path: Path) -> None:
    again = hepinggis.read_projects(TITLED, crs="gcj02", header_row=2)
    assert again.n_imported == 60
    with pytest.raises(ImportFileError, match="找不到"):
        hepinggis.read_projects(TITLED, crs="gcj02", header_row=1)


def test_messy_rows_come_out_as_written_beside_them() -> None:
    result = hepinggis.read_projects(MESSY, crs="gcj02")
    _check_outcomes(result, _expected_lines(MESSY))
    names = set(result.projects["name"])
    assert {"网页粘贴项目", "又一网页粘贴", "控制字符项目", "名称中有,逗号", "引号之后的项目"} <= names
    text = pd.DataFrame(result.projects.drop(columns="geometry")).astype(str).to_numpy().ravel()
    assert not any("\x1b" in str(v) or "\x00" in str(v) for v in text)
    assert not any("鍜" in n or "椤" in n for n in names)  # never mojibake


def test_geometry_problems_are_caught_at_import_once() -> None:
    result = hepinggis.read_projects(GEOMETRY)
    features = json.loads(GEOMETRY.read_text(encoding="utf-8"))["features"]
    _check_outcomes(result, {k + 1: f["properties"]["预期"] for k, f in enumerate(features)})
    assert not result.projects.geometry.has_z.any()


def test_what_the_import_accepted_every_output_accepts(tmp_path: Path) -> None:
    messy = hepinggis.read_projects(MESSY, crs="gcj02").projects
    geometry = hepinggis.read_projects(GEOMETRY).projects
    for projects in (messy, geometry):
        prepared = prepare_projects(projects)
        assert len(prepared) == len(projects)
        tables = hepinggis.stats_tables(projects=projects)
        assert tables["project_zone_shares"]["id"].nunique() <= len(projects)
        out = hepinggis.export(tmp_path / "p.gpkg", names=["projects"], projects=projects)
        assert len(hepinggis.read_export(out, "projects")) == len(projects)
    svg = static_map(tmp_path / "messy.svg", projects=messy)
    ET.parse(svg)  # valid XML: no control character reached it
    paths = hepinggis.write_stats(tmp_path / "stats", chinese=True, projects=messy)
    book = openpyxl.load_workbook(paths["workbook"])
    cells = [str(c.value) for row in book["project_zone_shares"].iter_rows() for c in row if c.value]
    assert "控制字符项目" in cells and not any("\\u" in c for c in cells)


def test_a_multipoint_is_shared_by_its_points() -> None:
    zones = hepinggis.load("zones")
    a, b, c = (zones.geometry.iloc[k].representative_point() for k in (0, 0, 3))
    frame = gpd.GeoDataFrame({"name": ["三处"]}, geometry=[MultiPoint([a, b, c])], crs=4326)
    shares = hepinggis.zone_shares(frame, zones).set_index("zone_id")["share"]
    assert shares.to_dict() == pytest.approx({"beishichang": 2 / 3, "sanhaojie": 1 / 3})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("项目名称,投资,总投资,经度,纬度", "投资、总投资"),
        ("项目名称,名称,经度,纬度", "项目名称、名称"),
        ("项目名称,类别,类别,经度,纬度", "“类别”出现两次"),
    ],
)
def test_duplicate_and_ambiguous_headers_are_errors_naming_them(tmp_path: Path, header: str, message: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\n甲,1,2,123.42,41.76\n", encoding="gbk")
    with pytest.raises(ImportFileError, match=message):
        hepinggis.read_projects(path, crs="wgs84")


def test_serial_numbers_give_way_to_project_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("序号,项目编号,项目名称,经度,纬度\n1,HP-7,甲,123.42,41.76\n", encoding="gbk")
    result = hepinggis.read_projects(path, crs="wgs84")
    assert result.columns["id"] == "项目编号" and result.projects["id"].iloc[0] == "HP-7"


def test_errors_after_import_name_the_files_own_row(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("标题\n\n项目编号,项目名称,经度,纬度\nA,甲,123.42,41.76\nB,乙,123.41,41.75\n", encoding="utf-8")
    projects = hepinggis.read_projects(path, crs="wgs84").projects
    projects.loc[1, "name"] = " "
    with pytest.raises(LayerSchemaError, match="row 5 of the file"):
        prepare_projects(projects)


def test_a_geopackage_of_several_layers_asks_which(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    frame = gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(123.42, 41.76)], crs=4326)
    frame.to_file(path, layer="项目2022")
    frame.to_file(path, layer="项目2023")
    with pytest.raises(ImportFileError, match=r"2 个图层.*项目2022.*项目2023.*--table"):
        hepinggis.read_projects(path)
    assert hepinggis.read_projects(path, table="项目2023").n_imported == 1


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hepinggis", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".kml", ".xlsx", ".csv"])
def test_import_out_writes_every_format_whole(tmp_path: Path, suffix: str) -> None:
    done = _cli("import", str(TITLED), "--crs", "gcj02", "--out", f"清单{suffix}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / f"清单{suffix}"
    assert written.is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    if suffix == ".csv":
        table = pd.read_csv(written, encoding="utf-8-sig")
        assert len(table) == 60 and {"lon_wgs84", "lat_wgs84"} <= set(table.columns)
    elif suffix != ".xlsx":
        assert len(gpd.read_file(written, **({"layer": "projects"} if suffix == ".gpkg" else {}))) == 60
        if suffix != ".kml":  # and it reads back in
            assert hepinggis.read_projects(written, crs="wgs84").n_imported == 60


@pytest.mark.parametrize(("out", "message"), [("清单.xls", "unknown output type"), ("folder.gpkg", "is a folder")])
def test_import_out_refuses_unknown_types_and_folders(tmp_path: Path, out: str, message: str) -> None:
    (tmp_path / "folder.gpkg").mkdir()
    (tmp_path / "清单.xls").write_bytes(b"keep me")
    done = _cli("import", str(TITLED), "--crs", "gcj02", "--out", out, cwd=tmp_path)
    assert done.returncode != 0 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / "清单.xls").read_bytes() == b"keep me" and (tmp_path / "folder.gpkg").is_dir()
    assert "Traceback" not in done.stderr
