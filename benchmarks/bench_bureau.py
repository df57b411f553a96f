"""Ten clerks at once (issue 37.2): real ``hepinggis serve`` processes under concurrent uploads.

For 1, 5, 10 and 20 clients — each a user with an account of their own, logged in, uploading a
``--rows``-row xlsx register at the same moment — the upload times (p50 / p95 / max), the wall
time and the load average, on the embedded SQLite store (one server) and on PostGIS (two servers
on one database and one data folder, the clients split between them). Then: every register stored
once and every project stored (nothing lost, nothing twice). Baseline in the same run: the library
(``read_projects``) reading one of the files. Targets: p95 < 3 s for 10 clients, < 5 s for 20.

    python benchmarks/bench_bureau.py [--db postgresql://…] [--clients 1,5,10,20] [--rows 2000]

Also, with ``--only sql``, the per-zone counts of ``--points`` projects inside PostGIS
(``hepinggis_projects_by_zone``) against ``hepinggis.projects_by_zone`` in Python.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "web"))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

TARGETS = {10: 3.0, 20: 5.0}


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _register_xlsx(path: Path, rows: int, seed: int) -> Path:
    import geopandas as gpd  # noqa: F401

    from hepinggis.io._sheets import write_workbook
    from hepinggis.io._synthetic import synthetic_projects

    frame = synthetic_projects(rows, seed=seed)
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(
        {
            "项目名称": frame["项目名称"],
            "经度": frame.geometry.x.round(6),
            "纬度": frame.geometry.y.round(6),
            "总投资（万元）": rng.uniform(10, 50_000, rows).round(1),
        }
    )
    return write_workbook({"清单": table}, path)


def _p(values: list[float], q: float) -> float:
    return float(np.quantile(values, q)) if values else float("nan")


def _pg_schema(db: str) -> tuple[str, str]:
    """A fresh schema on the PostGIS server: (its name, a URL working in it)."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://" + db.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    sep = "&" if "?" in db else "?"
    return schema, f"{db}{sep}options={quote(f'-csearch_path={schema},public')}"


def _drop_schema(db: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql+psycopg://" + db.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def bench_store(label: str, db: str | None, n_servers: int, clients: list[int], files: list[Path]) -> list[str]:
    """Upload rounds of 1, 5, 10, 20 clients against ``n_servers`` servers on one store."""
    from _server_env import Serve
    from sqlalchemy import func, select

    from hepinggis.web.auth._accounts import Accounts
    from hepinggis.web.store import _schema as s
    from hepinggis.web.store._engine import make_engine
    from hepinggis.web.store._migrate import upgrade

    work = Path(tempfile.mkdtemp(prefix="bench-bureau-"))
    data = work / "data"
    engine = make_engine(data, db)
    upgrade(engine)
    accounts = Accounts(engine)
    most = max(clients)
    for i in range(most):
        accounts.add_user(f"clerk{i}", role="填报", password=f"Bench#pw-{i:04d}-x")
    t = time.perf_counter()
    # answer at once (a very busy machine would outlast the helper's patience); the untimed upload
    # below waits for the workers to be warm instead
    servers = [Serve(data, db, env={"HEPINGGIS_WARM_WAIT_S": "1"}) for _ in range(n_servers)]
    sessions = []
    for i in range(most):
        client = httpx.Client(base_url=servers[i % n_servers].url, timeout=600)
        token = client.post("/api/login", json={"username": f"clerk{i}", "password": f"Bench#pw-{i:04d}-x"}).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        sessions.append(client)
    for k in range(n_servers):  # one untimed upload per server: its workers are warm after it
        body = files[0].read_bytes()
        assert (
            sessions[k].post("/api/registers", files={"file": (files[0].name, body)}, data={"crs": "wgs84"}).is_success
        )
    started = time.perf_counter() - t
    lines = [f"{label}: {n_servers} server(s) started, warm and through one upload in {started:.1f} s (load {_load()})"]
    print(lines[0], flush=True)
    try:
        for n in clients:
            with engine.connect() as conn:
                regs0 = conn.execute(select(func.count()).select_from(s.registers)).scalar() or 0
                proj0 = conn.execute(select(func.count()).select_from(s.projects)).scalar() or 0
            barrier = threading.Barrier(n)
            times: list[float] = []
            errors: list[str] = []
            imported: list[int] = []

            def one(
                i: int,
                barrier: threading.Barrier = barrier,
                times: list[float] = times,
                errors: list[str] = errors,
                imported: list[int] = imported,
            ) -> None:
                body = files[i % len(files)].read_bytes()
                barrier.wait()
                t = time.perf_counter()
                r = sessions[i].post(
                    "/api/registers", files={"file": (files[i % len(files)].name, body)}, data={"crs": "wgs84"}
                )
                times.append(time.perf_counter() - t)
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text[:100]}")
                else:
                    imported.append(int(r.json()["imported"]))

            load_before = _load()
            t = time.perf_counter()
            with ThreadPoolExecutor(n) as pool:
                list(pool.map(one, range(n)))
            wall = time.perf_counter() - t
            with engine.connect() as conn:
                regs = (conn.execute(select(func.count()).select_from(s.registers)).scalar() or 0) - regs0
                proj = (conn.execute(select(func.count()).select_from(s.projects)).scalar() or 0) - proj0
            whole = regs == n and proj == sum(imported) and not errors
            target = TARGETS.get(n)
            met = "—" if target is None else ("yes" if _p(times, 0.95) < target else "NO")
            lines.append(
                f"| {label} | {n} | {_p(times, 0.5):.2f} s | {_p(times, 0.95):.2f} s | {max(times):.2f} s "
                f"| {wall:.1f} s | {f'< {target:.0f} s' if target else '—'} | {met} "
                f"| {regs}/{n} registers, {proj} projects{'' if whole else ' LOST/DUPLICATE ' + str(errors[:2])} "
                f"| {load_before} → {_load()} |"
            )
            print(lines[-1], flush=True)
            time.sleep(2.0)  # the deferred maps of the round are drawn before the next round
    finally:
        for c in sessions:
            c.close()
        for server in servers:
            server.stop()
        engine.dispose()
    return lines


