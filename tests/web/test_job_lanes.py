"""The job workers' lanes and limits (issues 33.2, 33.8, 37.2), on real servers: a job past its
memory cap or time limit is refused in one Chinese line and its worker replaced warm; a colleague's
heavy files never delay a 1-row upload; claims are fair between users; a starting server leaves the
temporary folder of a running one alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import psutil
import pytest
from _server_env import Serve

from hepinggis.errors import InvalidOptionError
from hepinggis.io._synthetic import write_register
from hepinggis.web.jobs._limits import JobLimits, lane_of, plan_lanes
from hepinggis.web.store._store import Store
from hepinggis.web.store._tmp import ServerTmp, clean_stale

#: These servers warm up as in production (the suite's others only import, tests/conftest.py).
FULL = {"HEPINGGIS_WARM_UP": "full"}


def _wait(store: Store, jid: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while (job := store.get_job(jid))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"job {job['kind']} not finished: {job}"
        time.sleep(0.05)
    return job


def _workers(server: Serve) -> set[int]:
    """The pids of the server's forked workers (the children of its warm parent)."""
    pids = set()
    for parent in psutil.Process(server.proc.pid).children():
        try:
            pids |= {c.pid for c in parent.children() if c.status() != psutil.STATUS_ZOMBIE}
        except psutil.NoSuchProcess:  # ended while we looked
            continue
    return pids


