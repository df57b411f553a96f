"""Features of a collection, a page at a time: a plan layer from memory (a few dozen features), a
register from the store (SQL; on PostGIS the bounding box is asked of the GiST index, on SQLite of
an R-tree kept per register, built once: a register never changes after its import)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import bindparam, func, select, text

from hepinggis.web.ogc._collections import (
    CORE_PROPERTIES,
    OGC_PROPERTIES,
    Collection,
    layer_frame,
    layer_properties,
    zone_names,
)
from hepinggis.web.ogc._params import CRS84, Interval, lat_first
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store

__all__ = ["Page", "Query", "features", "one_feature", "register_fields", "temporal_extent"]

#: The simple filters of the issue (zone, 街道, category, status) and the project's id, as query
#: parameters → the projects' column they compare with (equality).
REGISTER_FILTERS = {
    "zone": "zone_id",
    "zone_id": "zone_id",
    "jiedao": "jiedao",
    "街道": "jiedao",
    "category": "category",
    "status": "status",
    "project_id": "project_id",
}


@dataclass(frozen=True)
class Query:
    """What a request asks of a collection's items."""

    bbox: tuple[float, float, float, float] | None = None
    filters: tuple[tuple[str, str], ...] = ()
    interval: Interval | None = None
    limit: int = 100
    offset: int = 0
    crs: str = CRS84


@dataclass(frozen=True)
class Page:
    matched: int
    features: list[dict[str, Any]]


def _parse_time(text_value: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text_value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def temporal_extent(coll: Collection) -> tuple[dt.datetime, dt.datetime | None] | None:
    """A register version is in force from its upload (to the next version's; today: still in
    force). The plan's layers carry no time."""
    if coll.register is None:
        return None
    return (_parse_time(coll.register["uploaded_at"]), None)


# -- coordinates ---------------------------------------------------------------------------------
_transformers: dict[str, Any] = {}


def _to_crs(geoms: np.ndarray, uri: str) -> np.ndarray:
    """Geometries (CRS84) in ``uri``, with its axis order (EPSG:4326 and 4490: latitude first)."""
    if uri == CRS84 or not len(geoms):
        return geoms
    from pyproj import Transformer

    code = "EPSG:" + uri.rsplit("/", 1)[-1]
    tr = _transformers.get(code)
    if tr is None:
        tr = _transformers[code] = Transformer.from_crs("OGC:CRS84", code)  # authority axis order
    assert lat_first(uri)

    def move(xy: np.ndarray) -> np.ndarray:
        a, b = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([a, b])

    return np.asarray(shapely.transform(geoms, move))


def _geojson(geoms: np.ndarray) -> list[Any]:
    return [None if g is None else json.loads(t) for g, t in zip(geoms, shapely.to_geojson(geoms), strict=True)]


# -- plan layers ---------------------------------------------------------------------------------
def _layer_filters(coll: Collection, filters: tuple[tuple[str, str], ...], columns: list[str]) -> list[tuple[str, str]]:
    out = []
    for key, value in filters:
        col = {
            "zone": "id" if coll.layer == "zones" else "zone_id",
            "街道": "id" if coll.layer == "jiedao" else "",
        }.get(key, key)
        if col not in columns:
            continue  # a filter on a property the layer does not have
        out.append((col, value))
    return out


def _layer_features(store: Store, coll: Collection, q: Query) -> Page:
    assert coll.layer is not None
    frame = layer_frame(store, coll.layer)
    mask = np.ones(len(frame), dtype=bool)
    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    for col, value in _layer_filters(coll, q.filters, names):
        mask &= (frame[col].astype(str) == value).to_numpy()
    if q.bbox is not None:
        mask &= shapely.intersects(frame.geometry.to_numpy(), shapely.box(*q.bbox))
    idx = np.flatnonzero(mask)
    page = idx[q.offset : q.offset + q.limit]
    sub = frame.iloc[page]
    geoms = _geojson(_to_crs(sub.geometry.to_numpy(), q.crs))
    props = layer_properties(sub)
    feats = [
        {"type": "Feature", "id": str(p.get("id")), "geometry": g, "properties": p}
        for p, g in zip(props, geoms, strict=True)
    ]
    return Page(len(idx), feats)


# -- registers -----------------------------------------------------------------------------------
_index_lock = threading.Lock()
_indexes: OrderedDict[tuple[str, str], tuple[np.ndarray, Any]] = OrderedDict()


def _sqlite_index(store: Store, rid: str) -> tuple[np.ndarray, Any]:
    """(pks, STRtree) of a register's geometries, built once and kept for the 8 registers last asked."""
    key = (store.db_url, rid)
    with _index_lock:
        got = _indexes.get(key)
        if got is not None:
            _indexes.move_to_end(key)
            return got
    t = s.projects
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.pk, t.c.geom_wkt).where(t.c.register_id == rid, t.c.geom_wkt.is_not(None)))
        found = rows.all()
    pks = np.asarray([r[0] for r in found], dtype=np.int64)
    geoms = shapely.from_wkt(np.asarray([r[1] for r in found], dtype=object))
    got = (pks, shapely.STRtree(geoms))
    with _index_lock:
        _indexes[key] = got
        while len(_indexes) > 8:
            _indexes.popitem(last=False)
    return got


