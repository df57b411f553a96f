"""The OGC API services of issue 36 on a real server, on both stores (SQLite and PostGIS): every
conformance class the service claims is exercised with an OGC API client (owslib) and checked
against the register the page shows; hostile file names and cells go through the JSON and the HTML;
the public set and the read audit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import openpyxl
import pytest
from _server_env import Serve, login_and_upload, pg_schema, pg_schemas, pg_url, store_url, users_add  # noqa: F401
from conftest import BAD_ROWS, GBK_TITLE, HOSTILE

from hepinggis.web.ogc.routes import CONFORMANCE

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
CRS_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
TILE_PROPERTIES = {"n", "category", "row", "project_id", "name", "status", "zone_id", "zone_zh"}


def _hostile_workbook(tmp_path: Path) -> tuple[Path, list[str]]:
    texts = [c["text"] for c in HOSTILE]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目名称", "经度", "纬度", "类别", "备注"])
    for k, t in enumerate(texts):
        sheet.append([t, round(123.41 + k * 1e-4, 6), 41.77, t, t])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
    path = tmp_path / "\"'><svg onload=alert(3)>`{{7*7}}.xlsx"
    book.save(path)
    return path, texts


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Serve, dict[str, Any]]]:
    """A real server (loopback, no accounts: the local planner) with two registers uploaded, on
    each store (SQLite, PostGIS), shared by the module's tests that only read from it."""
    with contextlib.ExitStack() as stack:
        db = None if request.param == "sqlite" else stack.enter_context(pg_schema())
        yield from _server_with_registers(db, tmp_path_factory.mktemp("ogc"))


def _server_with_registers(db: str | None, tmp_path: Path) -> Iterator[tuple[Serve, dict[str, Any]]]:
    srv = Serve(tmp_path / "data", db)
    try:
        regs = {}
        for key, path in (("bad_rows", GBK_TITLE), ("hostile", _hostile_workbook(tmp_path)[0])):
            r = httpx.post(
                srv.url + "/api/registers",
                files={"file": (path.name, path.read_bytes())},
                data={"crs": "wgs84"},
                timeout=180,
            )
            assert r.status_code == 201, r.text
            regs[key] = r.json()
        yield srv, regs
    finally:
        srv.stop()


