"""A register of many projects written straight into a store (the importer's table shapes, without
importing a file): for the tile map's browser test and the tile benchmark, which need 50,000
projects in seconds. Points spread over the district's zones, with categories and zones."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import shapely
from sqlalchemy import create_engine, insert

from hepinggis.plan.layers import load
from hepinggis.web.store import _schema as s
from hepinggis.web.store._migrate import upgrade
from hepinggis.web.store._store import now_iso

CATEGORIES = ["commerce", "office", "finance", "industry", "culture", "education", "health"]


def add_register(db_url: str, n: int, *, seed: int = 36, file_name: str = "五万个项目.xlsx") -> str:
    """Write a register of ``n`` point projects inside the district into the store at ``db_url``;
    its id."""
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    engine = create_engine(db_url)
    upgrade(engine)
    zones = load("zones")
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = zones.total_bounds
    xs, ys, zone_ids = [], [], []
    while len(xs) < n:
        px = rng.uniform(minx, maxx, 4 * n)
        py = rng.uniform(miny, maxy, 4 * n)
        pts = shapely.points(px, py)
        for zid, geom in zip(zones["id"], zones.geometry, strict=True):
            inside = shapely.contains_xy(geom, px, py)
            xs += px[inside].tolist()
            ys += py[inside].tolist()
            zone_ids += [zid] * int(inside.sum())
        del pts
    rid = uuid.uuid4().hex
    rows: list[dict[str, Any]] = [
        {
            "register_id": rid,
            "row": k + 2,
            "project_id": f"HP-{k + 1:05d}",
            "name": f"项目{k + 1}",
            "category": CATEGORIES[k % len(CATEGORIES)],
            "status": "在建" if k % 3 else "计划",
            "investment_cny": float(1_000_000 * (k % 50 + 1)),
            "zone_id": zone_ids[k],
            "jiedao": None,
            "lon": round(xs[k], 7),
            "lat": round(ys[k], 7),
            "geom_wkt": f"POINT ({round(xs[k], 7)} {round(ys[k], 7)})",
            "properties_json": "{}",
        }
        for k in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(s.registers).values(
                id=rid,
                file_name=file_name,
                sha256="0" * 64,
                kind="xlsx",
                size=1,
                uploaded_at=now_iso(),
                uploader="测试",
                crs="wgs84",
                rows_in=n,
                imported=n,
                refused=0,
                warned=0,
                report_json="[]",
                per_zone_json="[]",
                per_jiedao_json="[]",
            )
        )
        for start in range(0, n, 5000):
            conn.execute(insert(s.projects), rows[start : start + 5000])
    engine.dispose()
    return rid
