"""What the worker processes do: one function per job kind. Imported only in the workers (it
pulls in the stages); everything a job stores is written in the transaction that marks it done."""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import insert, update

from hepinggis.analysis.assign import projects_by_jiedao, projects_by_zone
from hepinggis.analysis.assign import zone_of as _zone_of
from hepinggis.base._credits import ListCredit
from hepinggis.base._layer_source import boundary_credit, use_layers
from hepinggis.base.messages import Said, for_page
from hepinggis.errors import HepingGISError, ImportFileError
from hepinggis.io.adopt import adopt
from hepinggis.io.importer import ImportResult, read_projects
from hepinggis.io.preview import preview_register
from hepinggis.monitor.evaluate import evaluate
from hepinggis.monitor.indicators import read_actuals
from hepinggis.plan.check import check
from hepinggis.plan.layers import load
from hepinggis.web._store import Store, new_id, now_iso
from hepinggis.web._work_light import (
    JOB_PREFIX,
    MAP_IN_IMPORT,
    SIGNED_MESSAGE,
    is_signed,
    one_line,
    summary,
)
from hepinggis.web.jobs._builds import install_package, stage_for
from hepinggis.web.registers._accounting import PAGE_WORDS
from hepinggis.web.registers._versions import link_version, series_info, typed_units
from hepinggis.web.store import _schema as s

__all__ = ["describe", "run"]

warnings.simplefilter("ignore")


Runner = Callable[[Store, dict[str, Any], dict[str, Any]], None]


def describe(exc: BaseException, job: dict[str, Any]) -> str:
    """One Chinese line for a failed job; internal paths are replaced by the user's file name."""
    params = json.loads(job.get("params_json") or "{}")
    said = exc.args[0] if exc.args and isinstance(exc.args[0], Said) else None
    if said is not None:  # a condition of the catalogue: its page wording, the file by its name
        return one_line(_hide_paths(f"{JOB_PREFIX.get(job['kind'], '处理失败')}：{said.page}", params))
    if isinstance(exc, HepingGISError | ValueError | KeyError | OSError):
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        line = f"{JOB_PREFIX.get(job['kind'], '处理失败')}：{text}"
    else:
        line = "处理失败：程序遇到意外情况，请联系管理员（详情已记入服务器日志）"
        print(f"job {job.get('id')} {type(exc).__name__}: {exc}", file=sys.stderr)
    return one_line(for_page(_hide_paths(line, params)))  # text from outside the catalogue


def _hide_paths(text: str, params: dict[str, Any]) -> str:
    name = str(params.get("file_name") or "上传的文件")
    sha = params.get("sha256")
    if sha:
        for kind in ("csv", "xlsx", "xls", "zip", "gpkg"):
            text = text.replace(f"{sha}.{kind}", name)
    for root in (str(Path(params.get("data_dir", "/nonexistent"))),):
        text = text.replace(root + os.sep, "")
    import re

    text = re.sub(r"(/[^\s:：,，]+)+/(" + re.escape(name) + ")", r"\2", text)
    # a job's own work folder (tmp/SERVER/boundary-…/in/…, tmp/package-…) is never shown: the file's
    # name is, and a bare folder is dropped
    text = re.sub(r"(?:[^\s:：,，]*/)?tmp/(?:[^\s:：,，/]+/)+([^/\s:：,，]+)", r"\1", text)
    text = re.sub(r"(?:[^\s:：,，]*/)?tmp/[^\s:：,，]*", "", text)
    return re.sub(r"\b[0-9a-f]{64}\.[a-z]+\b", name, text)  # a stored file is the clerk's file


def _layers(store: Store) -> AbstractContextManager[Path | None]:
    """The boundaries in force: the adopted GeoPackage chosen on the 边界 page, or the bundled."""
    chosen = store.get_setting("boundaries")
    gpkg = store.data_dir / "boundaries" / f"{chosen}.gpkg" if chosen else None
    return use_layers(gpkg if gpkg is not None and gpkg.is_file() else None)


