"""FastAPI dependencies shared by every router: the store, and the user making the request.

`current_user` is the one hook for authentication: for now every request is the local user
(the server listens on loopback); with accounts it is the session's user (`_security`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from hepinggis.web._store import Store

__all__ = ["LOCAL_USER", "current_user", "get_store"]

#: The user of a single-machine server without accounts.
LOCAL_USER: dict[str, str] = {"name": "本机用户", "role": "管理"}


def get_store(request: Request) -> Store:
    """The application's `Store`."""
    store: Store = request.app.state.store
    return store


def current_user(request: Request) -> dict[str, Any]:
    """The user making the request: ``{"name": …, "role": 填报|审核|管理}``, as the security
    middleware (`hepinggis.web._security`) established it from the session; the local user of a
    loopback server without accounts otherwise."""
    user = request.scope.get("state", {}).get("user")
    return dict(user) if user else dict(LOCAL_USER)
