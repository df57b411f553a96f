"""A stored version of a register as a table: its projects as a GeoDataFrame, read once per version
and kept in a small cache that the comparisons and the history share (`_cached`), and the warm-up
of the version pages at the server's start (`warm`)."""

from __future__ import annotations

import json
import sys
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select

from hepinggis.web.store._store import Store

__all__ = ["frame", "warm"]

# -- a version as a table --------------------------------------------------------------------------
_CACHE: OrderedDict[Any, Any] = OrderedDict()
_LOCK = threading.Lock()
#: One lock per key being computed: a second request for it waits for the first one's result
#: instead of computing it again beside it (two cores: the second would halve the first's speed).
_MAKING: dict[Any, threading.Lock] = {}


def _cached(key: Any, make: Any) -> Any:
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        making = _MAKING.setdefault(key, threading.Lock())
    with making:
        with _LOCK:
            if key in _CACHE:  # made meanwhile by the request this one waited for
                _CACHE.move_to_end(key)
                return _CACHE[key]
        try:
            value = make()
            with _LOCK:
                _CACHE[key] = value
                while len(_CACHE) > 32:
                    _CACHE.popitem(last=False)
        finally:
            with _LOCK:
                _MAKING.pop(key, None)
    return value


_PROPS = (
    "owner",
    "address",
    "planned_start",
    "actual_start",
    "planned_end",
    "progress_text",
    "annual_plan_cny",
    "completed_cny",
    "investment_text",
)


def frame(store: Store, rid: str) -> Any:
    """The stored projects of a version as a GeoDataFrame (points at each project's site), read
    once per version (cached): only the columns it needs, the properties parsed in one call."""

    def make() -> Any:
        import geopandas as gpd
        import numpy as np
        import shapely

        from hepinggis.web.store import _schema as sch

        p = sch.projects.c
        wanted = (p.row, p.project_id, p.name, p.category, p.status, p.investment_cny)
        query = select(*wanted, p.zone_id, p.jiedao, p.lon, p.lat, p.properties_json)
        with store.engine.connect() as conn:
            rows = conn.execute(query.where(p.register_id == rid).order_by(p.row)).all()
        cols = list(zip(*rows, strict=True)) if rows else [()] * 11
        props = json.loads("[" + ",".join(t or "{}" for t in cols[10]) + "]")
        data: dict[str, Any] = {
            "row": list(cols[0]),
            "id": list(cols[1]),
            "name": [n or "" for n in cols[2]],
            "category": list(cols[3]),
            "status": list(cols[4]),
            "investment_cny": np.array([np.nan if x is None else x for x in cols[5]], dtype=float),
            "zone_id": list(cols[6]),
            "jiedao": list(cols[7]),
            "lon": list(cols[8]),
            "lat": list(cols[9]),
        }
        for k in _PROPS:
            data[k] = [q.get(k) for q in props]
        for k in ("annual_plan_cny", "completed_cny"):
            data[k] = np.array([np.nan if x is None else float(x) for x in data[k]], dtype=float)
        pts = shapely.points(np.array(data["lon"], dtype=float), np.array(data["lat"], dtype=float))
        return gpd.GeoDataFrame(data, geometry=pts, crs="EPSG:4326")

    return _cached(("frame", rid), make)


def warm() -> threading.Thread:
    """Import what the version pages use (identity, changes, warnings) and open PROJ's database in a
    thread of the server, once at its start: the first comparison a clerk asks for then pays only
    for its own work (issue 31: the first one took 2.9 s, mostly imports and PROJ's set-up)."""

    def run() -> None:
        try:
            import geopandas as gpd
            import shapely

            from hepinggis.base.measure import MEASURE_CRS
            from hepinggis.monitor import changes, progress  # noqa: F401

            gpd.GeoSeries([shapely.Point(123.4, 41.76)], crs=4326).to_crs(MEASURE_CRS)
        except Exception as exc:  # a warm-up is no feature: the first request does it instead
            print(f"hepinggis: warming the version pages failed: {exc}", file=sys.stderr)

    thread = threading.Thread(target=run, name="hepinggis-warm-versions", daemon=True)
    thread.start()
    return thread
