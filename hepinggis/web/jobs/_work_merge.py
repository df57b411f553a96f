"""The job that merges a clerk's fixed refused rows into a version of a register (a new version)."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import insert, update

from hepinggis.errors import HepingGISError
from hepinggis.plan.layers import load
from hepinggis.web.jobs._work_areas import _where, per_area
from hepinggis.web.jobs._work_common import jsonable as _jsonable
from hepinggis.web.jobs._work_common import layers as _layers
from hepinggis.web.jobs._work_import import _project_rows, read_register
from hepinggis.web.jobs._work_light import (
    summary,
)
from hepinggis.web.registers._accounting import PAGE_WORDS
from hepinggis.web.registers._versions import link_version, series_info
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store, new_id, now_iso


def _merge(store: Store, job: dict[str, Any], p: dict[str, Any]) -> None:
    """The fixed refused rows merged *into* a version: a new version of its series with the
    version's projects and the fixed rows under their original row numbers, the refusals resolved."""
    jid = job["id"]
    base = store.get_register(p["into"])
    if base is None:
        raise HepingGISError("要并入的清单不存在（可能已被删除）")
    store.job_progress(jid, 0.1, "读取改好的行")
    base_lines = json.loads(base["report_json"])
    refused_rows = {int(r["row"]) for r in base_lines if r.get("outcome") == "rejected" and r.get("row") is not None}
    with _layers(store):
        result = read_register(store, p)
        pr, own = _fixed(result.projects, refused_rows)
        result.projects = pr
        zones, jiedao = load("zones"), load("jiedao")
        zone_of, jiedao_of = _where(pr, zones, "id"), _where(pr, jiedao, "id")
        rid = new_id()
        fixed_rows = _project_rows(rid, result, zone_of, jiedao_of, jiedao=jiedao)
        kept = [
            {k: v for k, v in r.items() if k != "pk"} | {"register_id": rid}
            for r in store.register_projects(base["id"])
        ]
        rows = sorted(kept + fixed_rows, key=lambda r: r["row"])
        store.job_progress(jid, 0.5, "统计各功能区和街道")
        pts = _points(rows)
        per_zone = per_area(pts, zones)
        per_jd = per_area(pts, jiedao, layer="jiedao")
    lines = _merged_lines(base_lines, result.report, own)
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


def _fixed(pr: pd.DataFrame, refused_rows: set[int]) -> tuple[pd.DataFrame, dict[int, int]]:
    """The fixed rows under their original row numbers, and each one's row in the fixed file →
    its original row; refused in one line unless each names a row the version refused."""
    from hepinggis.io.merge import FIXED_ROW_COLUMN

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
    return pr, own


def _points(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The stored projects' positions and stated investment (what the per-area tables count)."""
    import shapely

    return gpd.GeoDataFrame(
        {"investment_cny": [r["investment_cny"] for r in rows]},
        geometry=shapely.points([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs="EPSG:4326",
    )


def _merged_lines(base_lines: list[dict[str, Any]], report: pd.DataFrame, own: dict[int, int]) -> list[dict[str, Any]]:
    """The version's report lines without the refusals now resolved, with the fixed file's lines
    under the original row numbers (in the page's words), in row order."""
    resolved = set(own.values())
    lines = [r for r in base_lines if not (r.get("outcome") == "rejected" and r.get("row") in resolved)]
    report = report.astype(object).where(report.notna(), None)
    for rec in report.to_dict("records"):
        if rec.get("row") is not None and int(rec["row"]) in own and rec.get("outcome") != "rejected":
            lines.append({**_jsonable(rec), "row": own[int(rec["row"])], **dict([PAGE_WORDS])})
    lines.sort(key=lambda r: (r.get("row") is not None, r.get("row") or 0))
    return lines
