"""The 边界 API (JSON): look at an official boundary delivery before adopting it (its layers, its
columns with sample values decoded, the CRS read or proposed, each feature's match), adopt it with
the options confirmed on the page, choose what is in force, and list and roll back the versions.

Every message names the page's controls (「图层」「名称列」「坐标系」「编码」「容差（米）」「对应」),
never command-line flags or server paths.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hepinggis.errors import BadUpload
from hepinggis.web._deps import current_user, get_store
from hepinggis.web.api._boundary_versions import put_in_force, version_list
from hepinggis.web.jobs._pool import run_job
from hepinggis.web.jobs._uploads import receive_upload, sniff_kind, stored_upload
from hepinggis.web.registers._registers import clean_file_name
from hepinggis.web.store._store import Store

__all__ = ["BOUNDARY_KINDS", "router"]

router = APIRouter(prefix="/api")

StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

#: What the upload's bytes may be (`sniff_kind`) and the suffixes the user's file name may then have.
BOUNDARY_KINDS: dict[str, tuple[str, ...]] = {
    "zip": (".zip", ".kmz"),
    "gpkg": (".gpkg",),
    "csv": (".kml", ".geojson", ".json"),  # text: KML or GeoJSON
}
_KINDS_ZH = "压缩的 Shapefile 或 FileGDB（.zip）、GeoPackage（.gpkg）、KML/KMZ 或 GeoJSON"
_LAYERS = ("zones", "jiedao", "district")


def _suffix(file_name: str, kind: str) -> str:
    suffix = Path(file_name).suffix.lower()
    allowed = BOUNDARY_KINDS.get(kind, ())
    if suffix in allowed:
        return suffix
    if kind == "zip":
        return ".zip"
    if kind == "gpkg":
        return ".gpkg"
    raise BadUpload(f"「{file_name}」不是边界文件：此处接受 {_KINDS_ZH}", 415)


async def _receive(request: Request, store: Store, file: UploadFile) -> dict[str, Any]:
    """Store an uploaded delivery by its SHA-256 after checking its size and (from its bytes) its
    type; the suffix the products credit it by is the user's, when it agrees with the bytes."""
    tmp = store.new_tmp()
    sha, size, head = await receive_upload(file, tmp, max_upload=request.app.state.max_upload)
    name = clean_file_name(file.filename)
    try:
        try:
            kind = await run_in_threadpool(sniff_kind, tmp, head)
        except BadUpload as exc:
            if exc.status != 415:  # a broken or hostile zip: its own words
                raise
            raise BadUpload(f"「{name}」不是边界文件：此处接受 {_KINDS_ZH}", 415) from None
        suffix = _suffix(name, kind)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    store.keep_file(tmp, sha, kind)
    return {"sha256": sha, "kind": kind, "size": size, "file_name": name, "suffix": suffix}


def _stored(store: Store, sha: str, file_name: str | None) -> dict[str, Any]:
    """An earlier upload named by its digest (the ``upload`` token the inspection returned)."""
    name = clean_file_name(file_name)
    info = stored_upload(store, sha, name, BOUNDARY_KINDS)
    return {**info, "suffix": _suffix(name, info["kind"])}


def _as_layer(as_layer: str | None) -> str:
    if as_layer not in _LAYERS:
        raise BadUpload("请在「作为」中选择功能区（六区）、街道或区界")
    return str(as_layer)


