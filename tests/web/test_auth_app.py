"""Logins, roles, CSRF and sessions through the whole application (every route of the app, so a
route added later is covered without touching this file)."""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from hepinggis.web.auth._accounts import LoginPolicy
from hepinggis.web.auth._duties import DUTIES, permissions_of
from hepinggis.web.auth._security import _PUBLIC, _PUBLIC_PREFIXES, ROUTE_PERMISSIONS, flat_routes

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORDS = {"填报": "Tb#8472-lvse-qiu", "审核": "Sh#5531-hong-ye", "管理": "Gl#9034-lan-tian"}
USERS = {"填报": "clerk", "审核": "reviewer", "管理": "officer"}
#: the three administrative duties, each held alone by an account of no role (issue 33: 三员分立)
DUTY_USERS = {"用户管理": "useradmin", "安全管理": "secadmin", "审计查看": "auditor"}
PASSWORDS.update({"用户管理": "Yh#7310-gl-shan", "安全管理": "Aq#6621-gl-shui", "审计查看": "Sj#4418-ck-feng"})
ACCOUNTS = {**USERS, **DUTY_USERS}


def _add_accounts(application: Any) -> None:
    for role, name in USERS.items():  # 管理 without duties given: all three, as before the split
        application.state.accounts.add_user(name, role=role, password=PASSWORDS[role])
    for duty, name in DUTY_USERS.items():
        application.state.accounts.add_user(name, role="无", duties=[duty], password=PASSWORDS[duty])


def _permissions(key: str) -> frozenset[str]:
    if key in DUTY_USERS:
        return permissions_of("无", [key])
    return permissions_of(key, DUTIES if key == "管理" else ())


_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app: Any) -> list[tuple[str, str]]:
    out = []
    for route in flat_routes(app):
        methods = getattr(route, "methods", None) or {"GET"}
        for method in sorted(set(methods) - {"HEAD"}):
            out.append((method, route.path))
    return out


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "nosuch", path) + ("/x.css" if path in ("/static", "/vendor") else "")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    data = tmp_path_factory.mktemp("secured")
    policy = LoginPolicy(slow_after=3, lock_after=5, lock_seconds=300, address_slow_after=1000, address_lock_after=2000)
    application = create_app(data_dir=data, workers=1, require_login=True, login_policy=policy)
    _add_accounts(application)
    with TestClient(application, raise_server_exceptions=False):  # runs the lifespan: workers, schema
        yield application


def _client(app: Any, role: str | None, *, base_url: str = "http://testserver") -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, base_url=base_url, follow_redirects=False)
    if role is not None:
        r = client.post("/api/login", json={"username": ACCOUNTS[role], "password": PASSWORDS[role]})
        assert r.status_code == 200, r.text
        client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, TestClient]:
    return {role: _client(app, role) for role in ACCOUNTS}


def _public(method: str, path: str) -> bool:
    return (method, path) in _PUBLIC or path.startswith(tuple(p.rstrip("/") for p in _PUBLIC_PREFIXES))


def test_every_writing_route_has_a_permission(app: Any) -> None:
    unlisted = [
        (m, p) for m, p in _routes(app) if m in _UNSAFE and not _public(m, p) and (m, p) not in ROUTE_PERMISSIONS
    ]
    assert unlisted == []
    assert len(_routes(app)) > 30


