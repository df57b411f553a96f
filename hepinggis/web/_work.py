"""What the worker processes do: one function per job kind. Imported only in the workers (it
pulls in the stages); everything a job stores is written in the transaction that marks it done."""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import insert, update

import hepinggis
from hepinggis.errors import HepingGISError
from hepinggis.io.importer import ImportResult
from hepinggis.plan._layer_source import boundary_credit, use_layers
from hepinggis.web import _schema as s
from hepinggis.web._jobs import one_line
from hepinggis.web._store import Store, new_id, now_iso
from hepinggis.web._work_light import summary

__all__ = ["describe", "run"]

warnings.simplefilter("ignore")

try:  # helper "reg" adds the real preview; until then the web app's own stand-in
    from hepinggis.io.preview import preview_register  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the branch
    from hepinggis.web._preview_fallback import preview_register

Runner = Callable[[Store, dict[str, Any], dict[str, Any]], None]


def describe(exc: BaseException, job: dict[str, Any]) -> str:
    """One Chinese line for a failed job; internal paths are replaced by the user's file name."""
    params = json.loads(job.get("params_json") or "{}")
    if isinstance(exc, HepingGISError | ValueError | KeyError | OSError):
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        prefix = {"import": "导入失败", "preview": "无法读取", "package": "简报包生成失败"}.get(job["kind"], "处理失败")
        line = f"{prefix}：{text}"
    else:
        line = f"处理失败（{type(exc).__name__}）：{exc}"
    return one_line(_hide_paths(line, params))


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
    return text


def _layers(store: Store) -> AbstractContextManager[Path | None]:
    """The boundaries in force: the adopted GeoPackage chosen on the 边界 page, or the bundled."""
    chosen = store.get_setting("boundaries")
    gpkg = store.data_dir / "boundaries" / f"{chosen}.gpkg" if chosen else None
    return use_layers(gpkg if gpkg is not None and gpkg.is_file() else None)


def _jsonable(value: Any) -> Any:
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
    pv = preview_register(path, sheet=p.get("sheet"), header_row=p.get("header_row"), max_rows=20)
    result = {k: _jsonable(getattr(pv, k)) for k in pv.__dataclass_fields__}
    with store.begin() as conn:
        store.finish_job(conn, job["id"], result)


# -- import a register -----------------------------------------------------------------------------
def read_register(store: Store, p: dict[str, Any]) -> ImportResult:
    """Import a stored register file with the options the user confirmed."""
    path = store.file_path(p["sha256"], p["kind"])
    options: dict[str, Any] = {
        "crs": p.get("crs"),
        "sheet": p.get("sheet") or None,
        "header_row": p.get("header_row") or None,
        "columns": p.get("columns") or None,
    }
    import inspect

    accepted = inspect.signature(hepinggis.read_projects).parameters
    if p.get("unit") and "unit" in accepted:
        options["unit"] = p["unit"]
    if "skip_hidden" in accepted:
        options["skip_hidden"] = True
    return hepinggis.read_projects(path, **options)


def per_area(projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Projects and stated investment per zone or per 街道 (a project spanning areas counts by share)."""
    if len(projects):
        table = hepinggis.projects_by_zone(projects, areas)
    else:
        table = pd.DataFrame(index=areas["id"], columns=["projects", "investment_cny_stated", "n_with_investment"])
    out = []
    names = dict(zip(areas["id"], areas["name_zh"], strict=True))
    from hepinggis.analysis.measure import geodesic_area

    km2 = dict(zip(areas["id"], geodesic_area(areas), strict=True))
    for zid in areas["id"]:
        row = table.loc[zid] if zid in table.index else None
        out.append(
            {
                "id": zid,
                "name": names[zid],
                "area_km2": round(float(km2[zid]), 2),
                "projects": _jsonable(None if row is None else row.get("projects")) or 0,
                "investment_cny": _jsonable(None if row is None else row.get("investment_cny_stated")) or 0,
                "with_investment": int(_jsonable(None if row is None else row.get("n_with_investment")) or 0),
            }
        )
    return out


def projects_by_jiedao(projects: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Per 街道 (helper "maps" adds ``hepinggis.projects_by_jiedao``; until then per_area)."""
    return per_area(projects, hepinggis.load("jiedao"))


def _where(projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, key: str) -> pd.Series:
    if not len(projects):
        return pd.Series([], dtype=object)
    pts = projects.geometry.representative_point()
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=pts, crs=projects.crs), areas[[key, "geometry"]], how="left")
    hit = hit[~hit.index.duplicated()]
    return hit[key].reindex(projects.index)


