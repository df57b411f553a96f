"""Hostile requests against the server with accounts: SQL injection in every parameter (on
PostGIS), path traversal and zip-slip names, an xlsx declaring 1,048,576 × 16,384 cells, a zip
bomb, and a 1 GB upload refused before it is read (a real server process)."""

from __future__ import annotations

import io
import re
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import openpyxl
import pytest
from _server_env import Serve, pg_schemas, pg_url, store_url, users_add  # noqa: F401 - fixtures
from conftest import GBK_TITLE
from sqlalchemy import func, inspect, select

from hepinggis.web.auth._security import flat_routes
from hepinggis.web.store import _schema as s
from hepinggis.web.store._server_schema import users

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE registers; --",
    "x'); DELETE FROM users; --",
    "1 UNION SELECT password_hash FROM users",
    '" OR ""="',
    "%' AND pg_sleep(3) IS NULL --",
    "\\'; TRUNCATE audit_log; --",
    "1;SELECT 1",
]
PW = {"填报": "Tb#8472-lvse-qiu", "管理": "Gl#9034-lan-tian"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import os
    import uuid

    from sqlalchemy import create_engine, text

    from hepinggis.web.app import create_app

    dsn = os.environ.get("HEPINGGIS_TEST_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI must provide a PostGIS server in HEPINGGIS_TEST_DSN (.ci/postgis-up)")
        pytest.skip("no PostGIS server: set HEPINGGIS_TEST_DSN")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{dsn}{'&' if '?' in dsn else '?'}options={quote(f'-csearch_path={schema},public')}"
    data = tmp_path_factory.mktemp("hostile")
    app = create_app(data_dir=data / "store", db_url=url, workers=2, require_login=True, max_upload=5 * 1024 * 1024)
    app.state.accounts.add_user("clerk", role="填报", password=PW["填报"])
    app.state.accounts.add_user("officer", role="管理", password=PW["管理"])
    try:
        with TestClient(app, raise_server_exceptions=False):
            yield app
    finally:
        app.state.store.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _as(app: Any, name: str, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    r = client.post("/api/login", json={"username": name, "password": PW[role]})
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def _state(app: Any) -> tuple[int, int, set[str]]:
    engine = app.state.store.engine
    with engine.connect() as conn:
        n_users = conn.execute(select(func.count()).select_from(users)).scalar_one()
        n_regs = conn.execute(select(func.count()).select_from(s.registers)).scalar_one()
    return n_users, n_regs, set(inspect(engine).get_table_names())


def test_sql_injection_in_every_parameter(secured: Any) -> None:
    clerk, officer = _as(secured, "clerk", "填报"), _as(secured, "officer", "管理")
    r = clerk.post("/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data={"crs": "wgs84"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    before = _state(secured)
    started = time.monotonic()
    routes = [(m, rt.path) for rt in flat_routes(secured) for m in (getattr(rt, "methods", None) or ()) if m != "HEAD"]
    for bad in INJECTIONS:
        for method, path in routes:
            if "{" not in path or path in ("/api/logout",):
                continue
            url = re.sub(r"\{[^}]+\}", quote(bad, safe=""), path)
            client = officer if method == "DELETE" or "/users/" in path else clerk
            answer = client.request(method, url)
            assert answer.status_code < 500, (method, url, answer.status_code, answer.text[:200])
        for query in ("against", "format", "register", "figures", "limit", "offset"):
            for path in (
                "/api/registers",
                f"/api/registers/{rid}/changes",
                f"/api/registers/{rid}/report",
                "/",
                "/api/audit",
            ):
                answer = (
                    officer.get(path, params={query: bad})
                    if path == "/api/audit"
                    else clerk.get(path, params={query: bad})
                )
                assert answer.status_code < 500, (path, query, answer.text[:200])
        for field in ("crs", "sheet", "header_row", "unit"):
            answer = clerk.post(
                "/api/registers", files={"file": ("清单.csv", GBK_TITLE.read_bytes())}, data={field: bad}
            )
            assert answer.status_code < 500, (field, answer.text[:200])
        assert officer.post("/api/boundaries/choose", data={"id": bad}).status_code in (400, 404)
        assert TestClient(secured).post("/api/login", json={"username": bad, "password": bad}).status_code in (401, 429)
        assert officer.post("/api/users", json={"name": bad, "role": bad, "password": bad}).status_code == 400
    after = _state(secured)
    assert after[0] == before[0] and after[2] == before[2]  # no account lost, no table dropped
    assert after[1] >= before[1] and clerk.get(f"/api/registers/{rid}").status_code == 200
    assert time.monotonic() - started < 600  # no injected pg_sleep ever ran per request


def test_path_traversal_and_file_names(secured: Any) -> None:
    clerk = _as(secured, "clerk", "填报")
    data_dir = secured.state.store.data_dir
    for url in (
        "/packages/x/..%2F..%2F..%2Fetc%2Fpasswd",
        "/packages/x/../../hepinggis.sqlite",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/vendor/..%2F_security.py",
        "/maps/..%2F..%2Fetc%2Fpasswd.html",
        "/monitoring/x/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/registers/..%2F..%2Fetc%2Fpasswd",
    ):
        r = clerk.get(url)
        assert r.status_code in (303, 400, 404, 405), (url, r.status_code)
        assert "root:" not in r.text and "import" not in r.text[:200]
    name = "../../../..//etc/cron.d/evil.csv"
    r = clerk.post("/api/registers", files={"file": (name, GBK_TITLE.read_bytes())}, data={"crs": "wgs84"})
    assert r.status_code == 201, r.text
    assert clerk.get(f"/api/registers/{r.json()['id']}").json()["file_name"].endswith("evil.csv")
    assert not list(data_dir.parent.rglob("evil.csv")) and not Path("/etc/cron.d/evil.csv").exists()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_slip_and_zip_bomb_boundaries_refused(secured: Any) -> None:
    officer = _as(secured, "officer", "管理")
    data_dir = secured.state.store.data_dir
    slip = _zip({"../../evil.shp": b"x" * 100, "../../evil.dbf": b"x", "../../evil.shx": b"x"})
    r = officer.post("/api/boundaries", files={"file": ("slip.zip", slip)}, data={"as": "zones"})
    assert r.status_code in (400, 415) and r.json()["detail"], r.text
    assert not [p for p in data_dir.parent.parent.rglob("evil.*") if p.suffix in {".shp", ".dbf", ".shx"}]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zones.shp", "w") as out:
            for _ in range(1024):  # 1 GB of zeros, about 1 MB packed
                out.write(b"\0" * (1 << 20))
        zf.writestr("zones.dbf", b"\0")
        zf.writestr("zones.shx", b"\0")
    assert len(buf.getvalue()) < 5 * 1024 * 1024
    started = time.monotonic()
    r = officer.post("/api/boundaries", files={"file": ("bomb.zip", buf.getvalue())}, data={"as": "zones"})
    assert r.status_code in (400, 413, 415), r.text
    assert time.monotonic() - started < 120
    assert sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file()) < 200 * 1024 * 1024


def test_xlsx_declaring_the_whole_sheet(secured: Any, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["项目名称", "经度", "纬度", "总投资（万元）"])
    sheet.append(["和平广场改造", 123.4316, 41.7896, 1200])
    path = tmp_path / "big.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    xml = re.sub(r"<dimension [^>]*/>", "", xml).replace(
        "<sheetViews>", '<dimension ref="A1:XFD1048576"/><sheetViews>', 1
    )
    assert '<dimension ref="A1:XFD1048576"/>' in xml
    parts["xl/worksheets/sheet1.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in parts.items():
            zf.writestr(name, blob)
    clerk = _as(secured, "clerk", "填报")
    started = time.monotonic()
    r = clerk.post("/api/registers", files={"file": ("整表.xlsx", path.read_bytes())}, data={"crs": "wgs84"})
    assert r.status_code in (201, 400), r.text[:300]
    assert time.monotonic() - started < 120
    r = clerk.post("/api/preview", files={"file": ("整表.xlsx", path.read_bytes())})
    assert r.status_code in (200, 400), r.text[:300]


def test_a_1gb_upload_is_refused_before_it_is_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    users_add(data, None, "clerk", "填报", PW["填报"])
    server = Serve(data, None, max_upload="10MB")
    try:
        sent = {"n": 0}

        def body() -> Iterator[bytes]:
            chunk = b"a" * (1 << 20)
            for _ in range(1024):  # 1 GB, never all sent
                sent["n"] += len(chunk)
                yield chunk

        # without a session: 401 before a byte of the body is read, and the connection closed
        try:
            r = httpx.post(
                server.url + "/api/registers", content=body(), headers={"content-type": "text/csv"}, timeout=60
            )
            assert r.status_code == 401
        except httpx.HTTPError:
            pass  # the server closed the connection while the client was still sending: refused
        assert sent["n"] < 100 * 1024 * 1024, sent["n"]
        token = httpx.post(server.url + "/api/login", json={"username": "clerk", "password": PW["填报"]}).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        # a declared length above the limit: 413 at once, from the headers alone (a raw socket: no
        # client library sends fewer bytes than it declares)
        import socket

        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            head = (
                f"POST /api/registers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {1 << 30}\r\n\r\n--x\r\n"
            )
            sock.sendall(head.encode("ascii"))
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            reply = b"".join(chunks).decode("utf-8", "replace")
        assert reply.startswith("HTTP/1.1 413") and "上限" in reply, reply[:300]
        # a streamed (chunked) 1 GB body: refused once it passes the limit, the rest never read
        sent["n"] = 0
        started = time.monotonic()

        def multipart() -> Iterator[bytes]:
            yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            yield b"Content-Type: text/csv\r\n\r\n"
            yield from body()

        try:
            r = httpx.post(
                server.url + "/api/registers",
                headers={**auth, "content-type": "multipart/form-data; boundary=x"},
                content=multipart(),
                timeout=120,
            )
            assert r.status_code in (400, 413, 415), r.text  # refused early, by size or by content
        except httpx.HTTPError:
            pass  # the server closed the connection on the refused body: also a refusal
        assert sent["n"] < 200 * 1024 * 1024, sent["n"]
        assert time.monotonic() - started < 60
        assert not [p for p in (data / "tmp").rglob("*") if p.is_file() and p.stat().st_size > 20 * 1024 * 1024]
    finally:
        server.stop()
