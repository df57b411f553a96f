"""The audit trail nobody can rewrite (issue 33), on SQLite and on PostGIS: each row chained to the
one before by HMAC-SHA-256 with a key kept outside the store, `hepinggis audit verify` finding a
row changed, removed or inserted; a store dump signed with that key, `store restore` refusing one
edited after it was written (an injected 管理 account with its sha256 recomputed); on PostgreSQL
the app's own role may only read and append to audit_log."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
import zipfile
from pathlib import Path

import pytest
from _cli import cli_in_process
from _server_env import pg_schemas, pg_url, require_dsn, store_url  # noqa: F401 - fixtures
from sqlalchemy import create_engine, text

from hepinggis.errors import StoreBackupError
from hepinggis.web.auth import _audit
from hepinggis.web.auth._accounts import Accounts
from hepinggis.web.store._backup import dump, restore
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._migrate import upgrade


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "keys" / "signing.key"
    monkeypatch.setenv("HEPINGGIS_KEY_FILE", str(path))
    return path


def _tamper(engine, sql: str) -> None:  # type: ignore[no-untyped-def]
    """What whoever can write the database itself can do: lift the append-only guard and edit."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            names = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))]
            sqls = [r[0] for r in conn.execute(text("SELECT sql FROM sqlite_master WHERE type='trigger'")) if r[0]]
            for name in names:
                conn.execute(text(f"DROP TRIGGER {name}"))
            conn.execute(text(sql))
            for s in sqls:
                conn.execute(text(s))


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE audit_log SET username = '无人' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
        "UPDATE audit_log SET outcome = '成功' WHERE id = 3",
    ],
)
def test_verify_finds_a_row_changed_or_removed(tmp_path: Path, store_url: str | None, edit: str) -> None:  # noqa: F811
    engine = make_engine(tmp_path / "d", store_url)
    upgrade(engine)
    for k in range(4):
        _audit.record(engine, action="login_failed", username=f"u{k}", address="10.0.0.1", outcome="失败（HTTP 401）")
    assert _audit.verify(engine) == (4, [])
    db = ["--db", store_url] if store_url else []
    done = cli_in_process("audit", "verify", "--data", str(tmp_path / "d"), *db)
    assert done.returncode == 0 and "链条一致" in done.stdout, done.stderr
    _tamper(engine, edit)
    _n, problems = _audit.verify(engine)
    assert problems and "第 " in problems[0]
    done = cli_in_process("audit", "verify", "--data", str(tmp_path / "d"), *db)
    assert done.returncode != 0 and "审计日志被改动" in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    engine.dispose()


def test_a_row_inserted_without_the_key_breaks_the_chain(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "d")
    upgrade(engine)
    _audit.record(engine, action="login", username="王工")
    with engine.begin() as conn:  # an INSERT is allowed by the triggers: the chain catches it
        conn.execute(
            text(
                "INSERT INTO audit_log (at, username, role, address, action, object, sha256, outcome, detail, chain) "
                "VALUES ('2026-01-01', '伪造', '管理', '', 'user_add', '', '', '成功', '', :c)"
            ),
            {"c": "0" * 64},
        )
    _audit.record(engine, action="logout", username="王工")
    assert len(_audit.verify(engine)[1]) >= 1


