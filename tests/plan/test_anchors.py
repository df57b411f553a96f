"""Anchors (geodata/src/anchors.json): their data, the residuals `hepinggis check` measures against
them, that a line drawn wrong fails the check, and the QGIS editing loop (digitize --lines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString

import hepinggis
from hepinggis._paths import data_dir
from hepinggis.base.coords import gcj02_to_wgs84
from hepinggis.cli import main
from hepinggis.errors import DigitizeError
from hepinggis.plan._digitize import digitize
from hepinggis.plan.anchors import anchor_facts, anchors, line_accuracy

DATA: dict[str, Any] = json.loads((data_dir() / "src" / "anchors.json").read_text(encoding="utf-8"))
ANCHORS = DATA["anchors"]


@pytest.mark.parametrize("anchor", ANCHORS, ids=[a["id"] for a in ANCHORS])
def test_anchor_record_is_complete_and_converted(anchor: dict[str, Any]) -> None:
    assert anchor["source"] in DATA["sources"] and DATA["sources"][anchor["source"]]["terms"]
    assert anchor["role"] in ("digitize", "holdout") and anchor["pins"] and anchor["what_zh"]
    x, y = anchor["published"]
    if anchor["datum"] == "GCJ-02":
        lon, lat = gcj02_to_wgs84(x, y)
        assert abs(float(lon) - anchor["lon"]) < 2e-7 and abs(float(lat) - anchor["lat"]) < 2e-7
        # GCJ-02 is ~580 m off in Shenyang: the stored point must be the converted one
        assert np.hypot((x - anchor["lon"]) * 83_000, (y - anchor["lat"]) * 111_000) > 400
    else:
        assert anchor["datum"] == "WGS 84" and [anchor["lon"], anchor["lat"]] == [x, y]


def test_anchor_ids_are_unique_and_crossings_name_anchors() -> None:
    ids = [a["id"] for a in ANCHORS]
    assert len(ids) == len(set(ids))
    for c in DATA["crossings"]:
        assert set(c["between"]) <= set(ids)


SEGMENT_STREET = {
    "sanhaojie_tech": "sanhao_jie",
    "changbai_beilu_hq": "changbai_beilu",
    "lingshiguan_lu_industry": "lingshiguan_lu",
}


def test_held_out_anchors_were_not_used_to_draw_the_lines() -> None:
    """A point held out for a line is no vertex of that line: its residual is a real measurement."""
    src = json.loads((data_dir() / "src" / "lines.json").read_text(encoding="utf-8"))
    vertices = {
        e["id"]: {(round(x, 5), round(y, 5)) for x, y in e.get("inner", [])}
        for e in src["boundary_lines"] + src["streets"]
    }
    held = 0
    for a in ANCHORS:
        for pin in a["pins"]:
            if "on" in pin and pin.get("role", a["role"]) == "holdout":
                line = SEGMENT_STREET.get(pin["on"], pin["on"])
                assert (round(a["lon"], 5), round(a["lat"], 5)) not in vertices[line], (a["id"], line)
                held += 1
    assert held >= 15


def _lines(folder: Path | None = None) -> gpd.GeoDataFrame:
    def get(name: str) -> gpd.GeoDataFrame:
        return gpd.read_file(folder / f"{name}.geojson") if folder else hepinggis.load(name)

    frame = pd.concat([get("boundary_lines"), get("axes")], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def test_every_tested_line_is_within_its_stated_accuracy() -> None:
    report = hepinggis.check()
    table = report.line_accuracy.set_index("line")
    assert report.ok and table["ok"].all()
    for line in ("hun_river_inner", "nanjing_jie", "qingnian_dajie", "shifu_dalu", "zhonghua_lu"):
        assert line in table.index
    held = table[table["n_holdout"] > 0]
    assert (held["max_holdout_m"] <= held["accuracy_m"]).all()
    assert table.loc["nanjing_jie", "n_holdout"] >= 8
    facts = report.anchor_facts
    assert (facts.loc[facts["fact"] == "side", "ok"] == True).sum() >= 10  # noqa: E712
    assert not (facts["ok"] == False).any()  # noqa: E712


def test_river_sides_are_facts_the_check_enforces(data_copy: Path, tmp_path: Path) -> None:
    """Put the river back where it was drawn before (through the midpoint of 南京桥 and 长白岛, both
    south of it): 南京桥 station ends up north of the line and the check fails."""
    path = data_copy / "src" / "lines.json"
    src = json.loads(path.read_text(encoding="utf-8"))
    for e in src["boundary_lines"]:
        if e["id"] == "hun_river_inner":
            e["inner"] = [[123.43964, 41.74595], [123.42, 41.7443], [123.39502, 41.74402], [123.36989, 41.74694]]
        if e["id"] == "ningbo_lu":  # it ran down to that river line
            e["inner"] = [[123.405, 41.7763], [123.405, 41.7435]]
    path.write_text(json.dumps(src, ensure_ascii=False), encoding="utf-8")
    digitize(data_copy, src_dir=data_copy / "src", outline_file=data_copy / "district.geojson")
    report = hepinggis.check(data_copy)
    assert not report.ok
    bad = report.anchor_facts[report.anchor_facts["ok"] == False]  # noqa: E712
    assert "l4_nanjingqiao" in set(bad["anchor"])
    assert "south of hun_river_inner" in set(bad["target"])


def test_a_residual_beyond_the_stated_accuracy_fails() -> None:
    lines = _lines()
    lines.loc[lines["id"] == "qingnian_dajie", "accuracy_m"] = 40.0  # its held-out stations stand 49–84 m off
    facts = anchor_facts(lines, hepinggis.load("zones"), hepinggis.load("district"))
    table = line_accuracy(facts, lines).set_index("line")
    assert not table.loc["qingnian_dajie", "ok"] and table.loc["nanjing_jie", "ok"]


def test_zones_tile_the_district_exactly() -> None:
    """The points where inner lines meet the outline are vertices of both: no slivers after rounding."""
    district = hepinggis.load("district").to_crs(hepinggis.MEASURE_CRS).geometry.iloc[0]
    for layer in ("zones", "jiedao"):
        union = shapely.union_all(hepinggis.load(layer).to_crs(hepinggis.MEASURE_CRS).geometry.values)
        assert district.symmetric_difference(union).area < 0.01, layer


def test_check_counts_sites_and_they_grew() -> None:
    sites = hepinggis.check().sites.set_index("location_method")
    assert sites.loc["(all sites)", "projects"] >= 6  # 3 before anchors placed 曹仲, 下河湾, 文化立交桥
    projects = hepinggis.load("projects").set_index("id")
    for pid in ("caozhong_area", "xiahewan_drinking_water", "culture_interchange_lighting"):
        assert projects.loc[pid, "location_method"] == "point" and "anchor" in projects.loc[pid, "source"]


def test_editing_a_line_in_qgis_moves_the_zones(data_copy: Path, tmp_path: Path) -> None:
    """Export → move one vertex of 南京南街 150 m west in the GeoPackage → digitize --lines: 南市场
    grows, 泛太原街 shrinks by the same area, the zones still tile the district, lines.json keeps it."""
    gpkg = tmp_path / "lines.gpkg"
    hepinggis.export(gpkg, names=["boundary_lines"])
    edited = gpd.read_file(gpkg, layer="boundary_lines")
    i = edited.index[edited["id"] == "nanjing_jie"][0]
    coords = list(edited.geometry[i].coords)
    k = min(range(len(coords)), key=lambda j: abs(coords[j][0] - 123.38568) + abs(coords[j][1] - 41.76457))
    coords[k] = (coords[k][0] - 0.0018, coords[k][1])
    edited.loc[i, "geometry"] = LineString(coords)
    edited.to_file(tmp_path / "edited.gpkg", layer="boundary_lines", engine="pyogrio")
    before = hepinggis.projected_area(gpd.read_file(data_copy / "zones.geojson").set_index("id"))
    argv = [
        "digitize",
        "--src",
        str(data_copy / "src"),
        "--out",
        str(data_copy),
        "--lines",
        str(tmp_path / "edited.gpkg"),
    ]
    assert main(argv) == 0
    after = hepinggis.projected_area(gpd.read_file(data_copy / "zones.geojson").set_index("id"))
    change = (after - before).round(3)
    assert change["nanshichang"] > 0.1 and change["taiyuanjie"] == -change["nanshichang"]
    assert (change.drop(["nanshichang", "taiyuanjie"]) == 0).all()
    report = hepinggis.check(data_copy)
    assert report.topology["ok"].all() and report.topology["gap_km2"].max() == 0
    saved = json.loads((data_copy / "src" / "lines.json").read_text(encoding="utf-8"))
    nanjing = next(e for e in saved["boundary_lines"] if e["id"] == "nanjing_jie")
    assert any(abs(x - (123.38568 - 0.0018)) < 1e-6 for x, _ in nanjing["inner"])


def _edited(lines: gpd.GeoDataFrame, line_id: str, change: Any, path: Path) -> Path:
    """A copy of the exported boundary lines with one line's geometry changed, saved as a GeoPackage."""
    edited = lines.copy()
    j = edited.index[edited["id"] == line_id][0]
    edited.loc[j, "geometry"] = change(edited.geometry[j])
    edited.to_file(path, layer="boundary_lines", engine="pyogrio")
    return path


