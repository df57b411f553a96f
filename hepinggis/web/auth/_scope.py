"""Reading an ASGI request before the app does, and the refusals the security middleware sends:
its headers and cookies, whether it carries a body (a refusal then closes the connection, so that
an unread body is never drained), and the Chinese error page a browser gets instead of JSON."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from fastapi.responses import JSONResponse, Response


def _json(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers or None)


def _as_page(scope: MutableMapping[str, Any], refusal: Response) -> Response:
    """A refused page, for a browser asking for HTML: the Chinese error page with the same line."""
    if "text/html" not in (_header(scope, b"accept") or ""):
        return refusal
    from hepinggis.web.pages.routes import error_page

    line = json.loads(bytes(refusal.body))["detail"]
    return error_page(refusal.status_code, str(line))


def _has_body(scope: MutableMapping[str, Any]) -> bool:
    length = _header(scope, b"content-length")
    return bool(_header(scope, b"transfer-encoding")) or (length is not None and length.strip() not in ("", "0"))


def _closing(scope: MutableMapping[str, Any], response: Response) -> Response:
    """A refusal of a request whose body is not read closes the connection, so that the server
    never drains an unread (perhaps 1 GB) body."""
    if _has_body(scope):
        response.headers["connection"] = "close"
    return response


def _cookie(scope: MutableMapping[str, Any], name: str) -> str | None:
    from http.cookies import SimpleCookie

    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if name in jar:
                return jar[name].value
    return None


def _header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _from_browser(scope: MutableMapping[str, Any]) -> bool:
    """True when a browser sent the request (it adds Origin to every POST, Sec-Fetch-* to all)."""
    return any(key == b"origin" or key.startswith(b"sec-fetch-") for key, _ in scope.get("headers", []))


def _address(scope: MutableMapping[str, Any]) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _new_id(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    return str(value.get("id") or "")[:64] if isinstance(value, dict) else ""
