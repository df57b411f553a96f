"""Exports: every layer through every format and back, Chinese intact; atomic replacement."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

import hepinggis
from hepinggis.base._catalogue import catalogue
from hepinggis.cli import main
from hepinggis.errors import ExportError
from hepinggis.io.exchange import _pieces, export, read_export, shapefile_fields

LAYERS = list(catalogue())
CASES = [
    ("gpkg", "h.gpkg", {}),
    ("shp", "shp_gbk", {"encoding": "GBK"}),
    ("shp", "shp_utf8", {}),
    ("geojson", "gj", {}),
    ("kml", "kml", {}),
    ("xlsx", "h.xlsx", {}),
    ("gpkg", "h4550.gpkg", {"to_crs": "EPSG:4550"}),
    ("shp", "shp4529", {"to_crs": "EPSG:4529", "encoding": "GBK"}),
]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("exports")
    return {dest: export(root / dest, fmt=fmt, **kw) for fmt, dest, kw in CASES}  # type: ignore[arg-type]


@pytest.mark.parametrize(("fmt", "dest", "kw"), CASES, ids=[c[1] for c in CASES])
@pytest.mark.parametrize("layer", LAYERS)
def test_round_trip(exports: dict[str, Path], fmt: str, dest: str, kw: dict, layer: str) -> None:  # type: ignore[type-arg]
    original = hepinggis.load(layer)
    back = read_export(exports[dest], layer).set_index("id").loc[list(original["id"])]
    assert len(back) == len(original)
    for field in catalogue()[layer].field_names:
        if field == "id":
            continue
        for a, b in zip(original[field], back[field], strict=True):
            if pd.isna(a):
                assert pd.isna(b), (layer, field, a, b)
            else:
                assert a == b or (isinstance(a, float) and np.isclose(a, float(b))), (layer, field, a, b)
    if fmt == "xlsx":
        return
    crs = kw.get("to_crs", "EPSG:4326")
    tol = 1e-6 if crs == "EPSG:4326" else 0.05
    for a, b in zip(original.to_crs(crs).geometry, back.to_crs(crs).geometry, strict=True):
        assert shapely.hausdorff_distance(a, b) <= tol


def test_reprojected_exports_carry_their_crs(exports: dict[str, Path]) -> None:
    import geopandas as gpd

    assert gpd.read_file(exports["h4550.gpkg"], layer="zones").crs.to_epsg() == 4550
    frame = gpd.read_file(exports["shp4529"] / "zones.shp")
    assert frame.crs.to_epsg() == 4529 and frame.geometry.iloc[0].bounds[0] > 41_000_000


def test_shapefile_names_fit_and_long_text_continues(exports: dict[str, Path]) -> None:
    import geopandas as gpd

    assert all(len(v) <= 10 for v in shapefile_fields().values())
    raw = gpd.read_file(exports["shp_gbk"] / "zones.shp")
    assert all(len(c) <= 10 for c in raw.columns)
    assert any(c.startswith("posit_zh") and c[-1].isdigit() for c in raw.columns)  # 定位 text is > 254 bytes
    assert (exports["shp_gbk"] / "zones.cpg").read_text().strip().upper() == "GBK"
    assert (exports["shp_gbk"] / "zones.dbf").read_bytes().find("北市场".encode("gbk")) > 0


def test_pieces_never_cut_next_to_blanks() -> None:
    text = "Smooth line from the outline point where the river enters " * 12 + "和平区 浑河 " * 60
    parts = _pieces(text, "gbk")
    assert "".join(parts) == text and len(parts) > 3
    assert all(len(p.encode("gbk")) <= 254 and p == p.strip() for p in parts[:-1])
    with pytest.raises(ExportError, match="without losing blanks"):
        _pieces("a " * 300, "gbk")


def test_geojson_and_kml_refuse_projected_output(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="WGS 84 by definition"):
        export(tmp_path / "x", fmt="geojson", to_crs="EPSG:4550")


def test_crs_is_a_deprecated_alias_of_to_crs(tmp_path: Path) -> None:
    """``crs`` means an input's CRS everywhere; the old ``export(crs=…)`` still works, with a warning."""
    with pytest.warns(FutureWarning, match="to_crs"):
        out = export(tmp_path / "z.gpkg", names=["zones"], crs="EPSG:4550")
    assert read_export(out, "zones").crs.to_epsg() == 4550
    with pytest.warns(FutureWarning), pytest.raises(ExportError, match="WGS 84 by definition"):
        export(tmp_path / "x", fmt="geojson", crs="EPSG:4550")


def test_text_that_does_not_fit_the_encoding_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zones = hepinggis.load("zones")
    zones.loc[0, "name_en"] = "Beishichang \U0001f600"
    monkeypatch.setattr("hepinggis.io.exchange.load", lambda name: zones)
    with pytest.raises(ExportError, match=r"feature 'beishichang' field 'name_en'.*GBK"):
        export(tmp_path / "s", fmt="shp", names=["zones"], encoding="GBK")


def test_failed_export_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = export(tmp_path / "h.gpkg", names=["zones"])
    before = dest.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise ExportError("simulated read-back mismatch")

    monkeypatch.setattr("hepinggis.io.exchange.verify", broken)
    with pytest.raises(ExportError, match="simulated"):
        export(dest, names=["zones", "jiedao"])
    assert dest.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["h.gpkg"]  # no temporary file left behind


def test_export_killed_midway_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    """The kill lands mid-write for certain: the exporting process stops itself after writing the
    first layer into its temporary GeoPackage (it signals, then waits to be killed)."""
    dest = export(tmp_path / "h.gpkg", names=["zones"])
    before = dest.read_bytes()
    ready = tmp_path / "one-layer-written"
    script = f"""
import pathlib, time
import geopandas as gpd
import hepinggis.io.exchange as e
to_file, calls = gpd.GeoDataFrame.to_file, []
def stalled(self, path, *args, **kwargs):
    if calls:  # the first layer is in the temporary file; now wait here to be killed
        pathlib.Path({str(ready)!r} + ".part").write_text(str(path))
        pathlib.Path({str(ready)!r} + ".part").replace({str(ready)!r})  # seen whole or not at all
        time.sleep(120)
    calls.append(path)
    return to_file(self, path, *args, **kwargs)
gpd.GeoDataFrame.to_file = stalled
e.export({str(dest)!r}, fmt="gpkg")
"""
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 120
        # the file exists before its text is written: wait for the text (a loaded machine read it empty)
        while time.time() < deadline and not (ready.exists() and ready.read_text()) and proc.poll() is None:
            time.sleep(0.02)
        assert ready.exists() and ready.read_text(), "the export never reached its second layer"
        temporary = Path(ready.read_text())
        assert temporary.is_file() and temporary.parent == tmp_path and temporary != dest  # mid-write
    finally:
        proc.kill()
        proc.wait()
    assert dest.read_bytes() == before  # the kill fell mid-write: the old file, untouched
    assert len(read_export(dest, "zones")) == 6


def test_cli_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "out"), "--format", "shp", "--encoding", "GBK", "--layer", "zones"]) == 0
    assert (tmp_path / "out" / "zones.shp").is_file()
    assert "verified" in capsys.readouterr().out