def _register_conditions(store: Store, coll: Collection, q: Query) -> list[Any]:
    assert coll.register is not None
    t = s.projects
    rid = coll.register["id"]
    conds: list[Any] = [t.c.register_id == rid]
    for key, value in q.filters:
        col = REGISTER_FILTERS.get(key)
        if col is not None:
            conds.append(t.c[col] == _area_value(store, col, value))
    extent = temporal_extent(coll)
    if q.interval is not None and extent is not None and not q.interval.overlaps(*extent):
        conds.append(t.c.pk.is_(None))  # the version was not in force then: nothing
    if q.bbox is not None:
        if store.engine.dialect.name == "postgresql":
            conds.append(
                text("projects.geom && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)").bindparams(
                    x1=q.bbox[0], y1=q.bbox[1], x2=q.bbox[2], y2=q.bbox[3]
                )
            )
            conds.append(
                text("ST_Intersects(projects.geom, ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))").bindparams(
                    x1=q.bbox[0], y1=q.bbox[1], x2=q.bbox[2], y2=q.bbox[3]
                )
            )
        else:
            pks, tree = _sqlite_index(store, rid)
            hits = pks[tree.query(shapely.box(*q.bbox), predicate="intersects")] if len(pks) else pks
            conds.append(
                t.c.pk.in_(bindparam("bbox_pks", [int(p) for p in hits], expanding=True, literal_execute=True))
            )
    return conds


def _area_value(store: Store, col: str, value: str) -> str:
    """A zone asked by its name (三好街) is compared by its id, as the projects keep it; a 街道
    asked by its id by its name, as the projects keep it."""
    if col not in ("zone_id", "jiedao"):
        return value
    frame = layer_frame(store, "zones" if col == "zone_id" else "jiedao")
    ids, names = [str(v) for v in frame["id"]], [str(v) for v in frame["name_zh"]]
    if col == "zone_id":
        from hepinggis.base._style import ZONE_SHORT_ZH

        short = {v: k for k, v in ZONE_SHORT_ZH.items()}
        return ids[names.index(value)] if value in names else short.get(value, value)
    if col == "jiedao" and value in ids:
        return names[ids.index(value)]
    return value


def _project_feature(row: Any, geometry: Any, zones: dict[str, str]) -> dict[str, Any]:
    props = {k: row[k] for k in CORE_PROPERTIES}
    props["zone_zh"] = zones.get(row["zone_id"]) if row["zone_id"] else None
    props = {k: props[k] for k in OGC_PROPERTIES}
    props.update(json.loads(row["properties_json"] or "{}"))
    return {"type": "Feature", "id": int(row["pk"]), "geometry": geometry, "properties": props}


def _rows_to_features(rows: list[Any], crs: str, zones: dict[str, str]) -> list[dict[str, Any]]:
    wkts = np.asarray([r["geom_wkt"] for r in rows], dtype=object)
    geoms = _geojson(_to_crs(shapely.from_wkt(wkts), crs)) if len(rows) else []
    return [_project_feature(r, g, zones) for r, g in zip(rows, geoms, strict=True)]


def _register_features(store: Store, coll: Collection, q: Query) -> Page:
    t = s.projects
    conds = _register_conditions(store, coll, q)
    with store.engine.connect() as conn:
        matched = int(conn.execute(select(func.count()).select_from(t).where(*conds)).scalar() or 0)
        rows = (
            conn.execute(select(t).where(*conds).order_by(t.c.row, t.c.pk).limit(q.limit).offset(q.offset))
            .mappings()
            .all()
        )
    return Page(matched, _rows_to_features(list(rows), q.crs, zone_names(store, coll.register)))


def features(store: Store, coll: Collection, q: Query) -> Page:
    """The page of ``coll``'s features that ``q`` asks for, and how many match in all."""
    return _register_features(store, coll, q) if coll.is_register else _layer_features(store, coll, q)


def one_feature(store: Store, coll: Collection, fid: str, crs: str) -> dict[str, Any] | None:
    """The feature ``fid`` of ``coll`` (None if it has none)."""
    if not coll.is_register:
        assert coll.layer is not None
        frame = layer_frame(store, coll.layer)
        hit = frame[frame["id"].astype(str) == fid]
        if not len(hit):
            return None
        g = _geojson(_to_crs(hit.geometry.to_numpy()[:1], crs))[0]
        return {"type": "Feature", "id": fid, "geometry": g, "properties": layer_properties(hit.iloc[:1])[0]}
    assert coll.register is not None
    if not fid.isdigit() or len(fid) > 18:
        return None
    t = s.projects
    with store.engine.connect() as conn:
        row = (
            conn.execute(select(t).where(t.c.register_id == coll.register["id"], t.c.pk == int(fid))).mappings().first()
        )
    return None if row is None else _rows_to_features([row], crs, zone_names(store, coll.register))[0]


def register_fields(store: Store, coll: Collection) -> list[str]:
    """The properties of a register's features, in order: the served ones, then the file's columns."""
    assert coll.register is not None
    t = s.projects
    with store.engine.connect() as conn:
        first = conn.execute(
            select(t.c.properties_json).where(t.c.register_id == coll.register["id"]).order_by(t.c.row).limit(1)
        ).scalar()
    extras = list(json.loads(first or "{}"))
    return [*OGC_PROPERTIES, *[k for k in extras if k not in OGC_PROPERTIES]]


def register_bbox(store: Store, coll: Collection) -> list[float] | None:
    """The bounding box (CRS84) of a register's projects; None for a register without any."""
    assert coll.register is not None
    rid = coll.register["id"]
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom) AS e FROM projects WHERE register_id = :r) q"
                ),
                {"r": rid},
            ).first()
        return None if row is None or row[0] is None else [float(v) for v in row]
    pks, tree = _sqlite_index(store, rid)
    if not len(pks):
        return None
    return [float(v) for v in shapely.total_bounds(tree.geometries)]
