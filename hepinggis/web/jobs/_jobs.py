"""Background jobs, the workers' side: warm worker processes in lanes, each job under a memory cap
and a time limit. The server's side (starting them, queueing a job) is `_pool`'s; the lanes and
limits `_limits`'s.

The server process never runs the heavy work itself (its event loop stays responsive). It starts
worker processes (``python -m hepinggis.web.jobs._jobs``) in three **lanes** that never wait for one
another (`lane_of`):

* ``light``: previews and imports of files up to `JobLimits.light_bytes`, monitoring figures,
  boundaries, the maps of small registers — what a user waits for on the page; one worker per core;
* ``heavy``: larger files and large maps (one worker): a colleague's 50 MB register never delays
  a 1-row upload;
* ``build``: briefing and monitoring packages (one worker).

Each worker imports its stack **and runs a small job of each kind it takes** (a tiny register
read, counted per zone and mapped) before it takes its first job, so the first upload after
``serve`` starts is as fast as the tenth; the server answers only once its workers are warm, and
a replaced worker warms before it takes work. A job is claimed with one ``UPDATE … WHERE
status='queued'`` (`Store.claim_job`, fair between users), so two servers on one database run it
once. The server wakes its workers through their stdin when it adds a job; they also look every
`IDLE_POLL_S` (for jobs added by another server).

Limits (`JobLimits`, configurable by environment): after warming up, a worker caps its address
space at its footprint plus ``memory`` (``RLIMIT_AS``): an allocation past it fails, the job is
refused in one Chinese line (`hepinggis.errors.JobMemoryError`) and the worker exits to be
replaced. Each job runs under ``alarm(seconds)`` of its lane: the kernel ends the worker when the
time is up (even inside C code holding the GIL) and the server fails the job with
`hepinggis.errors.JobTimeError` and starts a warm replacement. Everything a job stores is written
in the one transaction that marks it done, so a stopped job leaves the store as it was.

A worker dies with its server: the kernel sends it SIGKILL when the server ends
(``PR_SET_PDEATHSIG``, `hepinggis._workers.die_with_parent`), its stdin reaches end-of-file, it
checks its parent besides, and the server terminates its workers on shutdown. Running jobs beat a
heartbeat every `BEAT_S`; every server fails the jobs whose heartbeat is older than `STALE_S`
(another server that died), so a dead server's job never shows "running" for more than a minute.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import math
import os
import resource
import select
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepinggis._workers import die_with_parent
from hepinggis.base.settings import settings
from hepinggis.errors import InvalidOptionError, JobMemoryError, JobTimeError
from hepinggis.web.jobs._limits import (
    _READY,
    BEAT_S,
    EXIT_MEMORY,
    IDLE_POLL_S,
    LANES,
    WARM_ENV,
    WARM_MODES,
    WARM_ROWS,
    JobLimits,
    lane_of,
    memory_message,
)
from hepinggis.web.jobs._work_light import job_error
from hepinggis.web.store._store import Store

__all__ = ["cap_memory", "main", "memo_layers", "warm_mode", "warm_up", "worker_loop"]


# -- the worker's side -----------------------------------------------------------------------------
def _vm_size() -> int:
    """This process's address space in bytes (``VmSize``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def cap_memory(extra: int) -> int:
    """Cap this process's address space at its present size plus ``extra`` bytes; the cap."""
    cap = _vm_size() + extra
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


def memo_layers() -> None:
    """In a worker: keep each layer read from disk (validated) and hand out copies.

    A job reads the plan's layers a dozen times (the importer, the per-zone counts, the map), and
    reading and validating one takes longer than copying it many times over; a worker lives for
    hours, so it keeps them. The key is the file's path, size and modification time (and the
    layer), so a layer re-digitized or a boundary set adopted anew is read afresh. Only the long-
    lived workers do this; the command line reads as before.
    """
    from hepinggis.plan import layers

    if getattr(layers.read_layer_file, "_memo", False):
        return
    cache: dict[tuple[Any, ...], Any] = {}

    def key(path: Path, spec: Any) -> tuple[Any, ...]:
        st = Path(path).stat()
        return (str(path), st.st_size, st.st_mtime_ns, spec.name)

    def memo(read: Any) -> Any:
        def wrapper(path: Path, spec: Any) -> Any:
            try:
                k = key(path, spec)
            except OSError:
                return read(path, spec)  # missing: let the reader say so
            if k not in cache:
                if len(cache) > 64:
                    cache.clear()
                cache[k] = read(path, spec)
            return cache[k].copy()

        wrapper._memo = True  # type: ignore[attr-defined]
        return wrapper

    layers.read_layer_file = memo(layers.read_layer_file)
    layers._read_adopted = memo(layers._read_adopted)


