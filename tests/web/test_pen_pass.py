"""A penetration pass over the routes added after issue 33's first round (versions, boundaries, /ogc,
job retry, signing, the 安全 page), on SQLite and PostGIS: a NUL or control character in any path
parameter, query or body field is a 4xx in one Chinese line, never a 500; every state-changing route
refuses a cookie session without the CSRF token; a failed package's retry keeps the rule that only
its uploader or a 审核 rebuilds it, and runs once."""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text

from hepinggis.web.auth._accounts import LoginPolicy, now_iso
from hepinggis.web.auth._security import flat_routes
from hepinggis.web.store import _schema as s

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PW = {"officer": "Gl#9034-lan-tian", "reviewer": "Sh#5531-hong-ye", "clerk": "Tb#8472-lvse-qiu"}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PUBLIC_POSTS = {"/api/login"}


def _run_apart(coro: Any) -> Any:
    """``asyncio.run`` in a thread of its own: a browser test earlier in the same worker (playwright's
    synchronous API) leaves an event loop running in this thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _make_app(tmp_path_factory: pytest.TempPathFactory, db_url: str | None) -> Any:
    from hepinggis.web.app import create_app

    application = create_app(
        data_dir=tmp_path_factory.mktemp("pen"),
        db_url=db_url,
        workers=1,
        require_login=True,
        login_policy=LoginPolicy(slow_after=1000, lock_after=2000, address_slow_after=5000, address_lock_after=9000),
    )
    accounts = application.state.accounts
    accounts.add_user("officer", role="管理", password=PW["officer"])
    accounts.add_user("reviewer", role="审核", password=PW["reviewer"])
    accounts.add_user("clerk", role="填报", password=PW["clerk"])
    accounts.add_user("clerk2", role="填报", password=PW["clerk"])
    return application


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if request.param == "sqlite":
        application = _make_app(tmp_path_factory, None)
        with TestClient(application, raise_server_exceptions=False):
            yield application
        return
    from _server_env import _with_schema, require_dsn

    dsn = require_dsn()
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        application = _make_app(tmp_path_factory, _with_schema(dsn, schema))
        with TestClient(application, raise_server_exceptions=False):
            yield application
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _login(app: Any, name: str, *, csrf: bool = True) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    r = client.post("/api/login", json={"username": name, "password": PW.get(name, PW["clerk"])})
    assert r.status_code == 200, r.text
    if csrf:
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def _routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in flat_routes(app):
        for method in sorted(set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}):
            out.append((method, route.path))
    return out


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _one_line(r: Any) -> None:
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])
    if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json"):
        detail = r.json().get("detail")
        if isinstance(detail, str):
            assert "\n" not in detail and "Traceback" not in detail, detail


@pytest.mark.parametrize("who", ["officer", "reviewer"])
def test_a_nul_anywhere_in_a_path_or_query_is_never_a_500(app: Any, who: str) -> None:
    client = _login(app, who)
    seen = 0
    for method, path in _routes(app):
        if path.startswith(("/static", "/vendor")) or path in ("/api/logout", "/api/login"):
            continue
        for value in ("a%00b", "%00", "x%1fy", "..%2F%00"):
            url = _fill(path, value) if "{" in path else path
            if method == "GET":
                url += "?user=%00&action=%00&next=%00&zone=%00&q=%00&bbox=%00&datetime=%00&f=%00&page=%00"
            r = client.request(method, url)
            _one_line(r)
            seen += 1
    assert seen > 200


def test_a_nul_in_a_body_field_is_never_a_500(app: Any) -> None:
    officer, reviewer = _login(app, "officer"), _login(app, "reviewer")
    nul = "a\x00b"
    for client, method, path, kw in (
        (officer, "POST", "/api/users", {"json": {"name": nul, "role": "填报", "password": "Xx#1234567-ab"}}),
        (officer, "POST", "/api/users", {"json": {"name": "ok", "role": nul, "password": "Xx#1234567-ab"}}),
        (officer, "POST", "/api/users/clerk/role", {"json": {"role": nul}}),
        (officer, "POST", "/api/users/clerk/password", {"json": {"password": "Xx#1234567-a" + nul}}),
        (officer, "POST", "/api/users/clerk2/duties", {"json": {"duties": [nul]}}),
        (officer, "POST", "/api/security", {"json": {"ogc_public": nul}}),
        (officer, "POST", "/api/security/release", {"json": {"key": nul}}),
        (officer, "POST", "/api/boundaries/choose", {"data": {"id": nul}}),
        (officer, "POST", "/api/boundaries/inspect", {"data": {"upload": nul, "as": "zones", "file_name": nul}}),
        (officer, "POST", "/api/boundaries", {"data": {"upload": "0" * 63 + nul, "as": "zones"}}),
        (reviewer, "POST", "/api/registers", {"data": {"upload": nul, "crs": "wgs84", "file_name": nul}}),
        (reviewer, "POST", "/api/registers/x/confirm", {"data": {"old_name": nul, "new_name": nul}}),
        (reviewer, "POST", "/api/monitoring", {"data": {"upload": nul}}),
        (reviewer, "POST", "/api/me/password", {"json": {"old_password": nul, "new_password": nul}}),
    ):
        r = client.request(method, path, **kw)
        _one_line(r)
        assert r.status_code >= 400, (path, r.status_code, r.text[:200])
    anon = TestClient(app, raise_server_exceptions=False)
    for body in ({"username": nul, "password": nul}, {"username": "officer", "password": nul}):
        _one_line(anon.post("/api/login", json=body))


def test_every_state_changing_route_needs_the_csrf_token(app: Any) -> None:
    """A cookie session without the token: 403 before any route runs, on every unsafe route."""
    officer, reviewer = _login(app, "officer", csrf=False), _login(app, "reviewer", csrf=False)
    checked = 0
    for method, path in _routes(app):
        if method not in _UNSAFE or path in _PUBLIC_POSTS:
            continue
        for client in (officer, reviewer):
            r = client.request(method, _fill(path, "nosuch"), headers={"Origin": "http://testserver"})
            assert r.status_code == 403 and "CSRF" in r.json()["detail"], (method, path, r.status_code)
            checked += 1
    assert checked >= 2 * 20


def _fake_register(app: Any, uploader: str) -> str:
    rid = uuid.uuid4().hex
    store = app.state.store
    with store.begin() as conn:
        conn.execute(
            insert(s.registers).values(
                id=rid,
                file_name="假清单.csv",
                sha256="0" * 64,
                kind="csv",
                size=1,
                uploaded_at=now_iso(),
                uploader=uploader,
                crs="wgs84",
                columns_json="{}",
                rows_in=0,
                imported=0,
                refused=0,
                warned=0,
                report_json="[]",
                per_zone_json="{}",
                per_jiedao_json="{}",
            )
        )
    return rid


def _failed_job(app: Any, kind: str, rid: str, submitter: str) -> str:
    jid = uuid.uuid4().hex
    with app.state.store.begin() as conn:
        conn.execute(
            insert(s.jobs).values(
                id=jid,
                kind=kind,
                status="failed",
                progress=1.0,
                message="失败",
                error="磁盘故障",
                params_json=json.dumps({"register_id": rid, "file_name": "假清单.csv"}, ensure_ascii=False),
                register_id=rid,
                created_at=now_iso(),
                submitter=submitter,
            )
        )
    return jid


def test_a_retry_is_a_rebuild_only_the_uploader_or_a_reviewer_may_start_and_it_runs_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Issue 33: any 填报 rebuilt anyone's package; the retry route added later did it again."""
    application = _make_app(tmp_path_factory, None)
    client = TestClient(application, raise_server_exceptions=False)  # no lifespan: no worker claims the jobs
    del client
    rid = _fake_register(application, "clerk")
    failed = _failed_job(application, "package", rid, "clerk")
    other = _login(application, "clerk2")
    r = other.post(f"/api/jobs/{failed}/retry")
    assert r.status_code == 403 and "上传该数据的用户或审核" in r.json()["detail"], r.text
    mine = _login(application, "clerk")
    first = mine.post(f"/api/jobs/{failed}/retry")
    assert first.status_code == 202, first.text
    again = _login(application, "reviewer").post(f"/api/jobs/{failed}/retry")
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]  # one build at a time
    with application.state.store.engine.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM jobs WHERE kind = 'package' AND status = 'queued'")).scalar()
    assert live == 1
    application.state.store.dispose()


