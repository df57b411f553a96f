"""The GeoPackage export and the QGIS project open styled in QGIS itself (Debian's python3-qgis, run
headless with QT_QPA_PLATFORM=offscreen). Where QGIS is not installed the test says so and skips;
`.ci/run` installs it, so CI always runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import hepinggis
from hepinggis.base._qgis import LAYER_ORDER
from hepinggis.base._style import ZONE_COLORS
from hepinggis.cli import main

QGIS_PYTHON = os.environ.get("HEPINGGIS_QGIS_PYTHON", "/usr/bin/python3")

SCRIPT = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsProject, QgsVectorLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
gpkg, qgz = sys.argv[1], sys.argv[2]
out = {}
zones = QgsVectorLayer(gpkg + "|layername=zones", "zones", "ogr")
r = zones.renderer()
out["valid"] = zones.isValid()
out["renderer"] = r.type()
categorized = r.type() == "categorizedSymbol"
out["colours"] = {c.value(): c.symbol().color().name() for c in r.categories()} if categorized else {}
out["labels"] = zones.labelsEnabled() and zones.labeling().settings().fieldName
project = QgsProject.instance()
out["read"] = project.read(qgz)
found = project.layerTreeRoot().findLayers()
out["order"] = [n.layer().source().split("layername=")[-1] for n in found]
out["names"] = [n.name() for n in found]
out["all_valid"] = all(n.layer().isValid() for n in found)
out["project_zone_renderer"] = [n.layer().renderer().type() for n in found if n.layer().source().endswith("=zones")]
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # QgsApplication.exitQgis() crashes when run headless from a script
"""


def _qgis() -> str:
    ok = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode == 0
    if not ok:
        if os.environ.get("CI"):
            pytest.fail("CI must have QGIS (python3-qgis): .ci/run installs it")
        pytest.skip(f"QGIS is not installed for {QGIS_PYTHON} (apt-get install python3-qgis qgis-providers)")
    return QGIS_PYTHON


def test_qgis_opens_the_export_styled_and_the_project_in_order(tmp_path: Path) -> None:
    python = _qgis()
    gpkg, qgz = tmp_path / "heping.gpkg", tmp_path / "heping.qgz"
    assert main(["export", str(gpkg), "--qgis-project", str(qgz)]) == 0
    run = subprocess.run([python, "-c", SCRIPT, str(gpkg), str(qgz)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["valid"] and got["renderer"] == "categorizedSymbol"
    assert got["colours"] == {z: c.lower() for z, c in ZONE_COLORS.items()}  # the web maps' colours
    assert got["labels"] == "name_zh"
    assert got["read"] and got["all_valid"]
    assert got["order"] == LAYER_ORDER  # projects on top, district at the bottom
    assert "六区" in got["names"] and got["project_zone_renderer"] == ["categorizedSymbol"]


def test_layer_styles_table_is_written_without_qgis(tmp_path: Path) -> None:
    import sqlite3

    gpkg = hepinggis.export(tmp_path / "x.gpkg", names=["zones", "projects"])
    rows = sqlite3.connect(gpkg).execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
    assert {r[0] for r in rows} == {"zones", "projects"} and all(r[1] == 1 for r in rows)
    zones_qml = next(r[2] for r in rows if r[0] == "zones")
    for colour in ZONE_COLORS.values():
        rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
        assert rgb in zones_qml
    assert hepinggis.read_export(gpkg, "zones")["id"].tolist() == hepinggis.load("zones")["id"].tolist()
