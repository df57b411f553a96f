"""Registers as living lists (issue 31), the JSON API: versions, changes by identity,
confirmations, warnings, the filter's exports and its briefing package.

The filter of a URL is `_filter_query`'s, the export tables `_exports`'s; the pages that show
versions (一项目一档, the filter panel, the versions and their changes) are `pages.versions`'s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from hepinggis.errors import BadUpload
from hepinggis.web._deps import current_user, get_store
from hepinggis.web.api._exports import XLSX, _gpkg, _table, _xlsx, filtered_geojson
from hepinggis.web.api._filter_query import FilterDep
from hepinggis.web.auth._security import ROUTE_PERMISSIONS
from hepinggis.web.registers import _filter, _history
from hepinggis.web.registers import _registers as regs
from hepinggis.web.registers import _versions as v
from hepinggis.web.store._store import Store

__all__ = ["FilterDep", "changes", "filtered_geojson", "previous", "router", "upload_params"]

router = APIRouter()
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

# a confirmation changes what later comparisons say: the 填报 role's, and audited
ROUTE_PERMISSIONS.setdefault(("POST", "/api/registers/{rid}/confirm"), ("upload", "confirm_match"))


def _register_or_404(store: Store, rid: str) -> dict[str, Any]:
    reg = store.get_register(rid)
    if reg is None:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）")
    return reg


def upload_params(store: Store, *, replaces: str | None, into: str | None, as_of: str | None) -> dict[str, Any]:
    """The series fields of an upload (``replaces``: the next version of that register's series;
    ``into``: fixed refused rows merged into that version), checked before the job is queued."""
    if replaces and into:
        raise BadUpload("replaces 与 into 只能给出一个")
    for rid in (replaces, into):
        if rid and store.get_register(rid) is None:
            raise BadUpload("要接续或并入的清单不存在（可能已被删除）")
    return {"replaces": replaces or None, "into": into or None, "as_of": v.check_as_of(as_of)}


def previous(store: Store, rid: str) -> dict[str, Any] | None:
    """The version before ``rid`` in its series; for a first version, the register uploaded before it."""
    return v.previous_register(store, rid)


def changes(store: Store, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    return v.version_changes(store, old, new)


@router.get("/api/registers/{rid}/projects.xlsx", summary="清单中的项目（xlsx，可按筛选条件）")
async def projects_xlsx(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(_filter.filtered, store, reg, flt)
    path = await run_in_threadpool(_xlsx, sub, reg, store, words)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type=XLSX,
        filename=regs.download_name(reg["file_name"], what, ".xlsx"),
        background=regs.unlink_after(path),
    )


@router.get("/api/registers/{rid}/projects.csv", summary="清单中的项目（CSV，UTF-8，可按筛选条件）")
async def projects_csv(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    from hepinggis.io._sheets import write_csv

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(_filter.filtered, store, reg, flt)
    path = store.new_tmp(".csv")
    await run_in_threadpool(write_csv, _table(sub, reg, v.register_units(store, rid)), path)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=regs.download_name(reg["file_name"], what, ".csv"),
        background=regs.unlink_after(path),
    )


@router.get("/api/registers/{rid}/projects.gpkg", summary="清单中的项目（GeoPackage，EPSG:4326，可按筛选条件）")
async def projects_gpkg(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(_filter.filtered, store, reg, flt)
    path = await run_in_threadpool(_gpkg, sub, reg, store, words)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type="application/geopackage+sqlite3",
        filename=regs.download_name(reg["file_name"], what, ".gpkg"),
        background=regs.unlink_after(path),
    )


@router.get("/api/registers/{rid}/warnings", summary="进度预警：各项目、各功能区和街道的逾期、滞后、正常、无法判断")
async def warnings(
    rid: str,
    store: StoreDep,
    user: UserDep,
    flt: FilterDep,
    format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json",
) -> Response:
    import pandas as pd

    from hepinggis.monitor.progress import rules_zh

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(_filter.filtered, store, reg, flt)
    info = v.series_info(store.engine, rid) or {}
    areas = _filter.per_area(sub, reg)
    if format == "xlsx":
        flagged = sub[sub["warning"].isin(["逾期", "滞后"])]
        unit = v.register_units(store, rid)["investment_cny"]  # as the clerk typed the amounts
        factor = v.UNIT_FACTORS.get(unit, 1.0)
        money = f"投资（{unit}）" if unit in v.UNIT_FACTORS else "投资（未注明单位）"
        extra = {
            what: pd.DataFrame(areas[key])
            .drop(columns=["id"])
            .assign(investment_cny=lambda t: (t["investment_cny"] / factor).round(6))
            .rename(columns={"name": head, "projects": "项目数", "investment_cny": money})
            for what, key, head in (("各功能区", "zones", "功能区"), ("各街道", "jiedao", "街道"))
        }
        path = await run_in_threadpool(_xlsx, flagged, reg, store, [*words, "预警：逾期、滞后"], extra)
        return FileResponse(
            path,
            media_type=XLSX,
            filename=regs.download_name(reg["file_name"], "预警清单", ".xlsx"),
            background=regs.unlink_after(path),
        )
    counts = sub["warning"].value_counts()
    items = v._jsonable(
        sub[["row", "id", "name", "zone_id", "jiedao", "status", "warning", "warning_code", "reason"]].to_dict(
            "records"
        )
    )
    return JSONResponse(
        {
            "as_of": info.get("as_of"),
            "rules_zh": rules_zh(),
            "filter_zh": words,
            "counts": {w: int(counts.get(w, 0)) for w in ("逾期", "滞后", "正常", "无法判断")},
            "per_zone": areas["zones"],
            "per_jiedao": areas["jiedao"],
            "items": items,
        }
    )


# -- the briefing package of a filter, as of a version ---------------------------------------------
def _version_of(store: Store, reg: dict[str, Any], version: int | None) -> dict[str, Any]:
    """``reg`` itself, or the register of version number ``version`` of its series."""
    if version is None:
        return reg
    hit = next((x for x in v.versions(store, reg["id"]) if x["version"] == version), None)
    if hit is None:
        raise HTTPException(404, f"该清单没有第 {version} 版")
    return _register_or_404(store, hit["id"])


def filtered_package(
    store: Store, reg: dict[str, Any], flt: _filter.ProjectFilter, *, version: int | None, user: dict[str, Any]
) -> dict[str, Any]:
    """Queue the briefing package of the projects of ``reg`` (or of version ``version`` of its series)
    that pass ``flt`` — the build job of every package (`_work._package`, under the register's lock
    in `_builds.request_build`), with the filter as its parameter. Without a condition, the
    version's own package. Returns the job id and where the package will be."""
    from hepinggis.web._deps import may_rebuild
    from hepinggis.web.jobs import _subset_package as sp
    from hepinggis.web.jobs._builds import request_build

    target = _version_of(store, reg, version)
    may_rebuild(user, target["uploader"])
    rid = target["id"]
    params: dict[str, Any] = {"register_id": rid, "file_name": target["file_name"]}
    out: dict[str, Any] = {"register_id": rid}
    if flt.active():
        sub, _words = _filter.filtered(store, target, flt)  # a bad condition is said now, in one line
        if not len(sub):
            raise BadUpload("没有符合筛选条件的项目，无法生成简报包")
        selection = flt.params()
        key = sp.package_key(selection)
        params |= {"filter": selection, "package": sp.package_name(rid, selection)}
        out |= {
            "filter": selection,
            "projects": len(sub),
            "gallery": f"/filtered-packages/{rid}/{key}/index.html",
            "zip": f"/api/registers/{rid}/filtered-packages/{key}.zip",
        }
    else:
        out |= {"gallery": f"/packages/{rid}/index.html", "zip": f"/api/registers/{rid}/package.zip"}
    try:
        out["id"] = request_build(store, "package", rid, params, submitter=user["name"])
    except LookupError:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）") from None
    return out


