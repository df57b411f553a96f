"""Issue 35 beyond one file at a time: a refusal never changes what is in force (byte for byte,
history included); after adoption the areas and the per-zone/per-街道 counts of a 2,000-point
register equal an independent geopandas computation; each adoption is a version (file, SHA-256,
who, when, what changed) that can be rolled back, also from the command line; and what the 边界
page shows before adopting (layers, columns decoded, CRS proposed with the 街道 the features land
in, each feature's match) names the page's controls, never flags or server paths."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from _cli import cli_in_process

import hepinggis
from hepinggis.base.measure import MEASURE_CRS, geodesic_area
from hepinggis.errors import AdoptError
from hepinggis.io._adopt_history import history_dir, rollback, versions
from hepinggis.io.adopt import adopt, inspect_delivery

REPO = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_official_layers_d", REPO / "tools" / "make_official_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    folder = tmp_path_factory.mktemp("deliveries")
    return folder, {c.name: c for c in _tool().build_all(folder)}


def _state(out: Path) -> dict[str, bytes]:
    files = [out, *sorted(history_dir(out).glob("*"))] if out.exists() else []
    return {f.name: f.read_bytes() for f in files}


def test_a_refusal_never_changes_what_is_in_force(corpus: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, cases = corpus
    out = tmp_path / "layers.gpkg"
    adopt(folder / "区界XZQMC.shp", as_layer="district", out=out, who="测试")
    adopt(folder / "街道偏移5cm.shp", as_layer="jiedao", out=out, who="测试")
    before = _state(out)
    assert len(before) == 4  # the GeoPackage, two versions, the history
    refused = [c for c in cases.values() if not c.ok and not c.first]
    assert len(refused) >= 10
    for case in refused:
        with pytest.raises(AdoptError):
            adopt(folder / case.file, as_layer=case.as_layer, out=out, **case.options)
        assert _state(out) == before, case.name
    with pytest.raises(AdoptError):
        adopt(folder / "街道偏移3m.shp", as_layer="jiedao", out=out)
    assert _state(out) == before


def test_areas_and_counts_equal_an_independent_computation(corpus: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = corpus
    out = tmp_path / "layers.gpkg"
    adopt(folder / "区界XZQMC.shp", as_layer="district", out=out)
    adopt(folder / "街道偏移5cm.shp", as_layer="jiedao", out=out)  # snapped to the district
    adopt(folder / "功能区GNQMC.zip", as_layer="zones", out=out)
    district = pyogrio.read_dataframe(out, layer="district")
    rng = np.random.default_rng(35)
    minx, miny, maxx, maxy = district.total_bounds
    pts = []
    while len(pts) < 2000:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if district.geometry.iloc[0].contains(shapely.Point(x, y)) or len(pts) % 10 == 9:
            pts.append((x, y))  # mostly inside, one in ten anywhere in the box (some outside)
    projects = gpd.GeoDataFrame(
        {"id": [f"p{k}" for k in range(len(pts))], "name_zh": [f"项目{k}" for k in range(len(pts))]},
        geometry=gpd.points_from_xy(*zip(*pts, strict=True)),
        crs=4326,
    )
    for layer, fn in (("jiedao", hepinggis.projects_by_jiedao), ("zones", None)):
        polys = pyogrio.read_dataframe(out, layer=layer)[["id", "name_zh", "geometry"]]
        joined = gpd.sjoin(projects, polys, predicate="within")
        expected = joined.groupby("id_right").size()
        with hepinggis.use_boundaries(out):
            got_frame = (
                fn(projects) if fn is not None else hepinggis.projects_by_zone(projects, hepinggis.load("zones"))
            )
        got = got_frame["projects"]  # indexed by the zone's or the 街道's id
        for fid, n in expected.items():
            assert int(got.get(fid, 0)) == int(n), (layer, fid)
        assert int(got.reindex(polys["id"]).fillna(0).sum()) == int(expected.sum())
        # areas: ellipsoid and EPSG:4550 agree to 0.01 %, and the enclave is not counted
        with hepinggis.use_boundaries(out):
            loaded = hepinggis.load(layer)
        planar = loaded.to_crs(MEASURE_CRS).area.to_numpy() / 1e6
        assert np.allclose(geodesic_area(loaded).to_numpy(), planar, rtol=1e-4)
    # the snapped 街道 tile the adopted district: their areas add up to it within 1e-7 (6 m² of
    # 60 km²: slivers under 0.01 m² are left, and edges are chords in EPSG:4326, not in 4550)
    total = float(pyogrio.read_dataframe(out, layer="jiedao").to_crs(MEASURE_CRS).area.sum())
    whole = float(district.to_crs(MEASURE_CRS).area.sum())
    assert abs(whole - total) < 1e-7 * whole


def test_each_adoption_is_a_version_and_rolls_back(corpus: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = corpus
    out = tmp_path / "layers.gpkg"
    adopt(folder / "区界XZQMC.shp", as_layer="district", out=out, who="王工")
    first = pyogrio.read_dataframe(out, layer="district")
    adopt(folder / "区界飞地.shp", as_layer="district", out=out, who="李工")
    items = versions(out)
    assert [v["n"] for v in items] == [1, 2] and [v["who"] for v in items] == ["王工", "李工"]
    assert items[1]["file"] == "区界飞地.shp"
    assert items[1]["sha256"] == hashlib.sha256((folder / "区界飞地.shp").read_bytes()).hexdigest()
    assert "区界" in items[1]["changes"][0] and "上一版" in items[1]["changes"][0]
    entry = rollback(out, 1, who="王工")
    assert entry["n"] == 3 and entry["action"] == "rollback"
    back = pyogrio.read_dataframe(out, layer="district")
    assert back.geometry.iloc[0].equals(first.geometry.iloc[0])
    with pytest.raises(AdoptError, match=r"没有第 9 版（现有版本：1、2、3）") as refused:
        rollback(out, 9)
    assert "「版本记录」" in refused.value.page_text and "--" not in refused.value.page_text  # the 边界 page's words
    cmd = ["adopt", "--out", str(out)]
    shown = cli_in_process(*cmd, "--history")
    assert shown.returncode == 0, shown.stderr
    assert "第 3 版（当前）" in shown.stdout and "回退到第 1 版" in shown.stdout and items[1]["sha256"] in shown.stdout
    done = cli_in_process(*cmd, "--rollback", "2")
    assert done.returncode == 0, done.stderr
    assert "第 4 版" in done.stdout
    assert pyogrio.read_dataframe(out, layer="district").geometry.iloc[0].area < first.geometry.iloc[0].area
    bad = cli_in_process(*cmd, "--rollback", "7")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "没有第 7 版" in bad.stderr


def _page_words(text: str | None, tmp: Path) -> None:
    assert text is not None
    assert "--" not in text and "/tmp" not in text and str(tmp) not in text, text


def test_the_page_is_shown_every_option(corpus: tuple[Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    folder, _ = corpus
    two = inspect_delivery(folder / "边界_两个.zip", as_layer="jiedao")
    assert two["layers"] == ["边界/功能区.shp", "边界/街道.shp"] and "「图层」" in two["problem"]
    _page_words(two["problem"], folder)
    chosen = inspect_delivery(folder / "边界_两个.zip", as_layer="jiedao", layer="边界/街道.shp")
    assert chosen["problem"] is None and chosen["encoding"]["label"] == "GBK"
    names = next(c for c in chosen["columns"] if c["name"] == "名称")
    assert "沈阳市和平区北市场街道" in names["samples"] and "馬路灣街道" in names["samples"]
    assert [f["name_zh"] for f in chosen["features"]][:2] == ["北市场街道", "南市场街道"]
    switched = inspect_delivery(folder / "街道UTF8标注.shp", as_layer="jiedao", encoding="GB18030")
    assert switched["problem"] is None
    wrong = inspect_delivery(folder / "街道UTF8标注.shp", as_layer="jiedao", encoding="UTF-8")
    assert "「编码」" in wrong["problem"]
    _page_words(wrong["problem"], folder)
    noprj = inspect_delivery(folder / "官方街道.shp", as_layer="jiedao")
    proposed = noprj["crs"]["proposed"]
    assert proposed[0]["code"] == "EPSG:4550" and "北市场街道" in proposed[0]["lands_in"]
    assert "「坐标系」" in noprj["problem"] and len(noprj["features"]) == 10
    _page_words(noprj["problem"], folder)
    ok = inspect_delivery(folder / "官方街道.shp", as_layer="jiedao", crs="EPSG:4550")
    assert ok["problem"] is None and all(f["id"] for f in ok["features"])
    zone = inspect_delivery(folder / "街道功能区名.shp", as_layer="jiedao")
    bad = [f for f in zone["features"] if f["problem"]]
    assert [f["name"] for f in bad] == ["泛太原街商贸金融产业集聚区"] and "「作为」" in bad[0]["problem"]
    corrected = inspect_delivery(
        folder / "街道功能区名.shp", as_layer="jiedao", matches={"泛太原街商贸金融产业集聚区": "taiyuanjie"}
    )
    assert corrected["problem"] is None
    hostile = inspect_delivery(folder / "边界图.dwg", as_layer="jiedao")
    assert "导出为 Shapefile" in hostile["problem"]
    _page_words(hostile["problem"], folder)


def test_nothing_bundled_is_credited_where_an_adopted_layer_replaces_it(
    corpus: tuple[Path, dict],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    import xml.etree.ElementTree as ET
    import zipfile

    from hepinggis.base._credits import source_credit, sources_line
    from hepinggis.base._layer_source import boundary_credit
    from hepinggis.base._qgis import write_qgis_project
    from hepinggis.base._style import SOURCE_ZH

    folder, _ = corpus
    out = tmp_path / "layers.gpkg"
    adopt(folder / "区界XZQMC.shp", as_layer="district", out=out, when=None)
    adopt(folder / "街道偏移5cm.shp", as_layer="jiedao", out=out)
    assert "底图边界" in source_credit()  # bundled in use here
    with hepinggis.use_boundaries(out):
        assert "底图边界" not in source_credit() and "高德" not in sources_line()
        assert "区界XZQMC.shp" in sources_line() and "OpenStreetMap" in sources_line()
        qgz = write_qgis_project(tmp_path / "p.qgz", out, ["district", "jiedao", "boundary_lines", "zones"])
    with zipfile.ZipFile(qgz) as z:
        root = ET.fromstring(z.read(z.namelist()[0]).decode("utf-8").split("\n", 1)[1])
    tree = {e.get("id"): e for e in root.iter("layer-tree-layer")}
    assert tree["hepinggis_boundary_lines"].get("checked") == "Qt::Unchecked"
    assert "区界XZQMC.shp" in str(tree["hepinggis_district"].get("name"))
    assert "街道偏移5cm.shp" in str(tree["hepinggis_jiedao"].get("name"))
    assert tree["hepinggis_zones"].get("name") == "六区"  # still bundled
    # the QGIS loop: the adopted table edited and adopted again is credited as such
    edited = tmp_path / "街道_修改.gpkg"
    frame = pyogrio.read_dataframe(out, layer="jiedao")
    pyogrio.write_dataframe(frame, edited, layer="jiedao", driver="GPKG")
    adopt(edited, as_layer="jiedao", out=out)
    with hepinggis.use_boundaries(out):
        credit = boundary_credit()
    assert "街道偏移5cm.shp" in credit and "经 街道_修改.gpkg 修改后再次采用" in credit
    assert SOURCE_ZH.startswith("底图边界")
