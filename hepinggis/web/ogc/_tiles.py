"""Mapbox Vector Tiles of a collection in the WebMercatorQuad tile matrix set (OGC API – Tiles).

A register's tile is made by PostGIS (``ST_AsMVT``) on a PostgreSQL store and by the
`mapbox_vector_tile` encoder on SQLite (from arrays kept per register: a register never changes after
its import). The plan's layers (a few dozen features, held in memory) use the encoder on both stores.

A tile with more than `DETAIL_MAX` projects below zoom `DETAIL_ZOOM` carries one point per occupied
cell of a 64 × 64 grid on the tile (4 screen pixels), gathered in one MultiPoint per category (the
first, alphabetically, of the cell) and class of the cell's number of projects ``n`` (1, 2, 5, 10 and
more): what a dot map of 50,000 projects draws, in a few features; from zoom `DETAIL_ZOOM`, or where
a tile holds fewer projects, every project with its properties.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select, text

from hepinggis.web.ogc._collections import Collection, layer_frame, layer_properties, zone_names
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store

__all__ = ["DETAIL_MAX", "DETAIL_ZOOM", "MAX_ZOOM", "MIN_ZOOM", "WEB_MERCATOR_QUAD", "tile", "tile_bounds"]

HALF = 20037508.342789244  # half the width of the EPSG:3857 square, in metres
EXTENT = 4096
CELLS = 64  # aggregation cells per tile side
MIN_ZOOM, MAX_ZOOM = 0, 20
DETAIL_ZOOM = 16
DETAIL_MAX = 2000
TILE_FIELDS = ("row", "project_id", "name", "category", "status", "zone_id", "jiedao")

WEB_MERCATOR_QUAD = {
    "id": "WebMercatorQuad",
    "title": "Google Maps Compatible for the World",
    "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
    "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
    "orderedAxes": ["E", "N"],
    "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
    "tileMatrices": [
        {
            "id": str(z),
            "scaleDenominator": 559082264.0287178 / 2**z,
            "cellSize": 156543.03392804097 / 2**z,
            "cornerOfOrigin": "topLeft",
            "pointOfOrigin": [-HALF, HALF],
            "tileWidth": 256,
            "tileHeight": 256,
            "matrixWidth": 2**z,
            "matrixHeight": 2**z,
        }
        for z in range(MIN_ZOOM, MAX_ZOOM + 1)
    ],
}


def tile_bounds(z: int, y: int, x: int) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of tile ``z/y/x`` in EPSG:3857 metres."""
    size = 2 * HALF / 2**z
    return (-HALF + x * size, HALF - (y + 1) * size, -HALF + (x + 1) * size, HALF - y * size)


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 → EPSG:3857 (the spherical formula EPSG:3857 defines; pyproj gives the same)."""
    x = np.radians(lon) * 6378137.0
    y = np.log(np.tan(np.pi / 4 + np.radians(np.clip(lat, -85.06, 85.06)) / 2)) * 6378137.0
    return x, y


def _encode(layer: str, feats: list[dict[str, Any]], bounds: tuple[float, float, float, float]) -> bytes:
    """The features (EPSG:3857) as one MVT layer: moved to tile units here, all at once (the
    encoder's own ``quantize_bounds`` moves them one coordinate at a time, in Python)."""
    import mapbox_vector_tile

    if not feats:
        return b""
    minx, miny, maxx, maxy = bounds
    scale = np.array([EXTENT / (maxx - minx), EXTENT / (maxy - miny)])
    origin = np.array([minx, miny])
    geoms = shapely.transform(np.array([f["geometry"] for f in feats], dtype=object), lambda xy: (xy - origin) * scale)
    for f, g in zip(feats, geoms, strict=True):
        f["geometry"] = g
    data: bytes = mapbox_vector_tile.encode(
        [{"name": layer, "features": feats}],
        default_options={"extents": EXTENT, "on_invalid_geometry": None},
    )
    return data


# -- SQLite: arrays per register -------------------------------------------------------------------
class _Arrays:
    def __init__(self, rows: list[Any], zones: dict[str, str]) -> None:
        self.pk = np.asarray([r.pk for r in rows], dtype=np.int64)
        lon = np.asarray([r.lon for r in rows], dtype=float)
        lat = np.asarray([r.lat for r in rows], dtype=float)
        self.x, self.y = _mercator(lon, lat)
        self.category = np.asarray([r.category or "" for r in rows], dtype=object)
        self.props = [{k: getattr(r, k) for k in TILE_FIELDS if getattr(r, k) is not None} for r in rows]
        for p in self.props:  # the zone's Chinese name beside its id, as in the items
            if p.get("zone_id") in zones:
                p["zone_zh"] = zones[p["zone_id"]]
        geoms = shapely.from_wkt(np.asarray([r.geom_wkt for r in rows], dtype=object))

        def to_m(xy: np.ndarray) -> np.ndarray:
            mx, my = _mercator(xy[:, 0], xy[:, 1])
            return np.column_stack([mx, my])

        self.geoms = shapely.transform(geoms, to_m)
        self.points = shapely.get_type_id(self.geoms) == 0
        self.tree = shapely.STRtree(self.geoms)


_lock = threading.Lock()
_arrays: OrderedDict[tuple[str, str], _Arrays] = OrderedDict()
_tiles: OrderedDict[tuple[str, ...], bytes] = OrderedDict()


def _register_arrays(store: Store, rid: str, register: dict[str, Any] | None = None) -> _Arrays:
    key = (store.db_url, rid)
    with _lock:
        got = _arrays.get(key)
        if got is not None:
            _arrays.move_to_end(key)
            return got
    t = s.projects
    cols = [t.c.pk, t.c.lon, t.c.lat, t.c.geom_wkt, *(t.c[k] for k in TILE_FIELDS)]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(*cols).where(t.c.register_id == rid, t.c.geom_wkt.is_not(None)).order_by(t.c.row, t.c.pk)
        ).all()
    got = _Arrays(list(rows), zone_names(store, register or store.get_register(rid)))
    with _lock:
        _arrays[key] = got
        while len(_arrays) > 4:
            _arrays.popitem(last=False)
    return got


