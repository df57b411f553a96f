"""The jobs that make products: the briefing package, the plan map, monitoring figures and their
package, and adopted official boundaries."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import insert

from hepinggis.base._credits import ListCredit
from hepinggis.base._layer_source import boundary_credit, use_boundaries
from hepinggis.errors import HepingGISError
from hepinggis.io.adopt import adopt
from hepinggis.monitor.evaluate import evaluate
from hepinggis.monitor.indicators import read_actuals
from hepinggis.plan.check import check
from hepinggis.plan.layers import load
from hepinggis.web.jobs._builds import install_package, stage_for
from hepinggis.web.jobs._work_common import jsonable as _jsonable
from hepinggis.web.jobs._work_common import layers as _layers
from hepinggis.web.jobs._work_import import read_register
from hepinggis.web.jobs._work_light import (
    SIGNED_MESSAGE,
    is_signed,
)
from hepinggis.web.registers._versions import series_info
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store, new_id, now_iso


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
    from hepinggis.web.jobs._uploads import safe_name

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
        frame = _adopted(store, p, source, out)
        store.job_progress(jid, 0.5, "检查边界")
        check_out, comp, credit = _checked(store, jid, out)
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


def _adopted(store: Store, p: dict[str, Any], source: Path, out: Path) -> Any:
    """The delivery ``source`` adopted into ``out``, added to the set of boundaries in force."""
    from hepinggis.errors import AdoptError

    current = store.get_setting("boundaries")
    if current and (store.data_dir / "boundaries" / f"{current}.gpkg").is_file():
        shutil.copyfile(store.data_dir / "boundaries" / f"{current}.gpkg", out)  # add to the set in force
    try:
        return adopt(
            source,
            as_layer=p["as_layer"],
            out=out,
            table=p.get("layer") or None,
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


def _checked(store: Store, jid: str, out: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The adopted boundaries checked (problems, topology) and compared with the bundled ones,
    as JSON, with their credit line."""
    from hepinggis.plan._compare import compare_boundaries

    report = check(out)
    problems = report.problems.astype(object).where(report.problems.notna(), None)
    store.job_progress(jid, 0.7, "与随附边界比较")
    with use_boundaries(out):
        comparison = compare_boundaries(load("projects"))
        credit = boundary_credit()
    comp = {k: _jsonable(v.astype(object).where(v.notna(), None).to_dict("records")) for k, v in comparison.items()}
    check_out = {
        "ok": bool(report.ok),
        "problems": _jsonable(problems.to_dict("records")),
        "topology": _jsonable(report.topology.astype(object).where(report.topology.notna(), None).to_dict("records")),
    }
    return check_out, comp, credit
