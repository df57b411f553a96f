"""The security middleware: logins, roles, CSRF and the audit trail wrapped around the web app.

`install_security` adds one ASGI middleware and the account routes to a FastAPI app. For every
request the middleware decides, before the app reads a byte of the body:

1. public paths (the login page and its script, ``POST /api/login``, ``/api/health``, the
   packaged static files) pass;
2. with no account in the store and the server on a loopback address, the request is the local
   planner's (single-user mode, every permission) — with accounts, a session is needed: an
   ``/api/`` request without one gets 401, a page a redirect to ``/login``;
3. a state-changing request (POST, PUT, PATCH, DELETE) that carries its session in the cookie
   must carry the session's CSRF token in the ``X-CSRF-Token`` header (synchronizer token, also
   set as the readable cookie ``hg_csrf`` for the pages' scripts) and, if it has an ``Origin``,
   come from this server — else 403. ``Authorization: Bearer <token>`` (the token ``/api/login``
   returns) needs no CSRF token: a browser never sends that header on its own;
4. the route's permission (`_security.ROUTE_PERMISSIONS`; GET routes not listed need ``view``, other
   methods not listed are refused) must be one of the role's (`_accounts.PERMISSIONS`) — else 403;
5. every state-changing request is written to the audit trail after it is answered, with the
   sha256 of an uploaded ``file`` and the outcome.

The account, session and audit routes are `_account_routes`'s; the rules (public paths, each
route's permission and audit action) are `_security`'s; reading the request is `_scope`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from hepinggis.web.auth import _audit
from hepinggis.web.auth._account_routes import add_audit_routes, add_login_routes, add_session_routes, add_user_routes
from hepinggis.web.auth._accounts import PERMISSION_WORDS, Accounts, LoginPolicy, Session
from hepinggis.web.auth._duties import DUTIES, permissions_of
from hepinggis.web.auth._login_guard import RefusedLogins
from hepinggis.web.auth._scope import (
    _address,
    _as_page,
    _closing,
    _cookie,
    _from_browser,
    _has_body,
    _header,
    _json,
    _new_id,
)
from hepinggis.web.auth._security import (
    _PUBLIC,
    _PUBLIC_PREFIXES,
    _UNSAFE,
    _WHILE_EXPIRED,
    CSRF_HEADER,
    LOCAL_USER,
    ROUTE_PERMISSIONS,
    SESSION_COOKIE,
    _route,
    cookie_name,
    flat_routes,
)
from hepinggis.web.jobs._upload_hash import PartHasher

__all__ = ["SecurityMiddleware", "install_security"]

log = logging.getLogger("hepinggis.web.security")


@dataclass
class _Who:
    name: str
    role: str
    session: Session | None
    bearer: bool


def _duties_of(who: _Who) -> list[str]:
    if who.session is not None:
        return list(who.session.duties)
    return list(DUTIES) if who.name == LOCAL_USER["name"] else []  # the local planner: everything


def _must_change(scope: MutableMapping[str, Any], who: _Who, method: str, template: str | None) -> Response | None:
    """A session of an expired password reaches only the change-password page and its route
    (issue 33, 等保 定期更换): a page is sent there, anything else refused in one line."""
    if who.session is None or not who.session.must_change or (method, template or "") in _WHILE_EXPIRED:
        return None
    if method == "GET" and not scope["path"].startswith(("/api/", "/ogc")):
        query = scope.get("query_string") or b""
        back = scope["path"] + ("?" + query.decode("latin-1") if query else "")
        return Response(status_code=303, headers={"location": "/password?next=" + quote(back, safe="")})
    return _json(403, "密码已过期或由管理员重设，请先修改密码（“修改密码”页）")


def _is_public(method: str, path: str) -> bool:
    """The login page and its script, the login route, the health check, the packaged assets."""
    return (
        (method, path) in _PUBLIC
        or (method == "HEAD" and ("GET", path) in _PUBLIC)
        or path.startswith(_PUBLIC_PREFIXES)
    )


def _unauthenticated(scope: MutableMapping[str, Any]) -> Response:
    """The answer to a request from nobody: 401 to the API, a state change or an OGC client (with the
    Basic challenge where a Basic login is taken), else a redirect to the login page."""
    method, path = scope["method"], scope["path"]
    ogc_client = path.startswith("/ogc") and "text/html" not in (_header(scope, b"accept") or "")
    if path.startswith("/api/") or method != "GET" or ogc_client:
        from hepinggis.web.auth._basic_auth import challenge

        asks = challenge(scope) if ogc_client else {}  # QGIS: say that a Basic login is taken
        return _json(401, "请先登录（未登录或会话已过期）", **asks)
    target = quote(path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""))
    return Response(status_code=303, headers={"location": f"/login?next={target}"})


class SecurityMiddleware:
    """The ASGI middleware `install_security` adds (the decisions in this module's docstring)."""

    def __init__(self, app: Any, *, fastapi_app: FastAPI, accounts: Accounts, engine: Engine, local_ok: bool) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.accounts = accounts
        self.engine = engine
        self.local_ok = local_ok
        self.local_csrf: str = fastapi_app.state.local_csrf
        self._routes: list[Any] | None = None

    def _who(self, scope: MutableMapping[str, Any]) -> _Who | None:
        auth = _header(scope, b"authorization") or ""
        bearer = (auth[7:].strip() or None) if auth[:7].lower() == "bearer " else None
        if bearer is not None:  # only a bearer token that is itself a session skips the CSRF check
            session = self.accounts.session(bearer)
            if session is not None:
                return _Who(session.name, session.role, session, True)
        secure = scope.get("scheme") == "https"
        session = self.accounts.session(_cookie(scope, cookie_name(SESSION_COOKIE, secure=secure)))
        if session is not None:
            return _Who(session.name, session.role, session, False)
        if self.local_ok and not self.accounts.has_users():
            return _Who(LOCAL_USER["name"], LOCAL_USER["role"], None, False)
        return None

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Awaitable[Any]], send: Any
    ) -> None:
        if scope["type"] != "http" or _is_public(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        who = await self._identify(scope)
        if not isinstance(who, _Who):  # a refused Basic login, or nobody
            await _closing(scope, who if isinstance(who, Response) else _unauthenticated(scope))(scope, receive, send)
            return
        template, params, permission, action = self._rule(scope)
        refusal = self._refuse(scope, who, method, permission)
        state = scope.setdefault("state", {})
        state["user"] = {"name": who.name, "role": who.role, "duties": _duties_of(who)}
        state["audit"] = {}
        refusal = refusal or _must_change(scope, who, "GET" if method == "HEAD" else method, template)
        if refusal is not None:
            if method in ("GET", "HEAD") and not path.startswith("/api/") and refusal.status_code != 303:
                refusal = _as_page(scope, refusal)
            if method in _UNSAFE:
                self._audit(
                    scope, who, action or f"{method.lower()} {template}", params, "", state, refusal.status_code
                )
            await _closing(scope, refusal)(scope, receive, send)
            return
        if method not in _UNSAFE:
            await self.app(scope, receive, send)
            return
        await self._run_audited(scope, receive, send, who, action, params)

    async def _identify(self, scope: MutableMapping[str, Any]) -> _Who | Response | None:
        """Who asks: a session (bearer token or cookie) or the local planner (`_who`); under ``/ogc``
        also a Basic login (QGIS, issue 36; its refusal as a response) or the anonymous reader of
        the public set. None: nobody."""
        method, path = scope["method"], scope["path"]
        who = self._who(scope)
        if who is None and path.startswith("/ogc") and method in ("GET", "HEAD"):  # QGIS's Basic login (issue 36)
            from hepinggis.web.auth._basic_auth import basic_header, logins_of

            basic = basic_header(scope)
            if basic is not None:
                got = await logins_of(self.fastapi_app).authenticate(scope, basic)
                if isinstance(got, Response):
                    return got
                who = _Who(got.name, got.role, got, True)
        if who is None and path.startswith("/ogc"):  # the OGC services' public set (issue 36)
            from hepinggis.web.ogc._access import ANONYMOUS, is_public_read

            who = _Who(ANONYMOUS["name"], ANONYMOUS["role"], None, False) if is_public_read(scope) else None
        return who

    def _rule(self, scope: MutableMapping[str, Any]) -> tuple[str | None, dict[str, Any], str, str | None]:
        """The template of the route that will answer, its path parameters, the permission it needs
        and its audit action (`ROUTE_PERMISSIONS`; an unlisted state change: "unlisted", refused)."""
        method = scope["method"]
        if self._routes is None:
            self._routes = flat_routes(self.fastapi_app)
        template, params = _route(self._routes, scope)
        listed = "GET" if method == "HEAD" else method  # HEAD answers what GET does: same permission
        permission, action = ROUTE_PERMISSIONS.get((listed, template or ""), (None, None))
        if permission is None:
            permission = "view" if method in ("GET", "HEAD") else "unlisted"
        if method in _UNSAFE and action is None and permission != "unlisted":
            action = f"{method.lower()} {template}"
        return template, params, permission, action

    async def _run_audited(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[..., Awaitable[Any]],
        send: Any,
        who: _Who,
        action: str | None,
        params: dict[str, Any],
    ) -> None:
        """Run a state-changing request, hashing an uploaded ``file`` as the body streams in, and
        write its audit line after it is answered (with the new object's id and the outcome)."""
        state = scope["state"]
        hasher = PartHasher(_header(scope, b"content-type") or "")

        received = {"all": not _has_body(scope)}

        async def tee() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                hasher.feed(message.get("body", b""))
                received["all"] = received["all"] or not message.get("more_body", False)
            return message

        status: dict[str, Any] = {"code": 500, "json": False}
        body = bytearray()

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
                if not received["all"]:  # answered before the body was read: never drain the rest
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
                ctype = dict(message.get("headers") or []).get(b"content-type", b"")
                status["json"] = ctype.startswith(b"application/json")
            elif message["type"] == "http.response.body" and status["json"] and len(body) < 65_536:
                body.extend(message.get("body", b""))  # the new object's id, for the audit line
            await send(message)

        try:
            await self.app(scope, tee, send_status)
        finally:
            new_id = _new_id(bytes(body)) if status["code"] < 400 else ""
            if new_id and "rid" not in params and "fid" not in params:
                params = {**params, "id": new_id}
            upload = state["audit"].get("file") or (f"文件 {hasher.filename}" if hasher.filename else "")
            if upload and not state["audit"].get("object"):  # name, size and SHA-256 (`_upload_audit`)
                state["audit"]["object"] = " ".join([upload, *(f"{k}={v}" for k, v in params.items())])
            self._audit(scope, who, action or "", params, hasher.digest, state, status["code"])

    def _refuse(self, scope: MutableMapping[str, Any], who: _Who, method: str, permission: str) -> Response | None:
        if method in _UNSAFE and who.session is not None and not who.bearer:
            token = _header(scope, CSRF_HEADER.encode())
            if not token or token != who.session.csrf:
                return _json(403, "请求缺少有效的 CSRF 令牌（请求头 X-CSRF-Token），已拒绝；请刷新页面后重试")
            origin = _header(scope, b"origin")
            if origin and origin != "null" and urlsplit(origin).netloc != (_header(scope, b"host") or ""):
                return _json(403, "请求来自其他网站（Origin 不符），已拒绝")
            if origin == "null":
                return _json(403, "请求来源不明（Origin: null），已拒绝")
        if who.session is None:  # the local planner, single-user mode: everything — from a browser
            # only with the token of this server's pages (issue 33: a page on localhost:9999 posted
            # registers here). A browser marks its requests (Origin, Sec-Fetch-*); a program on this
            # machine that sends neither is no cross-site request.
            if method in _UNSAFE and _from_browser(scope):
                if _header(scope, CSRF_HEADER.encode()) != self.local_csrf:
                    return _json(403, "请求缺少有效的 CSRF 令牌（请求头 X-CSRF-Token），已拒绝；请刷新页面后重试")
                origin = _header(scope, b"origin")
                if origin and urlsplit(origin).netloc != (_header(scope, b"host") or ""):
                    return _json(403, "请求来自其他网站（Origin 不符），已拒绝")
            return None
        if permission not in permissions_of(who.role, who.session.duties):
            words = PERMISSION_WORDS.get(permission, "未登记的操作")
            if permission in ("users", "security", "audit"):  # a duty, not a role (`_duties`)
                return _json(403, f"权限不足：此操作需要「{words}」职责，当前用户没有")
            return _json(403, f"权限不足：此操作需要「{words}」权限，当前角色「{who.role}」没有")
        return None

    def _audit(
        self,
        scope: MutableMapping[str, Any],
        who: _Who,
        action: str,
        params: dict[str, Any],
        digest: str,
        state: dict[str, Any],
        code: int,
    ) -> None:
        if not action or (action == "logout" and code >= 400):
            return
        extra = state.get("audit") or {}
        obj = str(extra.get("object") or " ".join(f"{k}={v}" for k, v in params.items()) or scope["path"])
        try:
            _audit.record(
                self.engine,
                action=str(extra.get("action") or action),
                username=who.name,
                role=who.role,
                address=_address(scope),
                object=obj,
                sha256=str(extra.get("sha256") or digest),
                outcome="成功" if code < 400 else f"失败（HTTP {code}）",
                detail=str(extra.get("detail") or ""),
            )
        except Exception:  # an audit line that cannot be written is logged, never silently lost
            log.exception("audit line not written: %s %s by %s", action, obj, who.name)


def install_security(
    app: FastAPI,
    *,
    engine: Engine,
    policy: LoginPolicy | None = None,
    local_ok: bool = True,
    export_dir: Path | None = None,
) -> Accounts:
    """Add the security middleware and the account, session and audit routes to ``app``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The store's database, already migrated (`_migrate.upgrade`).
    local_ok : bool
        True when the server listens on a loopback address only: without accounts, requests are the
        local planner's. False (any other address) always needs a session.
    """
    accounts = Accounts(engine, policy=policy)
    app.state.accounts = accounts
    refusals = RefusedLogins(engine)  # refused logins: one audit row per address and minute
    import secrets

    app.state.local_csrf = secrets.token_urlsafe(32)  # single-user mode's token (/api/session)
    app.state.refused_logins = refusals
    add_login_routes(app, accounts=accounts, refusals=refusals, engine=engine)
    add_session_routes(app, accounts=accounts)
    add_user_routes(app, accounts=accounts)
    add_audit_routes(app, engine=engine, refusals=refusals, export_dir=export_dir)
    app.add_middleware(SecurityMiddleware, fastapi_app=app, accounts=accounts, engine=engine, local_ok=local_ok)
    return accounts