def test_conformance_classes_with_owslib(server: tuple[Serve, dict[str, Any]]) -> None:
    from owslib.ogcapi.features import Features

    srv, regs = server
    reg = regs["bad_rows"]
    cid = f"register-{reg['id']}"
    api = Features(srv.url + "/ogc")
    # core: landing page, conformance, collections
    assert {lk["rel"] for lk in api.links} >= {"self", "service-desc", "conformance", "data"}
    assert api.conformance()["conformsTo"] == CONFORMANCE
    colls = api.collections()["collections"]
    ids = [c["id"] for c in colls]
    assert ids[:6] == ["district", "zones", "jiedao", "axes", "belt", "sub_areas"]
    mine = next(c for c in colls if c["id"] == cid)
    assert reg["id"] in cid and mine["title"] == reg["file_name"]
    assert CRS_4490 in mine["crs"] and CRS_4326 in mine["crs"]
    # core: items, paging with next links, numberMatched/numberReturned, the register page's count
    page = httpx.get(f"{srv.url}/registers/{reg['id']}", timeout=30).text
    assert f'<strong id="n-imported">{reg["imported"]}</strong>' in page
    got: list[dict[str, Any]] = []
    first = api.collection_items(cid, limit=7)
    assert first["numberMatched"] == reg["imported"] and first["numberReturned"] == 7
    url: str | None = f"{srv.url}/ogc/collections/{cid}/items?limit=7"
    while url:
        r = httpx.get(url, timeout=30)
        assert r.headers["content-type"].startswith("application/geo+json")  # geojson class
        doc = r.json()
        assert doc["type"] == "FeatureCollection" and doc["numberReturned"] == len(doc["features"])
        got += doc["features"]
        url = next((lk["href"] for lk in doc["links"] if lk["rel"] == "next"), None)
    reference = httpx.get(f"{srv.url}/api/registers/{reg['id']}/projects.geojson", timeout=30).json()["features"]
    assert len(got) == reg["imported"] == len(reference)
    # the register's properties, and beside the zone's id (which filters take) its Chinese name
    zone_zh = _zone_names()
    assert [{k: v for k, v in f["properties"].items() if k != "zone_zh"} for f in got] == [
        f["properties"] for f in reference
    ]
    assert [f["properties"]["zone_zh"] for f in got] == [
        zone_zh.get(f["properties"]["zone_id"]) for f in reference
    ]  # fmt: skip
    assert sum(f["properties"]["zone_zh"] is not None for f in got) > 0
    assert list(got[0]["properties"])[6:9] == ["zone_id", "zone_zh", "jiedao"]
    assert [f["geometry"] for f in got] == [f["geometry"] for f in reference]
    # one item; a missing one is 404 with one Chinese line
    one = api.collection_item(cid, str(got[3]["id"]))
    assert one["properties"] == got[3]["properties"]
    missing = httpx.get(f"{srv.url}/ogc/collections/{cid}/items/999999999", timeout=30)
    assert missing.status_code == 404 and not missing.json()["detail"].isascii()
    # bbox: exactly the projects whose point lies inside (points only in this register)
    xs = sorted(f["geometry"]["coordinates"][0] for f in got)
    box = [xs[0] - 1e-6, 41.0, xs[len(xs) // 2], 42.5]
    inside = [f for f in got if box[0] <= f["geometry"]["coordinates"][0] <= box[2]]
    res = api.collection_items(cid, bbox=box, limit=1000)
    assert res["numberMatched"] == len(inside) == res["numberReturned"] and 0 < len(inside) < len(got)
    # property filters: zone, 街道, category, status
    zone = got[0]["properties"]["zone_id"]
    res = api.collection_items(cid, zone=zone, limit=1000)
    assert res["numberMatched"] == sum(f["properties"]["zone_id"] == zone for f in got) > 0
    jd = next(f["properties"]["jiedao"] for f in got if f["properties"]["jiedao"])
    res = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", params={"街道": jd, "limit": 1000}, timeout=30).json()
    assert res["numberMatched"] == sum(f["properties"]["jiedao"] == jd for f in got) > 0
    status = next(f["properties"]["status"] for f in got if f["properties"]["status"])
    res = api.collection_items(cid, status=status, limit=1000)
    assert res["numberMatched"] == sum(f["properties"]["status"] == status for f in got) > 0
    category = next(f["properties"]["category"] for f in got if f["properties"]["category"])
    res = api.collection_items(cid, category=category, limit=1000)
    assert res["numberMatched"] == sum(f["properties"]["category"] == category for f in got) > 0
    # datetime: the version is in force from its upload on
    assert api.collection_items(cid, datetime_="2000-01-01T00:00:00Z/2000-12-31T00:00:00Z")["numberMatched"] == 0
    assert api.collection_items(cid, datetime_="2000-01-01T00:00:00Z/..")["numberMatched"] == reg["imported"]
    # limits: a page never holds more than 10,000; a bad limit is refused in Chinese
    bad = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", params={"limit": "0"}, timeout=30)
    assert bad.status_code == 400 and not bad.json()["detail"].isascii()
    # Part 2 (crs): EPSG:4490 and EPSG:4326 give latitude first and say so in Content-Crs
    for uri in (CRS_4490, CRS_4326):
        r = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", params={"crs": uri, "limit": 3}, timeout=30)
        assert r.headers["content-crs"] == f"<{uri}>"
        for a, b in zip(r.json()["features"], got[:3], strict=True):
            lon, lat = b["geometry"]["coordinates"]
            assert a["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-7)
        flipped = ",".join(str(v) for v in (box[1], box[0], box[3], box[2]))
        res = httpx.get(
            f"{srv.url}/ogc/collections/{cid}/items",
            params={"bbox": flipped, "bbox-crs": uri, "limit": 1000},
            timeout=30,
        ).json()
        assert res["numberMatched"] == len(inside)
    # the plan's layers in force: zones with their ids; 街道 with their zone's id and Chinese name
    zones = api.collection_items("zones")
    assert [f["id"] for f in zones["features"]] == [
        "beishichang", "nanshichang", "taiyuanjie", "sanhaojie", "changbaidao", "manrong"
    ]  # fmt: skip
    for lid in ("jiedao", "sub_areas"):
        feats = api.collection_items(lid, limit=100)["features"]
        assert feats and all(f["properties"]["zone_zh"] == zone_zh[f["properties"]["zone_id"]] for f in feats)
    assert "zone_zh" in httpx.get(f"{srv.url}/ogc/collections/jiedao/queryables", timeout=30).json()["properties"]
    # oas30
    oas = api.api()
    assert str(oas["openapi"]).startswith("3.0") and "/ogc/collections/{cid}/items" in oas["paths"]
    schemes = oas["components"]["securitySchemes"]  # how a client logs in: Basic (QGIS) or the API's token
    assert (schemes["basic"]["scheme"], schemes["bearer"]["scheme"]) == ("basic", "bearer")
    # html
    html = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", headers={"Accept": "text/html"}, timeout=30)
    assert html.headers["content-type"].startswith("text/html") and "numberMatched" not in html.text
    assert f'<strong id="n-matched">{reg["imported"]}</strong>' in html.text
    shown = {f["properties"]["zone_zh"] for f in got if f["properties"]["zone_zh"]}
    assert all(f"<td>{name}</td>" in html.text for name in shown)  # the page: names, not pinyin ids
    assert not any(f"<td>{f['properties']['zone_id']}</td>" in html.text for f in got if f["properties"]["zone_id"])
    # tiles: the tile set, the matrix set, and MVT tiles that hold every project of the register
    _check_tiles(srv, cid, reg["imported"], {f["id"]: f["properties"]["zone_zh"] for f in got})


def _zone_names() -> dict[str, str]:
    """Zone id → Chinese name, read independently of the service from the bundled zones layer."""
    import json

    from hepinggis._paths import data_dir

    doc = json.loads((data_dir() / "zones.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f["properties"]["name_zh"] for f in doc["features"]}


def _check_tiles(srv: Serve, cid: str, n: int, zone_zh: dict[int, str | None]) -> None:
    import mapbox_vector_tile

    tms = httpx.get(f"{srv.url}/ogc/tileMatrixSets/WebMercatorQuad", timeout=30).json()
    assert tms["id"] == "WebMercatorQuad" and len(tms["tileMatrices"]) == 21
    sets = httpx.get(f"{srv.url}/ogc/collections/{cid}/tiles", timeout=30).json()["tilesets"]
    assert sets[0]["dataType"] == "vector"
    ts = httpx.get(f"{srv.url}/ogc/collections/{cid}/tiles/WebMercatorQuad", timeout=30).json()
    template = next(lk["href"] for lk in ts["links"] if lk["rel"] == "item")
    ids = set()
    for x in range(3448, 3456):  # zoom 12 around the district
        for y in range(1520, 1528):
            url = template.replace("{tileMatrix}", "12").replace("{tileRow}", str(y)).replace("{tileCol}", str(x))
            r = httpx.get(url, timeout=30)
            assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
            if r.content:
                layer = mapbox_vector_tile.decode(r.content)["projects"]
                ids |= {f["id"] for f in layer["features"]}
                for f in layer["features"]:  # the zone's Chinese name in the tiles too
                    assert f["properties"].get("zone_zh") == zone_zh[f["id"]]
    assert len(ids) == n
    assert httpx.get(f"{srv.url}/ogc/collections/{cid}/tiles/WebMercatorQuad/12/99999/1", timeout=30).status_code == 404


def test_hostile_text_through_json_and_html(server: tuple[Serve, dict[str, Any]]) -> None:
    srv, regs = server
    reg = regs["hostile"]
    cid = f"register-{reg['id']}"
    texts = [c["text"] for c in HOSTILE]
    doc = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", params={"limit": 1000}, timeout=30).json()
    assert [f["properties"]["name"] for f in doc["features"]] == texts  # literally, in order
    assert [f["properties"]["备注"] for f in doc["features"]] == texts
    coll = httpx.get(f"{srv.url}/ogc/collections/{cid}", timeout=30).json()
    assert coll["title"] == reg["file_name"]
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []
            self.scripts = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.scripts += tag in ("script", "svg", "img", "iframe") and tag != "script"

        def handle_data(self, data: str) -> None:
            self.texts.append(data)

    for url in (
        f"/ogc/collections/{cid}/items?f=html&limit=1000",
        f"/ogc/collections/{cid}?f=html",
        "/ogc/collections?f=html",
    ):
        page = httpx.get(srv.url + url, timeout=30).text
        parser = Cells()
        parser.feed(page)
        body = "".join(parser.texts)
        assert reg["file_name"] in body and parser.scripts == 0, url  # no injected element
        assert "49" not in body.replace("{{7*7}}", "") or "{{7*7}}" in body
        if "items" in url:
            for t in texts:
                assert t.strip() in body, t
    one = doc["features"][0]["id"]
    page = httpx.get(f"{srv.url}/ogc/collections/{cid}/items/{one}?f=html", timeout=30).text
    assert "{{7*7}}" in page or "{{ lipsum" in page
    # a hostile collection id or parameter is a 404/400 line, never a 500
    for bad in ("<script>", "register-' OR '1'='1", "../../etc/passwd"):
        r = httpx.get(f"{srv.url}/ogc/collections/{bad}/items", timeout=30)
        assert r.status_code in (400, 404)
    r = httpx.get(f"{srv.url}/ogc/collections/{cid}/items", params={"status": "' OR '1'='1"}, timeout=30)
    assert r.status_code == 200 and r.json()["numberMatched"] == 0


def test_access_public_set_and_read_audit(tmp_path: Path, store_url: str | None, monkeypatch: Any) -> None:  # noqa: F811
    """Beyond loopback (accounts): anonymous gets nothing by default, only the public set when
    configured; a logged-in clerk reads everything; reads of a register are audited when asked."""
    data = tmp_path / "data"
    # no cookie jar (each request is anonymous unless it says who), and long timeouts: a login
    # (argon2) on a loaded 2-core machine takes seconds
    _h = SimpleNamespace(get=partial(httpx.get, timeout=120), post=partial(httpx.post, timeout=180))
    users_add(data, store_url, "clerk", "填报", "Tb#8472-lvse-qiu")
    users_add(data, store_url, "boss", "管理", "Gl#9034-lan-tian")
    srv = Serve(data, store_url)
    try:
        auth, r = login_and_upload(srv.url, "clerk", "Tb#8472-lvse-qiu", BAD_ROWS)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        for path in (
            "/ogc",
            "/ogc/collections",
            "/ogc/collections/zones/items",
            f"/ogc/collections/register-{rid}/items",
        ):
            assert _h.get(srv.url + path, headers={"Accept": "application/json"}).status_code == 401, path
        items = _h.get(f"{srv.url}/ogc/collections/register-{rid}/items", headers=auth)
        assert items.status_code == 200 and items.json()["numberMatched"] == r.json()["imported"]
    finally:
        srv.stop()
    # the public set (the city platform's layers) and the read audit, from the environment
    monkeypatch.setenv("HEPINGGIS_OGC_PUBLIC", "district,zones,jiedao")
    monkeypatch.setenv("HEPINGGIS_AUDIT_READS", "1")
    srv = Serve(data, store_url)
    try:
        anon = _h.get(srv.url + "/ogc/collections", headers={"Accept": "application/json"})
        assert [c["id"] for c in anon.json()["collections"]] == ["district", "zones", "jiedao"]
        assert _h.get(srv.url + "/ogc/collections/zones/items").json()["numberMatched"] == 6
        assert _h.get(srv.url + "/ogc/collections/zones/tiles/WebMercatorQuad/12/1524/3452").status_code == 200
        assert _h.get(f"{srv.url}/ogc/collections/register-{rid}/items").status_code == 401
        assert _h.get(srv.url + "/ogc/collections/axes/items").status_code == 401
        login = _h.post(srv.url + "/api/login", json={"username": "clerk", "password": "Tb#8472-lvse-qiu"})
        auth = {"Authorization": f"Bearer {login.json()['token']}"}
        assert _h.get(f"{srv.url}/ogc/collections/register-{rid}/items?limit=3", headers=auth).status_code == 200
        boss = _h.post(srv.url + "/api/login", json={"username": "boss", "password": "Gl#9034-lan-tian"})
        trail = _h.get(
            srv.url + "/api/audit",
            params={"action": "read_register"},
            headers={"Authorization": f"Bearer {boss.json()['token']}"},
        ).json()
        assert len(trail) == 1 and trail[0]["username"] == "clerk" and BAD_ROWS.name in trail[0]["object"]
    finally:
        srv.stop()


def test_crowded_tiles_gather_cells(store_url: str | None, tmp_path: Path) -> None:  # noqa: F811
    """Below zoom 16 a tile with more than 2,000 projects carries one point per occupied cell of a
    64 × 64 grid (MultiPoints by category and class of n) — the same cells on both stores."""
    import math

    import mapbox_vector_tile
    import numpy as np
    from _ogc_data import add_register

    from hepinggis.web.ogc import _collections, _tiles
    from hepinggis.web.store import _schema as s
    from hepinggis.web.store._store import Store

    data = tmp_path / "store"
    data.mkdir()
    rid = add_register(store_url or f"sqlite:///{data / 'hepinggis.sqlite'}", 20_000)
    store = Store(data, store_url)
    try:
        coll = _collections.collection(store, f"register-{rid}")
        assert coll is not None
        with store.engine.connect() as conn:
            rows = conn.execute(
                s.projects.select().with_only_columns(s.projects.c.lon, s.projects.c.lat)
                .where(s.projects.c.register_id == rid)
            ).all()  # fmt: skip
        lon = np.array([r[0] for r in rows])
        lat = np.array([r[1] for r in rows])
        z = 12
        fx = (lon + 180) / 360 * 2**z
        fy = (1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / math.pi) / 2 * 2**z
        crowded = 0
        names = _zone_names()
        for x, y in {(int(a), int(b)) for a, b in zip(fx, fy, strict=True)}:
            here = (fx.astype(int) == x) & (fy.astype(int) == y)
            cells = {(int(a), int(b)) for a, b in zip((fx[here] - x) * 64, (fy[here] - y) * 64, strict=True)}
            layer = mapbox_vector_tile.decode(_tiles.tile(store, coll, z, y, x))["projects"]
            points = 0
            for f in layer["features"]:
                geom = f["geometry"]
                points += 1 if geom["type"] == "Point" else len(geom["coordinates"])
                assert set(f["properties"]) <= TILE_PROPERTIES
                if "zone_id" in f["properties"]:
                    assert f["properties"]["zone_zh"] == names[f["properties"]["zone_id"]]
            if here.sum() > _tiles.DETAIL_MAX:
                crowded += 1
                assert all(set(f["properties"]) <= {"n", "category"} for f in layer["features"])
                assert len(layer["features"]) <= 7 * len(_tiles.N_CLASSES) < points  # gathered
                assert {f["properties"]["n"] for f in layer["features"]} <= set(_tiles.N_CLASSES)
                assert abs(points - len(cells)) <= len(cells) * 0.01  # (a point on a cell's edge may round over)
            else:  # every project of the tile, and those of its 64-unit buffer (symbols are not cut)
                pad = 64 / 4096
                near = (fx >= x - pad) & (fx <= x + 1 + pad) & (fy >= y - pad) & (fy <= y + 1 + pad)
                assert here.sum() <= points <= near.sum()
        assert crowded >= 1
    finally:
        store.dispose()


def test_a_series_is_one_collection_at_its_current_version(store_url: str | None, tmp_path: Path) -> None:  # noqa: F811
    """Two monthly versions of one register: /ogc lists the series once, served at its newest version
    (titled by that version's file), a later version by its own id, and the first by ``register-version-``."""
    from _ogc_data import add_register

    from hepinggis.web.ogc import _collections
    from hepinggis.web.registers._versions import link_version
    from hepinggis.web.store._store import Store

    data = tmp_path / "store"
    data.mkdir()
    url = store_url or f"sqlite:///{data / 'hepinggis.sqlite'}"
    v1 = add_register(url, 30, file_name="清单_1月.xlsx")
    v2 = add_register(url, 40, seed=7, file_name="清单_2月.xlsx")
    store = Store(data, store_url)
    try:
        with store.begin() as conn:
            link_version(conn, v2, replaces=v1, as_of="2026-02-01")
        registers = [c for c in _collections.collections(store) if c.is_register]
        assert [c.id for c in registers] == [f"register-{v1}"]
        assert registers[0].title == "清单_2月.xlsx" and registers[0].register["id"] == v2  # type: ignore[index]
        later = _collections.collection(store, f"register-{v2}")
        first = _collections.collection(store, f"register-version-{v1}")
        assert later is not None and later.register["id"] == v2  # type: ignore[index]
        assert first is not None and first.register["id"] == v1  # type: ignore[index]
        assert _collections.collection(store, "register-version-nope") is None
    finally:
        store.dispose()