def _project_rows(rid: str, result: ImportResult) -> list[dict[str, Any]]:
    pr = result.projects
    if not len(pr):
        return []
    zones = hepinggis.load("zones")
    jiedao = hepinggis.load("jiedao")
    zone = _where(pr, zones, "id")
    jd = _where(pr, jiedao, "name_zh")
    pts = pr.geometry.representative_point()
    core = {"row", "id", "name", "category", "status", "investment_cny", "geometry"}
    extra_cols = [c for c in pr.columns if c not in core]
    rows = []
    for k, (idx, r) in enumerate(pr.iterrows()):
        inv = r.get("investment_cny")
        rows.append(
            {
                "register_id": rid,
                "row": int(r["row"]) if "row" in pr.columns else k + 1,
                "project_id": _jsonable(r.get("id")),
                "name": _jsonable(r.get("name")),
                "category": _jsonable(r.get("category")),
                "status": _jsonable(r.get("status")),
                "investment_cny": _jsonable(inv),
                "zone_id": _jsonable(zone.get(idx)),
                "jiedao": _jsonable(jd.get(idx)),
                "lon": float(pts.loc[idx].x),
                "lat": float(pts.loc[idx].y),
                "geom_wkt": r.geometry.wkt,
                "properties_json": json.dumps({c: _jsonable(r.get(c)) for c in extra_cols}, ensure_ascii=False),
            }
        )
    return rows


