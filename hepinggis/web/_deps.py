"""FastAPI dependencies shared by every router: the store, and the user making the request.

`current_user` is the one hook for authentication: for now every request is the local user
(the server listens on loopback); with accounts it is the session's user (`_security`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hepinggis.web.store._store import Store

__all__ = ["LOCAL_USER", "current_user", "get_store", "may_rebuild"]

#: The user of a single-machine server without accounts.
LOCAL_USER: dict[str, str] = {"name": "本机用户", "role": "管理"}


def get_store(request: Request) -> Store:
    """The application's `Store`."""
    store: Store = request.app.state.store
    return store


def current_user(request: Request) -> dict[str, Any]:
    """The user making the request: ``{"name": …, "role": 填报|审核|管理}``, as the security
    middleware (`hepinggis.web.auth._security`) established it from the session; the local user of a
    loopback server without accounts otherwise."""
    user = request.scope.get("state", {}).get("user")
    return dict(user) if user else dict(LOCAL_USER)


def may_rebuild(user: dict[str, Any], uploader: str | None) -> None:
    """Refuse (403) a package build by anyone but the uploader of its data or a 审核 (separation of
    duties, issue 33: a 填报 does not rebuild a colleague's package)."""
    from fastapi import HTTPException

    if user.get("role") != "审核" and user.get("name") != uploader:
        raise HTTPException(403, "只有上传该数据的用户或审核可以生成其成果包")
