"""Fixtures of the server tests (issue 27): a PostgreSQL/PostGIS schema of its own per test, so
that tests are independent and safe under pytest-xdist, and small helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

DSN = os.environ.get("HEPINGGIS_TEST_DSN")


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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A postgresql:// URL whose connections work in a fresh schema of their own (dropped after)."""
    from sqlalchemy import create_engine, text

    dsn = require_dsn()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine("postgresql+psycopg://" + dsn.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _with_schema(dsn, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str | None]:
    """None (the embedded SQLite store) or a PostGIS URL: the test runs on both stores."""
    if request.param == "sqlite":
        yield None
    else:
        yield request.getfixturevalue("pg_url")
