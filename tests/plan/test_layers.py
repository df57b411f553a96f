"""Loading the bundled layers, and the specific errors for broken files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import hepinggis
from hepinggis.base._catalogue import catalogue
from hepinggis.errors import (
    InvalidGeometryError,
    LayerCRSError,
    LayerFileError,
    LayerSchemaError,
    UnknownLayerError,
)
from hepinggis.plan.layers import read_layer_file

LAYERS = list(catalogue())


def test_layers_lists_every_catalogued_layer() -> None:
    listed = hepinggis.layers()
    assert list(listed.index) == LAYERS
    assert {"district", "zones", "jiedao", "axes", "belt", "sub_areas", "boundary_lines"} <= set(listed.index)


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_loads_valid_in_wgs84(name: str) -> None:
    frame = hepinggis.load(name)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) > 0
    assert frame.geometry.is_valid.all()
    assert frame["id"].is_unique
    for column in ("id", "name_zh", "name_en", "source", "method", "accuracy_m"):
        assert frame[column].notna().all(), column
    assert (frame["accuracy_m"] > 0).all()


@pytest.mark.parametrize("name", LAYERS)
def test_files_are_rfc7946_with_seven_decimals(name: str) -> None:
    text = hepinggis.layer_path(name).read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    decimals = [len(m) for m in re.findall(r"-?\d+\.(\d+)(?=[,\]])", text.split('"features"')[1])]
    assert decimals and max(decimals) <= 7
    assert text.count("\n") == len(data["features"]) + 2  # one feature per line


def test_zones_and_jiedao_have_the_plan_ids_in_order() -> None:
    zones = hepinggis.load("zones")
    assert list(zones["id"]) == ["beishichang", "nanshichang", "taiyuanjie", "sanhaojie", "changbaidao", "manrong"]
    jiedao = hepinggis.load("jiedao")
    assert len(jiedao) == 10
    assert set(jiedao["zone_id"]) == set(zones["id"])
    for zone in zones.itertuples():
        members = set(jiedao.loc[jiedao["zone_id"] == zone.id, "id"])
        assert members == set(zone.jiedao_ids.split(","))


def test_unknown_layer_names_the_choices() -> None:
    with pytest.raises(UnknownLayerError, match=r"unknown layer 'zone'.*zones"):
        hepinggis.load("zone")


def _write_zones(path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = json.loads(hepinggis.layer_path("zones").read_text(encoding="utf-8"))
    mutate(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "zones.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(LayerFileError, match=re.escape(str(bad))):
        read_layer_file(bad, catalogue()["zones"])


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(LayerFileError, match="does not exist"):
        read_layer_file(tmp_path / "nope.geojson", catalogue()["zones"])


def test_missing_field_names_field_row_and_feature(tmp_path: Path) -> None:
    def drop(data: dict) -> None:  # type: ignore[type-arg]
        del data["features"][2]["properties"]["planned_area_km2"]

    path = _write_zones(tmp_path / "zones.geojson", drop)
    with pytest.raises(LayerSchemaError, match=r"row 2, feature 'taiyuanjie', field 'planned_area_km2'"):
        read_layer_file(path, catalogue()["zones"])


def test_wrong_type_and_unknown_id_are_reported(tmp_path: Path) -> None:
    def spoil(data: dict) -> None:  # type: ignore[type-arg]
        data["features"][0]["properties"]["planned_area_km2"] = "2.6 km²"
        data["features"][5]["properties"]["id"] = "manrong2"

    path = _write_zones(tmp_path / "zones.geojson", spoil)
    with pytest.raises(LayerSchemaError) as info:
        read_layer_file(path, catalogue()["zones"])
    text = str(info.value)
    assert "'2.6 km²' is not of type float" in text
    assert "unexpected feature id 'manrong2'" in text and "feature 'manrong' is missing" in text


def test_invalid_polygon_names_the_feature_and_reason(tmp_path: Path) -> None:
    def bowtie(data: dict) -> None:  # type: ignore[type-arg]
        data["features"][3]["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[123.40, 41.75], [123.42, 41.77], [123.42, 41.75], [123.40, 41.77], [123.40, 41.75]]],
        }

    path = _write_zones(tmp_path / "zones.geojson", bowtie)
    with pytest.raises(InvalidGeometryError, match=r"row 3, feature 'sanhaojie'.*Self-intersection"):
        read_layer_file(path, catalogue()["zones"])


def test_wrong_crs_is_refused(tmp_path: Path) -> None:
    def projected(data: dict) -> None:  # type: ignore[type-arg]
        data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4550"}}

    path = _write_zones(tmp_path / "zones.geojson", projected)
    with pytest.raises(LayerCRSError, match=r"EPSG:4550.*EPSG:4326"):
        read_layer_file(path, catalogue()["zones"])


def test_wrong_geometry_type_is_refused(tmp_path: Path) -> None:
    def point(data: dict) -> None:  # type: ignore[type-arg]
        data["features"][1]["geometry"] = {"type": "Point", "coordinates": [123.41, 41.79]}

    path = _write_zones(tmp_path / "zones.geojson", point)
    with pytest.raises(InvalidGeometryError, match=r"feature 'nanshichang'.*Point is not one of"):
        read_layer_file(path, catalogue()["zones"])
