"""Per-zone and per-街道 answers inside PostGIS: the layers and a register's projects written to
the tables of migration s0002, and the SQL functions ``hepinggis_projects_by_zone`` /
``hepinggis_projects_by_jiedao`` read back (docs/postgis.md documents them for other systems)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

__all__ = ["AREA_LAYERS", "by_area_sql", "store_projects", "sync_layers"]

AREA_LAYERS = ("zones", "jiedao")


def _rows_of_layer(frame: gpd.GeoDataFrame) -> list[dict[str, object]]:
    frame = frame.to_crs(4326)
    name_col = "name_zh" if "name_zh" in frame.columns else "name"
    return [
        {"id": str(i), "ord": k, "name": str(n), "wkb": shapely.to_wkb(shapely.force_2d(g), hex=True)}
        for k, (i, n, g) in enumerate(zip(frame["id"], frame[name_col], frame.geometry, strict=True))
    ]


def sync_layers(conn: Connection, layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Replace the ``zones`` and ``jiedao`` tables with ``layers`` (layer order kept as ``ord``),
    inside the caller's transaction."""
    for name in AREA_LAYERS:
        if name not in layers:
            continue
        conn.execute(text(f"DELETE FROM {name}"))  # name is one of two literals
        rows = _rows_of_layer(layers[name])
        if rows:
            conn.execute(
                text(
                    f"INSERT INTO {name} (id, ord, name, geom) "
                    "VALUES (:id, :ord, :name, ST_Multi(ST_GeomFromWKB(decode(:wkb, 'hex'), 4326)))"
                ),
                rows,
            )


def store_projects(
    conn: Connection,
    register_id: str,
    projects: gpd.GeoDataFrame,
    *,
    row_numbers: Iterable[int] | None = None,
    investment: str = "investment_cny",
    name: str = "name_zh",
) -> int:
    """Write a register's projects (EPSG:4326) to ``project_geoms``, replacing any earlier rows of
    that register; ``row_no`` is the row number Excel shows when given, else the position."""
    projects = projects.to_crs(4326)
    conn.execute(text("DELETE FROM project_geoms WHERE register_id = :r"), {"r": str(register_id)})
    nos = list(row_numbers) if row_numbers is not None else list(range(len(projects)))
    inv = (
        pd.to_numeric(projects[investment], errors="coerce").to_numpy(dtype=float)
        if investment in projects.columns
        else np.full(len(projects), np.nan)
    )
    names = projects[name].astype(str).to_numpy() if name in projects.columns else [""] * len(projects)
    wkbs = shapely.to_wkb(shapely.force_2d(projects.geometry.values), hex=True)
    rows = [
        {
            "r": str(register_id),
            "n": int(no),
            "name": str(nm),
            "inv": None if not np.isfinite(v) else float(v),
            "wkb": w,
        }
        for no, nm, v, w in zip(nos, names, inv, wkbs, strict=True)
        if w is not None
    ]
    for start in range(0, len(rows), 20_000):
        conn.execute(
            text(
                "INSERT INTO project_geoms (register_id, row_no, name, investment_cny, geom) "
                "VALUES (:r, :n, :name, :inv, ST_GeomFromWKB(decode(:wkb, 'hex'), 4326))"
            ),
            rows[start : start + 20_000],
        )
    return len(rows)


def by_area_sql(engine: Engine | Connection, register_id: str, *, layer: str = "zones") -> pd.DataFrame:
    """``hepinggis_projects_by_zone`` (or ``_by_jiedao``) of a register, indexed by area id in layer
    order: ``projects`` (share-weighted), ``projects_any_share``, ``investment_cny_stated``,
    ``n_with_investment`` — the columns of `hepinggis.projects_by_zone`."""
    if layer not in AREA_LAYERS:
        raise ValueError(f"layer must be one of {AREA_LAYERS}")
    fn = "hepinggis_projects_by_zone" if layer == "zones" else "hepinggis_projects_by_jiedao"
    sql = text(f"SELECT * FROM {fn}(:r)")
    if isinstance(engine, Engine):
        with engine.connect() as conn:
            rows = conn.execute(sql, {"r": str(register_id)}).all()
    else:
        rows = engine.execute(sql, {"r": str(register_id)}).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "area_id",
            "area_name",
            "projects",
            "projects_any_share",
            "investment_cny_stated",
            "n_with_investment",
        ],
    )
    return frame.set_index("area_id")
