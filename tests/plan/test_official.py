"""Official-style boundary files (built by ``tools/make_official_layers.py``): each adopted or
refused for a true reason naming the feature; names in every office form; the district re-checking
what is adopted; ``check`` failing on gaps; partial adoption stated; the QGIS loop keeping the
original file; adopted layers credited through exports, legends, the .qgz and monitoring."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

import hepinggis
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import AdoptError
from hepinggis.io.adopt import _match, adopt
from hepinggis.plan._names import name_keys

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 12, 1)


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_official_layers", REPO / "tools" / "make_official_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
CASE_NAMES = [
    "jiedao_gbk_4550_noprj",
    "zones_4529_noprj",
    "zones_4529_read_as_4550",
    "zones_4490_noprj",
    "metres_read_as_degrees",
    "neighbouring_zone",
    "zones_self_touch_4550",
    "jiedao_gap_to_outline",
    "jiedao_far_part",
    "district_one_feature",
    # issue 35: deliveries as offices send them (expected outcomes in the tool, written first)
    "district_xzqmc",
    "district_of_shenhe",
    "zip_shp_in_folder",
    "zip_two_shapefiles",
    "zip_two_shapefiles_chosen",
    "cpg_gb2312_outside",
    "cpg_utf8_on_gbk",
    "kml",
    "kmz",
    "geojson",
    "gpkg_two_layers",
    "gpkg_two_layers_chosen",
    "filegdb_zipped",
    "cad_drawing",
    "noprj_proposed",
    "zones_gnqmc_zip",
    "district_with_hole",
    "jiedao_matching_hole",
    "jiedao_covering_enclave",
    "jiedao_shift_1mm",
    "jiedao_shift_5cm",
    "jiedao_shift_3m",
    "jiedao_shift_3m_accuracy_5",
    "geojson_7_decimals",
    "outline_40m_inside",
    "zone_name_on_jiedao",
    "neighbour_jiedao",
    "neighbour_jiedao_unprefixed",
]


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("official")
    cases = {c.name: c for c in TOOL.build_all(folder)}
    assert sorted(cases) == sorted(CASE_NAMES)  # every case the tool writes is tested below
    return folder, cases


def _areas_in_own_crs(path: Path, crs: str) -> pd.Series:
    """The file's areas, computed independently: GDAL read, own CRS → EPSG:4550, planar area."""
    frame = pyogrio.read_dataframe(path, encoding="gbk").set_crs(crs, allow_override=True)
    return pd.Series(frame.to_crs(MEASURE_CRS).area.to_numpy(), index=frame["名称"].to_numpy())


def _options(case: object) -> dict[str, object]:
    opts: dict[str, object] = dict(case.options)  # type: ignore[attr-defined]
    if "accuracy_m" in opts:
        opts["accuracy_m"] = float(str(opts["accuracy_m"]))
    return opts


def _independent_areas(path: Path, case: object, crs: str | None) -> pd.Series | None:
    """The file's areas by name, computed independently of adopt: GDAL read, its CRS (or the one
    given) → EPSG:4550, planar area. None for containers read only through adopt (zip, KMZ)."""
    if path.suffix.lower() not in (".shp", ".geojson", ".kml", ".gpkg"):
        return None
    layer = case.options.get("table")  # type: ignore[attr-defined]
    kw = {"encoding": "gb18030"} if path.suffix.lower() == ".shp" else {}
    frame = gpd.read_file(path, layer=layer, engine="pyogrio", **kw)
    if crs:
        frame = frame.set_crs(crs, allow_override=True)
    frame["geometry"] = frame.geometry.make_valid()  # a polygon invalid in degrees has no area until repaired
    col = next(c for c in ("名称", "Name", "JDMC", "GNQMC") if c in frame.columns)
    return pd.Series(frame.to_crs(MEASURE_CRS).area.to_numpy(), index=frame[col].to_numpy())