def _filtered_folder(store: Store, rid: str, key: str) -> Path:
    from hepinggis.web.jobs._subset_package import KEY_PATTERN

    _register_or_404(store, rid)
    if not KEY_PATTERN.match(key):
        raise HTTPException(404, "没有这个筛选结果的简报包")
    return store.data_dir / "packages" / f"{rid}-{key}"


@router.get("/api/registers/{rid}/filtered-packages/{key}.zip", summary="下载按筛选条件（及版本）生成的简报包（zip）")
def filtered_package_zip(rid: str, key: str, store: StoreDep, user: UserDep) -> Response:
    folder = _filtered_folder(store, rid, key)
    path = folder.with_name(f"{folder.name}.zip")
    if not path.is_file():
        raise HTTPException(404, "该筛选结果的简报包尚未生成，请先生成")
    reg = _register_or_404(store, rid)
    return FileResponse(
        path, media_type="application/zip", filename=regs.download_name(reg["file_name"], "简报包（筛选）", ".zip")
    )


@router.get("/filtered-packages/{rid}/{key}/{rel:path}", include_in_schema=False)
def filtered_package_file(rid: str, key: str, rel: str, store: StoreDep, user: UserDep) -> Response:
    """A file of a filtered package (its gallery and maps), only from inside its folder."""
    from hepinggis.web.pages.routes import _package_file

    return _package_file(_filtered_folder(store, rid, key), rel)


