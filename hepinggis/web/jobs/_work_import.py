"""The jobs of a register's upload: its preview, its import (read, counted per area, stored with its
report in one transaction, its map drawn or queued) and the map of a large register."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import insert, update

from hepinggis.base._credits import ListCredit
from hepinggis.base._layer_source import boundary_credit
from hepinggis.base.messages import Said
from hepinggis.errors import HepingGISError, ImportFileError
from hepinggis.io.importer import ImportResult, read_projects
from hepinggis.io.preview import preview_register
from hepinggis.plan.layers import load
from hepinggis.web.jobs._work_areas import _where, per_area, places, shares_in
from hepinggis.web.jobs._work_common import jsonable as _jsonable
from hepinggis.web.jobs._work_common import layers as _layers
from hepinggis.web.jobs._work_light import (
    MAP_IN_IMPORT,
    summary,
)
from hepinggis.web.registers._accounting import PAGE_WORDS
from hepinggis.web.registers._versions import link_version, typed_units
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store, new_id, now_iso

__all__ = ["read_register"]


# -- preview ---------------------------------------------------------------------------------------
def _preview(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    path = store.file_path(p["sha256"], p["kind"])
    store.job_progress(job["id"], 0.2, "读取表格")
    pv = _first_list(path, sheet=p.get("sheet"), header_row=p.get("header_row"))
    result = {k: _jsonable(getattr(pv, k)) for k in pv.__dataclass_fields__}
    with store.begin() as conn:
        store.finish_job(conn, job["id"], result)


def _first_list(path: Path, *, sheet: str | None, header_row: int | None) -> Any:
    """The preview of the sheet asked for; with none asked, of the first sheet that holds a list
    (a cover sheet 说明 before the list is common). The page shows every sheet to choose from, and
    the import uses the sheet previewed; the command line asks for ``--sheet`` instead."""
    try:
        return preview_register(path, sheet=sheet, header_row=header_row, max_rows=20)
    except ImportFileError:
        if sheet is not None or header_row is not None:
            raise
        from hepinggis.io._grid import sheet_names

        names = sheet_names(path)  # none for a CSV
        for name in names[1:]:
            try:
                return preview_register(path, sheet=name, max_rows=20)
            except ImportFileError:
                continue
        raise


# -- import a register -----------------------------------------------------------------------------
def read_register(store: Store, p: dict[str, Any]) -> ImportResult:
    """Import a stored register file with the options the user confirmed. Rows Excel hides are
    imported with a note on each unless the clerk chose to skip them (``skip_hidden``); the
    projects are credited by the file name the clerk uploaded and the day of the upload."""
    path = store.file_path(p["sha256"], p["kind"])
    options: dict[str, Any] = {
        "crs": p.get("crs"),
        "sheet": p.get("sheet") or None,
        "header_row": p.get("header_row") or None,
        "columns": p.get("columns") or None,
        "skip_hidden": bool(p.get("skip_hidden")),
    }
    if p.get("unit"):
        options["unit"] = p["unit"]
    result = read_projects(path, **options)
    result.credit = _credit(result.projects, p.get("file_name"), p.get("uploaded_at"))
    return result


def _credit(frame: pd.DataFrame, file_name: str | None, uploaded_at: str | None) -> ListCredit:
    """The credit of the file the clerk uploaded (never the stored file's digest), on the day it
    was uploaded (Beijing time); each project of ``frame`` without a ``source_doc`` gets the file."""
    import datetime as dt

    from hepinggis.base.clock import local_date

    day = dt.date.fromisoformat(local_date(uploaded_at)) if uploaded_at else None
    name = str(file_name or "上传的清单").replace("/", "／")
    if "source_doc" not in frame.columns:  # each project's 来源 in the map's popups: the file, not "用户数据"
        frame["source_doc"] = name
    return ListCredit(name, (day or dt.date.today()).isoformat())


def _project_rows(
    rid: str,
    result: ImportResult,
    zone: pd.Series,
    jiedao_id: pd.Series,
    *,
    jiedao: gpd.GeoDataFrame | None = None,
) -> list[dict[str, Any]]:
    """One row per project for the ``projects`` table, built column by column (50,000 rows in a
    fraction of a second); ``jiedao`` is the 街道 layer the ids are of (default: the one in force)."""
    import shapely

    pr = result.projects
    if not len(pr):
        return []
    layer = load("jiedao") if jiedao is None else jiedao
    jd_names = dict(zip(layer["id"], layer["name_zh"], strict=True))
    geoms = pr.geometry.to_numpy()
    pts = geoms.copy()  # a point is its own point on surface (GEOS gives it back as it is)
    shaped = shapely.get_type_id(geoms) != 0
    pts[shaped] = shapely.point_on_surface(geoms[shaped])
    core = ["row", "id", "name", "category", "status", "investment_cny"]
    extras = [c for c in pr.columns if c not in core and c != pr.geometry.name]

    def column(name: str) -> list[Any]:
        if name not in pr.columns:
            return [None] * len(pr)
        values = pr[name].astype(object)
        return values.where(values.notna(), None).tolist()

    def text(name: str) -> list[str | None]:
        values = column(name)
        if set(map(type, values)) <= {str, type(None)}:  # text already (most columns): as it is
            return values
        return [None if v is None else str(v) for v in values]

    prop_cols = {c: _native(pr[c]) for c in extras}  # native values, as to_dict("records") gives
    props_json = _json_objects(prop_cols, len(pr))
    columns: dict[str, list[Any]] = {
        "row": [int(v) for v in column("row")] if "row" in pr.columns else list(range(1, len(pr) + 1)),
        "project_id": text("id"),
        "name": text("name"),
        "category": text("category"),
        "status": text("status"),
        "investment_cny": [None if v is None else float(v) for v in column("investment_cny")],
        "zone_id": zone.tolist(),
        "jiedao": [jd_names.get(j) if j is not None else None for j in jiedao_id.tolist()],
        "lon": shapely.get_x(pts).tolist(),
        "lat": shapely.get_y(pts).tolist(),
        "geom_wkt": shapely.to_wkt(pr.geometry.to_numpy(), rounding_precision=-1).tolist(),
        "properties_json": props_json,
    }
    return [
        {
            "register_id": rid,
            "row": row,
            "project_id": pid,
            "name": name,
            "category": category,
            "status": status,
            "investment_cny": money,
            "zone_id": zid,
            "jiedao": jd,
            "lon": lon,
            "lat": lat,
            "geom_wkt": wkt,
            "properties_json": props,
        }
        for row, pid, name, category, status, money, zid, jd, lon, lat, wkt, props in zip(
            *columns.values(), strict=True
        )  # in the order of ``columns``; a dict display per row (dict(zip(…)) took twice as long)
    ]


def _native(series: pd.Series) -> list[Any]:
    """The column's values as ``DataFrame.to_dict("list")`` gives them (missing ones None, numpy
    scalars as Python's), made by ``tolist`` where no numpy scalar is left to convert (pandas'
    own boxing is a Python call per value)."""
    values = series.astype(object)
    values = values.where(values.notna(), None)
    out: list[Any] = values.tolist()
    if any(issubclass(kind, np.generic) for kind in set(map(type, out))):
        return pd.DataFrame({"v": values}).to_dict("list")["v"]
    return out


def _json_objects(columns: dict[Any, list[Any]], n: int) -> list[str]:
    """``json.dumps(row, ensure_ascii=False, default=str)`` of each row of ``columns``, the same
    text, made column by column: each value is written once by the encoder's own functions for
    its type (a column of other values, value by value by the encoder) and each row is one
    template filled in — 50,000 rows of four properties in a third of the time."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    if not columns:
        return ["{}"] * n
    if not all(isinstance(k, str) for k in columns):  # a key JSON writes otherwise: row by row
        return [encode(dict(zip(columns, row, strict=True))) for row in zip(*columns.values(), strict=True)]
    texts = []
    for values in columns.values():
        kinds = set(map(type, values))
        if kinds <= {type(None), str}:
            texts.append([_JSON_NULL if v is None else _json_str(v) for v in values])
        elif kinds <= {type(None), float} and all(v is None or math.isfinite(v) for v in values):
            texts.append([_JSON_NULL if v is None else float.__repr__(v) for v in values])
        elif kinds <= {type(None), int}:
            texts.append([_JSON_NULL if v is None else int.__repr__(v) for v in values])
        else:
            texts.append([encode(v) for v in values])
    template = "{" + ", ".join(encode(k).replace("%", "%%") + ": %s" for k in columns) + "}"
    return [template % row for row in zip(*texts, strict=True)]


