"""Which collections ``/ogc`` serves: the plan's layers in force (the bundled ones, or the adopted
boundaries the bureau put in force) and the current version of every register.

A register is a series of monthly versions (issue 31): ``register-<series id>`` serves the series'
current (newest) version, ``register-<register id>`` of a later version that version, and
``register-version-<register id>`` any version, the first one included. `current_version` is the one
place that maps a series to the register row that is current.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from hepinggis.web.store._store import Store

__all__ = [
    "LAYERS",
    "REGISTER_PREFIX",
    "VERSION_PREFIX",
    "Collection",
    "collection",
    "collections",
    "current_version",
    "layer_frame",
    "register_series",
    "zone_names",
]

#: The plan's layers served, in the catalogue's ids.
LAYERS = ("district", "zones", "jiedao", "axes", "belt", "sub_areas")
REGISTER_PREFIX = "register-"
#: ``register-version-<register id>``: one version of a series, whichever it is
VERSION_PREFIX = "register-version-"
#: The projects' properties every register collection carries, in this order (as the register's
#: GeoJSON, `hepinggis.web.registers._registers.geojson`), before the columns of the uploaded file.
CORE_PROPERTIES = ("row", "project_id", "name", "category", "status", "investment_cny", "zone_id", "jiedao")
#: What ``/ogc`` serves of each project, in this order (then the file's columns): the core properties
#: and, after ``zone_id`` (the id the filters take), ``zone_zh``, the zone's Chinese name as the register
#: page shows it (a GIS officer's attribute table and the city's platform read names, not pinyin ids).
#: ``jiedao`` is a Chinese name already.
OGC_PROPERTIES = ("row", "project_id", "name", "category", "status", "investment_cny", "zone_id", "zone_zh", "jiedao")
PROPERTY_ZH = {
    "row": "行号（Excel）",
    "project_id": "项目编号",
    "name": "项目名称",
    "category": "类别",
    "status": "状态",
    "investment_cny": "投资（元）",
    "zone_id": "功能区编号",
    "zone_zh": "功能区",
    "jiedao": "街道",
    "id": "编号",
    "name_zh": "名称",
}


@dataclass(frozen=True)
class Collection:
    """One collection: a plan layer (``layer``) or a register's version (``register``)."""

    id: str
    title: str
    description: str
    layer: str | None = None
    register: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def is_register(self) -> bool:
        return self.register is not None


def register_series(store: Store) -> list[str]:
    """The ids of every register series (its first version's id), newest upload first."""
    from hepinggis.web.registers._versions import series_info

    out: list[str] = []
    for reg in store.list_registers():
        info = series_info(store.engine, reg["id"])
        sid = str(info["series_id"]) if info else str(reg["id"])
        if sid not in out:
            out.append(sid)
    return out


def current_version(store: Store, series_id: str) -> dict[str, Any] | None:
    """The register row that is the current (newest) version of the series ``series_id``; None if
    ``series_id`` is not a series (a later version's own id is not one)."""
    from hepinggis.web.registers._versions import series_info, versions

    info = series_info(store.engine, series_id)
    if info is None or info["series_id"] != series_id:
        return None
    newest = versions(store, series_id)
    return store.get_register(newest[-1]["id"]) if newest else store.get_register(series_id)


def beijing(iso: str) -> str:
    """An ISO-8601 UTC time as the pages write it: Beijing time, in Chinese."""
    import datetime as dt

    t = dt.datetime.fromisoformat(iso)
    t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y年%m月%d日 %H:%M")


def _register_collection(cid: str, reg: dict[str, Any]) -> Collection:
    desc = f"项目清单 {reg['file_name']}：{reg['imported']} 个项目（北京时间 {beijing(reg['uploaded_at'])} 上传）"
    return Collection(id=cid, title=str(reg["file_name"]), description=desc, register=reg)


