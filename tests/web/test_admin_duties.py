"""The three administrative duties held apart (issue 33, 等保 2.0 三员分立), on SQLite and PostGIS:
a 用户管理 cannot grant itself 审计查看, reach the audit trail or take over an account holding a duty
it does not hold; the 审计查看 cannot change users; the 安全管理 grants duties (never its own),
keeps the settings and releases lockouts; an account of 管理 from before the split keeps working.
The route × account matrix itself is in test_auth_app.py."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _server_env import pg_schemas  # noqa: F401 - fixture
from sqlalchemy import create_engine, func, select, text

from hepinggis.web.auth._accounts import LoginPolicy
from hepinggis.web.store._server_schema import audit_log

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

PW = {
    "clerk": "Tb#8472-lvse-qiu",
    "officer": "Gl#9034-lan-tian",
    "useradmin": "Yh#7310-gl-shan",
    "secadmin": "Aq#6621-gl-shui",
    "auditor": "Sj#4418-ck-feng",
}


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    db_url, drop = None, None
    if request.param == "postgis":
        from _server_env import _with_schema, require_dsn

        dsn = require_dsn()
        admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        db_url = _with_schema(dsn, schema)

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()

    try:
        application = create_app(
            data_dir=tmp_path_factory.mktemp(f"duties_{request.param}"),
            db_url=db_url,
            workers=1,
            require_login=True,
            login_policy=LoginPolicy(slow_after=50, lock_after=3, address_slow_after=1000, address_lock_after=2000),
        )
        accounts = application.state.accounts
        accounts.add_user("clerk", role="填报", password=PW["clerk"])
        accounts.add_user("officer", role="管理", password=PW["officer"])  # no duties given: all three
        accounts.add_user("useradmin", role="无", duties=["用户管理"], password=PW["useradmin"])
        accounts.add_user("secadmin", role="无", duties=["安全管理"], password=PW["secadmin"])
        accounts.add_user("auditor", role="无", duties=["审计查看"], password=PW["auditor"])
        with TestClient(application, raise_server_exceptions=False):
            yield application
    finally:
        if drop is not None:
            drop()


def _login(app: Any, name: str, password: str | None = None) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    r = client.post("/api/login", json={"username": name, "password": password or PW[name]})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def _audit_rows(app: Any) -> int:
    with app.state.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_a_user_admin_cannot_grant_itself_audit_nor_reach_or_erase_the_trail(app: Any) -> None:
    ua = _login(app, "useradmin")
    before = _audit_rows(app)
    me = ua.get("/api/session").json()
    assert me["duties"] == ["用户管理"] and "audit" not in me["permissions"] and "users" in me["permissions"]
    # granting any duty is 安全管理's: to itself, to a new account, to another account
    r = ua.post("/api/users/useradmin/duties", json={"duties": ["用户管理", "审计查看"]})
    assert r.status_code == 403 and r.json()["detail"].startswith("权限不足")
    puppet = {"name": "puppet", "role": "无", "password": "Pp#5120-abc-xyz", "duties": ["审计查看"]}
    r = ua.post("/api/users", json=puppet)
    assert r.status_code == 403 and "安全管理员" in r.json()["detail"]
    assert ua.post("/api/users/useradmin/role", json={"role": "管理"}).status_code == 403  # its own account
    # nor take over the auditor's account (reset its password, then log in as it), nor disable it
    r = ua.post("/api/users/auditor/password", json={"password": "Tk#over-2024-xyz"})
    assert r.status_code == 403 and "审计查看" in r.json()["detail"], r.text
    assert ua.post("/api/users/auditor/disable").status_code == 403
    assert ua.post("/api/users/officer/password", json={"password": "Tk#over-2024-xyz"}).status_code == 403
    # the audit trail: neither read, exported, verified nor its retention shortened
    for path in ("/api/audit", "/api/audit.csv", "/api/audit.xlsx", "/api/audit/verify", "/audit"):
        assert ua.get(path).status_code == 403, path
    assert ua.post("/api/security", json={"audit_keep_days": 180}).status_code == 403
    # and nothing it did removed a row (every refusal above is itself a row)
    assert _audit_rows(app) > before
    # what it may do: an account of the bureau's work, whose password its owner changes at login
    r = ua.post("/api/users", json={"name": "newclerk", "role": "填报", "password": "Nc#3388-abc-xyz"})
    assert r.status_code == 201, r.text
    assert r.json()["duties"] == []
    fresh = _login(app, "newclerk", "Nc#3388-abc-xyz")
    assert fresh.get("/api/session").json()["must_change"] is True
    assert fresh.get("/api/registers").status_code == 403
    assert ua.post("/api/users/clerk/role", json={"role": "审核"}).status_code == 200
    assert ua.post("/api/users/clerk/role", json={"role": "填报"}).status_code == 200


def test_the_auditor_reads_exports_and_verifies_but_cannot_change_users(app: Any) -> None:
    au = _login(app, "auditor")
    assert au.get("/api/audit").status_code == 200
    assert au.get("/api/audit.csv").status_code == 200
    verified = au.get("/api/audit/verify")
    assert verified.status_code == 200 and verified.json()["intact"] is True, verified.text
    page = au.get("/audit")
    assert page.status_code == 200 and 'href="/audit"' in page.text
    assert 'href="/users"' not in page.text and 'href="/security"' not in page.text
    for method, path, body in (
        ("POST", "/api/users", {"name": "x1", "role": "填报", "password": "Xx#1234567-ab"}),
        ("POST", "/api/users/clerk/disable", None),
        ("POST", "/api/users/clerk/password", {"password": "Xx#1234567-ab"}),
        ("POST", "/api/users/clerk/role", {"role": "审核"}),
        ("POST", "/api/users/clerk/duties", {"duties": ["审计查看"]}),
        ("POST", "/api/users/auditor/duties", {"duties": ["审计查看", "用户管理"]}),
        ("POST", "/api/security", {"password_history": 0}),
        ("GET", "/api/users", None),
        ("GET", "/users", None),
        ("GET", "/security", None),
    ):
        r = au.request(method, path, json=body)
        assert r.status_code == 403, (method, path, r.status_code)


def test_the_security_admin_grants_duties_keeps_settings_and_releases_lockouts(app: Any) -> None:
    sa = _login(app, "secadmin")
    r = sa.post("/api/users/secadmin/duties", json={"duties": ["安全管理", "审计查看"]})
    assert r.status_code == 403 and "自己" in r.json()["detail"]
    assert sa.post("/api/users", json={"name": "x2", "role": "填报", "password": "Xx#1234567-ab"}).status_code == 403
    assert sa.get("/api/audit").status_code == 403
    assert sa.post("/api/users/clerk/duties", json={"duties": ["总管"]}).status_code == 400
    # a clerk made auditor: its session ends, the next one reads the trail
    clerk = _login(app, "clerk")
    assert clerk.get("/api/audit").status_code == 403
    assert sa.post("/api/users/clerk/duties", json={"duties": ["审计查看"]}).json()["duties"] == ["审计查看"]
    assert clerk.get("/api/audit").status_code == 401
    assert _login(app, "clerk").get("/api/audit").status_code == 200
    assert sa.post("/api/users/clerk/duties", json={"duties": []}).status_code == 200
    assert _login(app, "clerk").get("/api/audit").status_code == 403
    # settings: stored, refused out of range, audited with what changed
    r = sa.post("/api/security", json={"ogc_public": "district, zones", "password_history": 3, "audit_keep_days": 400})
    assert r.status_code == 200, r.text
    got = sa.get("/api/security").json()["settings"]
    assert got["ogc_public"] == "district,zones" and got["password_history"] == 3 and got["audit_keep_days"] == 400
    for bad in ({"audit_keep_days": 90}, {"password_history": 99}, {"ogc_public": "a b"}, {}):
        r = sa.post("/api/security", json=bad)
        assert r.status_code == 400 and "\n" not in r.json()["detail"], (bad, r.text)
    sa.post("/api/security", json={"ogc_public": "", "password_history": 5, "audit_keep_days": 180})
    # a lockout (3 wrong passwords from this address) released by the 安全管理
    anon = TestClient(app, raise_server_exceptions=False)
    for _ in range(3):
        anon.post("/api/login", json={"username": "officer", "password": "wrong-wrong-1"})
    assert anon.post("/api/login", json={"username": "officer", "password": PW["officer"]}).status_code == 429
    locks = [x for x in sa.get("/api/security").json()["lockouts"] if x["name"] == "officer" and x["address"]]
    assert locks and locks[0]["locked_until"] > 0
    assert sa.post("/api/security/release", json={"key": locks[0]["key"]}).status_code == 200
    assert sa.post("/api/security/release", json={"key": locks[0]["key"]}).status_code == 404
    assert anon.post("/api/login", json={"username": "officer", "password": PW["officer"]}).status_code == 200
    officer = _login(app, "officer")
    actions = {a["action"] for a in officer.get("/api/audit?limit=200").json()}
    assert {"user_duties", "security_settings", "release_lockout"} <= actions


def test_an_officer_from_before_the_split_holds_all_three(app: Any) -> None:
    officer = _login(app, "officer")
    me = officer.get("/api/session").json()
    assert me["duties"] == ["用户管理", "安全管理", "审计查看"]
    assert {"users", "security", "audit", "adopt", "delete"} <= set(me["permissions"])
    page = officer.get("/").text
    assert all(f'href="{p}"' in page for p in ("/users", "/security", "/audit"))
    assert officer.get("/api/users").status_code == 200 and officer.get("/api/security").status_code == 200
    # and separates them: gives 审计查看 to the auditor's colleague, keeps 用户管理 and 安全管理
    assert officer.post("/api/users/officer/duties", json={"duties": ["用户管理"]}).status_code == 403


def test_the_security_page_shows_hostile_names_as_text(app: Any) -> None:
    import html

    from conftest import HOSTILE

    from hepinggis.errors import AccountError
    from hepinggis.web.auth._accounts import check_name

    names = []
    for h in HOSTILE:
        try:
            if check_name(h["text"]) == h["text"] and "<" in h["text"]:
                names.append(h["text"])
        except AccountError:
            pass
    assert names
    officer = _login(app, "officer")
    for i, name in enumerate(names[:5]):
        r = officer.post("/api/users", json={"name": name, "role": "填报", "password": f"Hh#{i}417-abc-xyz"})
        assert r.status_code in (201, 400), r.text
    page = officer.get("/security").text
    for name in names[:5]:
        assert name not in page
    assert any(html.escape(n, quote=True) in page for n in names[:5])


def test_the_migration_gives_each_officer_all_three_duties(tmp_path: Path, pg_schemas: Any) -> None:  # noqa: F811
    """s0007 on a store made at s0006 with a 管理, a 填报 and a live session, on both stores."""
    from alembic import command

    from hepinggis.web.auth._accounts import Accounts
    from hepinggis.web.store._engine import make_engine
    from hepinggis.web.store._migrate import _config, upgrade

    for db in (None, pg_schemas()):
        engine = make_engine(tmp_path / uuid.uuid4().hex, db)
        cfg = _config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "s0006")
            from hepinggis.web.auth._passwords import hash_password

            h = hash_password(PW["officer"])
            for name, role in (("老王", "管理"), ("小李", "填报")):
                conn.execute(
                    text(
                        "INSERT INTO users (name, role, password_hash, disabled, created_at, updated_at) "
                        "VALUES (:n, :r, :h, false, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')"
                    ),
                    {"n": name, "r": role, "h": h},
                )
        upgrade(engine)
        accounts = Accounts(engine)
        rows = {u["name"]: u for u in accounts.list_users()}
        assert rows["老王"]["duties"] == ["用户管理", "安全管理", "审计查看"] and rows["老王"]["role"] == "管理"
        assert rows["小李"]["duties"] == [] and not rows["老王"]["must_change"]  # counted from the upgrade
        _, session = accounts.login("老王", PW["officer"], address="127.0.0.1")
        assert session.duties == ("用户管理", "安全管理", "审计查看") and not session.must_change
        accounts.add_user("纯审计", role="无", duties=["审计查看"], password=PW["auditor"])  # the new role value
        engine.dispose()