_JSON_NULL = "null"
_json_str = json.encoder.encode_basestring  # ensure_ascii=False: the text as it is, quoted and escaped


def _report_records(report: pd.DataFrame) -> list[dict[str, Any]]:
    """The import report as JSON records, messages in the page's words, missing values as null and
    Excel row numbers as whole numbers (file-level notes have none). pandas' JSON writer does it
    column by column: a register of 50,000 rows has a line per row, which a value-by-value
    conversion took 0.3 s for."""
    frame = report.copy()
    for col in frame.columns:  # a message of the catalogue in the page's words
        # only a column that holds one (its values' types are looked at in C, not one by one)
        if frame[col].dtype == object and any(issubclass(t, Said) for t in set(map(type, frame[col].to_numpy()))):
            frame[col] = frame[col].map(lambda v: v.page if isinstance(v, Said) else v)
    records: list[dict[str, Any]] = json.loads(
        frame.to_json(orient="records", force_ascii=False, double_precision=15, date_format="iso")
    )
    for record in records:
        row = record.get("row")
        if isinstance(row, float) and row.is_integer():
            record["row"] = int(row)
    return records


def _with_places(
    records: list[dict[str, Any]], result: ImportResult, place: pd.Series, dist: pd.Series
) -> list[dict[str, Any]]:
    """The report's lines with the kind of each row set aside, and a line for every project
    counted as 区外 or 未定位 that the importer did not already warn about (it allows 200 m)."""
    label = "row" if "row" in result.projects.columns else result.projects.columns[0]
    warned = {r["row"] for r in records if r.get("field") == "geometry" and r.get("level") == "warning"}
    for r in records:
        if r.get("outcome") == "skipped" and r.get("row") in result.skipped_kinds:
            r["kind"] = result.skipped_kinds[r["row"]]
        elif r.get("row") is not None and r.get("field") == "geometry" and r.get("level") == "warning":
            r["kind"] = "outside"
    extra = []
    for i in np.flatnonzero(place.notna().to_numpy()):
        row = int(result.projects[label].iloc[i])
        if row in warned:
            continue
        d = float(dist.iloc[i])
        text = (
            f"位于和平区外（距区界约 {d:,.0f} 米），已导入，在统计表中列为“区外”"
            if place.iloc[i] == "outside"
            else "在区内但不在任何功能区（或街道）内，已导入，在统计表中列为“未定位”"
        )
        pid, name = result.projects["id"].iloc[i], result.projects["name"].iloc[i]
        extra.append(
            {
                "row": row,
                "id": None if pd.isna(pid) else str(pid),
                "name": None if pd.isna(name) else str(name),
                "outcome": "imported",
                "level": "warning",
                "field": "geometry",
                "message": text,
                "kind": str(place.iloc[i]),
            }
        )
    if not extra:
        return records
    merged = records + extra
    merged.sort(key=lambda r: (r.get("row") is not None, r.get("row") or 0))
    return merged


