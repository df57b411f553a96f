"""Importing project lists: encodings, formats, datums, and a report that accounts for every row."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
import shapely
from pyproj import Geod, Transformer

import hepinggis
from hepinggis.base.coords import wgs84_to_bd09, wgs84_to_gcj02
from hepinggis.cli import main
from hepinggis.errors import ImportFileError
from hepinggis.io.importer import read_projects

GEOD = Geod(ellps="WGS84")
# true WGS 84 positions inside Heping (三好街, 长白岛, 满融, 太原街 areas)
TRUE = [
    ("P1", "三好街科技园", 123.4180, 41.7580),
    ("P2", "长白岛商业综合体", 123.3900, 41.7380),
    ("P3", "满融公园", 123.3500, 41.7150),
    ("P4", "太原街改造", 123.3950, 41.7880),
]


def _gcj_rows() -> list[str]:
    out = []
    for pid, name, lon, lat in TRUE:
        x, y = wgs84_to_gcj02(lon, lat)
        out.append(f"{pid},{name},{float(x):.8f},{float(y):.8f},商业,在建,2022,1.5")
    return out


BAD = [
    "P5,缺坐标,,41.75,商业,规划,2022,",  # missing x
    "P6,乱码坐标,abc,41.75,商业,规划,2022,",  # garbage x
    "P1,重复编号,123.41,41.75,商业,规划,2022,",  # duplicate id
    "P7,对调,41.75,123.41,商业,规划,2022,",  # swapped columns
    "",  # blank line
    "P8,,123.40,41.76,商业,规划,2022,",  # no name
    "P9,年份错,123.40,41.76,商业,规划,二〇二二,",  # year not a number
    "P10,纬度越界,123.40,95.5,商业,规划,2022,",  # out of range
]
HEADER = "编号,项目名称,经度,纬度,类别,状态,年份,总投资（亿元）"


def _write(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def _distance_m(a: shapely.Point, lon: float, lat: float) -> float:
    return float(GEOD.inv(a.x, a.y, lon, lat)[2])


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_mixed_csv_accounts_for_every_row(tmp_path: Path, encoding: str) -> None:
    path = _write(tmp_path / "projects.csv", [HEADER, *_gcj_rows(), *BAD], encoding)
    result = read_projects(path, crs="gcj02")
    assert result.rows_in == len(TRUE) + len(BAD)
    assert result.n_imported + result.n_rejected + result.n_skipped == result.rows_in
    assert result.n_imported == len(TRUE) and result.n_rejected == len(BAD) - 1 and result.n_skipped == 1
    assert len(result.projects) + len(result.rejected) + 1 == result.rows_in
    assert set(result.report["row"].dropna().astype(int)) == set(range(2, 2 + result.rows_in))
    assert list(result.projects["name"]) == [t[1] for t in TRUE]  # Chinese intact, no mojibake
    rejected = result.report[result.report["outcome"] == "rejected"].set_index("row")
    assert "“abc”不是数字" in rejected.loc[7, "message"] and rejected.loc[7, "field"] == "经度"
    assert "P1 重复：第 2 行和第 8 行相同" in rejected.loc[8, "message"]  # names both rows
    assert "像是颠倒了" in rejected.loc[9, "message"]
    skipped = result.report[result.report["outcome"] == "skipped"].set_index("row")
    assert skipped.loc[10, "message"] == "空行，已略过"  # a blank line is not a project, and is listed
    assert rejected.loc[11, "message"] == "缺少项目名称"
    assert rejected.loc[12, "field"] == "年份"
    assert "超出中国范围" in rejected.loc[13, "message"]
    # converted points within 1 m of the independent conversion (and of the truth)
    for rec, (_, _, lon, lat) in zip(result.projects.itertuples(), TRUE, strict=True):
        ref = prcoords.gcj_wgs_bored(prcoords.Coords(rec.source_y, rec.source_x))
        assert _distance_m(rec.geometry, ref.lon, ref.lat) < 1.0
        assert _distance_m(rec.geometry, lon, lat) < 0.01
    assert result.projects["investment_cny"].iloc[0] == pytest.approx(1.5e8)  # 亿元 in the header
    assert result.projects["year"].iloc[0] == 2022
    assert (
        result.encoding
        == {"gbk": "gb18030", "gb18030": "gb18030", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}[encoding]
    )


def test_encoding_can_be_forced(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", [HEADER, *_gcj_rows()], "gbk")
    assert read_projects(path, crs="gcj02", encoding="gbk").n_imported == len(TRUE)
    with pytest.raises(ImportFileError, match="无法按 utf-8 编码读取"):
        read_projects(path, crs="gcj02", encoding="utf-8")


def test_crs_is_never_guessed(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", [HEADER, *_gcj_rows()], "utf-8")
    with pytest.raises(ImportFileError, match="不自行猜测"):
        read_projects(path)


def test_unrecognised_columns_can_be_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", ["代号,叫法,东西,南北", "A,三好街,123.418,41.758"], "utf-8")
    with pytest.raises(ImportFileError, match="找不到项目名称、经度（X）、纬度（Y）列"):
        read_projects(path, crs="wgs84")
    result = read_projects(path, crs="wgs84", columns={"name": "叫法", "x": "东西", "y": "南北", "id": "代号"})
    assert result.n_imported == 1 and result.projects["id"].iloc[0] == "A"


def test_xlsx(tmp_path: Path) -> None:
    lon, lat = wgs84_to_bd09([t[2] for t in TRUE], [t[3] for t in TRUE])
    frame = pd.DataFrame({"项目名称": [t[1] for t in TRUE] + ["坏"], "lng": [*lon, "n/a"], "lat": [*lat, 41.7]})
    path = tmp_path / "p.xlsx"
    frame.to_excel(path, index=False)
    result = read_projects(path, crs="baidu")
    assert (result.n_imported, result.n_rejected) == (4, 1)
    assert result.report.set_index("row").loc[6, "message"] == "“n/a”不是数字"
    for rec, (_, _, lo, la) in zip(result.projects.itertuples(), TRUE, strict=True):
        assert _distance_m(rec.geometry, lo, la) < 0.01


def test_gauss_kruger_csv_and_zone_prefix_mismatch(tmp_path: Path) -> None:
    to_4529 = Transformer.from_crs(4326, 4529, always_xy=True)
    e, n = to_4529.transform([t[2] for t in TRUE], [t[3] for t in TRUE])
    lines = ["name,x,y", *(f"{t[1]},{x:.3f},{y:.3f}" for t, x, y in zip(TRUE, e, n, strict=True))]
    path = _write(tmp_path / "survey.csv", lines, "utf-8")
    good = read_projects(path, crs="EPSG:4529")
    assert good.n_imported == 4
    assert _distance_m(good.projects.geometry.iloc[0], TRUE[0][2], TRUE[0][3]) < 0.01
    wrong = read_projects(path, crs="EPSG:4550")
    assert wrong.n_rejected == 4
    assert "像是 EPSG:4529 而不是 EPSG:4550" in wrong.rejected["message"].iloc[0]


def _edge_point() -> tuple[float, float]:
    """A WGS 84 point 150 m inside the district whose GCJ-02 position lies well outside it."""
    district = hepinggis.load("district").to_crs(4550).geometry.iloc[0]
    inner = district.buffer(-150).exterior
    to_deg = Transformer.from_crs(4550, 4326, always_xy=True)
    for x, y in inner.coords:
        lon, lat = to_deg.transform(x, y)
        gx, gy = wgs84_to_gcj02(lon, lat)
        gp = gpd.GeoSeries([shapely.Point(float(gx), float(gy))], crs=4326).to_crs(4550).iloc[0]
        if gp.distance(district) > 300:
            return lon, lat
    raise AssertionError("no such point")


def test_wrong_datum_is_warned_not_dropped(tmp_path: Path) -> None:
    lon, lat = _edge_point()
    gx, gy = wgs84_to_gcj02(lon, lat)
    path = _write(tmp_path / "p.csv", ["名称,经度,纬度", f"边缘项目,{float(gx):.8f},{float(gy):.8f}"], "utf-8")
    as_declared_wrongly = read_projects(path, crs="wgs84")  # the planner forgot these came from AMap
    assert as_declared_wrongly.n_imported == 1
    warning = as_declared_wrongly.report[as_declared_wrongly.report["level"] == "warning"]
    assert len(warning) == 1 and "若按 gcj02 读则在区内" in warning["message"].iloc[0]
    assert read_projects(path, crs="gcj02").n_warned == 0


def _shapefile(tmp_path: Path, encoding: str, keep_cpg: bool) -> Path:
    names = [t[1] for t in TRUE]
    frame = gpd.GeoDataFrame(
        {"name": names}, geometry=gpd.points_from_xy([t[2] for t in TRUE], [t[3] for t in TRUE]), crs=4326
    )
    path = tmp_path / f"p_{encoding}_{keep_cpg}.shp"
    frame.to_file(path, engine="pyogrio", encoding=encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = 0  # clear the language driver id too, as CAD exports do
        dbf.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(("encoding", "keep_cpg"), [("UTF-8", True), ("UTF-8", False), ("GBK", True), ("GBK", False)])
def test_shapefile_with_and_without_cpg(tmp_path: Path, encoding: str, keep_cpg: bool) -> None:
    path = _shapefile(tmp_path, encoding, keep_cpg)
    result = read_projects(path)
    assert list(result.projects["name"]) == [t[1] for t in TRUE]
    assert result.n_imported == 4 and result.crs == "wgs84"


def test_geojson_labelled_4326_can_be_read_as_gcj02(tmp_path: Path) -> None:
    gx, gy = wgs84_to_gcj02([t[2] for t in TRUE], [t[3] for t in TRUE])
    frame = gpd.GeoDataFrame({"名称": [t[1] for t in TRUE]}, geometry=gpd.points_from_xy(gx, gy), crs=4326)
    path = tmp_path / "amap.geojson"
    frame.to_file(path)
    result = read_projects(path, crs="gcj02")
    for rec, (_, _, lon, lat) in zip(result.projects.itertuples(), TRUE, strict=True):
        assert _distance_m(rec.geometry, lon, lat) < 0.01
    gpkg = tmp_path / "p.gpkg"
    frame.to_file(gpkg, layer="projects")
    assert read_projects(gpkg, crs="gcj02", table="projects").n_imported == 4


def test_cli_import_exit_code_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path / "good.csv", [HEADER, *_gcj_rows()], "gbk")
    out = tmp_path / "good.gpkg"
    assert main(["import", str(good), "--crs", "gcj02", "--out", str(out)]) == 0
    assert len(gpd.read_file(out)) == 4
    mixed = _write(tmp_path / "mixed.csv", [HEADER, *_gcj_rows(), *BAD], "gbk")
    report = tmp_path / "report.csv"
    assert main(["import", str(mixed), "--crs", "gcj02", "--report", str(report)]) == 1
    printed = capsys.readouterr().out
    assert "共 12 行" in printed and "未导入 7 行" in printed and "非项目行 1 行" in printed
    assert "P1 重复" in printed and "rejected" not in printed and "warning" not in printed
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(report, encoding="utf-8-sig")
    assert set(table["行号"].dropna().astype(int)) == set(range(2, 14))
    assert set(table["结果"]) == {"已导入", "未导入", "非项目行", "说明"}
    xlsx = tmp_path / "report.xlsx"
    assert main(["import", str(mixed), "--crs", "gcj02", "--report", str(xlsx)]) == 1
    assert len(pd.read_excel(xlsx)) == len(table)


def test_points_are_vectorised_consistently() -> None:
    lon = np.linspace(123.31, 123.44, 50)
    lat = np.linspace(41.69, 41.81, 50)
    gx, gy = wgs84_to_gcj02(lon, lat)
    one = [wgs84_to_gcj02(a, b) for a, b in zip(lon, lat, strict=True)]
    assert np.allclose(gx, [o[0] for o in one]) and np.allclose(gy, [o[1] for o in one])


def test_malformed_rows_are_reported_not_fatal(tmp_path: Path) -> None:
    lines = [
        HEADER,
        *_gcj_rows(),
        "P11,多了一列,123.40,41.76,商业,规划,2022,1.0,额外",
        "P12,正常,123.40,41.76,商业,规划,2022,",
    ]
    result = read_projects(_write(tmp_path / "p.csv", lines, "gbk"), crs="gcj02")
    assert result.rows_in == len(TRUE) + 2
    assert result.n_imported == len(TRUE) + 1 and result.n_rejected == 1
    row = result.report[result.report["outcome"] == "rejected"].iloc[0]
    assert row["row"] == 2 + len(TRUE) and "此行有 9 个字段，表头只有 8 列" in row["message"]


def test_one_cell_lon_lat_as_amap_copies_it(tmp_path: Path) -> None:
    gx, gy = wgs84_to_gcj02(TRUE[0][2], TRUE[0][3])
    lines = ["名称,坐标", f'三好街,"{float(gx):.7f},{float(gy):.7f}"', "坏,123.4", "空,"]
    result = read_projects(_write(tmp_path / "p.csv", lines, "utf-8"), crs="gcj02")
    assert (result.n_imported, result.n_rejected) == (1, 2)
    assert _distance_m(result.projects.geometry.iloc[0], TRUE[0][2], TRUE[0][3]) < 0.01
    assert "“123.4”不是“经度,纬度”" in set(result.report["message"])


def test_recognised_names_have_a_priority(tmp_path: Path) -> None:
    lines = ["序号,编号,名称,经度,纬度", "1,A-1,三好街,123.418,41.758", "2,A-2,长白,123.39,41.738"]
    result = read_projects(_write(tmp_path / "p.csv", lines, "utf-8"), crs="wgs84")
    assert result.columns["id"] == "编号" and list(result.projects["id"]) == ["A-1", "A-2"]
    assert "序号" in result.projects.columns  # kept as an ordinary attribute
