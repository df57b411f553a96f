"""QGIS 3.22 itself (Debian's python3-qgis, headless) reads ``/ogc`` of a real running server as
an OGC API – Features connection, as the bureau's GIS officer would: the connection lists the
collections, a register's layer has the register page's count and the register's attributes, and a
bounding-box request returns exactly the projects inside."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_env import Serve
from conftest import GBK_TITLE

QGIS_PYTHON = os.environ.get("HEPINGGIS_QGIS_PYTHON", "/usr/bin/python3")


def _qgis() -> str:
    """The QGIS python (as tests/base/test_qgis.py); a skip without QGIS, a failure on CI."""
    if subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("CI must have QGIS (python3-qgis): .ci/run installs it")
        pytest.skip(f"QGIS is not installed for {QGIS_PYTHON} (apt-get install python3-qgis qgis-providers)")
    return QGIS_PYTHON


SCRIPT = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import (QgsApplication, QgsVectorLayer, QgsProviderRegistry, QgsSettings, QgsFeatureRequest,
                       QgsRectangle, QgsDataItem)
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
url, typename, bbox = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split(",")]
out = {}
# the connection, as the "WFS / OGC API - Features" dialog saves it
s = QgsSettings()
s.setValue("qgis/connections-wfs/hepinggis/url", url)
s.setValue("qgis/connections-wfs/hepinggis/version", "OGC_API_FEATURES")
s.setValue("qgis/connections-wfs/hepinggis/pagesize", "1000")
s.setValue("qgis/connections-wfs/hepinggis/pagingEnabled", "true")
root = None
for provider in QgsProviderRegistry.instance().providerMetadata("WFS").dataItemProviders():
    root = provider.createDataItem("", None)
    if root is not None:
        break
conns = root.createChildren()
conn = next(c for c in conns if c.name() == "hepinggis")
out["collections"] = [c.name() for c in conn.createChildren()]
layer = QgsVectorLayer(f"url='{url}' typename='{typename}' pageSize='1000'", "register", "OAPIF")
out["valid"] = layer.isValid()
out["error"] = layer.error().summary() if not layer.isValid() else ""
feats = list(layer.getFeatures())
out["count"] = len(feats)
out["fields"] = layer.fields().names()
out["names"] = sorted(str(f["name"]) for f in feats)
request = QgsFeatureRequest().setFilterRect(QgsRectangle(*bbox))
out["in_bbox"] = sorted(str(f["name"]) for f in layer.getFeatures(request))
out["crs"] = layer.crs().authid()
from qgis.core import QgsProject
project = QgsProject.instance()
out["read"] = project.read(sys.argv[4])
found = [n.layer() for n in project.layerTreeRoot().findLayers()]
def key(l):
    live = l.providerType() == "OAPIF"
    return l.source().split("typename='")[-1].split("'")[0] if live else l.source().split("layername=")[-1]
out["project"] = {key(l): [l.providerType(), l.isValid(), len(list(l.getFeatures()))] for l in found}
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Serve, dict[str, Any]]]:
    srv = Serve(tmp_path / "data", None)
    try:
        r = httpx.post(
            srv.url + "/api/registers",
            files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())},
            data={"crs": "wgs84"},
            timeout=180,
        )
        assert r.status_code == 201, r.text
        yield srv, r.json()
    finally:
        srv.stop()


def test_qgis_reads_the_service(served: tuple[Serve, dict[str, Any]], tmp_path: Path) -> None:
    python = _qgis()
    srv, reg = served
    cid = f"register-{reg['id']}"
    gj = httpx.get(f"{srv.url}/api/registers/{reg['id']}/projects.geojson", timeout=30).json()["features"]
    xs = sorted(f["geometry"]["coordinates"][0] for f in gj)
    box = (xs[0] - 1e-6, 41.0, xs[len(xs) // 2], 42.5)
    inside = sorted(f["properties"]["name"] for f in gj if box[0] <= f["geometry"]["coordinates"][0] <= box[2])
    import hepinggis
    from hepinggis.base._qgis import write_qgis_project

    layers = ["district", "zones", "jiedao", "boundary_lines", "projects"]
    gpkg = hepinggis.export(tmp_path / "heping.gpkg", names=layers)
    qgz = write_qgis_project(tmp_path / "live.qgz", gpkg, layers, service=f"{srv.url}/ogc", service_register=reg["id"])
    env = dict(os.environ, HOME=str(tmp_path))  # QGIS writes its settings there, not in the user's home
    run = subprocess.run(
        [python, "-c", SCRIPT, f"{srv.url}/ogc", cid, ",".join(map(str, box)), str(qgz)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["valid"], got["error"]
    titles = [c["title"] for c in httpx.get(f"{srv.url}/ogc/collections?f=json", timeout=30).json()["collections"]]
    assert got["collections"] == titles and reg["file_name"] in titles  # QGIS lists them by title
    page = httpx.get(f"{srv.url}/registers/{reg['id']}", timeout=30).text
    assert f'<strong id="n-imported">{got["count"]}</strong>' in page  # the page's count
    assert got["count"] == reg["imported"] == len(gj)
    assert [n for n in got["fields"] if n in gj[0]["properties"]] == list(gj[0]["properties"])
    assert got["names"] == sorted(f["properties"]["name"] for f in gj)
    assert got["in_bbox"] == inside and 0 < len(inside) < len(gj)
    # the .qgz pointed at the live service: the served layers from /ogc, the others from the GeoPackage
    assert got["read"]
    assert got["project"] == {
        cid: ["OAPIF", True, reg["imported"]],
        "boundary_lines": ["ogr", True, 22],
        "jiedao": ["OAPIF", True, 10],
        "zones": ["OAPIF", True, 6],
        "district": ["OAPIF", True, 1],
    }


AUTH_SCRIPT = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsProviderRegistry, QgsSettings, QgsVectorLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
url, typename, user, password, qgz = sys.argv[1:6]
out = {}
# Basic authentication configurations in a throw-away auth database (QGIS_AUTH_DB_DIR_PATH)
am = QgsApplication.authManager()
out["auth_db"] = am.authenticationDatabasePath()
out["master"] = am.setMasterPassword("throwaway-master-36", True)
def basic_config(name, user, password):
    cfg = QgsAuthMethodConfig()
    cfg.setId("hgogc36")  # the id the bureau hands out with its .qgz (hepinggis export --qgis-authcfg)
    cfg.setName(name)
    cfg.setMethod("Basic")
    cfg.setConfig("username", user)
    cfg.setConfig("password", password)
    stored = am.storeAuthenticationConfig(cfg)
    if isinstance(stored, tuple):
        stored, cfg = stored[0], (stored[1] if len(stored) > 1 and stored[1] is not None else cfg)
    out.setdefault("stored", []).append(bool(stored))
    return cfg.id()
authcfg = basic_config("hepinggis", user, password)
# what QGIS puts on its requests for this configuration (a Chinese name and password: which bytes?)
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtNetwork import QNetworkRequest
request = QNetworkRequest(QUrl(url))
done = am.updateNetworkRequest(request, authcfg)
if isinstance(done, tuple):
    request = done[1]
out["header"] = bytes(request.rawHeader(b"Authorization")).decode("latin-1")
# two connections, as the "WFS / OGC API - Features" dialog saves them: with the login, and without
s = QgsSettings()
for name, auth in (("with_login", authcfg), ("anonymous", "")):
    s.setValue(f"qgis/connections-wfs/{name}/url", url)
    s.setValue(f"qgis/connections-wfs/{name}/version", "OGC_API_FEATURES")
    s.setValue(f"qgis/connections-wfs/{name}/pagesize", "1000")
    s.setValue(f"qgis/connections-wfs/{name}/pagingEnabled", "true")
    s.setValue(f"qgis/WFS/{name}/authcfg", auth)
root = None
for provider in QgsProviderRegistry.instance().providerMetadata("WFS").dataItemProviders():
    root = provider.createDataItem("", None)
    if root is not None:
        break
out["collections"] = {c.name(): [k.name() for k in c.createChildren()] for c in root.createChildren()}
layer = QgsVectorLayer(f"url='{url}' typename='{typename}' pageSize='1000' authcfg='{authcfg}'", "r", "OAPIF")
out["valid"] = layer.isValid()
out["error"] = layer.error().summary() if not layer.isValid() else ""
feats = list(layer.getFeatures())
out["count"] = len(feats)
out["fields"] = layer.fields().names()
out["zone_zh"] = sorted({str(f["zone_zh"]) for f in feats if f["zone_zh"]})
anon = QgsVectorLayer(f"url='{url}' typename='{typename}'", "anon", "OAPIF")
out["anonymous_valid"] = anon.isValid()
# the project written with --qgis-service and --qgis-authcfg opens with the login
from qgis.core import QgsProject
project = QgsProject.instance()
out["read"] = project.read(qgz)
out["project"] = {
    l.name(): [l.providerType(), l.isValid(), len(list(l.getFeatures()))]
    for l in (n.layer() for n in project.layerTreeRoot().findLayers())
    if l.providerType() == "OAPIF"
}
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)
"""


