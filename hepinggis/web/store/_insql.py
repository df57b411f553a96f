"""Per-zone and per-街道 answers inside PostGIS: the layers written to the tables of migration
s0002 (the projects' geometry follows their WKT by a trigger), and the SQL functions ``hepinggis_projects_by_zone`` /
``hepinggis_projects_by_jiedao`` read back (docs/postgis.md documents them for other systems)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

__all__ = ["AREA_LAYERS", "by_area_sql", "sync_area_layers", "sync_in_force", "sync_layers"]

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


def _in_force(data_dir: Path, chosen: str | None) -> dict[str, gpd.GeoDataFrame]:
    from hepinggis.base._layer_source import use_boundaries
    from hepinggis.plan.layers import load

    gpkg = Path(data_dir) / "boundaries" / f"{chosen}.gpkg" if chosen else None
    with use_boundaries(gpkg if gpkg is not None and gpkg.is_file() else None):
        return {name: load(name) for name in AREA_LAYERS}


def sync_in_force(conn: Connection, data_dir: Path, chosen: str | None) -> None:
    """On PostgreSQL, rewrite ``zones``/``jiedao`` with the boundaries in force (the adopted set
    ``chosen``, or the bundled layers), inside the caller's transaction; nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(7342105512)"))
    sync_layers(conn, _in_force(data_dir, chosen))


def sync_area_layers(store: Any) -> None:
    """`sync_in_force` for a `Store` at start-up, with the boundaries its settings name."""
    if store.engine.dialect.name != "postgresql":
        return
    chosen = store.get_setting("boundaries") or None
    with store.engine.begin() as conn:
        sync_in_force(conn, store.data_dir, chosen)
