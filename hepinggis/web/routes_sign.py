"""``POST /api/monitoring/{fid}/sign``: the 审核 signs a built monitoring package (`_signature`);
``GET /api/monitoring/{fid}/signature``: who signed it and when."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from hepinggis.web import _schema as s
from hepinggis.web._deps import current_user, get_store
from hepinggis.web._server_schema import signatures
from hepinggis.web._signature import sign_folder
from hepinggis.web._store import Store
from hepinggis.web._work_light import SIGNED_MESSAGE, is_signed, zip_folder

__all__ = ["is_signed", "router"]

router = APIRouter(prefix="/api")
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]


def _busy(conn: Connection, fid: str) -> bool:
    rows = conn.execute(
        select(s.jobs.c.params_json).where(s.jobs.c.kind == "monitor", s.jobs.c.status.in_(("queued", "running")))
    )
    return any(json.loads(r.params_json or "{}").get("figure_id") == fid for r in rows)


@router.post("/monitoring/{fid}/sign", summary="审核签署监测成果包（签署人和时间写入索引页、PDF 和工作簿）")
def sign_monitoring(fid: str, request: Request, store: StoreDep, user: UserDep) -> dict[str, Any]:
    fig = store.get_figure(fid)
    if fig is None:
        raise HTTPException(404, "找不到该填报数据")
    folder = store.data_dir / "packages" / f"monitor-{fid}"
    if not fig.get("package_at") or not folder.is_dir():
        raise HTTPException(409, "尚未生成监测成果包，请先生成再签署")
    with store.begin() as conn:
        # lock the figures row (PostgreSQL: the row; SQLite: the database) for this transaction, so
        # that of two signers in any server processes the second waits, then finds it signed
        conn.execute(update(s.figures).where(s.figures.c.id == fid).values(package_at=s.figures.c.package_at))
        if is_signed(conn, fid):
            raise HTTPException(409, SIGNED_MESSAGE)
        if _busy(conn, fid):
            raise HTTPException(409, "监测成果包正在生成，请完成后再签署")
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
    request.scope.setdefault("state", {}).setdefault("audit", {}).update(
        object=f"监测成果包 {fig['file_name']} fid={fid}", sha256=record["manifest_sha256"]
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