def test_no_session_gets_401_or_the_login_page(app: Any) -> None:
    anon = _client(app, None)
    seen = 0
    for method, path in _routes(app):
        if _public(method, path):
            continue
        r = anon.request(method, _url(path))
        seen += 1
        if path.startswith(("/api/", "/ogc")) or method != "GET":  # an OGC client is not a browser: 401
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json() == {"detail": "请先登录（未登录或会话已过期）"}
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), (method, path)
    assert seen > 25
    assert anon.get("/api/health").json() == {"status": "ok"}
    assert anon.get("/login").status_code == 200 and "登录" in anon.get("/login").text


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_does_only_its_work(app: Any, clients: dict[str, TestClient], role: str) -> None:
    _matrix(app, clients[role], role)


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The same application on a PostGIS schema of its own (issue 33: the matrix on both stores)."""
    import uuid

    from _server_env import _with_schema, require_dsn
    from sqlalchemy import create_engine, text

    from hepinggis.web.app import create_app

    dsn = require_dsn()
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        application = create_app(
            data_dir=tmp_path_factory.mktemp("secured_pg"),
            db_url=_with_schema(dsn, schema),
            workers=1,
            require_login=True,
            login_policy=LoginPolicy(slow_after=3, lock_after=5, address_slow_after=1000, address_lock_after=2000),
        )
        _add_accounts(application)
        with TestClient(application, raise_server_exceptions=False):
            yield application
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_does_only_its_work_on_postgis(pg_app: Any, role: str) -> None:
    _matrix(pg_app, _client(pg_app, role), role)


def _matrix(app: Any, client: TestClient, role: str) -> None:
    checked = 0
    for method, path in _routes(app):
        if _public(method, path) or path in ("/api/logout", "/api/me/password"):
            continue
        permission = ROUTE_PERMISSIONS.get((method, path), ("view", None))[0]
        r = client.request(method, _url(path))
        checked += 1
        if permission in _permissions(role):
            assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:200])
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert r.json()["detail"].startswith("权限不足"), r.text
    assert checked > 25


def test_csrf_refused(app: Any) -> None:
    client = _client(app, "管理")
    token = client.headers.pop("X-CSRF-Token")
    body = {"name": "csrf-victim", "role": "填报", "password": "Xx#1234567-ab"}
    r = client.post("/api/users", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/users", json=body, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert r.status_code == 403
    r = client.post("/api/users", json=body, headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "其他网站" in r.json()["detail"]
    assert "csrf-victim" not in [u["name"] for u in client.get("/api/users").json()]
    r = client.post("/api/users", json=body, headers={"X-CSRF-Token": token, "Origin": "http://testserver"})
    assert r.status_code == 201, r.text
    # a bearer token is not sent by a browser on its own: no CSRF token needed
    bearer = TestClient(app, raise_server_exceptions=False)
    login = bearer.post("/api/login", json={"username": "officer", "password": PASSWORDS["管理"]}).json()
    bearer.cookies.clear()
    r = bearer.post("/api/users/csrf-victim/disable", headers={"Authorization": f"Bearer {login['token']}"})
    assert r.status_code == 200, r.text


def test_cookie_flags_and_no_fixation(app: Any) -> None:
    client = TestClient(app, raise_server_exceptions=False, base_url="https://testserver")
    planted = _client(app, "填报").cookies.get("hg_session")  # a live session id an attacker knows
    r = client.post(
        "/api/login",
        json={"username": "reviewer", "password": PASSWORDS["审核"]},
        headers={"Cookie": f"__Host-hg_session={planted}"},
    )
    # under TLS the cookies are __Host- prefixed (Secure, no Domain, path /): issue 33
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("__Host-hg_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    assert any(c.startswith("__Host-hg_csrf=") for c in r.headers.get_list("set-cookie"))
    new = cookie.split(";")[0].split("=", 1)[1]
    assert new != planted
    probe = TestClient(app, raise_server_exceptions=False)
    assert probe.get("/api/session", headers={"Authorization": f"Bearer {planted}"}).status_code == 401
    assert probe.get("/api/session", headers={"Authorization": f"Bearer {new}"}).json()["name"] == "reviewer"
    plain = TestClient(app, raise_server_exceptions=False).post(
        "/api/login", json={"username": "reviewer", "password": PASSWORDS["审核"]}
    )
    assert not any("Secure" in c for c in plain.headers.get_list("set-cookie"))  # plain HTTP: no Secure


def test_logout_and_expiry(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client(app, "填报")
    assert client.get("/api/registers").status_code == 200
    assert client.post("/api/logout").status_code == 200
    assert client.get("/api/registers").status_code == 401
    client = _client(app, "填报")
    import time as real_time

    later = real_time.time() + app.state.accounts.policy.idle_seconds + 5
    monkeypatch.setattr("hepinggis.web.auth._accounts.time", SimpleNamespace(time=lambda: later))
    assert client.get("/api/registers").status_code == 401


def test_lockout_through_the_api(app: Any) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    app.state.accounts.add_user("target", role="填报", password="Tg#5555-abc-xyz")
    codes = [
        client.post("/api/login", json={"username": "target", "password": f"guess-{i}-xx"}).status_code
        for i in range(4)
    ]
    assert codes[:3] == [401, 401, 401] and codes[3] in (401, 429)  # slowed 2 s (unless a loaded machine took longer)
    r = client.post("/api/login", json={"username": "target", "password": "Tg#5555-abc-xyz"})
    if r.status_code == 429:
        assert "秒后再试" in r.json()["detail"] and int(r.headers["retry-after"]) >= 1
    failures = codes.count(401) if r.status_code == 429 else 0  # a login that got through clears the count
    while failures < 5:  # then locked: even the right password is refused
        time.sleep(1)
        failures += client.post("/api/login", json={"username": "target", "password": "guess-y"}).status_code == 401
    r = client.post("/api/login", json={"username": "target", "password": "Tg#5555-abc-xyz"})
    assert r.status_code == 429 and "分钟后再试" in r.json()["detail"]
    for _ in range(200):  # a flood of cheap refusals (issue 33: each one was an audit row)
        client.post("/api/login", json={"username": "target", "password": "guess-x-xx"})
    officer = _client(app, "管理")
    rows = [a for a in officer.get("/api/audit").json() if "target" in a["username"] and a["action"] != "login"]
    assert [a["action"] for a in rows] == ["login_failed"] * len(rows)
    assert 1 <= len(rows) <= 4  # one per address and minute (a read of the trail may split a minute)
    counts = [int(re.search(r"共 (\d+) 次", a["detail"]).group(1)) for a in rows]  # type: ignore[union-attr]
    assert sum(counts) >= 205 and all("HTTP 429" in a["detail"] for a in rows[:1])
    assert rows[-1]["outcome"] == "失败（HTTP 401）" and rows[-1]["address"]
    assert all(a["object"].endswith("（北京时间）这一分钟") and "T" not in a["object"] for a in rows)  # issue 32


def test_login_goes_only_to_a_path_of_this_site(app: Any) -> None:
    """Issue 33: /.//evil.example, /a/..//evil.example and /%2e//evil.example were open redirects."""
    from hepinggis.web.auth._login_guard import safe_next

    for raw in (
        "/.//evil.example",
        "/a/..//evil.example",
        "/%2e//evil.example",
        "//evil.example",
        "/\\evil",
        "https://evil.example/",
        "/%2F%2Fevil.example",
        "/./%2e/..//evil.example/x?y=1",
    ):
        out = safe_next(raw)
        assert out.startswith("/") and not out.startswith("//") and "\\" not in out, (raw, out)
        assert urlsplit_netloc(out) == "", (raw, out)
    assert safe_next("/registers?id=3") == "/registers?id=3"
    assert safe_next("/a/b/../c") == "/a/c"
    client = TestClient(app, raise_server_exceptions=False)
    body = {"username": USERS["填报"], "password": PASSWORDS["填报"], "next": "/.//evil.example"}
    r = client.post("/api/login", json=body)
    assert r.status_code == 200 and r.json()["next"] == "/evil.example"