def _full(server: Serve, n: int, timeout: float = 180.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while len(pids := _workers(server)) != n:
        assert time.monotonic() < deadline, f"{len(pids)} workers, not {n}"
        time.sleep(0.05)
    return pids


def test_memory_cap_and_time_limit_refuse_in_chinese_and_replace_the_worker_warm(tmp_path: Path) -> None:
    data = tmp_path / "store"
    env = {"HEPINGGIS_WEB_FAULTS": "1", "HEPINGGIS_JOB_MEMORY": "300MB", "HEPINGGIS_JOB_SECONDS": "120,900,3", **FULL}
    server = Serve(data, None, env=env)
    store = Store(data)
    try:
        n = len(plan_lanes())
        before = _full(server, n)
        # a job that asks for 2 GB beyond the warm footprint: refused, the worker replaced
        jid = store.add_job("fault_alloc", {"bytes": 2 * 1024**3, "lane": "build"}, submitter="甲")
        job = _wait(store, jid)
        assert job["status"] == "failed"
        assert "内存超过上限（300 MB）" in job["error"] and "数据未改动" in job["error"], job["error"]
        holder = int(job["worker"].rsplit(":", 1)[1])
        after = _full(server, n)
        assert holder in before and holder not in after
        # the replacement is warm at once: the next heavy job runs on it without a cold start
        t = time.monotonic()
        ok = _wait(store, store.add_job("fault_sleep", {"seconds": 0, "lane": "build"}, submitter="甲"))
        assert ok["status"] == "done" and time.monotonic() - t < 30
        # a job past its lane's 3 s: ended by the kernel (SIGALRM), refused, the worker replaced
        t = time.monotonic()
        job = _wait(store, store.add_job("fault_sleep", {"seconds": 60, "lane": "build"}, submitter="甲"))
        assert job["status"] == "failed" and "处理时间超过上限（3 秒）" in job["error"], job
        assert time.monotonic() - t < 40
        _full(server, n)
        # the warm parent itself killed (as the OOM killer might): its workers die with it, the
        # server starts a new one
        (parent,) = psutil.Process(server.proc.pid).children()
        old = _full(server, n)
        parent.kill()
        deadline = time.monotonic() + 300  # a new parent warms up from cold: slow on a busy machine
        while not ((now := _workers(server)) and len(now) == n and not now & old):
            assert time.monotonic() < deadline, "the warm parent was not replaced"
            time.sleep(0.1)
        assert not [p for p in old if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        # the light lane was never in the way: a real upload answers
        csv = write_register(tmp_path / "一行.csv", 1, seed=3)
        r = httpx.post(
            f"{server.url}/api/registers",
            files={"file": (csv.name, csv.read_bytes())},
            data={"crs": "gcj02"},
            timeout=300,
        )
        assert r.status_code == 201, r.text
    finally:
        family = psutil.Process(server.proc.pid).children(recursive=True)
        server.stop()
        store.dispose()
        psutil.wait_procs(family, timeout=10)
        assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_heavy_files_never_delay_a_one_row_upload(tmp_path: Path) -> None:
    """Three large registers queued by one clerk (more than there are workers), then a colleague's
    1-row upload: it is answered while the large ones still run or wait."""
    data = tmp_path / "store"
    big = write_register(tmp_path / "大清单.csv", 20_000, seed=1)
    small = write_register(tmp_path / "一行.csv", 1, seed=2)
    assert big.stat().st_size > 512 * 1024
    server = Serve(data, None, env={"HEPINGGIS_LIGHT_BYTES": "256KB", **FULL})
    store = Store(data)
    try:
        heavy = []
        for _ in range(3):
            r = httpx.post(
                f"{server.url}/api/registers",
                files={"file": (big.name, big.read_bytes())},
                data={"crs": "gcj02"},
                params={"wait": "false"},
                timeout=60,
            )
            assert r.status_code == 202, r.text
            heavy.append(r.json()["id"])
        t = time.monotonic()
        r = httpx.post(
            f"{server.url}/api/registers",
            files={"file": (small.name, small.read_bytes())},
            data={"crs": "gcj02"},
            timeout=300,
        )
        waited = time.monotonic() - t
        assert r.status_code == 201, r.text
        unfinished = [j for j in heavy if store.get_job(j)["status"] in ("queued", "running")]
        assert len(unfinished) >= 2, f"the 1-row upload took {waited:.1f} s: it waited for the large ones"
        assert waited < 60
        for j in heavy:  # nothing lost: each large register stored once
            assert _wait(store, j, timeout=600)["status"] == "done"
        assert len(store.list_registers()) == 4
    finally:
        server.stop()
        store.dispose()


def test_claims_are_fair_between_users(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    first = store.add_job("import", {"size": 10}, submitter="甲")
    queued_a = [store.add_job("import", {"size": 10}, submitter="甲") for _ in range(3)]
    b = store.add_job("import", {"size": 10}, submitter="乙")
    assert store.claim_job()["id"] == first  # 甲's first job runs
    assert store.claim_job()["id"] == b  # 乙 has none running: goes before 甲's older ones
    assert store.claim_job()["id"] == queued_a[0]
    # a lane takes only its jobs
    store.add_job("import", {"size": 10**9}, submitter="丙")
    light = JobLimits().light_bytes
    got = store.claim_job(accept=lambda k, p: lane_of(k, p, light_bytes=light) == "heavy")
    assert got is not None and got["submitter"] == "丙"
    store.dispose()


def test_lanes_and_limits_from_the_environment() -> None:
    light = 4 * 1024**2
    assert lane_of("import", {"size": 100}, light_bytes=light) == "light"
    assert lane_of("preview", {"size": light + 1}, light_bytes=light) == "heavy"
    assert lane_of("package", {}, light_bytes=light) == "build"
    assert lane_of("map", {"rows": 2000}, light_bytes=light) == "light"
    assert lane_of("map", {"rows": 50_000}, light_bytes=light) == "heavy"
    lim = JobLimits.from_env({"HEPINGGIS_JOB_MEMORY": "1.5GB", "HEPINGGIS_JOB_SECONDS": "30,60,90"})
    assert lim.memory == int(1.5 * 1024**3) and lim.seconds == {"light": 30, "heavy": 60, "build": 90}
    assert JobLimits.from_env({"HEPINGGIS_JOB_SECONDS": "45"}).seconds["build"] == 45
    for bad in ({"HEPINGGIS_JOB_MEMORY": "lots"}, {"HEPINGGIS_JOB_SECONDS": "1,2"}, {"HEPINGGIS_JOB_SECONDS": "-1"}):
        with pytest.raises(InvalidOptionError):
            JobLimits.from_env(bad)
    cores = os.cpu_count() or 2
    assert plan_lanes() == [("light",)] * max(2, cores) + [("heavy",), ("build",)]
    assert plan_lanes(1) == [("light", "heavy", "build")]


def test_a_starting_server_removes_only_the_temp_folders_of_servers_that_are_gone(tmp_path: Path) -> None:
    root = tmp_path / "tmp"
    running = ServerTmp(root)
    (running.path / "upload").write_bytes(b"x")
    gone = ServerTmp(root)
    (gone.path / "upload").write_bytes(b"x")
    gone._fd and os.close(gone._fd)  # its server died: the kernel dropped the lock
    gone._fd = None
    mine = ServerTmp(root)
    removed = clean_stale(root, keep=mine.name)
    assert removed == [gone.name]
    assert (running.path / "upload").exists() and mine.path.is_dir()
    running.close()
    mine.close()
    assert not running.path.exists()