def _jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it; a message of the catalogue (`Said`) in the page's words."""
    if isinstance(value, Said):
        return value.page
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return None if not np.isfinite(f) else f
    if isinstance(value, np.bool_):
        return bool(value)
    if value is None or isinstance(value, str | int | bool):
        return value
    if pd.isna(value):
        return None
    return str(value)


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


def places(projects: gpd.GeoDataFrame, zone_of: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per project: ``outside`` (not in the district), ``unplaced`` (in it, but in no zone, or
    without a position) or None, and the distance to the district in metres (NaN for a project in
    an area or without a position)."""
    if not len(projects):
        return pd.Series([], dtype=object), pd.Series([], dtype=float)
    import shapely

    none = zone_of.isna().to_numpy()
    empty = projects.geometry.is_empty.to_numpy() | projects.geometry.isna().to_numpy()
    dist = np.full(len(projects), np.nan)
    probe = none & ~empty  # only the projects in no area are measured: 50,000 distances took 0.2 s
    if probe.any():
        district = load("district").to_crs("EPSG:4550").geometry.union_all()
        dist[probe] = shapely.distance(district, projects.geometry[probe].to_crs("EPSG:4550").to_numpy())
    place = np.full(len(projects), None, dtype=object)
    place[none] = "unplaced"
    place[none & ~empty & (np.nan_to_num(dist, nan=0.0) > 0)] = "outside"
    return pd.Series(place, index=projects.index, dtype=object), pd.Series(dist, index=projects.index)


def per_area(
    projects: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    place: pd.Series | None = None,
    *,
    layer: str = "zones",
) -> list[dict[str, Any]]:
    """Projects and stated investment per zone (``layer="zones"``) or per 街道 (``"jiedao"``),
    as the page and the API show them.

    The figures are the library's: `hepinggis.projects_by_zone` or `hepinggis.projects_by_jiedao`
    of ``projects`` against ``areas`` (a point wholly in the area holding it, the first in layer
    order on a shared edge; a line or polygon by its share), the same tables the statistics
    workbook writes and the SQL functions of PostGIS answer. With ``place`` (`places`) the table
    ends with its 区外 and 未定位 rows, so that its 合计 is every project imported and every 元 stated.
    """
    from hepinggis.base.measure import geodesic_area

    names = dict(zip(areas["id"], areas["name_zh"], strict=True))
    km2 = dict(zip(areas["id"], geodesic_area(areas), strict=True))
    counts: dict[Any, float] = {}
    money: dict[Any, float] = {}
    stated: dict[Any, int] = {}
    if len(projects):
        table = (projects_by_jiedao if layer == "jiedao" else projects_by_zone)(projects, areas)
        counts = table["projects"].to_dict()
        money = table["investment_cny_stated"].to_dict() if "investment_cny_stated" in table else {}
        stated = table["n_with_investment"].to_dict() if "n_with_investment" in table else {}
    return [
        {
            "id": zid,
            "name": names[zid],
            "area_km2": round(float(km2[zid]), 2),
            "projects": _jsonable(counts.get(zid, 0.0)) or 0,
            "investment_cny": _jsonable(money.get(zid, 0.0)) or 0,
            "with_investment": int(stated.get(zid, 0) or 0),
        }
        for zid in areas["id"]
    ] + ([] if place is None else _place_rows(projects, place))


def _place_rows(projects: gpd.GeoDataFrame, place: pd.Series) -> list[dict[str, Any]]:
    from hepinggis.web.registers._accounting import place_rows

    inv = pd.to_numeric(projects.get("investment_cny", pd.Series(np.nan, index=projects.index)), errors="coerce")
    frame = pd.DataFrame({"place": place.to_numpy(), "inv": inv.to_numpy()}).dropna(subset=["place"])
    grouped = frame.groupby("place")
    return place_rows(
        grouped.size().to_dict(),
        grouped["inv"].sum(min_count=1).fillna(0).to_dict(),
        grouped["inv"].count().to_dict(),
    )


def _where(projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, key: str) -> pd.Series:
    """The ``key`` of the area each project is stored under (None outside every area): the
    library's `hepinggis.zone_of` (the area holding a point, the largest share of a line or
    polygon), so that the stored areas, the per-area tables and the 区外/未定位 rows agree."""
    if not len(projects):
        return pd.Series([], dtype=object)
    found = _zone_of(projects, areas, zone_id=key)
    return found.astype(object).where(found.notna(), None)


def _project_rows(rid: str, result: ImportResult, zone: pd.Series, jiedao_id: pd.Series) -> list[dict[str, Any]]:
    """One row per project for the ``projects`` table (column by column: 50,000 rows in a second)."""
    import shapely

    pr = result.projects
    if not len(pr):
        return []
    jd_names = dict(zip(load("jiedao")["id"], load("jiedao")["name_zh"], strict=True))
    pts = shapely.point_on_surface(pr.geometry.to_numpy())
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    wkt = shapely.to_wkt(pr.geometry.to_numpy(), rounding_precision=-1)
    core = ["row", "id", "name", "category", "status", "investment_cny"]
    extras = [c for c in pr.columns if c not in core and c != pr.geometry.name]

    def column(name: str) -> list[Any]:
        if name not in pr.columns:
            return [None] * len(pr)
        values = pr[name].astype(object)
        return values.where(values.notna(), None).tolist()

    props = pd.DataFrame(pr[extras]).astype(object)
    props = props.where(props.notna(), None)
    props_json = [json.dumps(r, ensure_ascii=False, default=str) for r in props.to_dict("records")]
    rows_col = column("row") if "row" in pr.columns else list(range(1, len(pr) + 1))
    cols = {k: column(k) for k in core[1:]}
    zones, jds = zone.tolist(), jiedao_id.tolist()
    return [
        {
            "register_id": rid,
            "row": int(rows_col[i]),
            "project_id": None if cols["id"][i] is None else str(cols["id"][i]),
            "name": None if cols["name"][i] is None else str(cols["name"][i]),
            "category": None if cols["category"][i] is None else str(cols["category"][i]),
            "status": None if cols["status"][i] is None else str(cols["status"][i]),
            "investment_cny": None if cols["investment_cny"][i] is None else float(cols["investment_cny"][i]),
            "zone_id": zones[i],
            "jiedao": jd_names.get(jds[i]) if jds[i] is not None else None,
            "lon": float(lon[i]),
            "lat": float(lat[i]),
            "geom_wkt": wkt[i],
            "properties_json": props_json[i],
        }
        for i in range(len(pr))
    ]


def _report_records(report: pd.DataFrame) -> list[dict[str, Any]]:
    """The import report as JSON records, messages in the page's words, missing values as null and
    Excel row numbers as whole numbers (file-level notes have none). pandas' JSON writer does it
    column by column: a register of 50,000 rows has a line per row, which a value-by-value
    conversion took 0.3 s for."""
    frame = report.copy()
    for col in frame.columns:  # a message of the catalogue in the page's words
        if frame[col].dtype == object:
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
        zone_of, jiedao_of = _where(result.projects, zones, "id"), _where(result.projects, jiedao, "id")
        zone_place, dist = places(result.projects, zone_of)
        jiedao_place, _d = places(result.projects, jiedao_of)
        per_zone = per_area(result.projects, zones, zone_place)
        per_jd = per_area(result.projects, jiedao, jiedao_place, layer="jiedao")
        credit = boundary_credit()
        rid = new_id()
        rows = _project_rows(rid, result, zone_of, jiedao_of)
        map_tmp = store.new_tmp(".html")
        # the map is drawn here unless other uploads wait: then it follows as its own job, queued
        # behind them, so that ten clerks at once each get their report first
        if len(result.projects) <= MAP_IN_IMPORT and not store.queued_jobs(("import", "preview")):
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
            store.finish_job(conn, jid, {**summary(reg), **series})
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


# -- the briefing package -------------------------------------------------------------------------
def _package(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.briefing import build

    jid, rid = job["id"], p["register_id"]
    reg = store.get_register(rid)
    if reg is None:
        raise HepingGISError("该清单已被删除")
    store.job_progress(jid, 0.02, "读取清单")
    params = {
        "sha256": reg["sha256"],
        "kind": reg["kind"],
        "crs": reg["crs"],
        "sheet": reg["sheet"],
        "header_row": reg["header_row"],
        "unit": reg["unit"],
        "columns": json.loads(reg["columns_json"]),
        "file_name": reg["file_name"],
        "uploaded_at": reg["uploaded_at"],
        "skip_hidden": any(
            r.get("outcome") == "skipped" and r.get("kind") in ("hidden", "filtered")
            for r in json.loads(reg["report_json"])
        ),
    }
    stage = stage_for(store, jid)  # built in a folder of its own, swapped in whole (`_builds`)
    selection = p.get("filter")  # a filtered package of the version (`_subset_package`)
    # a version with fixed rows merged into it is in no one file: its package is built from its rows
    merged = bool((series_info(store.engine, rid) or {}).get("merged_into"))
    about: dict[str, Any] = {}
    credit: ListCredit | None = None  # an import result carries its own
    try:
        with _layers(store):
            result: Any = read_register(store, params) if selection is None and not merged else None
            if result is None:
                from hepinggis.web.jobs._subset_package import subset_projects

                result, credit, about = subset_projects(store, reg, p.get("filter") or {})
            else:
                result.source = str(Path(result.source).with_name(reg["file_name"]))  # credited by its own name
            store.job_progress(jid, 0.08, "开始生成产品")

            def progress(done: int, total: int, label: str) -> None:  # each product moves the job's bar
                if done:
                    store.job_progress(jid, 0.1 + 0.8 * done / max(1, total), f"已生成 {done}/{total} 个产品")

            build(stage / rid, projects=result, progress=progress, jobs=1, credit=credit)
        store.job_progress(jid, 0.92, "打包 zip")
        name, zip_url = p.get("package") or rid, None
        if selection is not None:
            from hepinggis.io._staging import note_in_manifest

            note_in_manifest(stage / rid, about=about)  # the version and the filter it holds
            zip_url = f"/api/registers/{rid}/filtered-packages/{name.rsplit('-', 1)[1]}.zip"
        install_package(store, job, "package", rid, stage / rid, name, zip_url=zip_url)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# -- the plan map (总览 without a register) --------------------------------------------------------
def _plan_map(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.maps import overview_map, save_html

    tmp = store.new_tmp(".html")
    with _layers(store):
        save_html(overview_map(basemap="none"), tmp)
    try:
        with store.begin() as conn:
            store.finish_job(conn, job["id"], {"map": "/maps/plan.html"})
            os.replace(tmp, store.data_dir / "maps" / "plan.html")
    finally:
        tmp.unlink(missing_ok=True)


# -- monitoring -----------------------------------------------------------------------------------
_VERDICT_COLS = [
    "indicator_id",
    "target_id",
    "indicator_zh",
    "unit",
    "target",
    "judged_year",
    "latest",
    "required",
    "progress_pct",
    "status",
    "rule_zh",
    "note",
    "tool_note",
    "question",
    "year_note",
]


def _figures(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.errors import NoFiguresError
    from hepinggis.monitor._credits import credit_lines
    from hepinggis.monitor._words import STATUS_ZH, target_name, verdict_words
    from hepinggis.monitor.package import monitor_map

    jid = job["id"]
    path = store.file_path(p["sha256"], p["kind"])
    store.job_progress(jid, 0.1, "读取填报数据")
    with _layers(store):
        result = read_actuals(path)
        if result.values.empty:  # an empty package would look like a monitoring
            raise NoFiguresError(f"{p['file_name']}：没有读入任何数值：请先填写“数值”栏")
        store.job_progress(jid, 0.4, "评估各项指标")
        verdicts = evaluate(result)  # the year asked: the latest typed, read or not (a refused figure is asked about)
        year = None if verdicts["year"].isna().all() else int(verdicts["year"].dropna().iloc[0])
        fid = new_id()
        tmp = store.new_tmp(".html")
        zones = load("zones")
        m = monitor_map(
            verdicts,
            None,
            year=year,
            values=result.values,
            refused_rows=len(result.rejected),
            credits=credit_lines(p["file_name"], sheet=result.sheet, example=result.is_example),
        )
        from hepinggis.maps import save_html

        save_html(m, tmp)
    table = verdicts[[c for c in _VERDICT_COLS if c in verdicts.columns]].copy()
    table["status_zh"] = table["status"].map(STATUS_ZH).fillna(table["status"])
    table["target_zh"] = [target_name(t, zones) for t in table["target_id"]]
    table = table.join(verdict_words(verdicts))  # the plan's sentence, the figures as judged
    rejected = result.rejected.astype(object).where(result.rejected.notna(), None)
    out = {
        "id": fid,
        "file_name": p["file_name"],
        "rows_in": result.rows_in,
        "read": len(result.values),
        "refused": len(result.rejected),
        "year": year,
        "example": result.is_example,
        "report": _jsonable(rejected.to_dict("records")),
        "verdicts": _jsonable(table.astype(object).where(table.notna(), None).to_dict("records")),
    }
    try:
        with store.begin() as conn:
            conn.execute(
                insert(s.figures).values(
                    id=fid,
                    file_name=p["file_name"],
                    sha256=p["sha256"],
                    kind=p["kind"],
                    uploaded_at=now_iso(),
                    uploader=p["uploader"],
                    year=year,
                    rows_read=out["read"],
                    rows_refused=out["refused"],
                    report_json=json.dumps(out["report"], ensure_ascii=False),
                    verdicts_json=json.dumps(out["verdicts"], ensure_ascii=False),
                )
            )
            store.finish_job(conn, jid, out)
            os.replace(tmp, store.data_dir / "maps" / f"monitor-{fid}.html")
    finally:
        tmp.unlink(missing_ok=True)


def _monitor(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.monitor.package import monitor

    jid, fid = job["id"], p["figure_id"]
    fig = store.get_figure(fid)
    if fig is None:
        raise HepingGISError("该填报数据已被删除")
    if is_signed(store.engine, fid):  # checked again under the lock before the swap (`_builds`)
        raise HepingGISError(SIGNED_MESSAGE)
    store.job_progress(jid, 0.05, "读取填报数据")
    src = store.file_path(fig["sha256"], fig["kind"])
    name = f"monitor-{fid}"
    stage = stage_for(store, jid)
    try:
        with _layers(store):
            result = read_actuals(src)
            result.source = str(Path(result.source).with_name(fig["file_name"]))
            store.job_progress(jid, 0.2, "生成监测图、PDF 和工作簿")
            monitor(result, stage / name)
        store.job_progress(jid, 0.9, "打包 zip")
        install_package(store, job, "monitor", fid, stage / name, name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# -- official boundaries --------------------------------------------------------------------------
def _boundary(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.errors import AdoptError
    from hepinggis.plan._compare import compare_boundaries
    from hepinggis.web._uploads import safe_name

    jid = job["id"]
    work = store.tmp / f"boundary-{jid}"
    work.mkdir()
    try:
        # the delivery whole (a zip is opened by adopt, under its limits, folders and all), under a
        # safe form of the user's own name: the products credit the file by it
        src = store.file_path(p["sha256"], p["kind"])
        suffix = str(p.get("suffix") or {"zip": ".zip", "gpkg": ".gpkg"}.get(p["kind"], ".zip"))
        source = work / f"{safe_name(Path(p['file_name']).stem, 'boundaries')}{suffix}"
        shutil.copyfile(src, source)
        store.job_progress(jid, 0.2, "采用边界")
        out = work / "adopted.gpkg"
        current = store.get_setting("boundaries")
        if current and (store.data_dir / "boundaries" / f"{current}.gpkg").is_file():
            shutil.copyfile(store.data_dir / "boundaries" / f"{current}.gpkg", out)  # add to the set in force
        try:
            frame = adopt(
                source,
                as_layer=p["as_layer"],
                out=out,
                layer=p.get("layer") or None,
                name_col=p.get("name_col") or None,
                crs=p.get("crs") or None,
                encoding=p.get("encoding") or None,
                accuracy_m=float(p.get("accuracy_m") or 1.0),
                matches=p.get("matches") or None,
                who=p.get("uploader"),
                shown_name=p["file_name"],
            )
        except AdoptError as exc:  # the page's words: its controls, never flags
            raise HepingGISError(exc.page_text or str(exc)) from exc
        store.job_progress(jid, 0.5, "检查边界")
        report = check(out)
        problems = report.problems.astype(object).where(report.problems.notna(), None)
        store.job_progress(jid, 0.7, "与随附边界比较")
        with use_layers(out):
            comparison = compare_boundaries(load("projects"))
            credit = boundary_credit()
        comp = {k: _jsonable(v.astype(object).where(v.notna(), None).to_dict("records")) for k, v in comparison.items()}
        check_out = {
            "ok": bool(report.ok),
            "problems": _jsonable(problems.to_dict("records")),
            "topology": _jsonable(
                report.topology.astype(object).where(report.topology.notna(), None).to_dict("records")
            ),
        }
        bid = new_id()
        dest = store.data_dir / "boundaries" / f"{bid}.gpkg"
        result = {
            "id": bid,
            "file_name": p["file_name"],
            "as": p["as_layer"],
            "features": len(frame),
            "names": [str(n) for n in frame.get("name_zh", pd.Series(dtype=str))],
            "check": check_out,
            "comparison": comp,
            "credit": credit,
            "notes": [str(n) for n in frame.attrs.get("notes", [])],
            "changes": [str(c) for c in frame.attrs.get("version", {}).get("changes", [])],
            "active": False,
        }
        with store.begin() as conn:
            conn.execute(
                insert(s.boundaries).values(
                    id=bid,
                    file_name=p["file_name"],
                    sha256=p["sha256"],
                    kind=p["kind"],
                    as_layer=p["as_layer"],
                    uploaded_at=now_iso(),
                    uploader=p["uploader"],
                    features=len(frame),
                    check_json=json.dumps(check_out, ensure_ascii=False),
                    comparison_json=json.dumps(
                        {**comp, "credit": credit, "notes": result["notes"], "changes": result["changes"]},
                        ensure_ascii=False,
                    ),
                    active=False,
                )
            )
            store.finish_job(conn, jid, result)
            os.replace(out, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _merge(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    """The fixed refused rows merged *into* a version: a new version of its series with the
    version's projects and the fixed rows under their original row numbers, the refusals resolved."""
    from hepinggis.io.merge import FIXED_ROW_COLUMN

    jid = job["id"]
    base = store.get_register(p["into"])
    if base is None:
        raise HepingGISError("要并入的清单不存在（可能已被删除）")
    store.job_progress(jid, 0.1, "读取改好的行")
    base_lines = json.loads(base["report_json"])
    refused_rows = {int(r["row"]) for r in base_lines if r.get("outcome") == "rejected" and r.get("row") is not None}
    with _layers(store):
        result = read_register(store, p)
        pr = result.projects
        if len(pr) and FIXED_ROW_COLUMN not in pr.columns:
            raise HepingGISError(f"没有“{FIXED_ROW_COLUMN}”列：请上传从“下载被拒绝的行”得到并改好的表格")
        original = pd.to_numeric(pr[FIXED_ROW_COLUMN], errors="coerce") if len(pr) else pd.Series([], dtype=float)
        if original.isna().any():
            raise HepingGISError(f"“{FIXED_ROW_COLUMN}”列有空白或不是数字的行，无法并入")
        stray = sorted(set(original.astype(int)) - refused_rows)
        if stray:
            raise HepingGISError(f"原行号 {'、'.join(map(str, stray[:10]))} 在原清单中没有被拒绝，不能并入")
        own = dict(zip(pr["row"].astype(int), original.astype(int), strict=True)) if len(pr) else {}
        pr = pr.drop(columns=[c for c in (FIXED_ROW_COLUMN, "拒绝原因") if c in pr.columns])
        pr["row"] = original.astype(int).to_numpy()
        result.projects = pr
        zones, jiedao = load("zones"), load("jiedao")
        zone_of, jiedao_of = _where(pr, zones, "id"), _where(pr, jiedao, "id")
        rid = new_id()
        fixed_rows = _project_rows(rid, result, zone_of, jiedao_of)
        kept = [
            {k: v for k, v in r.items() if k != "pk"} | {"register_id": rid}
            for r in store.register_projects(base["id"])
        ]
        rows = sorted(kept + fixed_rows, key=lambda r: r["row"])
        store.job_progress(jid, 0.5, "统计各功能区和街道")
        import shapely

        pts = gpd.GeoDataFrame(
            {"investment_cny": [r["investment_cny"] for r in rows]},
            geometry=shapely.points([r["lon"] for r in rows], [r["lat"] for r in rows]),
            crs="EPSG:4326",
        )
        per_zone = per_area(pts, zones)
        per_jd = per_area(pts, jiedao, layer="jiedao")
    resolved = set(own.values())
    lines = [r for r in base_lines if not (r.get("outcome") == "rejected" and r.get("row") in resolved)]
    report = result.report.astype(object).where(result.report.notna(), None)
    for rec in report.to_dict("records"):
        if rec.get("row") is not None and int(rec["row"]) in own and rec.get("outcome") != "rejected":
            lines.append({**_jsonable(rec), "row": own[int(rec["row"])], **dict([PAGE_WORDS])})
    lines.sort(key=lambda r: (r.get("row") is not None, r.get("row") or 0))
    reg = {
        **{k: base[k] for k in ("file_name", "sha256", "kind", "size", "crs", "sheet", "header_row", "unit")},
        "id": rid,
        "uploaded_at": now_iso(),
        "uploader": p["uploader"],
        "columns_json": base["columns_json"],
        "encoding": base["encoding"],
        "rows_in": base["rows_in"],
        "imported": base["imported"] + len(fixed_rows),
        "refused": len({r["row"] for r in lines if r.get("outcome") == "rejected"}),
        "warned": len({r["row"] for r in lines if r.get("level") == "warning"}),
        "report_json": json.dumps(lines, ensure_ascii=False),
        "per_zone_json": json.dumps(per_zone, ensure_ascii=False),
        "per_jiedao_json": json.dumps(per_jd, ensure_ascii=False),
        "boundaries": base["boundaries"],
    }
    from hepinggis.web.registers._versions import series_info

    base_series = series_info(store.engine, base["id"]) or {}
    with store.begin() as conn:
        conn.execute(insert(s.registers).values(**reg))
        series = link_version(
            conn,
            rid,
            replaces=base["id"],
            as_of=p.get("as_of") or base_series.get("as_of"),
            merged_into=base["id"],
            units=json.loads(base_series.get("units_json") or "null"),  # the version's units, as typed
        )
        if rows:
            conn.execute(insert(s.projects), rows)
        store.finish_job(conn, jid, {**summary(reg), **series, "merged": len(fixed_rows)})
        conn.execute(update(s.jobs).where(s.jobs.c.id == jid).values(register_id=rid))
    store.add_job("map", {"register_id": rid}, submitter=p["uploader"], register_id=rid)


RUNNERS: dict[str, Runner] = {
    "merge": _merge,
    "preview": _preview,
    "import": _import,
    "package": _package,
    "plan_map": _plan_map,
    "map": _map,
    "figures": _figures,
    "monitor": _monitor,
    "boundary": _boundary,
}


def run(store: Store, job: dict[str, Any]) -> None:
    """Run one claimed job."""
    params = json.loads(job.get("params_json") or "{}")
    runner = RUNNERS.get(job["kind"])
    if runner is None:
        raise HepingGISError(f"未知的任务类型 {job['kind']}")
    runner(store, job, params)