def warm_mode(env: dict[str, str] | None = None) -> str:
    """``full`` or ``imports`` (`WARM_ENV`); anything else is refused in one line."""
    value = settings(env).warm_up
    if value not in WARM_MODES:
        raise InvalidOptionError(f"{WARM_ENV} {value!r}：请写 full 或 imports")
    return value


def warm_up(lanes: tuple[str, ...], folder: Path, *, mode: str = "full") -> None:
    """Import the stack and run a small job of each kind the lanes take, off the database: the
    first real job then finds every module imported, every layer loaded and every template
    compiled. ``mode="imports"`` (`WARM_ENV`) only imports the stack."""
    import hepinggis.web.jobs._work as work
    from hepinggis.io._synthetic import write_register
    from hepinggis.io.importer import read_projects
    from hepinggis.io.preview import preview_register
    from hepinggis.plan.layers import load

    memo_layers()
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "imports":  # what the small jobs below would import, without running them
        for name in ("openpyxl", "hepinggis.maps", "hepinggis.maps.interactive"):  # the map job draws with folium
            importlib.import_module(name)
        lanes = tuple(lane for lane in lanes if lane == "build")  # the build lane's warm-up imports only
    if "light" in lanes or "heavy" in lanes:
        csv = write_register(folder / f"warm-{os.getpid()}.csv", WARM_ROWS, seed=0)
        xlsx = folder / f"warm-{os.getpid()}.xlsx"
        try:
            import pandas as pd

            pd.read_csv(csv, encoding="gbk").to_excel(xlsx, index=False)
            for path in (csv, xlsx):
                preview_register(path, max_rows=20)
                result = read_projects(path, crs="gcj02")
                zones, jiedao = load("zones"), load("jiedao")
                zone_of, jd_of = work._where(result.projects, zones, "id"), work._where(result.projects, jiedao, "id")
                work.per_area(result.projects, zones, work.places(result.projects, zone_of)[0])
                work.per_area(result.projects, jiedao, layer="jiedao")
                work._project_rows("warm", result, zone_of, jd_of)
                result.report.astype(object).to_dict("records")
            work._write_map(result, {}, folder / f"warm-{os.getpid()}.html")
        finally:
            for p in (csv, xlsx, folder / f"warm-{os.getpid()}.html"):
                p.unlink(missing_ok=True)
    if "build" in lanes:
        import matplotlib

        matplotlib.use("Agg")
        # imported, not bound here (a ``del`` of ``matplotlib.pyplot`` would remove the attribute
        # from the module itself, and a second warm-up in one process would fail on it)
        # the libraries the package's workers and the monitoring's PDF writers draw with (the
        # library loads them lazily, where it draws): loaded once here, before the workers fork
        for name in (
            "matplotlib.pyplot",
            "hepinggis.briefing",
            "hepinggis.monitor.package",
            "hepinggis.maps.static",
            "hepinggis.maps.interactive",
            "fpdf",
        ):
            importlib.import_module(name)


def _fault(store: Store, job: dict[str, Any]) -> None:
    """Fault injection for the tests (only with ``HEPINGGIS_WEB_FAULTS=1``): ``fault_alloc`` takes
    ``bytes`` of memory, ``fault_sleep`` sleeps ``seconds``, ``fault_hold`` writes ``signal`` (a
    path) and sleeps, so that a test can kill a server at that moment."""
    p = json.loads(job.get("params_json") or "{}")
    if job["kind"] == "fault_alloc":
        block = bytearray(int(p["bytes"]))
        block[:: 1 << 20] = b"x" * len(block[:: 1 << 20])
    elif job["kind"] == "fault_hold":
        Path(p["signal"]).write_text(str(os.getpid()))
        time.sleep(float(p.get("seconds", 3600)))
    else:
        time.sleep(float(p.get("seconds", 0)))
    with store.begin() as conn:
        store.finish_job(conn, job["id"], {"pid": os.getpid()})


