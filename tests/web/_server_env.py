"""Fixtures of the server tests (issue 27): a PostgreSQL/PostGIS schema of its own per test, so
that tests are independent and safe under pytest-xdist, and small helpers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from _cli import cli_in_process

DSN = os.environ.get("HEPINGGIS_TEST_DSN")
REPO = Path(__file__).resolve().parents[2]


def require_dsn() -> str:
    """$HEPINGGIS_TEST_DSN, or a skip (a failure on CI, where .ci/postgis-up provides it)."""
    if not DSN:
        if os.environ.get("CI"):
            pytest.fail("CI must provide a PostGIS server in HEPINGGIS_TEST_DSN (.ci/postgis-up)")
        pytest.skip("no PostGIS server: run `export HEPINGGIS_TEST_DSN=$(bash .ci/postgis-up | tail -1)`")
    return DSN


def _with_schema(dsn: str, schema: str) -> str:
    sep = "&" if "?" in dsn else "?"
    return f"{dsn}{sep}options={quote(f'-csearch_path={schema},public')}"


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A postgresql:// URL working in a fresh schema of its own, dropped after: for fixtures of a
    wider scope than `pg_url` (a module's shared server)."""
    from sqlalchemy import create_engine, text

    dsn = require_dsn()
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _with_schema(dsn, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def pg_schemas() -> Iterator[Callable[[], str]]:
    """A factory of postgresql:// URLs, each working in a fresh schema of its own (all dropped after)."""
    from sqlalchemy import create_engine, text

    dsn = require_dsn()
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    made: list[str] = []

    def new() -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        made.append(schema)
        return _with_schema(dsn, schema)

    try:
        yield new
    finally:
        with admin.begin() as conn:
            for schema in made:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def pg_url(pg_schemas: Callable[[], str]) -> str:
    """A postgresql:// URL whose connections work in a fresh schema of their own (dropped after)."""
    return pg_schemas()


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str | None]:
    """None (the embedded SQLite store) or a PostGIS URL: the test runs on both stores."""
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("pg_url")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    def __init__(
        self,
        data: Path,
        db: str | None,
        *,
        host: str = "127.0.0.1",
        max_upload: str = "50MB",
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"serve-{self.port}.log"
        cmd = [sys.executable, "-m", "hepinggis", "serve", "--data", str(data), "--host", host]
        cmd += ["--db", db] if db else []
        cmd += ["--port", str(self.port), "--max-upload", max_upload, *args]
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 300  # a busy machine (load 30 on 2 cores) needs minutes
        # one client for the whole wait (a client per poll costs its SSL context, ~25 ms of CPU:
        # a fifth of a core taken from the starting server; tests/web/_server.py the same)
        with httpx.Client(timeout=1) as poll:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.log.read_text(errors="replace"))
                try:
                    if poll.get(self.url + "/api/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    time.sleep(0.05)  # poll fast: the test waits on this
        self.stop()
        raise RuntimeError("serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def users_add(data: Path, db: str | None, name: str, role: str, password: str) -> None:
    """``hepinggis users add NAME --role ROLE --password-stdin --data DATA [--db DB]``, the password
    on stdin: the command's own code run in this process (`cli_in_process`; the same store, account
    and audit line as the command run as a process of its own, which test_extras_and_cli.py runs);
    it succeeds and never echoes the password."""
    done = cli_in_process(
        "users",
        "add",
        name,
        "--role",
        role,
        "--password-stdin",
        "--data",
        str(data),
        *(["--db", db] if db else []),
        stdin=password + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr


def register_row(conn: Any, rid: str, n: int, *, file_name: str = "t.csv") -> None:
    """The ``registers`` row of a register of ``n`` projects stored by hand (in ``conn``'s
    transaction), as an import would store it, without its report: for tests that write the
    projects themselves."""
    from sqlalchemy import insert

    from hepinggis.web.store import _schema as s

    conn.execute(
        insert(s.registers).values(
            id=rid,
            file_name=file_name,
            sha256="0" * 64,
            kind="csv",
            size=1,
            uploaded_at="2026-01-01T00:00:00+00:00",
            uploader="t",
            crs="EPSG:4326",
            columns_json="{}",
            rows_in=n,
            imported=n,
            refused=0,
            warned=0,
            report_json="[]",
            per_zone_json="[]",
            per_jiedao_json="[]",
            boundaries="",
        )
    )


def login_and_upload(url: str, user: str, password: str, register: Path) -> tuple[dict[str, str], httpx.Response]:
    """Log in to the server at ``url`` and upload ``register`` (WGS 84) with the session: the
    bearer header and the upload's answer (long timeouts: argon2 and an import on a loaded machine)."""
    login = httpx.post(url + "/api/login", json={"username": user, "password": password}, timeout=180)
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    answer = httpx.post(
        url + "/api/registers",
        files={"file": (register.name, register.read_bytes())},
        data={"crs": "wgs84"},
        headers=auth,
        timeout=180,
    )
    return auth, answer
