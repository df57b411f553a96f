"""The boundaries in force, version by version: each adoption, choice or rollback on the 边界
page adds a row (table ``boundary_versions``, migration s0006); putting a version back is itself a
version. The row is written in the transaction that changes what is in force."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.engine import Connection

from hepinggis.web.store._store import Store, now_iso

__all__ = ["beijing", "boundary_versions", "put_in_force", "version_list"]

_META = MetaData()
#: Created by the migration s0006, never by ``create_all``.
boundary_versions = Table(
    "boundary_versions",
    _META,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("boundary_id", String(32)),
    Column("action", String(16), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("as_layer", String(16), nullable=False),
    Column("who", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Column("changes_json", Text, nullable=False),
)


def _record(
    conn: Connection, bid: str | None, b: dict[str, Any] | None, action: str, who: str, changes: list[str]
) -> None:
    conn.execute(
        insert(boundary_versions).values(
            boundary_id=bid,
            action=action,
            file_name=str(b["file_name"]) if b else "随附边界",
            sha256=str(b["sha256"]) if b else "",
            as_layer=str(b["as_layer"]) if b else "",
            who=who,
            at=now_iso(),
            changes_json=json.dumps(changes, ensure_ascii=False),
        )
    )


def put_in_force(store: Store, bid: str | None, *, who: str, action: str, changes: list[str]) -> None:
    """Put the upload ``bid`` (None: the bundled boundaries) in force and record the version, in
    one transaction."""
    from sqlalchemy import update

    from hepinggis.web.store import _schema as s

    b = store.get_boundary(bid) if bid else None
    with store.begin() as conn:
        conn.execute(update(s.boundaries).values(active=False))
        if bid:
            conn.execute(update(s.boundaries).where(s.boundaries.c.id == bid).values(active=True))
        store.put_setting(conn, "boundaries", bid or "")
        _record(conn, bid, b, action, who, changes)


def beijing(iso: str) -> str:
    """An ISO time (UTC) as the bureau reads it: ``2026-12-07 19:53``（北京时间）."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


def version_list(store: Store) -> list[dict[str, Any]]:
    """Every version, newest first, the one in force marked ``current``."""
    with store.engine.connect() as conn:
        rows = [
            dict(r._mapping) for r in conn.execute(select(boundary_versions).order_by(boundary_versions.c.n.desc()))
        ]
    for k, row in enumerate(rows):
        row["changes"] = json.loads(row.pop("changes_json"))
        row["current"] = k == 0
        row["at_beijing"] = beijing(str(row["at"]))
    return rows
