"""Fixtures of the server tests (issue 27): a PostgreSQL/PostGIS schema of its own per test, so
that tests are independent and safe under pytest-xdist, and small helpers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
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
