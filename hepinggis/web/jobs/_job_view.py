"""Background jobs as the register and package pages show them: the latest map or package job
of a register that is still queued, running, or failed (with its reason in Chinese), so a clerk
sees it and can retry it without the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store

__all__ = ["JOB_ZH", "RETRYABLE", "open_jobs"]

#: The jobs a page shows, as a clerk names them.
JOB_ZH = {"package": "简报包", "map": "项目地图", "plan_map": "规划总览地图"}
STATUS_ZH = {"queued": "排队等待", "running": "正在进行", "failed": "失败", "done": "完成"}
#: Jobs a page may start again with the same parameters.
RETRYABLE = ("package", "map", "plan_map")


def open_jobs(store: Store, register_id: str | None = None) -> list[dict[str, Any]]:
    """Per register and kind (`JOB_ZH`), the latest job when it is queued, running or failed."""
    t = s.jobs
    query = select(t.c.id, t.c.kind, t.c.status, t.c.progress, t.c.message, t.c.error, t.c.register_id).where(
        t.c.kind.in_(tuple(JOB_ZH))
    )
    if register_id is not None:
        query = query.where(t.c.register_id == register_id)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(t.c.created_at.desc(), t.c.id.desc()))]
    latest: dict[tuple[Any, str], dict[str, Any]] = {}
    for r in rows:
        latest.setdefault((r["register_id"], r["kind"]), r)
    out = []
    for r in latest.values():
        if r["status"] == "done":
            continue
        r["what"] = JOB_ZH[r["kind"]]
        r["status_zh"] = STATUS_ZH.get(r["status"], r["status"])
        out.append(r)
    return out
