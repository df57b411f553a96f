"""Retention of the audit trail (等保 asks for at least six months; default 180 days): rows older
than that are first written to a file (CSV, with its SHA-256 beside it), then removed, by the
schema's owner — the server's own role cannot (`_pg_roles`). The chain value of the last row
removed is kept in ``settings`` as the anchor `_audit.verify` starts from, so the remaining trail
still verifies and the exported rows verify against it (they end exactly at that anchor)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Engine

from hepinggis.errors import InvalidOptionError
from hepinggis.io._sheets import write_csv
from hepinggis.web.store import _schema as s
from hepinggis.web.store._server_schema import audit_log

__all__ = ["ANCHOR_KEY", "DEFAULT_DAYS", "anchor", "prune"]

DEFAULT_DAYS = 180
ANCHOR_KEY = "audit_chain_anchor"


def anchor(engine: Engine) -> str | None:
    """The chain value of the last row removed by `prune` (None if none ever was)."""
    with engine.connect() as conn:
        value = conn.execute(select(s.settings.c.value).where(s.settings.c.key == ANCHOR_KEY)).scalar()
    return str(value) if value else None


def prune(engine: Engine, export: Path, *, days: int = DEFAULT_DAYS, now: dt.datetime | None = None) -> int:
    """Export the rows older than ``days`` to the CSV ``export`` (and ``export``.sha256), then remove
    them; how many. Run as the schema's owner (it lifts the append-only guard for this one delete).
    """
    if days < 180:
        raise InvalidOptionError("审计日志至少保留 180 天（等保 2.0 要求不少于六个月）")
    cutoff = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
    cutoff = cutoff.replace("+00:00", "Z")
    with engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(select(audit_log).where(audit_log.c.at < cutoff).order_by(audit_log.c.id))
        ]
    if not rows:
        return 0
    write_csv(pd.DataFrame(rows), export)
    Path(f"{export}.sha256").write_text(
        f"{hashlib.sha256(Path(export).read_bytes()).hexdigest()}  {Path(export).name}\n", encoding="utf-8"
    )
    last_id, last_chain = rows[-1]["id"], rows[-1]["chain"]
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
            conn.execute(delete(audit_log).where(audit_log.c.id <= last_id))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))
        else:
            guard = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE type='trigger' AND name='audit_log_no_delete'")
            ).scalar()
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
            conn.execute(delete(audit_log).where(audit_log.c.id <= last_id))
            if guard:
                conn.execute(text(str(guard)))
        done = conn.execute(update(s.settings).where(s.settings.c.key == ANCHOR_KEY).values(value=last_chain or ""))
        if not done.rowcount:
            conn.execute(insert(s.settings).values(key=ANCHOR_KEY, value=last_chain or ""))
    return len(rows)