# -- versions, changes, confirmations --------------------------------------------------------------
@router.get("/api/registers/{rid}/versions", summary="该清单所在系列的各个版本（最早在前）")
def list_versions(rid: str, store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    _register_or_404(store, rid)
    return v.versions(store, rid)


@router.get("/api/register-proposal", summary="新上传的清单可能是哪份清单的下一版本（按文件名或表头）")
def proposal(
    store: StoreDep,
    user: UserDep,
    file_name: Annotated[str, Query(max_length=300)] = "",
    columns: Annotated[str | None, Query(max_length=5000, description='JSON：{"角色": "列名"}')] = None,
) -> dict[str, Any]:
    cols: dict[str, str] = {}
    if columns:
        try:
            parsed = json.loads(columns)
        except json.JSONDecodeError:
            raise BadUpload("columns 不是有效的 JSON 对象") from None
        if isinstance(parsed, dict):
            cols = {str(k): str(val) for k, val in parsed.items() if val}
    return {"proposal": v.propose(store, file_name=file_name, columns=cols)}


@router.get("/api/registers/{rid}/changes.xlsx", summary="两个版本之间的变化（xlsx）")
async def changes_xlsx(
    rid: str, store: StoreDep, user: UserDep, against: Annotated[str | None, Query()] = None
) -> Response:
    import pandas as pd

    from hepinggis.io._sheets import write_workbook

    reg = _register_or_404(store, rid)
    old = previous(store, rid) if against is None else _register_or_404(store, against)
    if old is None:
        raise HTTPException(404, "这是系列中的第一个版本，没有可比较的上一版本")
    table = await run_in_threadpool(v.compare, store, old, reg)
    heads = {
        "change_zh": "变化",
        "name_zh": "项目名称",
        "name_old": "原名称",
        "row_old": "原行号",
        "row_new": "新行号",
        "id_old": "原编号",
        "id_new": "新编号",
        "status_old": "原状态",
        "status_new": "新状态",
        "investment_old": "原投资",
        "investment_new": "新投资",
        "moved_m": "移动（米）",
        "note": "说明",
    }
    unit = v.register_units(store, rid)["investment_cny"]  # the new version's, as typed
    factor = v.UNIT_FACTORS.get(unit)
    for col in ("investment_old", "investment_new"):
        heads[col] += f"（{unit}）" if factor else "（未注明单位）"
        table = table.assign(**{col: (pd.to_numeric(table[col], errors="coerce") / (factor or 1.0)).round(6)})
    out = table.reindex(columns=list(heads)).rename(columns=heads)
    oi, ni = v.series_info(store.engine, old["id"]) or {}, v.series_info(store.engine, rid) or {}
    about = pd.DataFrame(
        {
            "说明": [
                f"{reg['file_name']}：第 {ni.get('version')} 版（截至 {ni.get('as_of')}）与第 {oi.get('version')} 版"
                f"（{old['file_name']}，截至 {oi.get('as_of')}）相比，按项目身份（编号、名称、位置）对应，不按行序",
            ]
        }
    )
    path = store.new_tmp(".xlsx")
    await run_in_threadpool(write_workbook, {"变化": out, "说明": about}, path)
    return FileResponse(
        path,
        media_type=XLSX,
        filename=regs.download_name(reg["file_name"], "变化", ".xlsx"),
        background=regs.unlink_after(path),
    )


@router.post("/api/registers/{rid}/confirm", summary="确认两个版本中的两行是同一项目（按项目身份记住，用于以后各版本）")
def confirm_pair(
    rid: str,
    store: StoreDep,
    user: UserDep,
    old_row: Annotated[int | None, Form(ge=1, description="原版本中的行号（Excel）")] = None,
    new_row: Annotated[int | None, Form(ge=1, description="本版本中的行号（Excel）")] = None,
    against: Annotated[str | None, Form(max_length=64, description="原版本（默认：上一版本）")] = None,
    old_name: Annotated[str | None, Form(max_length=500, description="原名称（无行号时）")] = None,
    new_name: Annotated[str | None, Form(max_length=500, description="新名称（无行号时）")] = None,
) -> dict[str, Any]:
    _register_or_404(store, rid)
    if against:
        _register_or_404(store, against)
    return v.confirm(
        store,
        rid,
        user["name"],
        against=against or None,
        old_row=old_row,
        new_row=new_row,
        old_name=old_name,
        new_name=new_name,
    )


@router.get("/api/registers/{rid}/projects/{row}", summary="一个项目在各版本中的记录（一项目一档）")
async def project_history(rid: str, row: int, store: StoreDep, user: UserDep) -> dict[str, Any]:
    _register_or_404(store, rid)
    out = await run_in_threadpool(_history.history, store, rid, row)
    if out is None:
        raise HTTPException(404, "该版本中没有这一行的项目")
    return out