#: The classes of a cell's count ``n`` (a cell's ``n`` is the class's lower bound).
N_CLASSES = (1, 2, 5, 10)


def _n_class(counts: np.ndarray) -> np.ndarray:
    return np.asarray(N_CLASSES)[np.searchsorted(N_CLASSES, counts, side="right") - 1]


def _cells(x: np.ndarray, y: np.ndarray, cat: np.ndarray, bounds: tuple[float, float, float, float]) -> list[dict]:
    """One MultiPoint per (category, class of ``n``) of the occupied cells: a few features to
    encode instead of thousands (the encoder's time grows with the features, not the points)."""
    minx, miny, maxx, _ = bounds
    cell = (maxx - minx) / CELLS
    cx = np.clip(((x - minx) / cell).astype(np.int64), 0, CELLS - 1)
    cy = np.clip(((y - miny) / cell).astype(np.int64), 0, CELLS - 1)
    key = cx * CELLS + cy
    order = np.lexsort((cat.astype(str), key))  # by cell, then category: the first is the least
    key, cat = key[order], cat[order]
    uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
    px = minx + (uniq // CELLS + 0.5) * cell
    py = miny + (uniq % CELLS + 0.5) * cell
    cats = cat[first].astype(str)
    classes = _n_class(counts)
    out = []
    for c in sorted(set(cats.tolist())):
        for n in N_CLASSES:
            sel = (cats == c) & (classes == n)
            if sel.any():
                props: dict[str, Any] = {"n": n, **({"category": c} if c else {})}
                out.append({"geometry": shapely.multipoints(np.column_stack([px[sel], py[sel]])), "properties": props})
    return out


def _sqlite_register_tile(
    store: Store, rid: str, z: int, y: int, x: int, register: dict[str, Any] | None = None
) -> bytes:
    a = _register_arrays(store, rid, register)
    bounds = tile_bounds(z, y, x)
    minx, miny, maxx, maxy = bounds
    pad = (maxx - minx) * 64 / EXTENT
    inside = (a.x >= minx) & (a.x < maxx) & (a.y > miny) & (a.y <= maxy)
    if z < DETAIL_ZOOM and int(inside.sum()) > DETAIL_MAX:
        idx = np.flatnonzero(inside)
        return _encode("projects", _cells(a.x[idx], a.y[idx], a.category[idx], bounds), bounds)
    box = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    hit = np.union1d(a.tree.query(box, predicate="intersects"), np.flatnonzero(inside))
    feats = [
        {
            "geometry": a.geoms[i] if a.points[i] else shapely.clip_by_rect(a.geoms[i], *box.bounds),
            "properties": a.props[i],
            "id": int(a.pk[i]),
        }
        for i in hit.tolist()
    ]
    return _encode("projects", feats, bounds)


# -- PostGIS: ST_AsMVT -----------------------------------------------------------------------------
_PG_COUNT = """
SELECT count(*) FROM projects p
WHERE p.register_id = :r AND p.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)
  AND ST_Intersects(ST_Transform(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), 3857), ST_TileEnvelope(:z, :x, :y))
"""
_PG_CELLS = f"""
WITH g AS (
  SELECT p.category,
         ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), 3857),
                      ST_TileEnvelope(:z, :x, :y), {EXTENT}, 0, true) AS t
  FROM projects p
  WHERE p.register_id = :r AND p.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326)
), c AS (
  SELECT least(floor(ST_X(t) / {EXTENT // CELLS}), {CELLS - 1}) AS cx,
         least(floor(ST_Y(t) / {EXTENT // CELLS}), {CELLS - 1}) AS cy,
         count(*)::int AS k, min(nullif(category, '')) AS category
  FROM g WHERE t IS NOT NULL GROUP BY 1, 2
), m AS (
  SELECT category,
         CASE WHEN k >= 10 THEN 10 WHEN k >= 5 THEN 5 WHEN k >= 2 THEN 2 ELSE 1 END AS n,
         ST_Multi(ST_Collect(ST_MakePoint(cx * {EXTENT // CELLS} + {EXTENT // CELLS // 2},
                                          cy * {EXTENT // CELLS} + {EXTENT // CELLS // 2}))) AS geom
  FROM c GROUP BY 1, 2
)
SELECT ST_AsMVT(m, 'projects', {EXTENT}, 'geom') FROM m
"""
_PG_DETAIL = f"""
SELECT ST_AsMVT(m, 'projects', {EXTENT}, 'geom', 'id') FROM (
  SELECT p.pk AS id, {", ".join(f"p.{k}" for k in TILE_FIELDS)}, CAST(:zones AS jsonb) ->> p.zone_id AS zone_zh,
         ST_AsMVTGeom(ST_Transform(p.geom, 3857), ST_TileEnvelope(:z, :x, :y), {EXTENT}, 64, true) AS geom
  FROM projects p
  WHERE p.register_id = :r AND p.geom && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / {EXTENT}), 4326)
) m WHERE m.geom IS NOT NULL
"""


_zones: OrderedDict[tuple[str, str], str] = OrderedDict()


def _zones_json(store: Store, rid: str, register: dict[str, Any] | None) -> str:
    """A register's zone id → Chinese name as JSON (a parameter of the tile query), kept per register:
    its names are those of its import (`zone_names`), so no tile asks the store for them again."""
    import json

    key = (store.db_url, rid)
    with _lock:
        got = _zones.get(key)
    if got is None:
        got = json.dumps(zone_names(store, register or store.get_register(rid)), ensure_ascii=False)
        with _lock:
            _zones[key] = got
            while len(_zones) > 64:
                _zones.popitem(last=False)
    return got


def _postgis_register_tile(
    store: Store, rid: str, z: int, y: int, x: int, register: dict[str, Any] | None = None
) -> bytes:
    args: dict[str, Any] = {"r": rid, "z": z, "x": x, "y": y}
    with store.engine.connect() as conn:
        if z < DETAIL_ZOOM:
            n = int(conn.execute(text(_PG_COUNT), args).scalar() or 0)
            if n > DETAIL_MAX:
                return bytes(conn.execute(text(_PG_CELLS), args).scalar() or b"")
        args["zones"] = _zones_json(store, rid, register)  # only for a tile of projects
        return bytes(conn.execute(text(_PG_DETAIL), args).scalar() or b"")


# -- plan layers -----------------------------------------------------------------------------------
def _layer_tile(store: Store, coll: Collection, z: int, y: int, x: int) -> bytes:
    assert coll.layer is not None
    frame = layer_frame(store, coll.layer).to_crs(3857)
    bounds = tile_bounds(z, y, x)
    minx, miny, maxx, maxy = bounds
    pad = (maxx - minx) * 64 / EXTENT
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    hit = np.flatnonzero(shapely.intersects(frame.geometry.to_numpy(), shapely.box(*box)))
    sub = frame.iloc[hit]
    props = layer_properties(sub)
    feats = [
        {"geometry": shapely.clip_by_rect(g, *box), "properties": {k: v for k, v in p.items() if v is not None}}
        for g, p in zip(sub.geometry.to_numpy(), props, strict=True)
    ]
    return _encode(coll.layer, feats, bounds)


def tile(store: Store, coll: Collection, z: int, y: int, x: int) -> bytes:
    """The MVT tile ``z/y/x`` of ``coll`` (empty bytes where it holds nothing); kept in memory for
    the 4,096 tiles last asked (a register's tiles never change; a layer's are keyed by the
    boundaries in force)."""
    which = str(coll.register["id"]) if coll.register is not None else f"{coll.id}:{store.get_setting('boundaries')}"
    key = (store.db_url, which, str(z), str(y), str(x))
    with _lock:
        got = _tiles.get(key)
        if got is not None:
            _tiles.move_to_end(key)
            return got
    if coll.register is not None:
        rid = str(coll.register["id"])
        if store.engine.dialect.name == "postgresql":
            data = _postgis_register_tile(store, rid, z, y, x, coll.register)
        else:
            data = _sqlite_register_tile(store, rid, z, y, x, coll.register)
    else:
        data = _layer_tile(store, coll, z, y, x)
    with _lock:
        _tiles[key] = data
        while len(_tiles) > 4096:
            _tiles.popitem(last=False)
    return data
