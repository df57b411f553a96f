"""Real servers killed (SIGKILL) at chosen moments of a job — held there by the fault injection
``HEPINGGIS_WEB_HOLD_AT`` rather than waited for: no process is left (psutil), the store is as
before the job, a restarted server fails the job and removes what it left half-written, and a
second server sharing the database (and the data folder) keeps its temporary folder, fails a dead
server's job within the heartbeat limit, and works on. On SQLite and on PostGIS."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psutil
import pytest
from _server_env import Serve, pg_schemas, pg_url, store_url  # noqa: F401 - fixtures
from conftest import GBK_TITLE

FAULTS = {"HEPINGGIS_WEB_FAULTS": "1"}


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _alive(procs: list[psutil.Process], timeout: float = 10.0) -> list[int]:
    """The pids of ``procs`` still running (not zombies) after waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p.pid)
            except psutil.NoSuchProcess:
                continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _kill(server: Serve) -> list[int]:
    """SIGKILL the server (no shutdown code runs); the pids of its processes still alive after."""
    family = _descendants(server.proc.pid)
    assert len(family) >= 2, "the server has no worker processes"
    server.proc.kill()
    server.proc.wait(10)
    return _alive(family)


def _wait_held(data: Path, jid: str, timeout: float = 120.0) -> None:
    held = data / "tmp" / f"held-{jid}"
    deadline = time.monotonic() + timeout
    while not held.exists():
        assert time.monotonic() < deadline, "the job never reached the step it was to be held at"
        time.sleep(0.05)


def _upload(url: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/registers",
        files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())},
        data={"crs": "wgs84"},
        timeout=120,
    )


def test_killed_mid_build_leaves_no_process_and_the_store_as_before(tmp_path: Path, store_url: str | None) -> None:  # noqa: F811
    data = tmp_path / "store"
    server = Serve(data, store_url, env={**FAULTS, "HEPINGGIS_WEB_HOLD_AT": "已生成"})  # after the first product
    try:
        up = _upload(server.url)
        assert up.status_code == 201, up.text
        rid = up.json()["id"]
        jid = httpx.post(f"{server.url}/api/registers/{rid}/package", timeout=30).json()["id"]
        _wait_held(data, jid)
        # the package is built in the job's own folder (under the server's temp folder) and swapped in whole
        assert list(data.rglob(f".{rid}.building-*")), "the build was not half-way"
    finally:
        left = _kill(server)
    assert left == [], "processes outlived the killed server"
    assert not (data / "packages" / f"{rid}.zip").exists()
    assert not (data / "packages" / rid).exists()

    again = Serve(data, store_url)
    try:
        job = httpx.get(f"{again.url}/api/jobs/{jid}", timeout=10).json()
        assert job["status"] == "failed" and "服务器" in job["error"]
        reg = httpx.get(f"{again.url}/api/registers/{rid}", timeout=10).json()
        assert (reg["imported"], reg["package_at"]) == (60, None)
        assert httpx.get(f"{again.url}/api/registers/{rid}/package.zip", timeout=10).status_code == 404
        assert not list(data.rglob(".*.building-*")), "the half-built package was left"
        assert _upload(again.url).status_code == 201  # the restarted server works
    finally:
        again.stop()
        assert _alive(_descendants(again.proc.pid) if again.proc.poll() is None else []) == []


def test_killed_mid_import_stores_nothing(tmp_path: Path, store_url: str | None) -> None:  # noqa: F811
    data = tmp_path / "store"
    server = Serve(data, store_url, env={**FAULTS, "HEPINGGIS_WEB_HOLD_AT": "写入数据库"})
    try:
        r = httpx.post(
            f"{server.url}/api/registers",
            files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())},
            data={"crs": "wgs84"},
            params={"wait": "false"},
            timeout=60,
        )
        assert r.status_code == 202, r.text
        jid = r.json()["id"]
        _wait_held(data, jid)
    finally:
        left = _kill(server)
    assert left == []
    again = Serve(data, store_url)
    try:
        job = httpx.get(f"{again.url}/api/jobs/{jid}", timeout=10).json()
        assert job["status"] == "failed" and "服务器" in job["error"]
        assert httpx.get(f"{again.url}/api/registers", timeout=10).json() == []
        assert not list((data / "maps").glob("*.html")) or all(p.name == "plan.html" for p in (data / "maps").iterdir())
    finally:
        again.stop()


def test_two_servers_one_database_a_dead_servers_job_is_failed_by_the_other(
    tmp_path: Path,
    store_url: str | None,  # noqa: F811
) -> None:
    data = tmp_path / "store"
    env = {**FAULTS, "HEPINGGIS_JOB_STALE_S": "6"}
    a = Serve(data, store_url, env=env)
    b = None
    try:
        from hepinggis.web.store._store import Store

        store = Store(data, store_url)
        jid = store.add_job("fault_hold", {"signal": str(tmp_path / "holding"), "lane": "light"}, submitter="甲")
        deadline = time.monotonic() + 60
        while not (tmp_path / "holding").exists():
            assert time.monotonic() < deadline, "no worker of server A took the job"
            time.sleep(0.05)
        holder = int((tmp_path / "holding").read_text())
        assert holder in [p.pid for p in _descendants(a.proc.pid)]
        a_tmp = [p for p in (data / "tmp").iterdir() if p.is_dir()]
        assert len(a_tmp) == 1
        (a_tmp[0] / "upload-in-flight").write_bytes(b"x")  # as a half-received upload of A's
        b = Serve(data, store_url, env=env)  # B starts while A works: it leaves A's folder and job alone
        assert (a_tmp[0] / "upload-in-flight").exists()
        assert store.get_job(jid)["status"] == "running"
        left = _kill(a)
        assert left == [], "processes outlived the killed server"
        t0 = time.monotonic()
        while store.get_job(jid)["status"] == "running":
            assert time.monotonic() - t0 < 30, "server B did not fail the dead server's job"
            time.sleep(0.05)
        job = store.get_job(jid)
        assert job["status"] == "failed" and "服务器" in job["error"], job
        assert _upload(b.url).status_code == 201  # B works on
        store.dispose()
    finally:
        if a.proc.poll() is None:
            a.stop()
        if b is not None:
            family = _descendants(b.proc.pid)
            b.stop()
            assert _alive(family) == []


@pytest.mark.parametrize("moment", ["读取清单"])
def test_sigterm_mid_import_stops_cleanly(tmp_path: Path, moment: str) -> None:
    """SIGINT (Ctrl+C) while a job is held: the server stops its workers and exits, none left."""
    data = tmp_path / "store"
    server = Serve(data, None, env={**FAULTS, "HEPINGGIS_WEB_HOLD_AT": moment})
    r = httpx.post(
        f"{server.url}/api/registers",
        files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())},
        data={"crs": "wgs84"},
        params={"wait": "false"},
        timeout=60,
    )
    jid = r.json()["id"]
    _wait_held(data, jid)
    family = _descendants(server.proc.pid)
    server.stop()
    assert server.proc.returncode is not None
    assert _alive(family) == []
    assert not [p for p in (data / "tmp").iterdir() if p.is_dir()], "the server left its temporary folder"