def _edited_dump(src: Path, dest: Path) -> None:
    """The dump with a 管理 account added to its users table and the manifest's sha256 recomputed
    (what the issue did: the unkeyed sha256 alone was checked)."""
    with zipfile.ZipFile(src) as zin:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    users = members["tables/users.jsonl"].decode().splitlines()
    row = json.loads(users[0])
    row.update(id=999, name="入侵者", role="管理")
    users.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    members["tables/users.jsonl"] = ("\n".join(users) + "\n").encode()
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["users"] = {
        "rows": len(users),
        "sha256": hashlib.sha256(members["tables/users.jsonl"]).hexdigest(),
    }
    members["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    dest.write_bytes(buf.getvalue())


def test_restore_refuses_an_edited_dump(tmp_path: Path, store_url: str | None, request: pytest.FixtureRequest) -> None:  # noqa: F811
    engine = make_engine(tmp_path / "a", store_url)
    upgrade(engine)
    Accounts(engine).add_user("张三", role="填报", password="Kf8#mQ2!zR7p")
    _audit.record(engine, action="user_add", username="王工", object="用户 张三")
    dump(engine, tmp_path / "a", tmp_path / "dump.zip")
    _edited_dump(tmp_path / "dump.zip", tmp_path / "edited.zip")
    target_url = request.getfixturevalue("pg_schemas")() if store_url else None
    target = make_engine(tmp_path / "b", target_url)
    upgrade(target)
    with pytest.raises(StoreBackupError, match="签名不符"):
        restore(target, tmp_path / "b", tmp_path / "edited.zip")
    assert not Accounts(target).has_users()
    restore(target, tmp_path / "b", tmp_path / "dump.zip")  # the dump as written: restored, chain whole
    assert Accounts(target).has_users() and _audit.verify(target) == (1, [])
    engine.dispose()
    target.dispose()


def test_restore_refuses_a_dump_signed_with_another_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(tmp_path / "a")
    upgrade(engine)
    dump(engine, tmp_path / "a", tmp_path / "dump.zip")
    monkeypatch.setenv("HEPINGGIS_KEY_FILE", str(tmp_path / "other.key"))
    (tmp_path / "other.key").write_bytes(os.urandom(32))
    with pytest.raises(StoreBackupError, match="签名不符"):
        restore(make_engine(tmp_path / "b"), tmp_path / "b", tmp_path / "dump.zip")


def test_the_app_role_may_only_read_and_append_the_audit_trail(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    """PostgreSQL: the schema owned by the migration role; the app's role cannot rewrite rows nor
    disable the triggers (issue 33: the app's own role owned audit_log and could)."""
    dsn = require_dsn()
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    role = "hepinggis_app"
    with admin.begin() as conn:  # .ci/postgis-up creates it; made here too where it is missing
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar():
            conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    admin.dispose()
    owner = make_engine(tmp_path / "d", pg_url)
    upgrade(owner)
    done = cli_in_process("store", "grant", role, "--data", str(tmp_path / "d"), "--db", pg_url)
    assert done.returncode == 0, done.stderr
    user = dsn.split("://", 1)[1].split("@", 1)[0]
    app_url = pg_url.replace(f"://{user}@", f"://{role}@", 1)
    app = make_engine(tmp_path / "d", app_url)
    upgrade(app)  # at head already: the app's start does no DDL
    _audit.record(app, action="login", username="王工", address="10.0.0.1")
    accounts = Accounts(app)
    accounts.add_user(f"u{uuid.uuid4().hex[:6]}", role="填报", password="Kf8#mQ2!zR7p")  # working tables: writable
    for sql in (
        "UPDATE audit_log SET username = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TABLE audit_log",
        "DELETE FROM signatures",
    ):
        with pytest.raises(Exception, match=r"(?i)permission denied|must be owner"), app.begin() as conn:
            conn.execute(text(sql))
    assert _audit.verify(app) == (1, [])
    app.dispose()
    owner.dispose()


def test_retention_exports_then_removes_and_the_chain_still_verifies(
    tmp_path: Path,
    store_url: str | None,  # noqa: F811
) -> None:
    import datetime as dt

    import pandas as pd

    from hepinggis.errors import InvalidOptionError
    from hepinggis.web.auth._audit_retention import anchor, prune

    engine = make_engine(tmp_path / "d", store_url)
    upgrade(engine)
    for k in range(3):
        _audit.record(engine, action="login", username=f"u{k}")
    with pytest.raises(InvalidOptionError, match="180"):
        prune(engine, tmp_path / "old.csv", days=30)
    assert prune(engine, tmp_path / "old.csv") == 0  # nothing is six months old yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    assert prune(engine, tmp_path / "old.csv", now=later) == 3
    exported = pd.read_csv(tmp_path / "old.csv", dtype=str, keep_default_na=False)
    assert list(exported["username"]) == ["u0", "u1", "u2"] and exported["chain"].iloc[-1] == anchor(engine)
    digest = (tmp_path / "old.csv.sha256").read_text(encoding="utf-8").split()[0]
    assert digest == hashlib.sha256((tmp_path / "old.csv").read_bytes()).hexdigest()
    _audit.record(engine, action="logout", username="u2")
    assert _audit.verify(engine) == (1, [])  # the remaining trail chains on from the anchor
    with engine.begin() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM audit_log"))  # the guard is back after the prune
    engine.dispose()
