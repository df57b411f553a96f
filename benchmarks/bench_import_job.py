"""Benchmark: the web's import job in-process, in CPU seconds (issue 37.1 and 37.2), against the
library reading the same file in the same process.

A warm worker runs the same code (`hepinggis.web.jobs._work.run` on a claimed ``import`` job): the file
read by ``read_projects``, its projects counted per zone and 街道, stored with their report, and —
as for an upload while no other waits — the map of a register up to 5,000 rows. CPU seconds
(user + system of this process), not wall time, so that a machine loaded by others still gives
comparable figures; the baseline is ``read_projects`` alone on the same file, in the same run, and
the figure that matters is what the web adds to it.

* ``--rows 50000`` CSV (GCJ-02) on the embedded SQLite store (the 50,000-row upload);
* ``--bureau-rows 2000`` XLSX (a clerk's register, as ``bench_bureau.py`` makes it) on PostGIS
  with ``--db`` (else SQLite), the map left out (in a burst of uploads it follows as its own job).

    python benchmarks/bench_import_job.py [--db postgresql://…] [--repeat 3] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _best(fn: Callable[[], object], repeat: int) -> float:
    """The least CPU seconds of ``repeat`` runs of ``fn`` (after one untimed run, whose objects are
    then frozen out of the garbage collector's sight as a warm worker's are: `_jobs.main`)."""
    fn()
    gc.collect()
    gc.freeze()
    times = []
    for _ in range(repeat):
        c = _cpu()
        fn()
        times.append(_cpu() - c)
    return min(times)


def _schema_url(db: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://" + db.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in db else "?"
    return schema, f"{db}{sep}options={quote(f'-csearch_path={schema},public')}"


def _drop(db: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql+psycopg://" + db.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def measure(
    path: Path, kind: str, crs: str, url: str | None, *, repeat: int, with_map: bool, profile: str | None
) -> tuple[float, float]:
    """(CPU s of the import job, CPU s of read_projects) for ``path`` on the store at ``url``."""
    from hepinggis.io.importer import read_projects
    from hepinggis.web.jobs import _work, _work_light
    from hepinggis.web.store._store import Store

    work = Path(tempfile.mkdtemp(prefix="bench-import-job-"))
    store = Store(work / "data", url)
    store.create()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    shutil.copyfile(path, work / "upload")
    store.keep_file(work / "upload", sha, kind)
    params = {
        "sha256": sha,
        "kind": kind,
        "size": path.stat().st_size,
        "file_name": path.name,
        "crs": crs,
        "uploader": "bench",
        "data_dir": str(store.data_dir),
    }
    in_import = _work_light.MAP_IN_IMPORT
    loaded = [m for name, m in sys.modules.items() if name.startswith("hepinggis.web")]
    holders: list[Any] = [m for m in loaded if hasattr(m, "MAP_IN_IMPORT")]

    def job() -> None:
        store.add_job("import", params, submitter="bench")
        claimed = store.claim_job(("import",))
        assert claimed is not None
        _work.run(store, claimed)

    try:
        if not with_map:
            for module in holders:  # the map follows as its own job (as in a burst of uploads)
                module.MAP_IN_IMPORT = 0
        web = _best(job, repeat)
        if profile:
            cProfile.runctx("job()", globals(), {"job": job}, profile)
        lib = _best(lambda: read_projects(path, crs=crs), repeat)
    finally:
        for module in holders:
            module.MAP_IN_IMPORT = in_import
        store.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return web, lib


def main() -> None:
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=None, help="postgresql://… (a schema is made and dropped) for the 2,000-row case")
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--bureau-rows", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default=None, help="write a cProfile of one 50,000-row job here")
    args = ap.parse_args()
    import bench_bureau

    from hepinggis.io._synthetic import write_register

    tmp = Path(tempfile.mkdtemp(prefix="bench-import-files-"))
    rows = []
    try:
        csv = write_register(tmp / f"r{args.rows}.csv", args.rows, seed=2)
        load = _load()
        web, lib = measure(csv, "csv", "gcj02", None, repeat=args.repeat, with_map=True, profile=args.profile)
        rows.append((f"{args.rows:,}-row CSV, import job on SQLite", web, lib, load))
        xlsx = bench_bureau._register_xlsx(tmp / "清单.xlsx", args.bureau_rows, seed=1)
        schema, url = _schema_url(args.db) if args.db else (None, None)
        try:
            load = _load()
            web, lib = measure(xlsx, "xlsx", "wgs84", url, repeat=args.repeat, with_map=False, profile=None)
            store = "PostGIS" if url else "SQLite"
            rows.append((f"{args.bureau_rows:,}-row xlsx, import job on {store} (map as its own job)", web, lib, load))
        finally:
            if args.db and schema:
                _drop(args.db, schema)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| measure | import job (CPU s) | read_projects alone (CPU s, same run) | web adds | load average |")
    print("|---|---|---|---|---|")
    for name, web, lib, load in rows:
        print(f"| {name} | {web:.2f} | {lib:.2f} | {web - lib:.2f} s ({web / lib:.2f}×) | {load} |")


if __name__ == "__main__":
    main()