def _import(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    jid = job["id"]
    store.job_progress(jid, 0.05, "读取清单")
    with _layers(store):
        result = read_register(store, p)
        store.job_progress(jid, 0.5, "统计各功能区和街道")
        per_zone = per_area(result.projects, hepinggis.load("zones"))
        per_jd = projects_by_jiedao(result.projects)
        credit = boundary_credit()
        rid = new_id()
        rows = _project_rows(rid, result)
        store.job_progress(jid, 0.7, "绘制项目地图")
        map_tmp = store.new_tmp(".html")
        _write_map(result, p, map_tmp)
    report = result.report.astype(object).where(result.report.notna(), None)
    reg = {
        "id": rid,
        "file_name": p["file_name"],
        "sha256": p["sha256"],
        "kind": p["kind"],
        "size": p["size"],
        "uploaded_at": now_iso(),
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
        "warned": result.n_warned,
        "report_json": json.dumps(_jsonable(report.to_dict("records")), ensure_ascii=False),
        "per_zone_json": json.dumps(per_zone, ensure_ascii=False),
        "per_jiedao_json": json.dumps(per_jd, ensure_ascii=False),
        "boundaries": credit,
    }
    store.job_progress(jid, 0.85, "写入数据库")
    try:
        with store.begin() as conn:
            conn.execute(insert(s.registers).values(**reg))
            if rows:
                conn.execute(insert(s.projects), rows)
            if p.get("signature") and p.get("remember", True):
                store.put_mapping(conn, p["signature"], p, p["uploader"])
            store.finish_job(conn, jid, summary(reg))
            conn.execute(update(s.jobs).where(s.jobs.c.id == jid).values(register_id=rid))
            os.replace(map_tmp, store.data_dir / "maps" / f"{rid}.html")
    finally:
        map_tmp.unlink(missing_ok=True)


def _write_map(result: ImportResult, p: dict[str, Any], dest: Path) -> None:
    from hepinggis.maps import overview_map, save_html

    m = overview_map(projects=result.projects if len(result.projects) else None, basemap="none")
    save_html(m, dest)


# -- the briefing package -------------------------------------------------------------------------
class _JobBar:
    """Stands in for the build's tqdm bar: each finished product moves the job's progress."""

    def __init__(self, store: Store, jid: str, total: int, start: float, end: float) -> None:
        self.store, self.jid, self.total, self.n = store, jid, max(1, total), 0
        self.start, self.end = start, end

    def update(self, n: int = 1) -> None:
        self.n += n
        share = self.start + (self.end - self.start) * self.n / self.total
        self.store.job_progress(self.jid, share, f"已生成 {self.n}/{self.total} 个产品")

    def close(self) -> None:
        pass


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip every file of ``folder`` (paths relative to it, manifest included) into ``dest``,
    written beside it and renamed into place."""
    tmp = dest.with_name(f".{dest.name}.{new_id()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(folder).as_posix())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _package(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    import importlib

    build_module: Any = importlib.import_module("hepinggis.build")  # the module (hepinggis.build is the function)

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
    }
    dest = store.data_dir / "packages" / rid
    with _layers(store):
        result = read_register(store, params)
        result.source = str(Path(result.source).with_name(reg["file_name"]))  # credited by its own name
        store.job_progress(jid, 0.08, "开始生成产品")
        # build() reports progress through a tqdm bar; in a job the bar writes to the jobs table
        original = build_module.tqdm
        build_module.tqdm = lambda total=1, **_kw: _JobBar(store, jid, total, 0.1, 0.9)
        try:
            build_module.build(dest, projects=result, progress=True, jobs=1)
        finally:
            build_module.tqdm = original
    store.job_progress(jid, 0.92, "打包 zip")
    zip_folder(dest, store.data_dir / "packages" / f"{rid}.zip")
    with store.begin() as conn:
        conn.execute(update(s.registers).where(s.registers.c.id == rid).values(package_at=now_iso()))
        store.finish_job(conn, jid, {"register_id": rid, "zip": f"/api/registers/{rid}/package.zip"})


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
]


def _figures(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from hepinggis.monitor._words import STATUS_ZH, target_name
    from hepinggis.monitor.package import monitor_map

    jid = job["id"]
    path = store.file_path(p["sha256"], p["kind"])
    store.job_progress(jid, 0.1, "读取填报数据")
    with _layers(store):
        result = hepinggis.read_actuals(path)
        store.job_progress(jid, 0.4, "评估各项指标")
        verdicts = hepinggis.evaluate(result)
        year = int(result.values["year"].max()) if len(result.values) else None
        fid = new_id()
        tmp = store.new_tmp(".html")
        zones = hepinggis.load("zones")
        m = monitor_map(
            verdicts,
            None,
            year=year,
            values=result.values,
            refused_rows=len(result.rejected),
            source=p["file_name"],
            example=result.is_example,
        )
        from hepinggis.maps import save_html

        save_html(m, tmp)
    table = verdicts[[c for c in _VERDICT_COLS if c in verdicts.columns]].copy()
    table["status_zh"] = table["status"].map(STATUS_ZH).fillna(table["status"])
    table["target_zh"] = [target_name(t, zones) for t in table["target_id"]]
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
    store.job_progress(jid, 0.05, "读取填报数据")
    src = store.file_path(fig["sha256"], fig["kind"])
    dest = store.data_dir / "packages" / f"monitor-{fid}"
    with _layers(store):
        result = hepinggis.read_actuals(src)
        result.source = str(Path(result.source).with_name(fig["file_name"]))
        store.job_progress(jid, 0.2, "生成监测图、PDF 和工作簿")
        monitor(result, dest)
    store.job_progress(jid, 0.9, "打包 zip")
    zip_folder(dest, store.data_dir / "packages" / f"monitor-{fid}.zip")
    with store.begin() as conn:
        conn.execute(update(s.figures).where(s.figures.c.id == fid).values(package_at=now_iso()))
        store.finish_job(conn, jid, {"figure_id": fid, "zip": f"/api/monitoring/{fid}/package.zip"})


# -- official boundaries --------------------------------------------------------------------------
def _boundary(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    from pathlib import PurePosixPath

    from hepinggis.plan._compare import compare_boundaries
    from hepinggis.web._uploads import safe_extract, safe_name

    jid = job["id"]
    work = store.tmp / f"boundary-{jid}"
    work.mkdir()
    try:
        src = store.file_path(p["sha256"], p["kind"])
        if p["kind"] == "zip":
            files = safe_extract(src, work / "in")
            found = [f for f in files if f.suffix in (".shp", ".gpkg")]
            if not found:
                raise HepingGISError("压缩包中没有 Shapefile（.shp）或 GeoPackage")
            if len(found) > 1:
                raise HepingGISError(f"压缩包中有 {len(found)} 个图层文件，请每次只上传一个")
            # the products credit the file by its name: give the unpacked layer a safe form of
            # the member's own name (the sidecar files of a Shapefile share it)
            named = work / "named"
            named.mkdir()
            stem = safe_name(PurePosixPath(files[found[0]].replace("\\", "/")).stem, "boundaries")
            for f in files:
                if f.stem == found[0].stem:
                    f.rename(named / f"{stem}{f.suffix}")
            source = named / f"{stem}{found[0].suffix}"
        else:
            source = work / f"{safe_name(Path(p['file_name']).stem, 'boundaries')}.gpkg"
            shutil.copyfile(src, source)
        store.job_progress(jid, 0.2, "采用边界")
        out = work / "adopted.gpkg"
        current = store.get_setting("boundaries")
        if current and (store.data_dir / "boundaries" / f"{current}.gpkg").is_file():
            shutil.copyfile(store.data_dir / "boundaries" / f"{current}.gpkg", out)  # add to the set in force
        frame = hepinggis.adopt(source, as_layer=p["as_layer"], out=out, layer=p.get("layer") or None)
        store.job_progress(jid, 0.5, "检查边界")
        report = hepinggis.check(out)
        problems = report.problems.astype(object).where(report.problems.notna(), None)
        store.job_progress(jid, 0.7, "与随附边界比较")
        with use_layers(out):
            comparison = compare_boundaries(hepinggis.load("projects"))
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
                    comparison_json=json.dumps({**comp, "credit": credit}, ensure_ascii=False),
                    active=False,
                )
            )
            store.finish_job(conn, jid, result)
            os.replace(out, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


RUNNERS: dict[str, Runner] = {
    "preview": _preview,
    "import": _import,
    "package": _package,
    "plan_map": _plan_map,
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
