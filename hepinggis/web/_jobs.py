"""Background jobs: worker subprocesses that claim jobs from the ``jobs`` table and run them.

The server process never runs the heavy work itself (its event loop stays responsive): it starts
a few worker processes (``python -m hepinggis.web._jobs``) that import the stages once and then
poll the table. A job is claimed with one ``UPDATE … WHERE status='queued'`` (see
`Store.claim_job`), so two servers on one database run it once. Progress 0–1 and a Chinese
message are written to the table as the job goes; a failure becomes one Chinese line, and
everything a job stores is written in the one transaction that marks it done, so a failed or
killed job leaves the store as it was.

A worker dies with its server: the kernel sends it SIGKILL when the server process ends
(``PR_SET_PDEATHSIG``, set in the child before it runs Python), it checks its parent besides, and
the server terminates its workers on shutdown. (Helper module ``hepinggis._workers`` will unify
this with the build's workers; this is the minimal version.)
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from hepinggis.web._store import Store
from hepinggis.web._work_light import one_line

__all__ = ["QUICK_KINDS", "WorkerPool", "die_with_parent", "one_line", "wait_job"]

#: Jobs a user waits for on the page (a worker is kept for these alone, so a long build never
#: holds up an upload).
QUICK_KINDS = ("preview", "import", "figures", "boundary", "plan_map")
POLL_S = 0.05
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class WorkerPool:
    """The worker processes of one server.

    Parameters
    ----------
    data_dir, db_url
        The store the workers open.
    kinds
        One entry per worker: the job kinds it takes (``None``: any).
    """

    def __init__(self, data_dir: Path, db_url: str, kinds: list[tuple[str, ...] | None]) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.kinds = kinds
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * len(kinds)
        self._watch: asyncio.Task[None] | None = None

    def _spawn(self, k: int) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "hepinggis.web._jobs", "--data", str(self.data_dir), "--db", self.db_url]
        if self.kinds[k]:
            cmd += ["--kinds", ",".join(self.kinds[k] or ())]
        env = dict(os.environ, HEPINGGIS_WEB_WORKER="1")
        # the worker must import this checkout's package, wherever the server was started from
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
        return subprocess.Popen(cmd, env=env, preexec_fn=die_with_parent, stdin=subprocess.DEVNULL)

    def start(self) -> None:
        for k in range(len(self.kinds)):
            self.procs[k] = self._spawn(k)

    async def watch(self, store: Store) -> None:
        """Restart a worker that died (and fail the job it held), every second."""
        while True:
            await asyncio.sleep(1.0)
            for k, p in enumerate(self.procs):
                if p is not None and p.poll() is not None:
                    store.recover_jobs(stale_s=3600 * 24 * 365)  # only jobs of dead processes
                    self.procs[k] = self._spawn(k)

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate every worker and wait for it (kill what does not stop)."""
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + timeout
        for p in self.procs:
            if p is None:
                continue
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = [None] * len(self.kinds)


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
        delay = min(0.2, delay * 1.5)


def _run_one(store: Store, job: dict[str, Any]) -> None:
    from hepinggis.web import _work

    jid = job["id"]
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(2.0):
            with contextlib.suppress(Exception):
                store.heartbeat(jid)

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    try:
        _work.run(store, job)
    except Exception as exc:
        if os.environ.get("HEPINGGIS_WEB_DEBUG"):
            traceback.print_exc()
        store.fail_job(jid, _work.describe(exc, job))
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> int:
    """The worker loop: claim, run, repeat, until the parent goes away or SIGTERM."""
    import argparse
    import warnings

    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser(prog="hepinggis-web-worker")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--kinds", default="")
    args = p.parse_args(argv)
    parent = os.getppid()
    stopping = False

    def on_term(_sig: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    store = Store(args.data, args.db)
    kinds = tuple(k for k in args.kinds.split(",") if k) or None
    import hepinggis.web._work  # noqa: F401  (import the stages once, before the first job)

    while not stopping:
        if os.getppid() != parent:  # the server is gone (PR_SET_PDEATHSIG did not apply)
            return 0
        job = store.claim_job(kinds)
        if job is None:
            time.sleep(POLL_S)
            continue
        _run_one(store, job)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
