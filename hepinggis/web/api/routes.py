"""The HTTP API (JSON): registers, jobs, packages, monitoring, boundaries. Documented by OpenAPI
(``/openapi.json``, read offline at ``/docs``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from hepinggis.base.messages import page as _page_words
from hepinggis.errors import BadUpload
from hepinggis.web._deps import current_user, get_store, may_rebuild
from hepinggis.web.api import versions as versions
from hepinggis.web.jobs._pool import run_job
from hepinggis.web.jobs._upload_audit import expire_previews, note_upload
from hepinggis.web.jobs._uploads import receive_upload, sniff_kind, stored_upload
from hepinggis.web.registers import _registers as regs
from hepinggis.web.store._store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api")

StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

TABLE_KINDS = ("csv", "xlsx", "xls")


def _not_found(what: str = "清单") -> HTTPException:
    return HTTPException(404, f"找不到该{what}（编号不存在或已删除）")


def _register_or_404(store: Store, rid: str) -> dict[str, Any]:
    reg = store.get_register(rid)
    if reg is None:
        raise _not_found()
    return reg


async def _receive(request: Request, store: Store, file: UploadFile, allowed: tuple[str, ...]) -> dict[str, Any]:
    """Store an uploaded file by its SHA-256 after checking its size and (from its bytes) its type."""
    tmp = store.new_tmp()
    max_upload: int = request.app.state.max_upload
    sha, size, head = await receive_upload(file, tmp, max_upload=max_upload)
    try:
        kind = await run_in_threadpool(sniff_kind, tmp, head)
        if kind not in allowed:
            names = {
                "csv": "CSV",
                "xlsx": "XLSX",
                "xls": "XLS",
                "ods": "ODS",
                "zip": "压缩的 Shapefile（.zip）",
                "gpkg": "GeoPackage",
            }
            raise BadUpload(f"此处只接受 {'、'.join(names[k] for k in allowed)} 文件", 415)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    store.keep_file(tmp, sha, kind)
    name = regs.clean_file_name(file.filename)
    info = {"sha256": sha, "kind": kind, "size": size, "file_name": name}
    note_upload(request.scope, info, how="上传")  # name, size, streamed SHA-256 on the audit line
    return info


def _stored(store: Store, sha: str, file_name: str | None) -> dict[str, Any]:
    """An earlier table upload named by its digest (the preview's ``upload`` token)."""
    return stored_upload(store, sha, regs.clean_file_name(file_name), TABLE_KINDS)


_run = run_job


@router.get("/health", summary="服务是否在运行")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/preview", summary="预览清单：表头、各列角色、推荐坐标系")
async def preview(
    request: Request,
    store: StoreDep,
    user: UserDep,
    file: Annotated[UploadFile | None, File()] = None,
    upload: Annotated[str | None, Form(description="先前上传的 sha256（不重复上传）")] = None,
    file_name: Annotated[str | None, Form()] = None,
    sheet: Annotated[str | None, Form()] = None,
    header_row: Annotated[int | None, Form(ge=1, le=1000)] = None,
) -> dict[str, Any]:
    if file is not None:
        info = await _receive(request, store, file, TABLE_KINDS)
    elif upload:
        info = _stored(store, upload, file_name)
        note_upload(request.scope, info, how="预览时上传")
    else:
        raise BadUpload(_page_words("upload_missing"))
    await run_in_threadpool(expire_previews, store)  # previews not imported within a day are removed
    result = await _run(store, "preview", {**info, "sheet": sheet or None, "header_row": header_row}, user)
    remembered = store.get_mapping(result.get("header_signature") or "")
    if remembered and remembered.get("updated_at"):
        from hepinggis.base.clock import local_time

        remembered["updated_at_local"] = local_time(remembered["updated_at"])  # what the page shows
    return {"upload": info, "preview": result, "remembered": remembered}


@router.post("/registers", status_code=201, summary="上传并导入一份项目清单")
async def upload_register(
    request: Request,
    store: StoreDep,
    user: UserDep,
    file: Annotated[UploadFile | None, File()] = None,
    upload: Annotated[str | None, Form()] = None,
    file_name: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form(description="wgs84、gcj02、bd09、cgcs2000、EPSG:4550、EPSG:4529")] = None,
    header_row: Annotated[int | None, Form(ge=1, le=1000)] = None,
    sheet: Annotated[str | None, Form()] = None,
    unit: Annotated[str | None, Form(description="投资的单位：元、万元、亿元")] = None,
    columns: Annotated[str | None, Form(description='JSON：{"角色": "列名"}')] = None,
    signature: Annotated[str | None, Form()] = None,
    skip_hidden: Annotated[bool, Form(description="true：跳过 Excel 中隐藏或筛选掉的行（逐行列在报告中）")] = False,
    wait: Annotated[bool, Query(description="false：立即返回任务编号（202）")] = True,
    replaces: Annotated[str | None, Form(description="作为该清单所在系列的下一版本")] = None,
    into: Annotated[str | None, Form(description="把改好的被拒绝行并入该版本（生成新版本）")] = None,
    as_of: Annotated[str | None, Form(description="版本日期 YYYY-MM-DD（默认上传当天，北京时间）")] = None,
) -> Response:
    if file is not None:
        info = await _receive(request, store, file, TABLE_KINDS)
    elif upload:
        info = _stored(store, upload, file_name)
        note_upload(request.scope, info, how="预览时上传")
    else:
        raise BadUpload(_page_words("upload_missing"))
    cols = regs.parse_columns(columns)
    if unit is not None and unit not in regs.UNITS:
        raise BadUpload(f"投资单位只能是 {'、'.join(regs.UNITS)}")
    crs = regs.check_crs(crs)
    if crs is None:
        pv = await _run(store, "preview", {**info, "sheet": sheet or None, "header_row": header_row}, user)
        from hepinggis.base.messages import crs_name, page

        hint = f"；按坐标推荐 {crs_name(pv['crs_proposed'])}（{pv['crs_reason']}）" if pv.get("crs_proposed") else ""
        hint = f"；{pv['crs_reason']}" if pv.get("crs_tied") else hint  # a near tie: nothing recommended
        raise BadUpload(page("crs_required") + hint)
    params = {
        **info,
        "crs": crs,
        "header_row": header_row,
        "sheet": sheet or None,
        "unit": unit,
        "columns": cols,
        "signature": signature,
        "skip_hidden": skip_hidden,
        "uploader": user["name"],
        "data_dir": str(store.data_dir),
        **versions.upload_params(store, replaces=replaces, into=into, as_of=as_of),
    }
    kind = "merge" if into else "import"
    if not wait:
        jid = store.add_job(kind, params, submitter=user["name"])
        return JSONResponse({"id": jid, "job": jid}, status_code=202)
    result = await _run(store, kind, params, user)
    return JSONResponse(result, status_code=201)


