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
from urllib.parse import quote

import httpx
import pytest

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
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace"))
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
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
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hepinggis",
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--data",
            str(data),
            *(["--db", db] if db else []),
        ],
        input=password + "\n",
        text=True,
        capture_output=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert password not in done.stdout + done.stderr