def _layer_collection(store: Store, name: str) -> Collection:
    from hepinggis.base._catalogue import catalogue

    spec = catalogue()[name]
    chosen = store.get_setting("boundaries") or ""
    adopted = _adopted_names(store, chosen)
    where = "采用的官方边界" if name in adopted else "随工具提供的规划图层"
    return Collection(id=name, title=spec.title_zh, description=f"{spec.title_zh}（{where}）", layer=name)


def collections(store: Store) -> list[Collection]:
    """Every collection: the plan's layers first, then each register's current version."""
    out = [_layer_collection(store, name) for name in LAYERS]
    for sid in register_series(store):
        reg = current_version(store, sid)
        if reg is not None:
            out.append(_register_collection(REGISTER_PREFIX + sid, reg))
    return out


def collection(store: Store, cid: str) -> Collection | None:
    """The collection ``cid``: a layer id, ``register-<series>`` (its current version) or
    ``register-<register id>`` of any version; None if there is none."""
    if cid in LAYERS:
        return _layer_collection(store, cid)
    if cid.startswith(VERSION_PREFIX):
        reg = store.get_register(cid.removeprefix(VERSION_PREFIX))
        return None if reg is None else _register_collection(cid, reg)
    if cid.startswith(REGISTER_PREFIX):
        rid = cid.removeprefix(REGISTER_PREFIX)
        reg = current_version(store, rid) or store.get_register(rid)
        return None if reg is None else _register_collection(cid, reg)
    return None


# -- the layers in force, read once per boundary choice ------------------------------------------
_lock = threading.Lock()
_frames: dict[tuple[str, str], gpd.GeoDataFrame] = {}


def _adopted_gpkg(store: Store, chosen: str) -> Path | None:
    gpkg = store.data_dir / "boundaries" / f"{chosen}.gpkg" if chosen else None
    return gpkg if gpkg is not None and gpkg.is_file() else None


def _adopted_names(store: Store, chosen: str) -> list[str]:
    from hepinggis.base._layer_source import adopted_names

    gpkg = _adopted_gpkg(store, chosen)
    return adopted_names(gpkg) if gpkg is not None else []


def layer_frame(store: Store, name: str) -> gpd.GeoDataFrame:
    """The layer ``name`` in force (EPSG:4326), validated by `hepinggis.plan.layers.load`; read once
    per boundary choice (the layers change only when the bureau adopts other boundaries)."""
    chosen = store.get_setting("boundaries") or ""
    key = (str(store.data_dir), f"{chosen}:{name}")
    with _lock:
        frame = _frames.get(key)
        if frame is None:
            from hepinggis.base._layer_source import use_boundaries
            from hepinggis.plan.layers import load

            with use_boundaries(_adopted_gpkg(store, chosen)):
                frame = load(name)
                if "zone_id" in frame.columns and name != "zones":  # jiedao, sub_areas: the zone's name too
                    zones = load("zones")
                    frame = frame.copy()
                    names = dict(zip(zones["id"].astype(str), zones["name_zh"].astype(str), strict=True))
                    frame.insert(
                        int(frame.columns.get_loc("zone_id")) + 1,
                        "zone_zh",
                        [names.get(str(z)) if isinstance(z, str) else None for z in frame["zone_id"]],
                    )
            _frames[key] = frame
        return frame


def zone_names(store: Store, register: dict[str, Any] | None = None) -> dict[str, str]:
    """Zone id → Chinese name: the zones in force, and for a register the names of its page (the
    zones it was counted in at import, ``per_zone_json``), which win."""
    zones = layer_frame(store, "zones")
    names = dict(zip(zones["id"].astype(str), zones["name_zh"].astype(str), strict=True))
    for row in json.loads((register or {}).get("per_zone_json") or "[]"):
        if isinstance(row, dict) and isinstance(row.get("id"), str) and isinstance(row.get("name"), str):
            names[row["id"]] = row["name"]
    return names


def layer_properties(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Each feature's properties as JSON values (NaN as null), in the layer's field order."""
    records = json.loads(frame.drop(columns=frame.geometry.name).to_json(orient="records", force_ascii=False))
    return list(records)