def _run_one(store: Store, job: dict[str, Any], seconds: float, memory: int) -> None:
    """Run one claimed job under the lane's time limit, beating its heartbeat."""
    from hepinggis.web.jobs import _work

    jid = job["id"]
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_S):
            with contextlib.suppress(Exception):
                store.heartbeat(jid)

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    signal.alarm(max(1, math.ceil(seconds)))  # SIGALRM's default action ends the process
    try:
        if job["kind"].startswith("fault_") and settings().web_faults:
            _fault(store, job)
        else:
            _work.run(store, job)
    except MemoryError:
        signal.alarm(0)
        stop.set()
        store.fail_job(jid, job_error(job["kind"], JobMemoryError(memory_message(memory))))
        os._exit(EXIT_MEMORY)  # the heap may be left fragmented: a fresh warm worker replaces this one
    except Exception as exc:
        if settings().web_debug:
            traceback.print_exc()
        store.fail_job(jid, _work.describe(exc, job))
    finally:
        signal.alarm(0)
        stop.set()


def _wait_for_work(fd: int, timeout: float) -> bool:
    """Sleep until the parent writes to ``fd`` or ``timeout`` passes; False when it is closed
    (the parent is gone)."""
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return True


@dataclass
class _Options:
    data: Path
    db: str
    instance: str | None
    memory: int
    seconds: dict[str, float]
    light_bytes: int


def worker_loop(opts: _Options, lanes: tuple[str, ...], wake_fd: int) -> int:
    """One forked worker: cap memory, say it is ready, then claim, run, repeat."""
    parent = os.getppid()
    store = Store(opts.data, opts.db, instance=opts.instance)
    cap_memory(opts.memory)
    ready = store.tmp / _READY.format(pid=os.getpid())
    ready.touch()

    def accept(kind: str, params: dict[str, Any]) -> bool:
        return lane_of(kind, params, light_bytes=opts.light_bytes) in lanes

    try:
        while os.getppid() == parent:  # else the parent is gone (PR_SET_PDEATHSIG did not apply)
            job = store.claim_job(accept=accept)
            if job is None:
                if not _wait_for_work(wake_fd, IDLE_POLL_S):
                    return 0
                continue
            lane = lane_of(job["kind"], json.loads(job["params_json"] or "{}"), light_bytes=opts.light_bytes)
            _run_one(store, job, opts.seconds.get(lane, 600.0), opts.memory)
    finally:
        ready.unlink(missing_ok=True)
    return 0


