"""Starting a failed background job again (a map or a briefing package) from the page that shows
it failed (`_job_view`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException

from hepinggis.web._deps import current_user, get_store, may_rebuild
from hepinggis.web.jobs._job_view import RETRYABLE
from hepinggis.web.store._store import Store

__all__ = ["router"]

router = APIRouter(prefix="/api")
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]


@router.post("/jobs/{jid}/retry", status_code=202, summary="重新运行一个失败的任务（地图、简报包），返回新任务编号")
def retry_job(jid: str, store: StoreDep, user: UserDep) -> dict[str, str]:
    job = store.get_job(jid)
    if job is None:
        raise HTTPException(404, "找不到该任务（编号不存在或已删除）")
    if job["kind"] not in RETRYABLE:
        raise HTTPException(409, "这类任务不能在此重新运行，请回到原页面重新提交")
    if job["status"] != "failed":
        raise HTTPException(409, "该任务没有失败，无需重新运行")
    reg = store.get_register(job["register_id"]) if job["register_id"] else None
    if job["register_id"] and reg is None:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）")
    params = json.loads(job["params_json"] or "{}")
    if job["kind"] == "package" and reg is not None:
        # a retry is a rebuild (issue 33's pen pass): the same rule as the package route — its
        # uploader or a 审核 — and the same lock, so that two retries build it once
        from hepinggis.web.jobs._builds import request_build

        may_rebuild(user, reg["uploader"])
        try:
            return {"id": request_build(store, "package", reg["id"], params, submitter=user["name"])}
        except LookupError:
            raise HTTPException(404, "找不到该清单（编号不存在或已删除）") from None
    new = store.add_job(job["kind"], params, submitter=user["name"], register_id=job["register_id"])
    return {"id": new}