@pytest.mark.parametrize("name", CASE_NAMES)
def test_each_official_file_is_adopted_or_refused_as_expected(
    official: tuple[Path, dict],
    tmp_path: Path,
    name: str,  # type: ignore[type-arg]
) -> None:
    folder, cases = official
    case = cases[name]
    out = tmp_path / "layers.gpkg"
    if case.first:
        adopt(folder / case.first, as_layer="district", out=out, when=DAY)
    before = out.read_bytes() if out.exists() else None
    if not case.ok:
        with pytest.raises(AdoptError) as err:
            adopt(folder / case.file, as_layer=case.as_layer, out=out, when=DAY, **_options(case))
        assert re.search(case.refusal, str(err.value)), str(err.value)
        assert (out.read_bytes() if out.exists() else None) == before  # nothing written
        page = err.value.page_text or str(err.value)
        assert "--" not in page and "/tmp" not in page and str(tmp_path) not in page, page
        return
    adopted = adopt(folder / case.file, as_layer=case.as_layer, out=out, when=DAY, **_options(case))
    if case.notes:
        assert re.search(case.notes, " | ".join(adopted.attrs["notes"])), adopted.attrs["notes"]
    bundled = hepinggis.load(case.as_layer)
    assert adopted["id"].tolist() == bundled["id"].tolist()
    (credited,) = set(adopted["adopted_from"])  # the file, and the layer taken where it holds layers
    assert credited == case.file or credited.startswith(f"{case.file}（"), credited
    assert set(adopted["adopted_on"]) == {"2026-12-01"}
    loaded = hepinggis.load(case.as_layer, boundaries=out)  # valid in EPSG:4326 as stored
    assert loaded.geometry.is_valid.all()
    if case.as_layer == "district":
        return
    crs = case.options.get("crs")
    if name == "zones_4529_noprj":
        crs = "EPSG:4529"
    expected = _independent_areas(folder / case.file, case, crs)
    if expected is None:
        return
    got = pd.Series(loaded.to_crs(MEASURE_CRS).area.to_numpy(), index=loaded["name_zh"].to_numpy())
    moved = adopted.attrs.get("snapped_m2", {})
    # the file lists the features in the bundled order; each may differ by what was closed within
    # the tolerance (reported per feature) and by a reprojection repair (≤ 1 m²)
    for k, (label, area) in enumerate(got.items()):
        assert abs(area - expected.iloc[k]) <= moved.get(label, 0.0) + 1.0, (label, area, expected.iloc[k])


def test_names_are_the_names_offices_write(official: tuple[Path, dict]) -> None:  # type: ignore[type-arg]
    folder, _ = official
    adopted = adopt(folder / "官方街道.shp", as_layer="jiedao", out=folder / "names.gpkg", crs="EPSG:4550")
    written = pyogrio.read_dataframe(folder / "官方街道.shp", encoding="gbk")["名称"].tolist()  # GBK, no .cpg
    assert written == [TOOL.JIEDAO_NAMES[i] for i in hepinggis.load("jiedao")["id"]]
    assert adopted["id"].tolist() == list(TOOL.JIEDAO_NAMES)


JIEDAO = hepinggis.load("jiedao")
ZONES = hepinggis.load("zones")


@pytest.mark.parametrize(
    ("layer", "written", "expected"),
    [
        ("jiedao", "和平区新华街道办事处", "xinhua"),
        ("jiedao", "沈阳市和平区新华街道", "xinhua"),
        ("jiedao", "新华街道办", "xinhua"),
        ("jiedao", "新华办事处", "xinhua"),
        ("jiedao", "新華街道", "xinhua"),
        ("jiedao", " 新华 ", "xinhua"),
        ("jiedao", "辽宁省沈阳市和平区浑河站西街道办事处", "hunhezhanxi"),
        ("jiedao", "渾河灣街道", "hunhewan"),
        ("zones", "和平区满融国际化生态科技示范区", "manrong"),
        ("zones", "满融示范区", "manrong"),
        ("zones", "满融", "manrong"),
        ("zones", "長白島高端商務商業集聚區", "changbaidao"),
        ("zones", "泛太原街", "taiyuanjie"),
    ],
)
def test_each_name_form_matches_one_feature(layer: str, written: str, expected: str, tmp_path: Path) -> None:
    bundled = JIEDAO if layer == "jiedao" else ZONES
    names = pd.Series(list(bundled["name_zh"]))
    k = int(np.flatnonzero(bundled["id"] == expected)[0])
    names.iloc[k] = written
    rows = _match(tmp_path / "f.shp", names, bundled, layer)
    assert rows == list(range(len(bundled)))


