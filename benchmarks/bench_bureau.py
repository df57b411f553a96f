"""The bureau's server under load (issue 27), against a real ``hepinggis serve`` on PostGIS.

1. ``--users`` simulated users (HTTP clients, each with its own account) upload a ``--rows``-row
   xlsx register at once and build its briefing package: the upload times (p50/p95), errors, and
   whether every register and every project arrived (nothing lost). Baseline, in the same run: the
   command line's import of the same file (``read_projects``).
2. Per-zone counts and investment of ``--points`` projects: the SQL function
   ``hepinggis_projects_by_zone`` against ``hepinggis.projects_by_zone`` in Python — time and equality.

    python benchmarks/bench_bureau.py --db postgresql://hepinggis@127.0.0.1:54329/hg_server_2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
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
sys.path.insert(0, str(REPO))


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


def bench_users(db: str, users: int, rows: int, build: bool) -> None:
    from _server_env import Serve, users_add
    from sqlalchemy import func, select

    from hepinggis.io.importer import read_projects
    from hepinggis.web import _schema as s
    from hepinggis.web._engine import make_engine

    work = Path(tempfile.mkdtemp(prefix="bench-bureau-"))
    files = [_register_xlsx(work / f"清单{i}.xlsx", rows, seed=i) for i in range(users)]
    t0 = time.perf_counter()
    base = read_projects(files[0], crs="wgs84")
    baseline = time.perf_counter() - t0
    print(f"baseline: read_projects of one {rows}-row xlsx: {baseline:.2f} s ({base.n_imported} imported)")
    data = work / "data"
    for i in range(users):
        users_add(data, db, f"user{i}", "填报", f"Bench#pw-{i:04d}-x")
    server = Serve(data, db)
    uploads: list[float] = []
    errors: list[str] = []

    def one(i: int) -> str | None:
        client = httpx.Client(base_url=server.url, timeout=600)
        token = client.post("/api/login", json={"username": f"user{i}", "password": f"Bench#pw-{i:04d}-x"}).json()
        client.headers["Authorization"] = f"Bearer {token['token']}"
        t = time.perf_counter()
        r = client.post("/api/registers", files={"file": (files[i].name, files[i].read_bytes())}, data={"crs": "wgs84"})
        uploads.append(time.perf_counter() - t)
        if r.status_code != 201:
            errors.append(f"upload {i}: {r.status_code} {r.text[:120]}")
            return None
        rid = r.json()["id"]
        if build:
            jid = client.post(f"/api/registers/{rid}/package").json()["id"]
            while True:
                job = client.get(f"/api/jobs/{jid}").json()
                if job["status"] in ("done", "failed"):
                    if job["status"] == "failed":
                        errors.append(f"package {i}: {job['error']}")
                    break
                time.sleep(1)
        return str(rid)

    t = time.perf_counter()
    try:
        with ThreadPoolExecutor(users) as pool:
            ids = list(pool.map(one, range(users)))
    finally:
        wall = time.perf_counter() - t
        server.stop()
    engine = make_engine(data, db)
    with engine.connect() as conn:
        n_regs = conn.execute(select(func.count()).select_from(s.registers)).scalar()
        n_proj = conn.execute(select(func.count()).select_from(s.projects)).scalar()
    engine.dispose()
    print(
        f"{users} users × {rows}-row xlsx{' + package' if build else ''}: wall {wall:.1f} s; "
        f"upload p50 {_p(uploads, 0.5):.2f} s, p95 {_p(uploads, 0.95):.2f} s (target < 5 s), max {max(uploads):.2f} s"
    )
    print(f"errors: {len(errors)} {errors[:3]}; registers {n_regs}/{users}, projects {n_proj} (of {users} × imported)")
    print(f"nothing lost: {n_regs == users and all(ids)}")


def bench_sql(db: str, points: int) -> None:
    from sqlalchemy import create_engine, insert, text

    import hepinggis
    from hepinggis.web import _schema as s
    from hepinggis.web._insql import by_area_sql, sync_layers
    from hepinggis.web._migrate import upgrade

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://" + db.split("://", 1)[1])
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(
        "postgresql+psycopg://" + db.split("://", 1)[1] + f"?options={quote(f'-csearch_path={schema},public')}"
    )
    try:
        upgrade(engine)
        rng = np.random.default_rng(1)
        x0, y0, x1, y1 = hepinggis.load("district").total_bounds
        lon, lat = rng.uniform(x0, x1, points), rng.uniform(y0, y1, points)
        inv = np.where(rng.random(points) < 0.8, rng.uniform(1e5, 1e9, points).round(2), np.nan)
        import geopandas as gpd

        frame = gpd.GeoDataFrame({"investment_cny": inv}, geometry=shapely.points(lon, lat), crs=4326)
        t = time.perf_counter()
        with engine.begin() as conn:
            sync_layers(conn, {"zones": hepinggis.load("zones"), "jiedao": hepinggis.load("jiedao")})
            conn.execute(
                insert(s.registers).values(
                    id="big",
                    file_name="big",
                    sha256="0" * 64,
                    kind="csv",
                    size=0,
                    uploaded_at="2026",
                    uploader="b",
                    crs="EPSG:4326",
                    columns_json="{}",
                    rows_in=points,
                    imported=points,
                    refused=0,
                    warned=0,
                    report_json="[]",
                    per_zone_json="[]",
                    per_jiedao_json="[]",
                    boundaries="",
                )
            )
            wkts = shapely.to_wkt(frame.geometry.values, rounding_precision=-1)
            for start in range(0, points, 100_000):
                rows = [
                    {
                        "register_id": "big",
                        "row": i + 2,
                        "geom_wkt": wkts[i],
                        "properties_json": "{}",
                        "investment_cny": None if np.isnan(inv[i]) else float(inv[i]),
                    }
                    for i in range(start, min(points, start + 100_000))
                ]
                conn.execute(insert(s.projects), rows)
        print(f"loaded {points} projects into PostGIS in {time.perf_counter() - t:.1f} s")
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
        print(sql[["projects", "investment_cny_stated"]].to_string())
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True, help="postgresql://… of an empty database (with PostGIS)")
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--no-build", action="store_true", help="upload only, no package builds")
    ap.add_argument("--only", choices=["users", "sql"], default=None)
    args = ap.parse_args()
    if args.only in (None, "users"):
        bench_users(args.db, args.users, args.rows, not args.no_build)
    if args.only in (None, "sql"):
        bench_sql(args.db, args.points)


if __name__ == "__main__":
    main()