def _import(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    jid = job["id"]
    p = {**p, "uploaded_at": p.get("uploaded_at") or now_iso()}
    store.job_progress(jid, 0.05, "读取清单")
    with _layers(store):
        result = read_register(store, p)
        store.job_progress(jid, 0.5, "统计各功能区和街道")
        zones, jiedao = load("zones"), load("jiedao")
        zone_sh, jiedao_sh = shares_in(result.projects, zones), shares_in(result.projects, jiedao)
        zone_of = _where(result.projects, zones, "id", shares=zone_sh)
        jiedao_of = _where(result.projects, jiedao, "id", shares=jiedao_sh)
        zone_place, dist = places(result.projects, zone_of)
        jiedao_place, _d = places(result.projects, jiedao_of)
        per_zone = per_area(result.projects, zones, zone_place, shares=zone_sh)
        per_jd = per_area(result.projects, jiedao, jiedao_place, layer="jiedao", shares=jiedao_sh)
        credit = boundary_credit()
        rid = new_id()
        rows = _project_rows(rid, result, zone_of, jiedao_of, jiedao=jiedao)
        map_tmp = store.new_tmp(".html")
        # the map is drawn here unless other uploads wait or are being read: then it follows as its
        # own job, claimed after every upload (`Store.claim_job`), so that ten clerks at once each
        # get their report first (the last of them too, whom the machine's other imports slow)
        busy = store.queued_jobs(("import", "preview", "merge"), running_besides=jid)
        if len(result.projects) <= MAP_IN_IMPORT and not busy:
            store.job_progress(jid, 0.7, "绘制项目地图")
            _write_map(result, p, map_tmp)
    words = dict([PAGE_WORDS])  # every message stored in the page's words (`Said.page`)
    records = [{**r, **words} for r in _with_places(_report_records(result.report), result, zone_place, dist)]
    reg = {
        "id": rid,
        "file_name": p["file_name"],
        "sha256": p["sha256"],
        "kind": p["kind"],
        "size": p["size"],
        "uploaded_at": p["uploaded_at"],
        "uploader": p["uploader"],
        "crs": result.crs,
        "sheet": p.get("sheet"),
        "header_row": p.get("header_row"),
        "unit": p.get("unit"),
        "columns_json": json.dumps(result.columns, ensure_ascii=False),
        "encoding": result.encoding,
        "rows_in": result.rows_in,
        "imported": result.n_imported,
        "refused": result.n_rejected,
        "warned": len({r["row"] for r in records if r.get("level") == "warning" and r.get("row") is not None}),
        "report_json": json.dumps(records, ensure_ascii=False),
        "per_zone_json": json.dumps(per_zone, ensure_ascii=False),
        "per_jiedao_json": json.dumps(per_jd, ensure_ascii=False),
        "boundaries": credit,
    }
    store.job_progress(jid, 0.85, "写入数据库")
    try:
        with store.begin() as conn:
            conn.execute(insert(s.registers).values(**reg))
            series = link_version(
                conn, rid, replaces=p.get("replaces"), as_of=p.get("as_of"), units=typed_units(result)
            )
            store.insert_projects(conn, rows)
            if p.get("signature") and p.get("remember", True):
                store.put_mapping(conn, p["signature"], p, p["uploader"])
            store.finish_job(conn, jid, {**summary(reg, lines=records), **series})
            conn.execute(update(s.jobs).where(s.jobs.c.id == jid).values(register_id=rid))
            if map_tmp.exists():
                os.replace(map_tmp, store.data_dir / "maps" / f"{rid}.html")
        if not map_tmp.exists() and not (store.data_dir / "maps" / f"{rid}.html").exists():
            store.add_job("map", {"register_id": rid, "rows": len(rows)}, submitter=p["uploader"], register_id=rid)
    finally:
        map_tmp.unlink(missing_ok=True)


def _map(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    """The map of a large register, drawn after it was stored (from the stored projects)."""
    from shapely import wkt

    rid = p["register_id"]
    rows = store.register_projects(rid)
    if store.get_register(rid) is None:
        raise HepingGISError("该清单已被删除")
    frame = gpd.GeoDataFrame(
        {
            "name": [r["name"] for r in rows],
            "category": [r["category"] for r in rows],
            "status": [r["status"] for r in rows],
            "investment_cny": [r["investment_cny"] for r in rows],
        },
        geometry=[wkt.loads(r["geom_wkt"]) for r in rows],
        crs="EPSG:4326",
    )
    reg = store.get_register(rid) or {}
    credit = _credit(frame, reg.get("file_name"), reg.get("uploaded_at"))  # the table rebuilt: its credit too
    tmp = store.new_tmp(".html")
    store.job_progress(job["id"], 0.3, "绘制项目地图")
    from hepinggis.maps import overview_map, save_html

    with _layers(store):
        save_html(overview_map(projects=frame if len(frame) else None, basemap="none", credit=credit), tmp)
    try:
        with store.begin() as conn:
            store.finish_job(conn, job["id"], {"map": f"/maps/{rid}.html"})
            os.replace(tmp, store.data_dir / "maps" / f"{rid}.html")
    finally:
        tmp.unlink(missing_ok=True)


def _write_map(result: ImportResult, p: dict[str, Any], dest: Path) -> None:
    from hepinggis.maps import overview_map, save_html

    m = overview_map(projects=result if len(result.projects) else None, basemap="none")
    save_html(m, dest)
