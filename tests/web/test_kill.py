"""A real server killed (SIGKILL) during a job: no process is left, the store is as before the
job, and a restarted server marks the job failed and works on."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from _server import Server, wait_gone, workers_of
from conftest import GBK_TITLE


def _package_started(url: str, rid: str) -> str:
    jid = httpx.post(f"{url}/api/registers/{rid}/package", timeout=30).json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/api/jobs/{jid}", timeout=10).json()
        if job["status"] == "running" and job["progress"] > 0.1:
            return jid
        assert job["status"] in ("queued", "running"), job
        time.sleep(0.2)
    raise AssertionError("the package job did not start")


def test_sigkill_during_a_build_leaves_no_process_and_the_store_as_before(tmp_path: Path) -> None:
    data = tmp_path / "store"
    server = Server(data)
    try:
        url = server.url
        up = httpx.post(
            f"{url}/api/registers",
            files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())},
            data={"crs": "wgs84"},
            timeout=120,
        )
        assert up.status_code == 201, up.text
        rid = up.json()["id"]
        assert len(workers_of(data)) == 2
        jid = _package_started(url, rid)
    finally:
        server.kill()
    assert wait_gone(data) == [], "worker processes outlived the killed server"
    # the package was never finished: no zip, no package folder swapped in, nothing marked built
    assert not (data / "packages" / f"{rid}.zip").exists()
    assert not (data / "packages" / rid).exists()

    again = Server(data)
    try:
        job = httpx.get(f"{again.url}/api/jobs/{jid}", timeout=10).json()
        assert job["status"] == "failed" and "服务器" in job["error"]
        reg = httpx.get(f"{again.url}/api/registers/{rid}", timeout=10).json()
        assert (reg["imported"], reg["package_at"]) == (60, None)
        assert httpx.get(f"{again.url}/api/registers/{rid}/package.zip", timeout=10).status_code == 404
        # the restarted server works: the package builds now
        jid2 = httpx.post(f"{again.url}/api/registers/{rid}/package", timeout=10).json()["id"]
        deadline = time.monotonic() + 300
        while (job := httpx.get(f"{again.url}/api/jobs/{jid2}", timeout=10).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert job["status"] == "done", job
        assert httpx.get(f"{again.url}/api/registers/{rid}/package.zip", timeout=30).status_code == 200
        leftovers = [p.name for p in (data / "packages").iterdir() if ".building-" in p.name or ".tmp" in p.name]
        assert leftovers == []
    finally:
        again.stop()
    assert wait_gone(data) == [], "worker processes outlived the stopped server"
