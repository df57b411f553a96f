"""The store's database engine: SQLite in the data folder by default, or PostgreSQL/PostGIS from a
``postgresql://`` URL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from hepinggis.errors import InvalidOptionError

__all__ = ["SQLITE_NAME", "database_url", "make_engine"]

SQLITE_NAME = "hepinggis.sqlite"


def database_url(data_dir: Path, db_url: str | None) -> str:
    """The SQLAlchemy URL of the store: ``db_url`` (postgresql:// becomes postgresql+psycopg://)
    or the SQLite file in ``data_dir``."""
    if not db_url:
        return f"sqlite:///{Path(data_dir).resolve() / SQLITE_NAME}"
    scheme = db_url.split("://", 1)[0].lower() if "://" in db_url else ""
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + db_url.split("://", 1)[1]
    if scheme in ("postgresql+psycopg", "sqlite"):
        return db_url
    raise InvalidOptionError("--db 须为 postgresql://用户@主机:端口/数据库 形式的地址")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(data_dir: Path, db_url: str | None = None) -> Engine:
    """An engine on the store (the data folder is created for SQLite)."""
    url = database_url(data_dir, db_url)
    if url.startswith("sqlite"):
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)