def test_another_clerk_cannot_rebuild_a_package_through_its_own_route(app: Any) -> None:
    """Issue 33 (Medium): any 填报 rebuilt anyone's package."""
    rid = _fake_register(app, "clerk")
    r = _login(app, "clerk2").post(f"/api/registers/{rid}/package")
    assert r.status_code == 403 and "上传该数据的用户或审核" in r.json()["detail"], r.text


def test_argon2_never_runs_on_the_event_loop_and_at_most_two_at_once(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 33 (Medium): argon2 ran inside the async login handler (ten logins stalled every request
    1.05 s). Each password check is watched: never on a thread with a running event loop, never more
    than `MAX_AT_ONCE` at a time."""
    import asyncio
    import threading

    from hepinggis.web.auth import _accounts as _auth
    from hepinggis.web.auth._login_guard import MAX_AT_ONCE

    real = _auth.verify_password
    seen = {"on_loop": 0, "calls": 0, "now": 0, "most": 0}
    lock = threading.Lock()

    def watched(stored: str | None, password: str) -> bool:
        try:
            asyncio.get_running_loop()
            seen["on_loop"] += 1
        except RuntimeError:
            pass
        with lock:
            seen["calls"] += 1
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        try:
            return real(stored, password)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(_auth, "verify_password", watched)

    async def six() -> list[int]:  # one event loop, six logins at once (no lifespan: ASGITransport)
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            bodies = [{"username": "clerk", "password": f"wrong-{i}-xyz"} for i in range(6)]
            answers = await asyncio.gather(*(client.post("/api/login", json=b) for b in bodies))
        return [r.status_code for r in answers]

    codes = _run_apart(six())
    assert codes == [401] * 6
    assert seen["calls"] == 6 and seen["on_loop"] == 0 and 1 <= seen["most"] <= MAX_AT_ONCE, seen


def test_a_stalled_body_is_dropped() -> None:
    """Issue 33 (Low): slow clients were never timed out. A body that stops arriving is a disconnect
    after the idle time, and the app gets no more of it."""
    import asyncio

    from hepinggis.web._transport import HostAndTimeout

    got: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            got.append(message)
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                return

    async def receive_then_stall() -> dict[str, Any]:
        if not got:
            return {"type": "http.request", "body": b"x" * 10, "more_body": True}
        await asyncio.sleep(3600)
        raise AssertionError("never")

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/api/registers", "headers": [(b"host", b"127.0.0.1")]}
    wrapped = HostAndTimeout(app, hosts=None, body_idle_s=0.2)
    _run_apart(asyncio.wait_for(wrapped(scope, receive_then_stall, send), 10))
    assert [m["type"] for m in got] == ["http.request", "http.disconnect"]