def test_an_unmatched_name_lists_the_closest(tmp_path: Path) -> None:
    names = pd.Series(list(JIEDAO["name_zh"]))
    names.iloc[4] = "新化街道"  # a typo for 新华街道
    with pytest.raises(AdoptError, match=r"'新化街道'.*对应不上.*最接近的是：新华街道"):
        _match(tmp_path / "f.shp", names, JIEDAO, "jiedao")
    assert "新华" in name_keys("新華街道辦事處")


def test_the_district_adopted_later_rechecks_the_jiedao(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    out = tmp_path / "layers.gpkg"
    adopt(folder / "官方街道.shp", as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY)
    before = out.read_bytes()
    with pytest.raises(
        AdoptError, match=r"已采用的街道边界与新区界不能无缝拼接.*街道 有 [0-9,]+ m²，最宽 [0-9.,]+ m 超出区界"
    ):
        adopt(folder / "官方区界.shp", as_layer="district", out=out, when=DAY)
    assert out.read_bytes() == before
    # the other order: the notched district first, then the 街道 are checked against it
    other = tmp_path / "other.gpkg"
    adopt(folder / "官方区界.shp", as_layer="district", out=other, when=DAY)
    with pytest.raises(AdoptError, match=r"街道边界不能无缝拼接.*超出区界"):
        adopt(folder / "官方街道.shp", as_layer="jiedao", out=other, crs="EPSG:4550", when=DAY)


def test_check_fails_on_a_gap_that_opens_onto_the_outline(official: tuple[Path, dict], data_copy: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    from hepinggis.io.adopt import _reproject

    gap = pyogrio.read_dataframe(folder / "街道缝隙.shp", encoding="gbk")
    wgs, _ = _reproject(folder / "街道缝隙.shp", list(gap["名称"]), gap.geometry)  # as adopt stores it
    gap = gpd.GeoDataFrame(gap.drop(columns="geometry"), geometry=wgs.values, crs=4326)
    jiedao = hepinggis.load("jiedao")
    jiedao["geometry"] = list(gap.geometry)  # same order as the bundled ids
    path = data_copy / "jiedao.geojson"
    options = {"RFC7946": "YES", "COORDINATE_PRECISION": 15}  # full precision, as a GeoPackage keeps it
    jiedao.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options=options)
    report = hepinggis.check(data_copy)
    assert not report.ok
    faults = report.tiling[report.tiling["fault"].astype(bool) & (report.tiling["layer"] == "jiedao")]
    assert len(faults) == 1 and faults["kind"].iloc[0] == "gap"
    assert {"马路湾街道", "南湖街道"} <= set(faults["features"].iloc[0].split("、"))
    # the gap's area, computed independently: district minus the union of the 街道, in EPSG:4550
    district = hepinggis.load("district").to_crs(MEASURE_CRS).geometry.iloc[0]
    expected = district.difference(shapely.union_all(gap.to_crs(MEASURE_CRS).geometry.values)).area
    assert faults["area_m2"].iloc[0] == pytest.approx(expected, rel=1e-3)
    assert "RESULT: FAILED" in report.to_text()


def test_partial_adoption_is_stated(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    out = tmp_path / "layers.gpkg"
    adopt(folder / "官方街道.shp", as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY)
    report = hepinggis.check(out)
    sources = report.layers.set_index("layer")["source"]
    assert sources["jiedao"] == "采用：官方街道.shp，2026-12-01" and sources["zones"] == "随包"
    assert report.layers.set_index("layer").loc["jiedao", "file"] == "layers.gpkg"
    # IoU of each zone with its official 街道, computed independently in EPSG:4550
    official_j = hepinggis.load("jiedao", boundaries=out).to_crs(MEASURE_CRS).set_index("id").geometry
    low = []
    for z in ZONES.to_crs(MEASURE_CRS).itertuples():
        union = shapely.union_all([official_j[i] for i in z.jiedao_ids.split(",")])
        iou = z.geometry.intersection(union).area / z.geometry.union(union).area
        if iou < 0.98:
            low.append(z.name_zh)
    assert low, "the moved edges must make at least one zone disagree with its 街道"
    warned = [w for w in report.warnings if "IoU" in w]
    assert sorted(w.split(" ")[0] for w in warned) == sorted(low)
    # projects whose official 街道 belongs to another zone: the comparison tables, checked by a join
    from hepinggis.io._synthetic import synthetic_projects
    from hepinggis.plan._compare import compare_boundaries

    projects = synthetic_projects(470, seed=5)
    projects["id"] = [f"p{i}" for i in range(len(projects))]
    with hepinggis.use_boundaries(out):
        tables = compare_boundaries(projects)
    zone_of_j = {j: z.id for z in ZONES.itertuples() for j in z.jiedao_ids.split(",")}
    pts = projects[["id", "geometry"]]
    in_zone = gpd.sjoin(pts, ZONES[["id", "geometry"]].rename(columns={"id": "zone"}), predicate="within")
    jiedao = hepinggis.load("jiedao", boundaries=out)[["id", "geometry"]].rename(columns={"id": "jd"})
    in_j = gpd.sjoin(pts, jiedao, predicate="within")
    both = in_zone[["id", "zone"]].merge(in_j[["id", "jd"]], on="id")
    expected = sorted(both.loc[both["jd"].map(zone_of_j) != both["zone"], "id"])
    assert expected, "some projects must lie in a moved strip"
    assert sorted(tables["projects_other_zone_jiedao"]["id"]) == expected
    assert "官方街道.shp" in " ".join(tables["layer_sources"]["source"])


def test_the_qgis_loop_keeps_the_original_file(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    out = tmp_path / "layers.gpkg"
    adopt(folder / "官方街道.shp", as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY)
    export = tmp_path / "heping.gpkg"
    with hepinggis.use_boundaries(out):
        hepinggis.export(export)
    # the officer edits the 街道 in QGIS: the shared edge 马路湾/南湖 put back where the plan has it
    edited = gpd.read_file(export, layer="jiedao", engine="pyogrio")
    edited["geometry"] = list(hepinggis.load("jiedao").geometry)
    pyogrio.write_dataframe(edited, export, layer="jiedao", driver="GPKG")
    again = adopt(export, as_layer="jiedao", out=tmp_path / "again.gpkg", when=dt.date(2026, 12, 5))
    assert set(again["adopted_from"]) == {"官方街道.shp"}  # the original file, not heping.gpkg
    assert all("2026-12-01 采用" in s and "heping.gpkg" in s for s in again["source"])
    assert all(a.equals_exact(b, 1e-9) for a, b in zip(again.geometry, edited.geometry, strict=True))


def test_adopted_layers_through_exports_legends_and_the_qgz(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    from hepinggis.base._credits import boundaries_credit, boundary_label
    from hepinggis.base._qgis import write_qgis_project

    folder, _ = official
    out = tmp_path / "layers.gpkg"
    adopt(folder / "官方街道.shp", as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY, accuracy_m=0.5)
    old = os.umask(0o022)
    try:
        with hepinggis.use_boundaries(out):
            shp = hepinggis.export(tmp_path / "shp", fmt="shp", encoding="GBK")
            label = boundary_label("jiedao", "街道界（示意）")
            qgz = write_qgis_project(tmp_path / "p.qgz", out, ["jiedao", "zones"])
            credit = boundaries_credit()
    finally:
        os.umask(old)
    assert (shp.stat().st_mode & 0o777) == 0o755  # the user's usual permissions, not 0700
    back = pyogrio.read_dataframe(shp / "jiedao.shp")
    assert set(back["adopt_from"]) == {"官方街道.shp"} and set(back["adopt_on"]) == {"2026-12-01"}
    assert label == "街道界（采用：官方街道.shp，2026-12-01；精度 ±0.5 m）"
    import zipfile

    with zipfile.ZipFile(qgz) as z:
        text = z.read(z.namelist()[0]).decode("utf-8")
    assert "街道界（采用：官方街道.shp，2026-12-01；精度 ±0.5 m）" in text and "六区" in text
    assert credit.startswith("边界：街道边界：官方街道.shp，2026-12-01 采用")
    assert boundary_label("jiedao", "街道界（示意）") == "街道界（示意）"  # outside: bundled again


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # this checkout's package, wherever the command runs
    return subprocess.run([sys.executable, "-m", "hepinggis", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_cli_names_the_option_and_reports_repairs(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    done = _cli("adopt", str(folder / "功能区自接触.shp"), "--as", "zones", "--out", "l.gpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "数值自接触" in done.stdout and "面积变化" in done.stdout
    done = _cli("adopt", str(folder / "官方街道.shp"), "--as", "jiedao", "--out", "l.gpkg", cwd=tmp_path)
    assert done.returncode == 1 and "--crs EPSG:4550" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = _cli(
        "adopt", str(folder / "官方区界.shp"), "--as", "district", "--out", "d.gpkg", cwd=tmp_path
    )  # one feature: no --name-col
    assert done.returncode == 0, done.stderr


def test_monitoring_credits_the_adopted_boundaries(official: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = official
    out = tmp_path / "layers.gpkg"
    adopt(folder / "官方街道.shp", as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY)
    example = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"
    done = _cli("monitor", str(example), "--out", "m", "--boundaries", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdfs = sorted((tmp_path / "m").glob("*.pdf"))
    assert len(pdfs) == 7
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "官方街道.shp" in text.replace("\n", ""), pdf.name
    book = openpyxl.load_workbook(tmp_path / "m" / "monitoring.xlsx")
    cells = [str(c) for row in book["数据覆盖"].iter_rows(values_only=True) for c in row]
    assert any("街道边界：官方街道.shp，2026-12-01 采用" in c for c in cells)


def test_hostile_file_names_are_escaped_where_they_are_credited(
    official: tuple[Path, dict],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    import json
    import shutil
    import zipfile

    import folium

    from hepinggis.base._qgis import write_qgis_project
    from hepinggis.maps._leaflet import esc
    from hepinggis.maps._map_layers import jiedao_layer

    folder, _ = official
    corpus = json.loads((REPO / "tests" / "data" / "hostile.json").read_text(encoding="utf-8"))["corpus"]
    texts = [c["text"] for c in corpus if "/" not in c["text"] and "\x00" not in c["text"] and len(c["text"]) < 80]
    picked = [t for t in texts if "<" in t or "&" in t or "{{" in t][:3]
    assert picked
    for k, text in enumerate(picked):
        stem = tmp_path / text
        for suffix in (".shp", ".shx", ".dbf"):
            shutil.copyfile(folder / f"官方街道{suffix}", Path(f"{stem}{suffix}"))
        out = tmp_path / f"l{k}.gpkg"
        adopt(Path(f"{stem}.shp"), as_layer="jiedao", out=out, crs="EPSG:4550", when=DAY)
        with hepinggis.use_boundaries(out):
            legend = "".join(jiedao_layer(folium.Map(), False))
            qgz = write_qgis_project(tmp_path / f"p{k}.qgz", out, ["jiedao"])
        label = f"街道界（采用：{text}.shp，2026-12-01；精度 ±1 m）"
        assert esc(label) in legend and "<img" not in legend and "<svg" not in legend
        with zipfile.ZipFile(qgz) as z:
            xml = z.read(z.namelist()[0]).decode("utf-8")
        import xml.etree.ElementTree as ET

        names = [e.get("name") for e in ET.fromstring(xml.split("\n", 1)[1]).iter("layer-tree-layer")]
        assert names == [label]  # parsed back exactly: escaped in the XML


@pytest.mark.parametrize(("file", "gaps"), [("街道缝隙.shp", 1), ("官方街道.shp", 0)])
def test_a_gap_is_found_where_the_outline_differs_too(
    official: tuple[Path, dict],  # type: ignore[type-arg]
    file: str,
    gaps: int,
) -> None:
    """An official outline 10 m inside the bundled one (±30 m): the strip along it is a difference of
    outlines, listed only; the 5 m gap between 马路湾 and 南湖 that runs into it is still a gap."""
    from hepinggis.plan._tiling import tiling_issues

    folder, _ = official
    frame = pyogrio.read_dataframe(folder / file, encoding="gbk").set_crs(4550, allow_override=True)
    frame["name_zh"] = frame["名称"]
    inner = hepinggis.load("district").to_crs(4550).geometry.iloc[0].buffer(-10)
    frame["geometry"] = [g.intersection(inner) for g in frame.geometry]
    issues = tiling_issues(frame, hepinggis.load("district"), authoritative=False)
    faults = [t for t in issues if t.fault]
    assert len(faults) == gaps and all(t.kind == "gap" for t in faults)
    if gaps:
        assert {"馬路灣街道", "南湖"} <= set(faults[0].features) and faults[0].area_m2 > 5 * 3_000
    assert any(t.kind == "outline_difference" and not t.fault for t in issues)