class _Parent:
    """The warm parent: forks the workers, forwards wake-ups, replaces workers that end."""

    def __init__(self, opts: _Options, workers: list[tuple[str, ...]]) -> None:
        self.opts = opts
        self.workers = workers
        self.children: dict[int, tuple[int, int]] = {}  # pid → (worker index, wake pipe write end)
        self.host = socket.gethostname()
        self.store = Store(opts.data, opts.db, instance=opts.instance)

    def fork(self, k: int) -> None:
        read_fd, write_fd = os.pipe()
        me = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                die_with_parent(parent_pid=me)
                os.close(write_fd)
                for _pid, (_k, fd) in self.children.items():
                    os.close(fd)
                with contextlib.suppress(OSError):
                    os.close(0)
                signal.signal(signal.SIGTERM, _exit_on_term)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                code = worker_loop(self.opts, self.workers[k], read_fd)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(read_fd)
        os.set_blocking(write_fd, False)
        self.children[pid] = (k, write_fd)

    def wake(self) -> None:
        for _k, fd in self.children.values():
            with contextlib.suppress(OSError):
                os.write(fd, b".")

    def reap(self) -> None:
        """Fail the job of each worker that ended, with the reason, and fork its replacement."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            k, fd = self.children.pop(pid, (-1, -1))
            if k < 0:
                continue
            os.close(fd)
            (self.store.tmp / _READY.format(pid=pid)).unlink(missing_ok=True)
            rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            try:
                for jid in self.store.running_jobs_of(f"{self.host}:{pid}"):
                    job = self.store.get_job(jid) or {"kind": "", "params_json": "{}"}
                    self.store.fail_job(jid, job_error(job["kind"], self.reason(rc, job)))
            except Exception as exc:  # the database away: the servers' heartbeat check fails it later
                print(f"hepinggis: worker {pid} ended ({rc}); its job not marked: {exc}", file=sys.stderr)
            finally:
                self.store.dispose()  # no connection open across a fork
            if not stopping:
                self.fork(k)

    def reason(self, rc: int, job: dict[str, Any]) -> str:
        """Why a worker that ended with status ``rc`` stopped its job, in Chinese."""
        if rc == -signal.SIGALRM:
            params = json.loads(job.get("params_json") or "{}")
            lane = lane_of(job["kind"], params, light_bytes=self.opts.light_bytes)
            limit = self.opts.seconds.get(lane, 0.0)
            return str(JobTimeError(f"处理时间超过上限（{limit:.0f} 秒），已停止，数据未改动；请检查文件或拆分后上传"))
        return str(JobMemoryError(memory_message(self.opts.memory, crashed=rc != EXIT_MEMORY)))

    def stop(self) -> None:
        """Stop every worker (SIGTERM, then SIGKILL after 3 s) and reap them."""
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 3.0
        while self.children and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                pid, _status = os.waitpid(-1, os.WNOHANG)
                if pid:
                    self.children.pop(pid, None)
                    continue
            time.sleep(0.02)
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.children.pop(pid, None)

    def run(self) -> int:
        """Fork the workers, then forward wake-ups and replace workers until the server goes."""
        server = os.getppid()
        for k in range(len(self.workers)):
            self.fork(k)
        try:
            while not stopping and os.getppid() == server:
                ready, _, _ = select.select([0], [], [], 0.1)
                if ready:
                    try:
                        data = os.read(0, 4096)
                    except BlockingIOError:
                        data = b"."
                    if not data:  # the server closed our stdin: it is gone
                        break
                    self.wake()
                self.reap()
        finally:
            self.stop()
        return 0


stopping = False


def _exit_on_term(_sig: int, _frame: Any) -> None:
    raise SystemExit(0)


def _stop_parent(_sig: int, _frame: Any) -> None:
    global stopping
    stopping = True


def main(argv: list[str] | None = None) -> int:
    """The warm parent: warm up, then fork the workers and keep them (see `WorkerPool`)."""
    import argparse
    import warnings

    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser(prog="hepinggis-web-workers")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--workers", default=",".join(LANES), help="the lanes of each worker: light;light;heavy,build")
    p.add_argument("--instance", default=None)
    p.add_argument("--memory", type=int, default=JobLimits().memory)
    p.add_argument("--seconds", default="")
    p.add_argument("--light-bytes", type=int, default=JobLimits().light_bytes)
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the group; the server decides
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    seconds = dict(JobLimits().seconds)
    if args.seconds:
        seconds = dict(zip(LANES, (float(v) for v in args.seconds.split(",")), strict=False))
    workers = [tuple(x for x in w.split(",") if x) for w in args.workers.split(";") if w]
    opts = _Options(args.data, args.db, args.instance, args.memory, seconds, args.light_bytes)
    parent = _Parent(opts, workers)
    warm_up(tuple({lane for w in workers for lane in w}), parent.store.tmp, mode=warm_mode())
    parent.store.dispose()
    # the warm stack (modules, layers, templates) out of the collector's sight before the forks: a
    # job's collections then look at what the job made, not at the ≈ 240,000 warm objects each time
    # (0.3–0.4 s of CPU in a 50,000-row import), and the forks keep sharing those pages
    gc.collect()
    gc.freeze()
    return parent.run()


if __name__ == "__main__":
    raise SystemExit(main())