@router.get("/registers", summary="保存的清单（最新在前）")
def list_registers(store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    return store.list_registers()


@router.get("/registers/{rid}", summary="一份清单的导入结果与分区统计")
def get_register(rid: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    reg = _register_or_404(store, rid)
    return regs.details(store, reg)


@router.get("/registers/{rid}/report", summary="导入报告：被拒绝的行（行号、列、原因）；format=xlsx 下载原行")
async def register_report(
    rid: str, store: StoreDep, user: UserDep, format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json"
) -> Response:
    reg = _register_or_404(store, rid)
    if format == "xlsx":
        path = await run_in_threadpool(regs.refused_workbook, store, reg)
        return FileResponse(
            path,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=regs.download_name(reg["file_name"], "被拒绝的行", ".xlsx"),
            background=regs.unlink_after(path),
        )
    return JSONResponse(regs.report(reg))


@router.get("/registers/{rid}/projects.geojson", summary="清单中的项目（GeoJSON，EPSG:4326）")
def register_geojson(rid: str, store: StoreDep, user: UserDep, flt: versions.FilterDep) -> Response:
    reg = _register_or_404(store, rid)
    body = versions.filtered_geojson(store, reg, flt) if flt.active() else regs.geojson(store, rid)
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/geo+json; charset=utf-8")


@router.get("/registers/{rid}/changes", summary="与另一份清单相比的变化（默认与上一份）")
async def register_changes(
    rid: str, store: StoreDep, user: UserDep, against: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    reg = _register_or_404(store, rid)
    old = versions.previous(store, rid) if against is None else _register_or_404(store, against)
    return await run_in_threadpool(versions.changes, store, old, reg)


@router.delete("/registers/{rid}", summary="删除一份清单（及其简报包）")
def delete_register(rid: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    if not store.delete_register(rid):
        raise _not_found()
    return {"deleted": rid}


@router.post("/registers/{rid}/package", status_code=202, summary="在后台生成简报包（可筛选、选版本），返回任务编号")
def build_package(
    rid: str,
    store: StoreDep,
    user: UserDep,
    flt: versions.FilterDep,
    version: Annotated[int | None, Query(ge=1, le=100000, description="系列中的第几版（默认即该清单）")] = None,
) -> dict[str, Any]:
    reg = _register_or_404(store, rid)
    if flt.active() or version is not None:  # the package of a filter and/or a version (issue 31)
        return versions.filtered_package(store, reg, flt, version=version, user=user)
    from hepinggis.web.jobs._builds import request_build  # under the package's lock; one build at a time

    may_rebuild(user, reg["uploader"])
    try:
        jid = request_build(
            store, "package", rid, {"register_id": rid, "file_name": reg["file_name"]}, submitter=user["name"]
        )
    except LookupError:
        raise _not_found() from None
    return {"id": jid}


@router.get("/registers/{rid}/package.zip", summary="下载简报包（zip，含清单文件 .hepinggis-package.json）")
def package_zip(rid: str, store: StoreDep, user: UserDep) -> Response:
    reg = _register_or_404(store, rid)
    return _package_zip(store, reg, f"{rid}.zip", "简报包", "该清单尚未生成简报包，请先生成")


def _package_zip(store: Store, row: dict[str, Any], zip_name: str, label: str, missing: str) -> Response:
    """A built package's zip, named after the user's file; 404 with ``missing`` until it is built."""
    path = store.data_dir / "packages" / zip_name
    if not row.get("package_at") or not path.is_file():
        raise HTTPException(404, missing)
    return FileResponse(
        path, media_type="application/zip", filename=regs.download_name(row["file_name"], label, ".zip")
    )


@router.get("/jobs/{jid}", summary="后台任务的状态与进度")
def get_job(jid: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    job = store.get_job(jid)
    if job is None:
        raise _not_found("任务")
    out = {k: job[k] for k in ("id", "kind", "status", "progress", "message", "error", "register_id", "created_at")}
    out["result"] = json.loads(job["result_json"]) if job["result_json"] and job["kind"] != "preview" else None
    return out


@router.get("/mappings/{signature}", summary="记住的列对应（按表头签名）")
def get_mapping(signature: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    m = store.get_mapping(signature)
    if m is None:
        raise _not_found("列对应")
    return m


_ = Path


# -- monitoring ------------------------------------------------------------------------------------
@router.get("/monitoring/template", summary="下载监测填报模板（xlsx）")
async def monitoring_template(store: StoreDep, user: UserDep) -> Response:
    from hepinggis.monitor.indicators import write_template

    path = store.new_tmp(".xlsx")
    await run_in_threadpool(write_template, path)
    return FileResponse(
        path,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="监测填报模板.xlsx",
        background=regs.unlink_after(path),
    )


@router.post("/monitoring", summary="上传填报的年度数据：读取报告与各指标评估结果")
async def upload_figures(
    request: Request, store: StoreDep, user: UserDep, file: Annotated[UploadFile, File()]
) -> Response:
    info = await _receive(request, store, file, ("csv", "xlsx", "xls", "ods"))
    result = await _run(store, "figures", {**info, "uploader": user["name"], "data_dir": str(store.data_dir)}, user)
    return JSONResponse(result, status_code=201)


@router.get("/monitoring", summary="上传过的填报数据")
def list_figures(store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    return store.list_figures()


def _figure_or_404(store: Store, fid: str) -> dict[str, Any]:
    fig = store.get_figure(fid)
    if fig is None:
        raise _not_found("填报数据")
    return fig


@router.get("/monitoring/{fid}", summary="一次填报的读取报告与评估结果")
def get_figures(fid: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    fig = _figure_or_404(store, fid)
    out = {k: v for k, v in fig.items() if not k.endswith("_json")}
    out["report"] = json.loads(fig["report_json"])
    out["verdicts"] = json.loads(fig["verdicts_json"])
    return out


@router.post("/monitoring/{fid}/package", status_code=202, summary="在后台生成监测包，返回任务编号")
def build_monitoring(fid: str, store: StoreDep, user: UserDep) -> dict[str, str]:
    fig = _figure_or_404(store, fid)
    from hepinggis.errors import PackageConflict
    from hepinggis.web.jobs._builds import request_build  # signed checked under the lock signing takes

    may_rebuild(user, fig["uploader"])
    try:
        jid = request_build(
            store, "monitor", fid, {"figure_id": fid, "file_name": fig["file_name"]}, submitter=user["name"]
        )
    except PackageConflict as exc:  # a signed package is never changed, only superseded
        raise HTTPException(409, str(exc)) from None
    except LookupError:
        raise HTTPException(404, "找不到该填报数据") from None
    return {"id": jid}


@router.get("/monitoring/{fid}/package.zip", summary="下载监测包（zip）")
def monitoring_zip(fid: str, store: StoreDep, user: UserDep) -> Response:
    fig = _figure_or_404(store, fid)
    return _package_zip(store, fig, f"monitor-{fid}.zip", "监测包", "尚未生成监测包，请先生成")


# -- boundaries: in api/boundaries.py (the 边界 page's API) -----------------------------------
