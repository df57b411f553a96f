"""``POST /api/monitoring/{fid}/sign``: the 审核 signs a built monitoring package (`_signature`);
``GET /api/monitoring/{fid}/signature``: who signed it and when."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from hepinggis.web._deps import current_user, get_store
from hepinggis.web.api._signature import sign_folder
from hepinggis.web.jobs._builds import BUSY_MESSAGE, lock_package, pending_build
from hepinggis.web.jobs._work_light import SIGNED_MESSAGE, is_signed, zip_folder
from hepinggis.web.store import _schema as s
from hepinggis.web.store._server_schema import signatures
from hepinggis.web.store._store import Store

__all__ = ["is_signed", "router", "sign_package"]

router = APIRouter(prefix="/api")
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]


def _builders(conn: Connection, fid: str) -> set[str]:
    """Who started a build of this monitoring package (done builds)."""
    rows = conn.execute(select(s.jobs.c.submitter, s.jobs.c.params_json).where(s.jobs.c.kind == "monitor"))
    return {str(r.submitter) for r in rows if json.loads(r.params_json or "{}").get("figure_id") == fid}


def sign_package(store: Store, fid: str, user: dict[str, Any]) -> dict[str, Any]:
    """Sign the built monitoring package of figures ``fid`` as ``user``, under the lock its builds
    take (`_builds.lock_package`): checked there, not before, that it is built, not signed, not
    being rebuilt, and that the signer neither uploaded its figures nor started its build
    (separation of duties); the folder, its zip and the signature row change together.

    Raises
    ------
    HTTPException
        404 (no such figures), 409 (not built, signed, being built), 403 (the signer's own data).
    """
    folder = store.data_dir / "packages" / f"monitor-{fid}"
    with store.begin() as conn:
        if not lock_package(conn, "monitor", fid):
            raise HTTPException(404, "找不到该填报数据")
        fig = conn.execute(select(s.figures).where(s.figures.c.id == fid)).first()
        if fig is None:
            raise HTTPException(404, "找不到该填报数据")
        if is_signed(conn, fid):
            raise HTTPException(409, SIGNED_MESSAGE)
        if pending_build(conn, "monitor", fid) is not None:
            raise HTTPException(409, BUSY_MESSAGE)
        if not fig.package_at or not folder.is_dir():
            raise HTTPException(409, "尚未生成监测成果包，请先生成再签署")
        if user["name"] == fig.uploader or user["name"] in _builders(conn, fid):
            raise HTTPException(403, "不能签署自己上传数据或自己生成的监测成果包，请由另一位审核签署")
        record = sign_folder(folder, signer=user["name"], role=user["role"])
        zip_folder(folder, store.data_dir / "packages" / f"monitor-{fid}.zip")
        conn.execute(
            insert(signatures).values(
                figure_id=fid,
                signer=record["signer"],
                role=record["role"],
                signed_at=record["signed_at"],
                package_sha256=record["manifest_sha256"],
                files_json=json.dumps(record["signed_files"], ensure_ascii=False),
            )
        )
    record["file_name"] = fig.file_name
    return record


@router.post("/monitoring/{fid}/sign", summary="审核签署监测成果包（签署人和时间写入索引页、PDF 和工作簿）")
def sign_monitoring(fid: str, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    record = sign_package(store, fid, user)
    request.scope.setdefault("state", {}).setdefault("audit", {}).update(
        object=f"监测成果包 {record.pop('file_name')} fid={fid}", sha256=record["manifest_sha256"]
    )
    return record


@router.get("/monitoring/{fid}/signature", summary="监测成果包的签署人与签署时间")
def get_signature(fid: str, store: StoreDep, user: UserDep) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(select(signatures).where(signatures.c.figure_id == fid)).first()
    if row is None:
        raise HTTPException(404, "该监测成果包尚未签署")
    out = dict(row._mapping)
    out["signed_files"] = json.loads(out.pop("files_json"))
    return out
