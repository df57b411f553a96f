"""``hepinggis check``: hard failures, topology, and digitized vs planned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import mapping, shape

import hepinggis
from hepinggis.cli import main
from hepinggis.plan.check import PLAN_TOLERANCE_PCT


@pytest.fixture(scope="module")
def report() -> hepinggis.CheckReport:
    return hepinggis.check()


def test_bundled_layers_pass(report: hepinggis.CheckReport) -> None:
    assert report.ok, report.to_text()
    assert report.problems.empty
    assert (report.layers["problems"] == 0).all()


def test_zones_and_jiedao_tile_the_district(report: hepinggis.CheckReport) -> None:
    topo = report.topology.set_index("layer")
    for layer in ("zones", "jiedao"):
        assert topo.loc[layer, "gap_pct"] < 0.5
        assert topo.loc[layer, "overlap_pct"] < 0.5
        assert topo.loc[layer, "union_km2"] == pytest.approx(topo.loc[layer, "district_km2"], rel=0.005)


def test_zone_areas_are_in_line_or_explained(report: hepinggis.CheckReport) -> None:
    table = report.zone_areas.set_index("id")
    assert len(table) == 6
    assert table["geodesic_km2"].sum() == pytest.approx(60.0, abs=0.1)
    # the two measures agree (EPSG:4550 is conformal and near its central meridian here)
    assert (abs(table["geodesic_km2"] - table["epsg4550_km2"]) / table["geodesic_km2"] < 1e-3).all()
    for zone_id, row in table.iterrows():
        if abs(row["diff_pct"]) > PLAN_TOLERANCE_PCT:
            assert not row["in_line"]
            assert "reference outline" in row["explanation"], zone_id
        else:
            assert row["in_line"] and row["explanation"] == ""


def test_lengths_cover_axes_segments_belt_and_banks(report: hepinggis.CheckReport) -> None:
    table = report.lengths.set_index("id")
    for key in ("nanjingjie_axis", "sanhaojie_axis", "hunhe_belt", "hunhe_belt_south_bank", "hunhe_belt_north_bank"):
        assert table.loc[key, "planned_km"] > 0
        assert abs(table.loc[key, "diff_pct"]) <= PLAN_TOLERANCE_PCT, key
    segments = table[table["kind"] == "segment"]
    assert len(segments) == 6
    # the segments of the 南京街 axis add up to the axis
    nanjing = ["nanjing_beijie_finance", "nanjing_nanjie_commerce", "nanjing_nanjie_industry"]
    assert table.loc[nanjing, "geodesic_km"].sum() == pytest.approx(
        table.loc["nanjingjie_axis", "geodesic_km"], rel=1e-3
    )


def test_zone_jiedao_agreement_is_reported(report: hepinggis.CheckReport) -> None:
    table = report.zone_jiedao.set_index("zone")
    assert len(table) == 6 and (table["missing_jiedao"] == "").all()
    assert (table["iou"] > 0.99).all()


def test_overlap_fails_the_check(data_copy: Path) -> None:
    path = data_copy / "zones.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    # 北市场 grows over all of 南市场 (a valid polygon): 7+ km² counted twice
    grown = shape(data["features"][0]["geometry"]).union(shape(data["features"][1]["geometry"]))
    data["features"][0]["geometry"] = mapping(grown)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = hepinggis.check(data_copy)
    assert report.problems.empty
    zones = report.topology.set_index("layer").loc["zones"]
    assert zones["overlap_pct"] > 10 and not zones["ok"]
    assert not report.ok
    assert main(["check", str(data_copy)]) == 1


def test_schema_problem_fails_the_check_and_is_named(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_copy / "axes.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["features"][0]["properties"]["plan_section"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(data_copy)]) == 1
    out = capsys.readouterr().out
    assert "feature 'nanjingjie_axis', field 'plan_section'" in out and "RESULT: FAILED" in out


def test_cli_check_prints_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    for title in ("Topology", "digitized vs planned area", "digitized vs planned length", "Zone ↔ 街道", "RESULT: OK"):
        assert title in out


def test_check_a_geopackage_of_replacement_layers(tmp_path: Path) -> None:
    gpkg = hepinggis.export(tmp_path / "bureau.gpkg")
    assert hepinggis.check(gpkg).ok
    assert main(["check", str(gpkg)]) == 0
