"""The one lock that signing and package building share, and a build's swap into place.

A briefing package (``packages/{rid}``) or a monitoring package (``packages/monitor-{fid}``) is
built by a worker into a folder of its own; only then, inside one transaction that holds the
package's lock (`lock_package`: a row lock on its ``registers`` or ``figures`` row in PostgreSQL,
the write transaction in SQLite), is it checked again — the register still there, the monitoring
package not signed meanwhile — and swapped in whole with its zip. The 审核's signature takes the
same lock and checks the same things, so that a signature is never undone by a rebuild that began
before it (issue 33: three of seven tries lost ``signature.json`` on PostgreSQL). A build asked
while one of the same package is queued or running gets that job's id: it runs once.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from hepinggis.errors import PackageConflict
from hepinggis.io._staging import replace_folder
from hepinggis.web.jobs._work_light import SIGNED_MESSAGE, is_signed, zip_folder
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store, new_id, now_iso

__all__ = ["BUSY_MESSAGE", "install_package", "lock_package", "pending_build", "request_build", "stage_for"]

BUSY_MESSAGE = "监测成果包正在生成，请完成后再签署"
#: job kind → (the table whose row is the package's lock, the job parameter naming that row)
_KINDS = {"package": (s.registers, "register_id"), "monitor": (s.figures, "figure_id")}


def lock_package(conn: Connection, kind: str, key: str) -> bool:
    """Take the package's lock for the rest of ``conn``'s transaction; False if its row is gone.

    A no-op ``UPDATE`` of the row: in PostgreSQL it holds the row lock until commit (a second
    signer or builder waits, then reads what the first committed: READ COMMITTED takes a new
    snapshot per statement); in SQLite it opens the write transaction (one writer at a time).
    """
    table, _ = _KINDS[kind]
    done = conn.execute(update(table).where(table.c.id == key).values(package_at=table.c.package_at))
    return bool(done.rowcount)


def pending_build(conn: Connection, kind: str, key: str, name: str | None = None) -> str | None:
    """The id of a queued or running build of this package, if any (``name``: the package's folder
    where it is not the register's own, e.g. a filtered one, parameter ``package`` of its job)."""
    _, param = _KINDS[kind]
    live = s.jobs.c.status.in_(("queued", "running"))
    rows = conn.execute(select(s.jobs.c.id, s.jobs.c.params_json).where(s.jobs.c.kind == kind, live))
    for r in rows:
        params = json.loads(r.params_json or "{}")
        if params.get(param) == key and params.get("package") == name:
            return str(r.id)
    return None


def request_build(store: Store, kind: str, key: str, params: dict[str, Any], *, submitter: str) -> str:
    """Queue the build of a package under its lock and return the job id; the id of the build
    already queued or running when there is one.

    Raises
    ------
    LookupError
        The register or the figures are gone.
    PackageConflict
        The monitoring package is signed (it is never rebuilt, only superseded).
    """
    with store.begin() as conn:
        if not lock_package(conn, kind, key):
            raise LookupError(key)
        if kind == "monitor" and is_signed(conn, key):
            raise PackageConflict(SIGNED_MESSAGE)
        running = pending_build(conn, kind, key, params.get("package"))
        if running is not None:
            return running
        jid = new_id()
        conn.execute(
            insert(s.jobs).values(
                id=jid,
                kind=kind,
                status="queued",
                progress=0.0,
                message="排队中",
                params_json=json.dumps(params, ensure_ascii=False),
                register_id=key if kind == "package" else None,
                created_at=now_iso(),
                submitter=submitter,
            )
        )
    return jid


def stage_for(store: Store, jid: str) -> Path:
    """The folder a build job writes its package into (its own; on the file system of ``packages``)."""
    return store.tmp / f"package-{jid}"


def install_package(
    store: Store, job: dict[str, Any], kind: str, key: str, built: Path, name: str, *, zip_url: str | None = None
) -> None:
    """Swap the finished package folder ``built`` in as ``packages/{name}`` with its zip, record
    it and mark ``job`` done — all under the package's lock, after checking again that the register
    or figures still exist and (monitoring) that nobody signed the package meanwhile. A package
    with its own ``zip_url`` (a filtered one) is not the register's package: the register's
    ``package_at`` is left as it is.

    Raises
    ------
    PackageConflict
        The package was signed while it was being built (the build is discarded).
    LookupError
        The register or figures were deleted meanwhile.
    """
    table, param = _KINDS[kind]
    packages = store.data_dir / "packages"
    try:
        with store.begin() as conn:
            if not lock_package(conn, kind, key):
                raise LookupError("该清单已被删除" if kind == "package" else "该填报数据已被删除")
            if kind == "monitor" and is_signed(conn, key):
                raise PackageConflict(SIGNED_MESSAGE)
            replace_folder(built, packages / name)
            zip_folder(packages / name, packages / f"{name}.zip")
            if zip_url is None:
                conn.execute(update(table).where(table.c.id == key).values(package_at=now_iso()))
                zip_url = (
                    f"/api/registers/{key}/package.zip" if kind == "package" else f"/api/monitoring/{key}/package.zip"
                )
            store.finish_job(conn, job["id"], {param: key, "zip": zip_url})
    finally:
        if built.exists():
            shutil.rmtree(built, ignore_errors=True)