def _rebuild(data: Path, lines_file: Path) -> None:
    digitize(data, src_dir=data / "src", outline_file=data / "district.geojson", lines_file=lines_file)


def test_editing_an_edge_line_or_disconnecting_one_is_refused(data_copy: Path, tmp_path: Path) -> None:
    gpkg = tmp_path / "lines.gpkg"
    hepinggis.export(gpkg, names=["boundary_lines"])
    lines = gpd.read_file(gpkg, layer="boundary_lines")
    moved = _edited(lines, "qingnian_dajie", lambda g: shapely.affinity.translate(g, xoff=0.002), tmp_path / "e.gpkg")
    with pytest.raises(DigitizeError, match="edge line 'qingnian_dajie' follows the district outline"):
        _rebuild(data_copy, moved)
    cut = lambda g: shapely.ops.substring(g, 0, 0.8, normalized=True)  # noqa: E731
    short = _edited(lines, "xinhua_hunhewan_divide", cut, tmp_path / "short.gpkg")
    before = (data_copy / "src" / "lines.json").read_bytes()
    with pytest.raises(DigitizeError, match="xinhua_hunhewan_divide"):
        _rebuild(data_copy, short)
    assert (data_copy / "src" / "lines.json").read_bytes() == before  # a failed edit changes nothing


def test_anchor_loader_is_a_layer() -> None:
    frame = anchors()
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(ANCHORS)
    assert set(frame["source"]) <= set(DATA["sources"])
