"""What each route needs: the public paths, the permission and audit action of every route
(`ROUTE_PERMISSIONS`), the cookies, and what a session of an expired password may still do.

`hepinggis.web.auth._middleware` applies these rules to every request (`install_security`); the
pages and the tests read them here (a new route that changes anything is listed in
`ROUTE_PERMISSIONS`, or it is refused).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "LOCAL_USER",
    "ROUTE_PERMISSIONS",
    "SESSION_COOKIE",
    "cookie_name",
    "flat_routes",
    "is_loopback",
]

SESSION_COOKIE = "hg_session"
CSRF_COOKIE = "hg_csrf"
CSRF_HEADER = "x-csrf-token"
LOCAL_USER = {"name": "本机用户", "role": "管理"}  # as `_deps.LOCAL_USER`: every permission
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PUBLIC = {("GET", "/login"), ("GET", "/login.js"), ("POST", "/api/login"), ("GET", "/api/health")}
_PUBLIC_PREFIXES = ("/static/", "/vendor/")  # the packaged scripts and styles: no data

# (method, route path) -> (permission, audit action). None as action: not audited.
ROUTE_PERMISSIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("POST", "/api/logout"): ("view", "logout"),
    ("GET", "/api/session"): ("view", None),
    ("POST", "/api/me/password"): ("view", "user_password"),
    ("GET", "/api/audit"): ("audit", None),
    ("GET", "/api/audit.xlsx"): ("audit", None),
    ("GET", "/api/audit.csv"): ("audit", None),
    ("GET", "/api/users"): ("users", None),
    ("GET", "/users"): ("users", None),  # the pages of 管理 (pages.routes)
    ("GET", "/audit"): ("audit", None),
    ("POST", "/api/users"): ("users", "user_add"),
    ("POST", "/api/users/{name:path}/disable"): ("users", "user_disable"),
    ("POST", "/api/users/{name:path}/enable"): ("users", "user_enable"),
    ("POST", "/api/users/{name:path}/password"): ("users", "user_password"),
    ("POST", "/api/users/{name:path}/role"): ("users", "user_role"),
    # the web app's writes (issue 24); its GET routes need "view"
    ("POST", "/api/preview"): ("upload", "preview_register"),  # an upload too: audited (issue 33)
    ("POST", "/api/registers"): ("upload", "upload_register"),
    ("DELETE", "/api/registers/{rid}"): ("delete", "delete_register"),
    ("POST", "/api/registers/{rid}/package"): ("build", "build_package"),
    ("POST", "/api/monitoring"): ("upload", "upload_figures"),
    ("POST", "/api/monitoring/{fid}/package"): ("build", "build_monitoring"),
    ("POST", "/api/monitoring/{fid}/sign"): ("sign", "sign_monitoring"),
    ("POST", "/api/boundaries"): ("adopt", "upload_boundaries"),
    ("POST", "/api/boundaries/choose"): ("adopt", "adopt_boundaries"),
    # the OGC API services (issue 36): read like the pages; reads of a register audited by the routes
    # where the settings ask (hepinggis.web.ogc._access), anonymous only for the public set
    **{("GET", f"/ogc{p}"): ("view", None) for p in ("", "/", "/conformance", "/api", "/collections")},
    **{("GET", f"/ogc/tileMatrixSets{p}"): ("view", None) for p in ("", "/{tms}")},
    **{
        ("GET", f"/ogc/collections/{{cid}}{p}"): ("view", None)
        for p in ("", "/items", "/items/{fid}", "/queryables", "/map", "/tiles", "/tiles/{tms}")
    },
    ("GET", "/ogc/collections/{cid}/tiles/{tms}/{z}/{y}/{x}"): ("view", None),
    ("POST", "/api/jobs/{jid}/retry"): ("build", "retry_job"),  # api.jobs: a failed map or package again
    ("POST", "/api/boundaries/inspect"): ("adopt", ""),  # reads a delivery, adopts nothing: not audited
    ("POST", "/api/boundaries/rollback"): ("adopt", "rollback_boundaries"),
}

#: What a session whose password expired (or was set by an administrator) may still do.
_WHILE_EXPIRED = {
    ("POST", "/api/me/password"),
    ("POST", "/api/logout"),
    ("GET", "/api/session"),
    ("GET", "/password"),
}

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def is_loopback(host: str) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_name(base: str, *, secure: bool) -> str:
    """Under TLS the cookies are ``__Host-`` prefixed: the browser then keeps them only if they are
    ``Secure``, for this host alone (no Domain) and path ``/`` — a sibling host cannot plant one."""
    return f"__Host-{base}" if secure else base


def flat_routes(app: FastAPI) -> list[Any]:
    """Every route of ``app`` in matching order, routers included (FastAPI ≥ 0.120 keeps an included
    router as one entry whose routes it yields through ``effective_route_contexts``): each has
    ``path``, ``methods`` (None for a mount) and ``matches(scope)``."""
    out: list[Any] = []

    def walk(routes: Any) -> None:
        for route in routes:
            contexts = getattr(route, "effective_route_contexts", None)
            if contexts is not None:
                walk(contexts() if callable(contexts) else contexts)
            else:
                out.append(route)

    walk(app.router.routes)
    return out


def _route(routes: list[Any], scope: MutableMapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The path template of the route that will answer (None if none), and its path parameters."""
    partial: str | None = None
    for route in routes:
        match, child = route.matches(scope)
        path = getattr(route, "path", None)
        if match == Match.FULL:
            return path, dict(child.get("path_params", {}))
        if match == Match.PARTIAL and partial is None:
            partial = path
    return partial, {}
