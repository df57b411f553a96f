"""The build step: rebuilding is byte-for-byte, and the partition follows the lines it is built from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest

import hepinggis
from hepinggis._paths import data_dir
from hepinggis.cli import main
from hepinggis.errors import DigitizeError
from hepinggis.plan._digitize import REFERENCE_OUTLINE, digitize

BUILT = ["district", "boundary_lines", "zones", "jiedao", "axes", "belt", "sub_areas", "projects"]


def _assert_same_bytes(built: dict[str, Path]) -> None:
    assert sorted(built) == sorted(BUILT)
    for name, path in built.items():
        committed = hepinggis.layer_path(name).read_bytes()
        assert path.read_bytes() == committed, f"{name}: rebuilt file differs from the committed one"


def test_rebuild_from_committed_outline_is_byte_identical(tmp_path: Path) -> None:
    shutil.copy(hepinggis.layer_path("district"), tmp_path / "district.geojson")
    built = digitize(tmp_path, src_dir=data_dir() / "src", outline_file=tmp_path / "district.geojson")
    _assert_same_bytes(built)


def test_rebuild_from_reference_outline_is_byte_identical(tmp_path: Path, reference_dir: Path) -> None:
    built = digitize(tmp_path, src_dir=data_dir() / "src", outline_file=reference_dir / REFERENCE_OUTLINE)
    _assert_same_bytes(built)


def test_cli_digitize_writes_every_layer(
    tmp_path: Path, reference_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digitize", "--out", str(tmp_path), "--reference", str(reference_dir)]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"zones.geojson", "jiedao.geojson", "belt.geojson"}
    assert "zones" in capsys.readouterr().out


def _edit_lines(data_copy: Path, line_id: str, fn) -> None:  # type: ignore[no-untyped-def]
    path = data_copy / "src" / "lines.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for line in data["boundary_lines"]:
        if line["id"] == line_id:
            fn(line)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_moving_one_line_moves_every_polygon_that_uses_it(data_copy: Path, tmp_path: Path) -> None:
    before = gpd.read_file(data_copy / "zones.geojson").set_index("id")

    def shift_east(line: dict) -> None:  # type: ignore[type-arg]
        line["inner"] = [[x + 0.004, y] for x, y in line["inner"]]

    _edit_lines(data_copy, "ningbo_lu", shift_east)
    _edit_lines(data_copy, "wenyi_lu", lambda line: line.update(inner=[line["inner"][0], [123.4085, 41.7758]]))
    out = tmp_path / "rebuilt"
    digitize(out, src_dir=data_copy / "src", outline_file=data_copy / "district.geojson")
    after = gpd.read_file(out / "zones.geojson").set_index("id")
    area_b = hepinggis.geodesic_area(before)
    area_a = hepinggis.geodesic_area(after)
    assert area_a["sanhaojie"] < area_b["sanhaojie"] - 0.5
    assert area_a["nanshichang"] > area_b["nanshichang"] + 0.5
    assert area_a.sum() == pytest.approx(area_b.sum(), rel=1e-9)
    assert area_a["manrong"] == pytest.approx(area_b["manrong"], rel=1e-9)
    jiedao = gpd.read_file(out / "jiedao.geojson").set_index("id")
    assert hepinggis.geodesic_area(jiedao)["nanhu"] == pytest.approx(area_a["sanhaojie"], rel=1e-9)


def test_a_face_without_label_is_an_error(data_copy: Path, tmp_path: Path) -> None:
    plan_path = data_copy / "src" / "plan.json"
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    for j in plan["jiedao"]:
        if j["id"] == "beishichang":  # two faces, either side of 南京北街
            j["labels"] = j["labels"][:1]
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DigitizeError, match="has no label point"):
        digitize(tmp_path, src_dir=data_copy / "src", outline_file=data_copy / "district.geojson")


def test_a_line_that_stops_short_is_an_error(data_copy: Path, tmp_path: Path) -> None:
    _edit_lines(data_copy, "ningbo_lu", lambda line: line.update(inner=[[123.405, 41.7763], [123.405, 41.7600]]))
    with pytest.raises(DigitizeError, match="'wenyi_lu' is a dangle"):
        digitize(tmp_path, src_dir=data_copy / "src", outline_file=data_copy / "district.geojson")


def test_sub_area_outside_its_zone_is_an_error(data_copy: Path, tmp_path: Path) -> None:
    path = data_copy / "src" / "sub_areas.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["placed"][2]["geometry"] = {"point": [123.35, 41.71]}  # a 泛太原街 sub-area put in 满融
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DigitizeError, match="falls outside its zone 'taiyuanjie'"):
        digitize(tmp_path, src_dir=data_copy / "src", outline_file=data_copy / "district.geojson")


def test_unplaced_sub_areas_are_listed_with_reasons() -> None:
    data = json.loads(hepinggis.layer_path("sub_areas").read_text(encoding="utf-8"))
    unplaced = data["metadata"]["unplaced"]
    assert unplaced and all(u["reason"] and u["zone_id"] for u in unplaced)
    placed = {f["properties"]["id"] for f in data["features"]}
    assert placed.isdisjoint(u["id"] for u in unplaced)