def urlsplit_netloc(path: str) -> str:
    from urllib.parse import urljoin, urlsplit

    return "" if urlsplit(urljoin("http://testserver/login", path)).netloc == "testserver" else "elsewhere"


def test_login_body_cap_counts_the_bytes_read(app: Any) -> None:
    """A chunked body (no Content-Length) of 20 MB used to be read and parsed whole."""
    client = TestClient(app, raise_server_exceptions=False)
    sent = {"n": 0}

    def chunks() -> Any:
        for _ in range(20 * 16):
            sent["n"] += 65_536
            yield b" " * 65_536

    r = client.post("/api/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_bad_login_bodies_are_one_chinese_line(app: Any) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    for body in (b"", b"{", b'{"username": 1}', b"[]", b'{"username": "a"}'):
        r = client.post("/api/login", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["detail"].startswith("登录请求须为 JSON")
    r = client.post("/api/login", content=b"x" * 20_000, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_password_never_logged_or_returned(
    app: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "Pw#never-show-7731"
    caplog.set_level(logging.DEBUG)
    officer = _client(app, "管理")
    bodies = [officer.post("/api/users", json={"name": "newbie", "role": "填报", "password": secret}).text]
    anon = TestClient(app, raise_server_exceptions=False)
    bodies.append(anon.post("/api/login", json={"username": "newbie", "password": secret + "x"}).text)
    bodies.append(anon.post("/api/login", json={"username": "newbie", "password": secret}).text)
    bodies.append(officer.post("/api/users/newbie/password", json={"password": secret[::-1]}).text)
    bodies.append(officer.get("/api/users").text)
    bodies.append(officer.get("/api/audit").text)
    bodies.append(officer.get("/api/audit.csv").text)
    out, err = capfd.readouterr()
    for text in (*bodies, caplog.text, out, err):
        assert secret not in text and secret[::-1] not in text
    assert "newbie" in bodies[-2]
