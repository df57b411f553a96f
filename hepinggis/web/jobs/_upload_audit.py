"""Every upload in the audit trail with its file name, size and SHA-256 (computed while the bytes
streamed in, `_uploads.receive_upload`) — those sent as a file and those named by the token of an
earlier preview alike; and previews that expire (issue 33: page uploads were audited with
``sha256=''`` and no name, previews were kept forever and not audited)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlalchemy import delete, select

from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store

__all__ = ["PREVIEW_TTL_S", "expire_previews", "note_upload"]

#: A previewed file that no register, figures or boundaries use is removed after this many seconds.
PREVIEW_TTL_S = 24 * 3600.0
_last_sweep = {"at": 0.0}
_sweep_lock = threading.Lock()


def note_upload(scope: Any, info: dict[str, Any], *, how: str) -> None:
    """Put the upload's name, size and SHA-256 on the request's audit line (`_security` writes it)."""
    note = scope.setdefault("state", {}).setdefault("audit", {})
    note["file"] = f"文件 {info['file_name']}（{int(info['size']):,} 字节，{how}）"
    note["sha256"] = info["sha256"]


def _used(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        used = set(conn.execute(select(s.registers.c.sha256)).scalars())
        used |= set(conn.execute(select(s.figures.c.sha256)).scalars())
        used |= set(conn.execute(select(s.boundaries.c.sha256)).scalars())
        for row in conn.execute(
            select(s.jobs.c.params_json).where(s.jobs.c.status.in_(("queued", "running")))
        ).scalars():
            used.add(str(json.loads(row or "{}").get("sha256") or ""))
    return used


def expire_previews(store: Store, *, ttl_s: float = PREVIEW_TTL_S, every_s: float = 600.0) -> int:
    """Remove uploaded files older than ``ttl_s`` that nothing keeps (a preview never imported) and
    the results of preview jobs as old; at most once per ``every_s`` per process. How many files."""
    now = time.time()
    with _sweep_lock:
        if now - _last_sweep["at"] < every_s:
            return 0
        _last_sweep["at"] = now
    used = _used(store)
    removed = 0
    for path in store.files.glob("*/*"):
        sha = path.name.split(".", 1)[0]
        try:
            old = now - path.stat().st_mtime > ttl_s
        except FileNotFoundError:
            continue
        if old and sha not in used:
            path.unlink(missing_ok=True)
            removed += 1
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - ttl_s))
    with store.begin() as conn:
        conn.execute(
            delete(s.jobs).where(
                s.jobs.c.kind == "preview", s.jobs.c.status.in_(("done", "failed")), s.jobs.c.created_at < cutoff
            )
        )
    return removed
