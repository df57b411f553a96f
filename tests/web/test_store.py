"""The store on its own: a job is claimed once however many claimers race for it (two stores on
one database stand for two server processes), and jobs a dead worker held are failed at start."""

from __future__ import annotations

import concurrent.futures as cf
import os
import time
from pathlib import Path

from sqlalchemy import update

from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store


def test_a_job_is_claimed_once_by_racing_servers(tmp_path: Path) -> None:
    stores = [Store(tmp_path), Store(tmp_path)]
    stores[0].create()
    jobs = {stores[0].add_job("import", {"k": k}, submitter="测试") for k in range(40)}

    def claim_all(store: Store) -> list[str]:
        got = []
        while (job := store.claim_job()) is not None:
            got.append(job["id"])
        return got

    with cf.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim_all, [stores[k % 2] for k in range(8)]))
    claimed = [j for r in results for j in r]
    assert sorted(claimed) == sorted(jobs)  # every job, each once
    assert all(stores[1].get_job(j)["status"] == "running" for j in jobs)


def test_jobs_of_a_dead_worker_are_failed_and_live_ones_kept(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    dead, live, stale = (store.add_job("package", {}, submitter="测试") for _ in range(3))
    for _ in range(3):
        store.claim_job()
    import socket

    with store.begin() as conn:
        gone = 2**22 + 12345  # no such pid
        conn.execute(update(s.jobs).where(s.jobs.c.id == dead).values(worker=f"{socket.gethostname()}:{gone}"))
        conn.execute(update(s.jobs).where(s.jobs.c.id == live).values(worker=f"{socket.gethostname()}:{os.getpid()}"))
        conn.execute(
            update(s.jobs).where(s.jobs.c.id == stale).values(worker="otherhost:1", heartbeat=time.time() - 120)
        )
    failed = store.recover_jobs()
    assert sorted(failed) == sorted([dead, stale])
    assert store.get_job(live)["status"] == "running"
    assert store.get_job(dead)["status"] == "failed" and "服务器" in store.get_job(dead)["error"]


def test_files_are_kept_by_digest(tmp_path: Path) -> None:
    store = Store(tmp_path)
    tmp = store.new_tmp()
    tmp.write_bytes(b"a,b\n")
    sha = "0" * 64
    kept = store.keep_file(tmp, sha, "csv")
    assert kept == tmp_path / "files" / "00" / f"{sha}.csv" and kept.read_bytes() == b"a,b\n"
    for bad in ("../" + "0" * 61, "g" * 64):
        try:
            store.file_path(bad, "csv")
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")
