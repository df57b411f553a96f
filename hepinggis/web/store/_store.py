"""The web application's store: one SQLAlchemy engine and a files folder; all DB access goes here.

Embedded by default (``sqlite:///DIR/hepinggis.sqlite`` in WAL mode, so readers never wait for
the one writer), PostgreSQL when a URL is given. Uploaded files live under ``DIR/files`` named by
their SHA-256, never by the name the user gave them. Every write is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update

from hepinggis.base.settings import settings
from hepinggis.web.store import _schema as s

__all__ = ["Store", "new_id", "now_iso"]


def now_iso() -> str:
    """The current UTC time as ISO-8601 text (seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def new_id() -> str:
    """A random id (32 hex digits): not guessable, not a counter."""
    return uuid.uuid4().hex


#: Projects written per executemany on SQLite (bounded memory for a 50,000-row register).
PROJECT_BATCH = 5000
#: Jobs that follow another one (a stored register's map): claimed after every other queued job.
FOLLOW_UP_KINDS = ("map",)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _row(r: Any) -> dict[str, Any] | None:
    return None if r is None else dict(r._mapping)


class Store:
    """The database and the files of one data folder.

    Parameters
    ----------
    data_dir : Path
        The folder holding ``hepinggis.sqlite`` (embedded store) and ``files/``, ``packages/``,
        ``maps/``, ``boundaries/``; created if missing.
    db_url : str, optional
        A SQLAlchemy URL (``postgresql+psycopg://…``); default the embedded SQLite file.
    """

    def __init__(self, data_dir: Path, db_url: str | None = None, *, instance: str | None = None) -> None:
        self.data_dir = Path(data_dir).absolute()
        #: this server's own temporary folder under ``tmp/`` (`hepinggis.web.store._tmp`); None: ``tmp/``
        self.instance = instance
        #: called with the kind of every job this store adds (the server wakes its workers)
        self.on_job_added: Callable[[str], None] | None = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("files", "packages", "maps", "boundaries", "tmp"):
            (self.data_dir / sub).mkdir(exist_ok=True)
        self.db_url = db_url or f"sqlite:///{self.data_dir / 'hepinggis.sqlite'}"
        if self.db_url.startswith("postgresql://"):
            self.db_url = "postgresql+psycopg://" + self.db_url.removeprefix("postgresql://")
        self.engine: Engine = create_engine(self.db_url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    # -- set-up ----------------------------------------------------------------------------------
    def create(self) -> None:
        """Create or upgrade the schema with the shipped migrations (`hepinggis.web.store._migrate`)."""
        from hepinggis.web.store._migrate import upgrade

        upgrade(self.engine)

    @property
    def files(self) -> Path:
        return self.data_dir / "files"

    @property
    def tmp(self) -> Path:
        """Where this process writes temporary files: its server's own folder under ``tmp/``, so
        that a starting server never empties another server's (`hepinggis.web.store._tmp`)."""
        root = self.data_dir / "tmp"
        if self.instance is None:
            return root
        own = root / self.instance
        own.mkdir(exist_ok=True)
        return own

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    # -- files -----------------------------------------------------------------------------------
    def file_path(self, sha256: str, kind: str) -> Path:
        """Where the uploaded file with this digest and detected kind is kept."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256) or not kind.isalnum():
            raise ValueError("bad file reference")
        return self.files / sha256[:2] / f"{sha256}.{kind}"

    def keep_file(self, tmp: Path, sha256: str, kind: str) -> Path:
        """Move a fully received temporary upload into the files folder (idempotent, atomic)."""
        dest = self.file_path(sha256, kind)
        dest.parent.mkdir(exist_ok=True)
        if dest.exists():
            tmp.unlink(missing_ok=True)
        else:
            os.replace(tmp, dest)
        return dest

    def new_tmp(self, suffix: str = "") -> Path:
        return self.tmp / f"{new_id()}{suffix}"

    def clean_tmp(self) -> None:
        """Remove what interrupted uploads and jobs of *stopped* servers left (called at start-up).

        With an ``instance`` only this server's folder and those of servers that are gone are
        emptied (`hepinggis.web.store._tmp.clean_stale`), never a running server's; half-written zips
        and ``.X.building-*`` folders in ``packages/`` are removed unless a running job is
        writing that package (checked after `recover_jobs` failed the jobs of dead servers).
        """
        from hepinggis.web.store._tmp import clean_stale

        clean_stale(self.data_dir / "tmp", keep=self.instance)
        busy = self._packages_being_built()
        for p in (self.data_dir / "packages").iterdir():
            if not p.name.startswith("."):
                continue
            target = p.name[1:].split(".", 1)[0]  # .{rid}.zip.{id}.tmp, .{rid}.building-xxxx
            if target.removesuffix(".zip") in busy:
                continue
            if p.name.endswith(".tmp") and p.is_file():  # a zip half-written by a killed job
                p.unlink(missing_ok=True)
            elif ".building-" in p.name and p.is_dir():  # a package half-built by a killed job
                shutil.rmtree(p, ignore_errors=True)

    def _packages_being_built(self) -> set[str]:
        """The package folder names (``rid``, ``monitor-fid``) that a running job writes."""
        t = s.jobs
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.kind, t.c.params_json).where(t.c.status == "running", t.c.kind.in_(("package", "monitor")))
            ).all()
        out = set()
        for kind, params in rows:
            p = json.loads(params or "{}")
            out.add(str(p.get("register_id")) if kind == "package" else f"monitor-{p.get('figure_id')}")
        return out

    # -- registers -------------------------------------------------------------------------------
    def list_registers(self) -> list[dict[str, Any]]:
        cols = [c for c in s.registers.c if c.name not in ("report_json", "per_zone_json", "per_jiedao_json")]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(s.registers.c.uploaded_at.desc(), s.registers.c.id))
            return [dict(r._mapping) for r in rows]

    def get_register(self, rid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return _row(conn.execute(select(s.registers).where(s.registers.c.id == rid)).first())

    def previous_register(self, rid: str) -> dict[str, Any] | None:
        """The register uploaded just before ``rid`` (None for the first)."""
        reg = self.get_register(rid)
        if reg is None:
            return None
        t = s.registers
        with self.engine.connect() as conn:
            q = (
                select(t.c.id)
                .where(
                    (t.c.uploaded_at < reg["uploaded_at"]) | ((t.c.uploaded_at == reg["uploaded_at"]) & (t.c.id < rid))
                )
                .order_by(t.c.uploaded_at.desc(), t.c.id.desc())
                .limit(1)
            )
            prev = conn.execute(q).scalar()
        return None if prev is None else self.get_register(prev)

    def register_projects(self, rid: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.projects).where(s.projects.c.register_id == rid).order_by(s.projects.c.row))
            return [dict(r._mapping) for r in rows]

    def insert_projects(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Write a register's projects inside the caller's transaction: PostgreSQL's ``COPY … FROM
        STDIN`` (the geometry trigger of revision s0002 still fills ``geom``), else the driver's
        executemany by `PROJECT_BATCH` rows; as tuples (SQLAlchemy's per-row work cost more)."""
        if not rows:
            return
        cols = list(rows[0])
        unknown = set(cols) - set(s.projects.c.keys())
        if unknown:  # the names go into the statement: only the table's own columns
            raise ValueError(f"unknown project columns: {sorted(unknown)}")
        names = ", ".join(f'"{c}"' for c in cols)  # "row" is a keyword
        values = list(map(itemgetter(*cols), rows)) if len(cols) > 1 else [(r[cols[0]],) for r in rows]
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection  # the psycopg connection of this transaction
            with raw.cursor() as cur, cur.copy(f"COPY projects ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for v in values:
                    copy.write_row(v)
            return
        marks = ", ".join("?" for _ in cols)
        for start in range(0, len(values), PROJECT_BATCH):
            conn.exec_driver_sql(
                f"INSERT INTO projects ({names}) VALUES ({marks})", values[start : start + PROJECT_BATCH]
            )

    def delete_register(self, rid: str) -> bool:
        """Delete a register, its projects and its products; False if there is no such register."""
        with self.begin() as conn:
            reg = conn.execute(select(s.registers.c.sha256, s.registers.c.kind).where(s.registers.c.id == rid)).first()
            if reg is None:
                return False
            conn.execute(delete(s.projects).where(s.projects.c.register_id == rid))
            conn.execute(delete(s.registers).where(s.registers.c.id == rid))
            others = conn.execute(select(func.count()).where(s.registers.c.sha256 == reg.sha256)).scalar()
        for p in (self.data_dir / "maps" / f"{rid}.html", self.data_dir / "packages" / f"{rid}.zip"):
            p.unlink(missing_ok=True)
        shutil.rmtree(self.data_dir / "packages" / rid, ignore_errors=True)
        for p in (self.data_dir / "packages").glob(f"{rid}-*"):  # its filtered packages (`_subset_package`)
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        if not others:
            self.file_path(reg.sha256, reg.kind).unlink(missing_ok=True)
        return True

    # -- monitoring figures and boundaries --------------------------------------------------------
    def list_figures(self) -> list[dict[str, Any]]:
        cols = [c for c in s.figures.c if c.name not in ("report_json", "verdicts_json")]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).order_by(s.figures.c.uploaded_at.desc(), s.figures.c.id))
            return [dict(r._mapping) for r in rows]

    def get_figure(self, fid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return _row(conn.execute(select(s.figures).where(s.figures.c.id == fid)).first())

    def list_boundaries(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.boundaries).order_by(s.boundaries.c.uploaded_at.desc(), s.boundaries.c.id))
            return [dict(r._mapping) for r in rows]

    def get_boundary(self, bid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return _row(conn.execute(select(s.boundaries).where(s.boundaries.c.id == bid)).first())

    def choose_boundaries(self, bid: str | None) -> None:
        """Put the adopted set ``bid`` in force (None: the bundled boundaries), in one transaction."""
        with self.begin() as conn:
            conn.execute(update(s.boundaries).values(active=False))
            if bid is not None:
                conn.execute(update(s.boundaries).where(s.boundaries.c.id == bid).values(active=True))
            self.put_setting(conn, "boundaries", bid or "")
            from hepinggis.web.store._insql import sync_in_force  # PostGIS: the SQL per-zone answers follow

            sync_in_force(conn, self.data_dir, bid)

    # -- mappings and settings -------------------------------------------------------------------
    def get_mapping(self, signature: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = _row(conn.execute(select(s.mappings).where(s.mappings.c.signature == signature)).first())
        if row is not None:
            row["columns"] = json.loads(row.pop("columns_json"))
        return row

    def put_mapping(self, conn: Connection, signature: str, mapping: dict[str, Any], user: str) -> None:
        values = {
            "columns_json": json.dumps(mapping.get("columns") or {}, ensure_ascii=False),
            "crs": mapping.get("crs"),
            "header_row": mapping.get("header_row"),
            "sheet": mapping.get("sheet"),
            "unit": mapping.get("unit"),
            "updated_at": now_iso(),
            "updated_by": user,
        }
        done = conn.execute(update(s.mappings).where(s.mappings.c.signature == signature).values(**values)).rowcount
        if not done:
            conn.execute(insert(s.mappings).values(signature=signature, **values))

    def get_setting(self, key: str, default: str = "") -> str:
        with self.engine.connect() as conn:
            value = conn.execute(select(s.settings.c.value).where(s.settings.c.key == key)).scalar()
        return default if value is None else str(value)

    def put_setting(self, conn: Connection, key: str, value: str) -> None:
        if not conn.execute(update(s.settings).where(s.settings.c.key == key).values(value=value)).rowcount:
            conn.execute(insert(s.settings).values(key=key, value=value))

    # -- jobs ------------------------------------------------------------------------------------
    def add_job(self, kind: str, params: dict[str, Any], *, submitter: str, register_id: str | None = None) -> str:
        jid = new_id()
        with self.begin() as conn:
            conn.execute(
                insert(s.jobs).values(
                    id=jid,
                    kind=kind,
                    status="queued",
                    progress=0.0,
                    message="排队中",
                    params_json=json.dumps(params, ensure_ascii=False),
                    register_id=register_id,
                    # to the microsecond: jobs are taken in the order they came (`claim_job`)
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                    submitter=submitter,
                )
            )
        if self.on_job_added is not None:
            self.on_job_added(kind)
        return jid

    def get_job(self, jid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            return _row(conn.execute(select(s.jobs).where(s.jobs.c.id == jid)).first())

    def claim_job(
        self,
        kinds: tuple[str, ...] | None = None,
        *,
        accept: Callable[[str, dict[str, Any]], bool] | None = None,
        worker: str | None = None,
    ) -> dict[str, Any] | None:
        """Take a queued job (of ``kinds``, and that ``accept(kind, params)`` allows) for this process:
        one UPDATE … WHERE status='queued', so that two workers — of one server or of two — never run
        a job twice.

        Fair between users: the oldest job of a submitter who has no job running goes first, so one
        user's queue of files never holds up another user's single upload. A register's map drawn
        after it was stored (kind ``map``, `FOLLOW_UP_KINDS`) waits behind every upload: ten clerks
        uploading at once get their reports first, the maps follow.
        """
        worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        t = s.jobs
        for _ in range(5):
            with self.engine.connect() as conn:
                q = (
                    select(t.c.id, t.c.kind, t.c.params_json, t.c.submitter)
                    .where(t.c.status == "queued")
                    .order_by(t.c.created_at, t.c.id)
                    .limit(500)  # a lane filters them (`accept`): look past the other lanes
                )
                if kinds:
                    q = q.where(t.c.kind.in_(kinds))
                rows = list(conn.execute(q).all())
                running = select(t.c.submitter).where(t.c.status == "running")
                busy = set(conn.execute(running).scalars()) if rows else set()
            if accept is not None:
                rows = [r for r in rows if accept(r.kind, json.loads(r.params_json or "{}"))]
            if not rows:
                return None
            # stable: oldest first within each group
            rows.sort(key=lambda r: (r.kind in FOLLOW_UP_KINDS, r.submitter in busy))
            for r in rows[:5]:
                with self.begin() as conn:
                    won = conn.execute(
                        update(t)
                        .where(t.c.id == r.id, t.c.status == "queued")
                        .values(
                            status="running",
                            started_at=now_iso(),
                            heartbeat=time.time(),
                            worker=worker,
                            message="开始",
                        )
                    ).rowcount
                if won:
                    return self.get_job(r.id)
        return None

    def queued_jobs(self, kinds: tuple[str, ...], *, running_besides: str | None = None) -> int:
        """How many jobs of ``kinds`` wait to be claimed; with ``running_besides`` (a job's id),
        also those running other than that job (on any server of the store)."""
        t = s.jobs
        with self.engine.connect() as conn:
            status = t.c.status == "queued"
            if running_besides is not None:
                status = status | ((t.c.status == "running") & (t.c.id != running_besides))
            q = select(func.count()).select_from(t).where(status, t.c.kind.in_(kinds))
            return int(conn.execute(q).scalar() or 0)

    def running_jobs_of(self, worker: str) -> list[str]:
        """The ids of the jobs that ``worker`` (``host:pid``) holds as running."""
        t = s.jobs
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.c.id).where(t.c.status == "running", t.c.worker == worker)).scalars())

    def job_progress(self, jid: str, progress: float, message: str | None = None) -> None:
        values: dict[str, Any] = {"progress": max(0.0, min(1.0, float(progress))), "heartbeat": time.time()}
        if message is not None:
            values["message"] = message
        with self.begin() as conn:
            conn.execute(update(s.jobs).where(s.jobs.c.id == jid, s.jobs.c.status == "running").values(**values))
        if message is not None and settings().web_faults:
            _hold_at(self.data_dir, jid, message)

    def heartbeat(self, jid: str) -> None:
        with self.begin() as conn:
            conn.execute(update(s.jobs).where(s.jobs.c.id == jid).values(heartbeat=time.time()))

    def finish_job(self, conn: Connection, jid: str, result: dict[str, Any]) -> None:
        """Mark a job done inside the transaction that stores its result."""
        conn.execute(
            update(s.jobs)
            .where(s.jobs.c.id == jid)
            .values(
                status="done",
                progress=1.0,
                message="完成",
                result_json=json.dumps(result, ensure_ascii=False),
                finished_at=now_iso(),
            )
        )

    def fail_job(self, jid: str, error: str) -> bool:
        """Mark a queued or running job failed with one Chinese line (a finished job is left as it
        is: a job that committed just before its worker was stopped stays done)."""
        with self.begin() as conn:
            done = conn.execute(
                update(s.jobs)
                .where(s.jobs.c.id == jid, s.jobs.c.status.in_(("queued", "running")))
                .values(status="failed", error=error, message="失败", finished_at=now_iso())
            ).rowcount
        return bool(done)

    def recover_jobs(self, *, stale_s: float = 30.0) -> list[str]:
        """Jobs left 'running' by a worker that is gone (its heartbeat stale, or its process dead on
        this host) are marked failed: what they wrote was never committed."""
        host = socket.gethostname()
        t = s.jobs
        failed = []
        with self.engine.connect() as conn:
            rows = list(conn.execute(select(t.c.id, t.c.worker, t.c.heartbeat).where(t.c.status == "running")))
        for r in rows:
            whost, _, pid = (r.worker or ":").rpartition(":")
            dead_here = whost == host and pid.isdigit() and not _alive(int(pid))
            if dead_here or (r.heartbeat or 0) < time.time() - stale_s:
                self.fail_job(r.id, "服务器在任务进行中停止，任务未完成，数据未改动；请重新提交")
                failed.append(r.id)
        return failed


def _hold_at(data_dir: Path, jid: str, message: str) -> None:
    """Fault injection for the kill tests (only with ``HEPINGGIS_WEB_FAULTS=1``): a job reaching
    the step ``HEPINGGIS_WEB_HOLD_AT`` (the start of its progress message) writes
    ``tmp/held-JOB`` and waits there, so that a test kills the server at that very moment."""
    hold = settings().web_hold_at
    if hold and message.startswith(hold):
        (data_dir / "tmp" / f"held-{jid}").write_text(str(os.getpid()))
        time.sleep(3600)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs; a zombie (killed, not yet reaped by an init that reaps late)
    is dead: its job will never finish."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc here: the signal test is all there is
        return True


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