def _matches(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise BadUpload("「对应」的内容无法读取，请重新选择") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise BadUpload("「对应」的内容无法读取，请重新选择")
    return dict(value)


def _accuracy(value: float | None) -> float:
    if value is None:
        return 1.0
    if not 0 <= value <= 200:
        raise BadUpload("「容差（米）」须在 0 到 200 之间")
    return float(value)


async def _inspect(store: Store, info: dict[str, Any], as_layer: str, **options: Any) -> dict[str, Any]:
    import shutil
    import tempfile

    from hepinggis.io.adopt import inspect_delivery

    def run() -> dict[str, Any]:
        with tempfile.TemporaryDirectory(dir=store.tmp) as work:
            source = Path(work) / f"delivery{info['suffix']}"
            shutil.copyfile(store.file_path(info["sha256"], info["kind"]), source)
            return inspect_delivery(source, as_layer=as_layer, shown_name=info["file_name"], **options)

    return await run_in_threadpool(run)


@router.post("/boundaries/inspect", summary="查看边界文件：图层、各列与示例值、坐标系、各要素的对应")
async def inspect_boundaries(
    request: Request,
    store: StoreDep,
    user: UserDep,
    file: Annotated[UploadFile | None, File()] = None,
    upload: Annotated[str | None, Form(description="先前上传的 sha256（不重复上传）")] = None,
    file_name: Annotated[str | None, Form()] = None,
    as_layer: Annotated[str | None, Form(alias="as")] = None,
    layer: Annotated[str | None, Form()] = None,
    encoding: Annotated[str | None, Form()] = None,
    name_col: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
    matches: Annotated[str | None, Form(description='JSON：{"文件中的名称": "编号"}')] = None,
) -> dict[str, Any]:
    kind = _as_layer(as_layer)
    if file is not None:
        info = await _receive(request, store, file)
    elif upload:
        info = _stored(store, upload, file_name)
    else:
        raise BadUpload(f"请选择一个边界文件（{_KINDS_ZH}）")
    found = await _inspect(
        store,
        info,
        kind,
        layer=layer or None,
        encoding=encoding or None,
        name_col=name_col or None,
        crs=crs or None,
        matches=_matches(matches),
    )
    return {"upload": info, "inspection": found}


async def _run(store: Store, params: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    return await run_job(store, "boundary", params, user)


@router.post("/boundaries", status_code=201, summary="采用官方边界（按页面上确认的选项）并检查")
async def upload_boundaries(
    request: Request,
    store: StoreDep,
    user: UserDep,
    file: Annotated[UploadFile | None, File()] = None,
    upload: Annotated[str | None, Form()] = None,
    file_name: Annotated[str | None, Form()] = None,
    as_layer: Annotated[
        str | None, Form(alias="as", description="zones（功能区）、jiedao（街道）或 district（区界）")
    ] = None,
    layer: Annotated[str | None, Form(description="文件中的图层（有多个时）")] = None,
    encoding: Annotated[str | None, Form()] = None,
    name_col: Annotated[str | None, Form()] = None,
    crs: Annotated[str | None, Form()] = None,
    accuracy_m: Annotated[float | None, Form()] = None,
    matches: Annotated[str | None, Form()] = None,
    activate: Annotated[bool, Form(description="检查通过后立即采用")] = False,
) -> Response:
    kind = _as_layer(as_layer)
    if file is not None:
        info = await _receive(request, store, file)
    elif upload:
        info = _stored(store, upload, file_name)
    else:
        raise BadUpload(f"请选择一个边界文件（{_KINDS_ZH}）")
    params = {
        **info,
        "as_layer": kind,
        "layer": layer or None,
        "encoding": encoding or None,
        "name_col": name_col or None,
        "crs": crs or None,
        "accuracy_m": _accuracy(accuracy_m),
        "matches": _matches(matches),
        "uploader": user["name"],
        "data_dir": str(store.data_dir),
    }
    result = await _run(store, params, user)
    if activate and result["check"]["ok"]:
        put_in_force(store, result["id"], who=user["name"], action="adopt", changes=result.get("changes", []))
        result["active"] = True
        store.add_job("plan_map", {}, submitter=user["name"])
    return JSONResponse(result, status_code=201)


@router.get("/boundaries", summary="上传过的边界与当前采用的边界")
def list_boundaries(store: StoreDep, user: UserDep) -> dict[str, Any]:
    items = [{k: v for k, v in b.items() if not k.endswith("_json")} for b in store.list_boundaries()]
    return {"active": store.get_setting("boundaries") or None, "boundaries": items}


def _not_found() -> HTTPException:
    return HTTPException(404, "找不到该边界（编号不存在或已删除）")


@router.post("/boundaries/choose", summary="选择采用的边界：某次上传的编号，或 bundled（随附边界）")
def choose_boundaries(store: StoreDep, user: UserDep, id: Annotated[str, Form()]) -> dict[str, Any]:
    if id == "bundled":
        put_in_force(store, None, who=user["name"], action="bundled", changes=["改用随附边界"])
    else:
        b = store.get_boundary(id)
        if b is None:
            raise _not_found()
        if not json.loads(b["check_json"]).get("ok"):
            raise BadUpload("该边界未通过检查，不能采用")
        put_in_force(store, id, who=user["name"], action="choose", changes=[f"采用 {b['file_name']}"])
    store.add_job("plan_map", {}, submitter=user["name"])
    return {"active": None if id == "bundled" else id}


@router.get("/boundaries/history", summary="采用边界的版本记录（最新在前）")
def boundary_history(store: StoreDep, user: UserDep) -> dict[str, Any]:
    return {"versions": version_list(store)}


@router.post("/boundaries/rollback", summary="回退到某一版本：其边界重新采用，并记为新的一版")
def rollback_boundaries(store: StoreDep, user: UserDep, n: Annotated[int, Form(ge=1)]) -> dict[str, Any]:
    old = next((v for v in version_list(store) if v["n"] == n), None)
    if old is None:
        raise HTTPException(404, f"没有第 {n} 版")
    bid = old["boundary_id"]
    if bid and store.get_boundary(bid) is None:
        raise _not_found()
    when = old["at_beijing"]
    put_in_force(
        store,
        bid,
        who=user["name"],
        action="rollback",
        changes=[f"回退到第 {n} 版（{old['file_name']}，{when} 采用，北京时间）"],
    )
    store.add_job("plan_map", {}, submitter=user["name"])
    return {"active": bid, "versions": version_list(store)}
