"""The store on PostGIS: the API's flow, per-zone answers in SQL equal to Python's, and two server
processes on one database serving the same state with each job run once."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely
from _cli import run_cli
from _server_env import (  # noqa: F401 - fixtures
    Serve,
    free_port,
    pg_schemas,
    pg_url,
    register_row,
    store_url,
    users_add,
)
from conftest import GBK_TITLE
from sqlalchemy import func, insert, select, text

import hepinggis
from hepinggis.web.store import _schema as s
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._insql import by_area_sql, sync_layers
from hepinggis.web.store._migrate import upgrade

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

COLS = ["projects", "projects_any_share", "investment_cny_stated", "n_with_investment"]


def _register(conn: Any, rid: str, frame: gpd.GeoDataFrame) -> None:
    register_row(conn, rid, len(frame))
    inv = pd.to_numeric(frame.get("investment_cny"), errors="coerce") if "investment_cny" in frame else None
    rows = [
        {
            "register_id": rid,
            "row": i + 2,
            "name": f"p{i}",
            "investment_cny": None if inv is None or pd.isna(inv.iloc[i]) else float(inv.iloc[i]),
            "geom_wkt": shapely.to_wkt(g, rounding_precision=-1),
            "properties_json": "{}",
        }
        for i, g in enumerate(frame.geometry)
    ]
    for start in range(0, len(rows), 50_000):
        conn.execute(insert(s.projects), rows[start : start + 50_000])


def _python(frame: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    areas = hepinggis.load(layer)
    table = hepinggis.projects_by_zone(frame.reset_index(drop=True), areas)
    if "investment_cny_stated" not in table:
        table["investment_cny_stated"], table["n_with_investment"] = 0.0, 0
    return table[COLS]


def mixed_projects(n_points: int, seed: int) -> gpd.GeoDataFrame:
    """The bundled projects (polygons, lines, points, a multipolygon) and random points over the
    district and beyond, some on zone edges, most with an investment."""
    rng = np.random.default_rng(seed)
    bundled = hepinggis.load("projects")[["investment_cny", "geometry"]].copy()
    bundled["investment_cny"] = rng.uniform(1e6, 1e9, len(bundled)).round(2)
    x0, y0, x1, y1 = hepinggis.load("district").total_bounds
    pts = shapely.points(rng.uniform(x0 - 0.01, x1 + 0.01, n_points), rng.uniform(y0 - 0.01, y1 + 0.01, n_points))
    edges = shapely.get_coordinates(hepinggis.load("zones").boundary.values)[:: max(1, 50)][:40]
    frame = gpd.GeoDataFrame(
        {
            "investment_cny": np.where(
                rng.random(n_points + len(edges)) < 0.8, rng.uniform(1e5, 5e8, n_points + len(edges)), np.nan
            )
        },
        geometry=list(pts) + list(shapely.points(edges)),
        crs=4326,
    )
    return gpd.GeoDataFrame(pd.concat([bundled, frame], ignore_index=True), crs=4326)


def test_sql_per_zone_equals_python(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    engine = make_engine(tmp_path, pg_url)
    upgrade(engine)
    frame = mixed_projects(3000, seed=7)
    with engine.begin() as conn:
        sync_layers(conn, {"zones": hepinggis.load("zones"), "jiedao": hepinggis.load("jiedao")})
        _register(conn, "r1", frame)
        kinds = dict(conn.execute(text("SELECT GeometryType(geom), count(*) FROM projects GROUP BY 1")).all())
        assert kinds.keys() >= {"POINT", "POLYGON", "LINESTRING", "MULTIPOLYGON"}
        idx = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'projects'")).scalars().all()
        assert any("gist" in i.lower() and "geom" in i for i in idx)
        where = "f_table_schema = current_schema() AND f_table_name = 'projects' AND f_geometry_column = 'geom'"
        srid = conn.execute(text(f"SELECT srid FROM geometry_columns WHERE {where}")).scalar()
        assert srid == 4326
    for layer in ("zones", "jiedao"):
        sql, py = by_area_sql(engine, "r1", layer=layer), _python(frame, layer)
        assert list(sql.index) == list(py.index)
        for col in COLS:
            np.testing.assert_allclose(sql[col].to_numpy(float), py[col].to_numpy(float), rtol=1e-9, atol=1e-6)
    assert by_area_sql(engine, "no-such-register")["projects"].sum() == 0
    with engine.connect() as conn:  # an injection attempt is a register id like any other
        assert (
            conn.execute(
                text("SELECT count(*) FROM hepinggis_projects_by_zone(:r)"), {"r": "r1'; DROP TABLE projects; --"}
            ).scalar()
            == 6
        )
        assert conn.execute(select(func.count()).select_from(s.projects)).scalar() == len(frame)
    engine.dispose()


@pytest.fixture
def pg_client(pg_url: str, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    from hepinggis.web.app import create_app

    app = create_app(data_dir=tmp_path / "data", db_url=pg_url, workers=2)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_api_flow_on_postgis(pg_client: TestClient) -> None:
    r = pg_client.post(
        "/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data={"crs": "wgs84"}
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["imported"], body["refused"]) == (60, 0)
    engine = pg_client.app.state.store.engine  # type: ignore[attr-defined]
    assert engine.dialect.name == "postgresql"
    for layer, key in (("zones", "per_zone"), ("jiedao", "per_jiedao")):
        sql = by_area_sql(engine, body["id"], layer=layer)
        api = {z["id"]: z for z in body[key] if z["id"] not in ("outside", "unplaced")}
        assert list(sql.index) == list(api)
        assert [z["id"] for z in body[key][-2:]] == ["outside", "unplaced"]  # 区外, 未定位: 合计 = imported
        assert sum(z["projects"] for z in body[key]) == pytest.approx(body["imported"])
        for zid, row in sql.iterrows():
            assert row["projects"] == pytest.approx(api[zid]["projects"], abs=1e-6)
            assert row["investment_cny_stated"] == pytest.approx(api[zid]["investment_cny"], rel=1e-9, abs=1e-3)
    gj = pg_client.get(f"/api/registers/{body['id']}/projects.geojson").json()
    assert len(gj["features"]) == 60
    assert pg_client.delete(f"/api/registers/{body['id']}").status_code == 200
    assert pg_client.get(f"/api/registers/{body['id']}").status_code == 404


# -- two server processes on one database ----------------------------------------------------------
def test_two_servers_one_database(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "shared-data"
    pw = "Tw#0-servers-one-db"
    # no open door: a non-loopback address without accounts refuses to start, in one line
    refused = run_cli(
        "serve", "--data", str(data), "--db", pg_url, "--host", "0.0.0.0", "--port", str(free_port()), timeout=120
    )
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1 and "用户" in refused.stderr
    users_add(data, pg_url, "clerk", "填报", pw)
    a = Serve(data, pg_url)
    b = Serve(data, pg_url, host="0.0.0.0")  # with an account, a server may listen beyond loopback
    try:
        login = httpx.post(a.url + "/api/login", json={"username": "clerk", "password": pw}, timeout=30).json()
        auth = {"Authorization": f"Bearer {login['token']}"}
        assert (
            httpx.get(b.url + "/api/session", headers=auth, timeout=30).json()["name"] == "clerk"
        )  # one session store
        assert httpx.get(b.url + "/api/registers", timeout=30).status_code == 401
        data_bytes = GBK_TITLE.read_bytes()

        def upload(i: int) -> httpx.Response:
            server = (a, b)[i % 2]
            return httpx.post(
                server.url + "/api/registers",
                headers=auth,
                files={"file": (f"清单{i}.csv", data_bytes)},
                data={"crs": "wgs84"},
                timeout=300,
            )

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(upload, range(6)))
        assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
        ids = {r.json()["id"] for r in answers}
        for server in (a, b):  # both serve the same state
            listed = httpx.get(server.url + "/api/registers", headers=auth, timeout=30).json()
            assert ids <= {r["id"] for r in listed}
        engine = make_engine(data, pg_url)
        with engine.connect() as conn:
            jobs = conn.execute(select(s.jobs.c.status, s.jobs.c.worker).where(s.jobs.c.kind == "import")).all()
            n_projects = conn.execute(select(func.count()).select_from(s.projects)).scalar()
            workers = {w for _, w in jobs}
        assert [st for st, _ in jobs] == ["done"] * 6  # each import ran once: no duplicate, none failed
        assert n_projects == 6 * 60
        assert len(workers) >= 2  # the workers of both servers took part
        engine.dispose()
    finally:
        a.stop()
        b.stop()
    shutil.rmtree(data, ignore_errors=True)