def bench_users(db: str | None, clients: list[int], rows: int, stores: tuple[str, ...]) -> None:
    from hepinggis.io.importer import read_projects

    work = Path(tempfile.mkdtemp(prefix="bench-bureau-files-"))
    files = [_register_xlsx(work / f"清单{i}.xlsx", rows, seed=i) for i in range(max(clients))]
    t0 = time.perf_counter()
    base = read_projects(files[0], crs="wgs84")
    baseline = time.perf_counter() - t0
    print(
        f"baseline (same run): read_projects of one {rows}-row xlsx in this process: {baseline:.2f} s "
        f"({base.n_imported} imported; load {_load()})",
        flush=True,
    )
    print("| store | clients | p50 | p95 | max | wall | target p95 | met | stored | load average (1/5/15 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    lines = bench_store("SQLite", None, 1, clients, files) if "sqlite" in stores else []
    if db and "postgis" in stores:
        schema, url = _pg_schema(db)
        try:
            lines += bench_store("PostGIS", url, 2, clients, files)
        finally:
            _drop_schema(db, schema)
    # the rows again as one table (above, they are printed as measured, between the servers' lines)
    print("\nsummary:")
    print("| store | clients | p50 | p95 | max | wall | target p95 | met | stored | load average (1/5/15 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(x for x in lines if x.startswith("|")))


def bench_sql(db: str, points: int) -> None:
    from _server_env import register_row
    from sqlalchemy import create_engine

    import hepinggis
    from hepinggis.web.store._insql import by_area_sql, sync_layers
    from hepinggis.web.store._migrate import upgrade

    schema, url = _pg_schema(db)
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    try:
        upgrade(engine)
        rng = np.random.default_rng(1)
        x0, y0, x1, y1 = hepinggis.load("district").total_bounds
        lon, lat = rng.uniform(x0, x1, points), rng.uniform(y0, y1, points)
        inv = np.where(rng.random(points) < 0.8, rng.uniform(1e5, 1e9, points).round(2), np.nan)
        import geopandas as gpd

        from hepinggis.web.store._store import Store

        frame = gpd.GeoDataFrame({"investment_cny": inv}, geometry=shapely.points(lon, lat), crs=4326)
        store = Store(Path(tempfile.mkdtemp()), url)
        t = time.perf_counter()
        with engine.begin() as conn:
            sync_layers(conn, {"zones": hepinggis.load("zones"), "jiedao": hepinggis.load("jiedao")})
            register_row(conn, "big", points, file_name="big")
            wkts = shapely.to_wkt(frame.geometry.values, rounding_precision=-1)
            rows = [
                {
                    "register_id": "big",
                    "row": i + 2,
                    "geom_wkt": wkts[i],
                    "properties_json": "{}",
                    "investment_cny": None if np.isnan(inv[i]) else float(inv[i]),
                }
                for i in range(points)
            ]
            store.insert_projects(conn, rows)  # COPY
        store.dispose()
        print(f"loaded {points} projects into PostGIS (COPY) in {time.perf_counter() - t:.1f} s (load {_load()})")
        t = time.perf_counter()
        sql = by_area_sql(engine, "big", layer="zones")
        t_sql = time.perf_counter() - t
        t = time.perf_counter()
        py = hepinggis.projects_by_zone(frame, hepinggis.load("zones"))
        t_py = time.perf_counter() - t
        equal = all(
            np.allclose(sql[c].to_numpy(float), py[c].to_numpy(float), rtol=1e-9, atol=1e-3)
            for c in ("projects", "projects_any_share", "investment_cny_stated", "n_with_investment")
        )
        print(f"per-zone of {points} projects: SQL {t_sql:.1f} s, Python {t_py:.1f} s; equal: {equal}")
    finally:
        engine.dispose()
        _drop_schema(db, schema)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=None, help="postgresql://… of a PostGIS database (a schema is made and dropped)")
    ap.add_argument("--clients", default="1,5,10,20")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["users", "sql"], default="users")
    ap.add_argument("--stores", default="sqlite,postgis", help="which stores: sqlite,postgis")
    args = ap.parse_args()
    if args.only == "users":
        bench_users(args.db, [int(x) for x in args.clients.split(",")], args.rows, tuple(args.stores.split(",")))
    elif args.db:
        bench_sql(args.db, args.points)


if __name__ == "__main__":
    main()
