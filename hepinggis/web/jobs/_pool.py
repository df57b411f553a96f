"""Background jobs, the server's side: the pool of warm workers of one server (`WorkerPool`: one warm
parent process that forks them, restarted if it ends; the jobs of dead servers failed), its start
and stop with the server, and a job queued and waited for (`run_job`).

The workers themselves (``python -m hepinggis.web.jobs._jobs``) are `_jobs`'s; their lanes and
limits `_limits`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hepinggis._workers import die_with_parent
from hepinggis.web.jobs._limits import (
    _READY,
    RECOVER_EVERY_S,
    STALE_S,
    WARM_WAIT_S,
    JobLimits,
    plan_lanes,
)
from hepinggis.web.store._store import Store

__all__ = ["WorkerPool", "run_job", "start_workers", "stop_workers", "wait_job"]


class WorkerPool:
    """The job workers of one server: one warm parent process that forks them.

    The server starts ``python -m hepinggis.web.jobs._jobs`` once (`warm_parent`). It imports the stack
    and runs a small job of each kind, then forks the workers: each starts warm (copy-on-write
    pages of the warmed parent, so a worker costs no import and little memory), and a worker that
    ended — at its time limit, its memory cap, or by a crash — is replaced by a fresh fork at once,
    after its job was failed with the reason. The server wakes the workers through the parent's
    stdin and watches the parent: if it ends, a new one is started (jobs of its workers failed).

    Parameters
    ----------
    store : Store
        The server's store (its ``instance`` names the server's temporary folder).
    lanes : list of tuple
        One entry per worker: the lanes it serves (`plan_lanes`).
    limits : JobLimits
    """

    def __init__(self, store: Store, lanes: list[tuple[str, ...]], limits: JobLimits) -> None:
        self.store = store
        self.lanes = lanes
        self.limits = limits
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned = 0.0
        self._lock = threading.Lock()

    def _spawn(self) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "hepinggis.web.jobs._jobs", "--data", str(self.store.data_dir)]
        cmd += ["--db", self.store.db_url, "--workers", ";".join(",".join(x) for x in self.lanes)]
        cmd += self.limits.args()
        if self.store.instance:
            cmd += ["--instance", self.store.instance]
        env = dict(os.environ, HEPINGGIS_WEB_WORKER="1")
        # one thread per worker (the pool is sized to the cores; nothing threaded before the
        # forks) and few malloc arenas, so that the address-space cap measures data
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
            env.setdefault(var, "1")
        env.setdefault("MALLOC_ARENA_MAX", "2")
        # the workers must import this checkout's package, wherever the server was started from
        root = str(Path(__file__).resolve().parents[3])  # the checkout: web/jobs/_jobs.py → ../../../..
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        proc = subprocess.Popen(cmd, env=env, preexec_fn=die_with_parent, stdin=subprocess.PIPE)
        self.spawned = time.monotonic()
        assert proc.stdin is not None
        os.set_blocking(proc.stdin.fileno(), False)
        return proc

    def ready(self) -> int:
        """How many workers are warm and taking jobs."""
        return len(list(self.store.tmp.glob(_READY.format(pid="*"))))

    async def start(self, *, timeout: float = 30.0) -> None:
        """Start the warm parent and wait (without blocking the loop) until every worker is warm —
        at most ``timeout`` seconds (`WARM_WAIT_S`; a machine that busy answers first, and the
        first jobs wait for the workers)."""
        self.proc = self._spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None and self.ready() < len(self.lanes):
            await asyncio.sleep(0.05)

    def notify(self, _kind: str = "") -> None:
        """Wake the idle workers: a job was added (called by `Store.add_job` in the server)."""
        p = self.proc
        if p is not None and p.stdin is not None and p.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                os.write(p.stdin.fileno(), b".")

    def respawn(self) -> None:
        """The warm parent ended (its workers with it): fail their jobs and start a new one."""
        with self._lock:
            if self.proc is None or self.proc.poll() is None:
                return
            if time.monotonic() - self.spawned < 30.0:  # it fails at start: do not spin
                time.sleep(5.0)
            if self.proc.stdin is not None:
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
            self.store.recover_jobs(stale_s=STALE_S)  # jobs of processes gone from this host
            for ready in self.store.tmp.glob(_READY.format(pid="*")):
                ready.unlink(missing_ok=True)
            self.proc = self._spawn()

    async def watch(self) -> None:
        """Restart the warm parent if it ended (every 0.5 s) and fail the jobs of dead servers
        (every `RECOVER_EVERY_S`)."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.5)
            try:
                if self.proc is not None and self.proc.poll() is not None:
                    await asyncio.to_thread(self.respawn)
                if time.monotonic() - last > RECOVER_EVERY_S:
                    last = time.monotonic()
                    await asyncio.to_thread(self.store.recover_jobs, stale_s=STALE_S)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database away for a moment: try again
                print(f"hepinggis: job watch: {type(exc).__name__}: {exc}", file=sys.stderr)

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the warm parent (it stops its workers) and wait for it; kill what lingers."""
        with self._lock:
            p, self.proc = self.proc, None
            if p is None:
                return
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()  # its workers die with it (PR_SET_PDEATHSIG)
                p.wait()
            if p.stdin is not None:
                with contextlib.suppress(OSError):
                    p.stdin.close()


async def start_workers(store: Store, *, workers: int | None = None, limits: JobLimits | None = None) -> Any:
    """At server start: take this server's own temporary folder, fail the jobs that stopped servers
    left running, remove what they left half-written, and start warm workers. Returns what
    `stop_workers` needs."""
    from hepinggis.web.store._tmp import ServerTmp

    tmp = ServerTmp(store.data_dir / "tmp")
    store.instance = tmp.name
    failed = store.recover_jobs()
    if failed:
        print(f"hepinggis: {len(failed)} job(s) left running by a stopped server marked failed", file=sys.stderr)
    store.clean_tmp()
    pool = WorkerPool(store, plan_lanes(workers), limits or JobLimits.from_env())
    await pool.start(timeout=WARM_WAIT_S)
    store.on_job_added = pool.notify
    watch = asyncio.create_task(pool.watch())
    return pool, watch, tmp


async def stop_workers(state: Any) -> None:
    """At server stop: stop the watch and the workers, remove the temporary folder."""
    pool, watch, tmp = state
    watch.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watch
    pool.store.on_job_added = None
    pool.stop()
    tmp.close()


async def wait_job(store: Store, jid: str, *, timeout: float = 600.0) -> dict[str, Any]:
    """Wait (without blocking the event loop) until the job is done or failed."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        job = store.get_job(jid)
        if job is None or job["status"] in ("done", "failed"):
            return job or {"status": "failed", "error": "任务不存在"}
        if time.monotonic() > deadline:
            return {**job, "status": "failed", "error": "任务超时，仍在后台进行；请稍后在页面查看"}
        await asyncio.sleep(delay)
        delay = min(0.1, delay * 1.5)


async def run_job(store: Store, kind: str, params: dict[str, Any], user: dict[str, Any], **kw: Any) -> dict[str, Any]:
    """Queue a job for ``user``, wait for it and return its result; a failed job raises
    `BadUpload` with its Chinese reason (the routes answer it as one line)."""
    from hepinggis.errors import BadUpload

    jid = store.add_job(kind, params, submitter=user["name"], **kw)
    job = await wait_job(store, jid)
    if job["status"] != "done":
        raise BadUpload(job.get("error") or "处理失败")
    result: dict[str, Any] = json.loads(job["result_json"])
    return result