def test_qgis_logs_in_with_a_basic_auth_config(tmp_path: Path) -> None:
    """On a server with accounts, QGIS reaches a register through a "Basic" authentication
    configuration (QgsAuthManager, a throw-away auth database in a temporary profile): the connection
    lists the register, the layer has the register page's count and the zones' Chinese names;
    without the configuration the connection shows the public set only and the layer does not load.
    The account's name and password are Chinese: QGIS sends them as UTF-8."""
    from _server_env import login_and_upload, users_add

    python = _qgis()
    data = tmp_path / "data"
    user, password = "王工", "Gis#7361-清河"  # a 填报 whose name and password are Chinese
    users_add(data, None, user, "填报", password)
    srv = Serve(data, None, env={"HEPINGGIS_OGC_PUBLIC": "zones"})
    try:
        auth, r = login_and_upload(srv.url, user, password, GBK_TITLE)
        assert r.status_code == 201, r.text
        reg = r.json()
        cid = f"register-{reg['id']}"
        page = httpx.get(f"{srv.url}/registers/{reg['id']}", headers=auth, timeout=60).text
        colls = httpx.get(f"{srv.url}/ogc/collections?f=json", headers=auth, timeout=60).json()["collections"]
        titles = [c["title"] for c in colls]
        zones_title = next(c["title"] for c in colls if c["id"] == "zones")
        zones = httpx.get(f"{srv.url}/ogc/collections/zones/items?f=json", timeout=60).json()["features"]
        import hepinggis
        from hepinggis.base._qgis import write_qgis_project

        layers = ["district", "zones", "jiedao", "projects"]
        gpkg = hepinggis.export(tmp_path / "heping.gpkg", names=layers)
        qgz = write_qgis_project(
            tmp_path / "live.qgz",
            gpkg,
            layers,
            service=f"{srv.url}/ogc",
            service_register=reg["id"],
            service_authcfg="hgogc36",
        )
        env = dict(os.environ, HOME=str(tmp_path / "home"), QGIS_AUTH_DB_DIR_PATH=str(tmp_path / "qgis-auth"))
        (tmp_path / "qgis-auth").mkdir()
        run = subprocess.run(
            [python, "-c", AUTH_SCRIPT, f"{srv.url}/ogc", cid, user, password, str(qgz)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
    finally:
        srv.stop()
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["auth_db"].startswith(str(tmp_path / "qgis-auth")) and got["master"] and got["stored"] == [True]
    # QGIS 3.22 sends the Chinese name and password as UTF-8, as the challenge asks
    assert base64.b64decode(got["header"].removeprefix("Basic ")) == f"{user}:{password}".encode()
    assert got["collections"]["with_login"] == titles and reg["file_name"] in titles
    assert got["collections"]["anonymous"] == [zones_title]  # the public set only
    assert got["valid"], got["error"]
    assert f'<strong id="n-imported">{got["count"]}</strong>' in page and got["count"] == reg["imported"]
    assert "zone_zh" in got["fields"] and got["zone_zh"]
    assert set(got["zone_zh"]) <= {f["properties"]["name_zh"] for f in zones}  # names, not pinyin ids
    assert not got["anonymous_valid"]
    assert got["read"] and sorted(got["project"].values()) == [
        ["OAPIF", True, 1], ["OAPIF", True, 6], ["OAPIF", True, 10], ["OAPIF", True, reg["imported"]]
    ]  # fmt: skip


def test_project_on_the_service_names_the_auth_config(tmp_path: Path) -> None:
    """``--qgis-authcfg``: every live layer's source carries the configuration id, the GeoPackage
    layers none; an id that is not 7 letters or digits (or would break out of the quotes) is refused."""
    import zipfile

    import hepinggis
    from hepinggis.base._qgis import write_qgis_project
    from hepinggis.errors import InvalidOptionError

    layers = ["zones", "boundary_lines", "projects"]
    gpkg = hepinggis.export(tmp_path / "heping.gpkg", names=layers)
    qgz = write_qgis_project(
        tmp_path / "p.qgz",
        gpkg,
        layers,
        service="https://gis.heping.local/ogc",
        service_register="r1",
        service_authcfg="ab12cd3",
    )
    with zipfile.ZipFile(qgz) as z:
        xml = z.read(next(n for n in z.namelist() if n.endswith(".qgs"))).decode("utf-8")
    assert xml.count("authcfg=&apos;ab12cd3&apos;") + xml.count("authcfg='ab12cd3'") >= 2  # zones and the register
    assert "typename=&apos;register-r1&apos; authcfg" in xml or "typename='register-r1' authcfg" in xml
    for bad in ("ab12cd", "ab12cd34", "ab1'x y", "王工王工王工王"):
        with pytest.raises(InvalidOptionError):
            write_qgis_project(tmp_path / "q.qgz", gpkg, layers, service="https://x/ogc", service_authcfg=bad)


def test_export_cli_takes_the_auth_config(tmp_path: Path) -> None:
    import sys
    import zipfile

    from _server_env import REPO

    def export(authcfg: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "hepinggis", "export", str(tmp_path / "h.gpkg"), "--layer", "zones"]
        cmd += ["--qgis-project", str(tmp_path / "h.qgz"), "--qgis-service", "https://gis.heping.local/ogc"]
        cmd += ["--qgis-authcfg", authcfg]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False)

    done = export("hgogc36")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "h.qgz") as z:
        xml = z.read(next(n for n in z.namelist() if n.endswith(".qgs"))).decode("utf-8")
    assert "hgogc36" in xml
    bad = export("x'y")
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
