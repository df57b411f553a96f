"""Background jobs: warm worker processes in lanes, each job under a memory cap and a time limit.

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

import asyncio
import contextlib
import importlib
import json
import math
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepinggis._workers import die_with_parent
from hepinggis.base.settings import settings
from hepinggis.errors import InvalidOptionError, JobMemoryError, JobTimeError
from hepinggis.web._store import Store
from hepinggis.web._work_light import job_error, one_line

__all__ = [
    "LANES",
    "JobLimits",
    "WorkerPool",
    "lane_of",
    "memory_message",
    "one_line",
    "plan_lanes",
    "run_job",
    "start_workers",
    "stop_workers",
    "wait_job",
]

LANES = ("light", "heavy", "build")
#: Job kinds of the build lane.
BUILD_KINDS = ("package", "monitor")
#: Job kinds whose lane depends on the size of their file.
FILE_KINDS = ("preview", "import", "figures", "boundary")
IDLE_POLL_S = 0.5
#: Rows of the register each worker reads, counts and maps while warming up (the paths of a real
#: register: density layer, clustering).
WARM_ROWS = 200
#: How long a starting server waits for its workers to be warm before it answers.
WARM_WAIT_S = settings().warm_wait_s
#: What the warm parent does before it forks the workers (`warm_up`), from the environment's
#: ``HEPINGGIS_WARM_UP``: ``full`` (the default) imports the stack and runs a small job of each
#: kind; ``imports`` only imports the stack (a server that starts sooner and whose first job of a
#: kind is slower: the test suite's many short-lived servers, see tests/conftest.py).
WARM_ENV = "HEPINGGIS_WARM_UP"
WARM_MODES = ("full", "imports")
#: A running job whose heartbeat is older than this belongs to a dead server (any host); the
#: environment's ``HEPINGGIS_JOB_STALE_S`` changes it (the tests shorten it).
STALE_S = settings().job_stale_s
#: How often a server looks for such jobs.
RECOVER_EVERY_S = min(5.0, STALE_S / 2)
#: How often a running job beats its heartbeat.
BEAT_S = min(2.0, STALE_S / 3)
#: A worker's exit status after a job ran out of memory (it failed the job itself).
EXIT_MEMORY = 3
_READY = "ready-{pid}"
_ENV_MEMORY = "HEPINGGIS_JOB_MEMORY"
_ENV_SECONDS = "HEPINGGIS_JOB_SECONDS"
_ENV_LIGHT_BYTES = "HEPINGGIS_LIGHT_BYTES"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)


def _bytes(text: str, what: str) -> int:
    m = _SIZE.match(text)
    if not m:
        raise InvalidOptionError(f"{what} {text!r}：请写成 3GB、500MB 这样的大小")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()])


def _human(n: int) -> str:
    return f"{n / 1024**3:.3g} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def memory_message(memory: int, *, crashed: bool = False) -> str:
    """The refusal of a job that needed more than ``memory`` bytes (``crashed``: its worker ended
    without saying why, as an allocation failing in C code ends it)."""
    cap = _human(memory)
    head = f"处理进程意外停止（可能所需内存超过上限 {cap}）" if crashed else f"所需内存超过上限（{cap}）"
    return f"{head}，已停止，数据未改动；请检查文件是否含大量空行空列，或拆分后再上传"


@dataclass(frozen=True)
class JobLimits:
    """The limits of the job workers.

    Parameters
    ----------
    memory : int
        Bytes of address space a job may take beyond its warm worker's footprint (``RLIMIT_AS``).
        Environment ``HEPINGGIS_JOB_MEMORY`` (``3GB``).
    seconds : dict
        Time limit of one job per lane. Environment ``HEPINGGIS_JOB_SECONDS``: one number for
        every lane or ``light,heavy,build`` (``120,900,1800``).
    light_bytes : int
        Files up to this size go to the light lane, larger ones to the heavy lane. Environment
        ``HEPINGGIS_LIGHT_BYTES`` (``4MB``).
    """

    memory: int = 3 * 1024**3
    seconds: dict[str, float] = field(default_factory=lambda: {"light": 120.0, "heavy": 900.0, "build": 1800.0})
    light_bytes: int = 4 * 1024**2

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> JobLimits:
        """The defaults, changed by the environment variables named above (`hepinggis.base.settings`)."""
        given = settings(env)
        base = cls()
        memory = _bytes(given.job_memory, _ENV_MEMORY) if given.job_memory else base.memory
        seconds = dict(base.seconds)
        if given.job_seconds:
            try:
                values = [float(v) for v in given.job_seconds.split(",")]
            except ValueError:
                raise InvalidOptionError(f"{_ENV_SECONDS}：请写成秒数，如 120 或 120,900,1800") from None
            if len(values) not in (1, 3) or min(values) <= 0:
                raise InvalidOptionError(f"{_ENV_SECONDS}：请写成秒数，如 120 或 120,900,1800")
            seconds = dict(zip(LANES, values * 3 if len(values) == 1 else values, strict=False))
        light = _bytes(given.light_bytes, _ENV_LIGHT_BYTES) if given.light_bytes else base.light_bytes
        return cls(memory=memory, seconds=seconds, light_bytes=light)

    def args(self) -> list[str]:
        """The worker's command-line options carrying these limits."""
        secs = ",".join(str(self.seconds[lane]) for lane in LANES)
        return ["--memory", str(self.memory), "--seconds", secs, "--light-bytes", str(self.light_bytes)]


def lane_of(kind: str, params: dict[str, Any], *, light_bytes: int) -> str:
    """The lane of a job: ``build`` for packages, ``heavy`` for a file above ``light_bytes`` (or a
    large register's map), else ``light``."""
    if kind in BUILD_KINDS:
        return "build"
    if kind in FILE_KINDS:
        return "heavy" if int(params.get("size") or 0) > light_bytes else "light"
    if kind == "map":
        from hepinggis.web._work_light import MAP_LIGHT_ROWS

        return "light" if 0 < int(params.get("rows") or 0) <= MAP_LIGHT_ROWS else "heavy"
    if kind == "plan_map":
        return "heavy"  # started with the server; never in a user's way
    if kind.startswith("fault_"):
        return str(params.get("lane") or "light")
    return "heavy"


def plan_lanes(workers: int | None = None) -> list[tuple[str, ...]]:
    """The lanes of each worker process: ``None`` → one light worker per core (at least 2), one
    heavy and one build worker; ``1`` → one worker for everything; ``n ≥ 2`` → ``n - 1`` light
    workers and one for the heavy and build lanes (small test servers)."""
    light: tuple[str, ...] = ("light",)
    if workers is None:
        return [light] * max(2, os.cpu_count() or 2) + [("heavy",), ("build",)]
    if workers <= 1:
        return [LANES]
    return [light] * (workers - 1) + [("heavy", "build")]


# -- the server's side -----------------------------------------------------------------------------
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
    import hepinggis.web._work as work
    from hepinggis.io._synthetic import write_register
    from hepinggis.io.importer import read_projects
    from hepinggis.io.preview import preview_register
    from hepinggis.plan.layers import load

    memo_layers()
    folder.mkdir(parents=True, exist_ok=True)
    if mode == "imports":  # what the small jobs below would import, without running them
        for name in ("openpyxl", "hepinggis.maps"):
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
        for name in ("matplotlib.pyplot", "hepinggis.briefing", "hepinggis.monitor.package", "hepinggis.maps.static"):
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
    from hepinggis.web import _work

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
    return parent.run()


if __name__ == "__main__":
    raise SystemExit(main())
