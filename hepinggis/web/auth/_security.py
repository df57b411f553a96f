"""Logins, roles, CSRF and the audit trail wrapped around the web app.

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
4. the route's permission (`ROUTE_PERMISSIONS`; GET routes not listed need ``view``, other
   methods not listed are refused) must be one of the role's (`_auth.PERMISSIONS`) — else 403;
5. every state-changing request is written to the audit trail after it is answered, with the
   sha256 of an uploaded ``file`` and the outcome.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask
from starlette.routing import Match

from hepinggis.errors import AccountError, LoginRefused
from hepinggis.web.auth import _audit
from hepinggis.web.auth._accounts import PERMISSION_WORDS, ROLES, Accounts, LoginPolicy, Session
from hepinggis.web.auth._duties import ALL_PERMISSIONS, DUTIES, account_change_refusal, permissions_of
from hepinggis.web.auth._login_guard import RefusedLogins, check_password, read_capped, safe_next
from hepinggis.web.jobs._upload_hash import PartHasher

__all__ = ["ROUTE_PERMISSIONS", "SESSION_COOKIE", "cookie_name", "flat_routes", "install_security", "is_loopback"]

log = logging.getLogger("hepinggis.web.security")

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

_STATIC = Path(__file__).parents[1] / "static"

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


@dataclass
class _Who:
    name: str
    role: str
    session: Session | None
    bearer: bool


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


def _new_id(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    return str(value.get("id") or "")[:64] if isinstance(value, dict) else ""


#: What a session whose password expired (or was set by an administrator) may still do.
_WHILE_EXPIRED = {
    ("POST", "/api/me/password"),
    ("POST", "/api/logout"),
    ("GET", "/api/session"),
    ("GET", "/password"),
}


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


class _SecurityMiddleware:
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if (
            (method, path) in _PUBLIC
            or (method == "HEAD" and ("GET", path) in _PUBLIC)
            or path.startswith(_PUBLIC_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        who = self._who(scope)
        if who is None and path.startswith("/ogc") and method in ("GET", "HEAD"):  # QGIS's Basic login (issue 36)
            from hepinggis.web.auth._basic_auth import basic_header, logins_of

            basic = basic_header(scope)
            if basic is not None:
                got = await logins_of(self.fastapi_app).authenticate(scope, basic)
                if isinstance(got, Response):
                    await _closing(scope, got)(scope, receive, send)
                    return
                who = _Who(got.name, got.role, got, True)
        if who is None and path.startswith("/ogc"):  # the OGC services' public set (issue 36)
            from hepinggis.web.ogc._access import ANONYMOUS, is_public_read

            who = _Who(ANONYMOUS["name"], ANONYMOUS["role"], None, False) if is_public_read(scope) else None
        if who is None:
            ogc_client = path.startswith("/ogc") and "text/html" not in (_header(scope, b"accept") or "")
            if path.startswith("/api/") or method != "GET" or ogc_client:
                from hepinggis.web.auth._basic_auth import challenge

                asks = challenge(scope) if ogc_client else {}  # QGIS: say that a Basic login is taken
                response: Response = _json(401, "请先登录（未登录或会话已过期）", **asks)
            else:
                target = quote(
                    path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
                )
                response = Response(status_code=303, headers={"location": f"/login?next={target}"})
            await _closing(scope, response)(scope, receive, send)
            return
        if self._routes is None:
            self._routes = flat_routes(self.fastapi_app)
        template, params = _route(self._routes, scope)
        listed = "GET" if method == "HEAD" else method  # HEAD answers what GET does: same permission
        permission, action = ROUTE_PERMISSIONS.get((listed, template or ""), (None, None))
        if permission is None:
            permission = "view" if method in ("GET", "HEAD") else "unlisted"
        if method in _UNSAFE and action is None and permission != "unlisted":
            action = f"{method.lower()} {template}"
        refusal = self._refuse(scope, who, method, permission)
        state = scope.setdefault("state", {})
        state["user"] = {"name": who.name, "role": who.role, "duties": _duties_of(who)}
        state["audit"] = {}
        refusal = refusal or _must_change(scope, who, listed, template)
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


class _Login(BaseModel):
    username: str
    password: str


class _NewUser(BaseModel):
    name: str
    role: str
    password: str
    duties: list[str] = []


class _Password(BaseModel):
    password: str


class _OwnPassword(BaseModel):
    old_password: str
    new_password: str


class _Role(BaseModel):
    role: str


def _json_next(raw: bytes) -> str:
    """The ``next`` member of a login body ('' if none)."""
    try:
        value = json.loads(raw).get("next")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def _after_login(session: Session, target: str) -> str:
    """Where the login page goes: ``target``, or first the change-password page when the password
    expired (or an administrator set it)."""
    return "/password?next=" + quote(target, safe="") if session.must_change else target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_name(base: str, *, secure: bool) -> str:
    """Under TLS the cookies are ``__Host-`` prefixed: the browser then keeps them only if they are
    ``Secure``, for this host alone (no Domain) and path ``/`` — a sibling host cannot plant one."""
    return f"__Host-{base}" if secure else base


def _session_cookie(request: Request) -> str | None:
    return request.cookies.get(cookie_name(SESSION_COOKIE, secure=_secure(request)))


def _user_of(request: Request) -> dict[str, str]:
    return dict(request.scope.get("state", {}).get("user") or {})


def _note(request: Request, **values: str) -> None:
    request.scope.setdefault("state", {}).setdefault("audit", {}).update(values)


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

    @app.get("/login", include_in_schema=False)
    def login_page() -> HTMLResponse:
        from hepinggis.web.pages.routes import login_page as render

        return render()

    @app.get("/login.js", include_in_schema=False)
    def login_script() -> Response:
        return FileResponse(_STATIC / "login.js", media_type="text/javascript; charset=utf-8")

    @app.post("/api/login", summary="登录：JSON username、password → 会话 Cookie 与 CSRF 令牌")
    async def api_login(request: Request) -> Response:
        raw = await read_capped(request)  # the bytes received, whatever Content-Length says
        if raw is None:
            return _json(413, "登录请求过大", connection="close")
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
            return _json(403, "登录请求来自其他网站，已拒绝")
        try:
            body = _Login.model_validate(json.loads(raw))
        except Exception:
            return _json(400, '登录请求须为 JSON：{"username": …, "password": …}')
        address = request.client.host if request.client else ""
        accounts.logout(_session_cookie(request))  # never keep a session id from before login
        try:  # argon2 in a bounded pool of threads, never in the event loop
            token, session = await check_password(lambda: accounts.login(body.username, body.password, address=address))
        except LoginRefused as refused:
            refusals.add(address=address, username=body.username, status=refused.status, reason=refused.reason)
            headers = {"Retry-After": str(int(refused.retry_after) + 1)} if refused.status == 429 else {}
            return _json(refused.status, refused.message, **headers)
        _audit.record(engine, action="login", username=session.name, role=session.role, address=address)
        response = JSONResponse(
            {
                "name": session.name,
                "role": session.role,
                "csrf_token": session.csrf,
                "token": token,
                "duties": list(session.duties),
                "permissions": sorted(permissions_of(session.role, session.duties)),
                "must_change": session.must_change,
                "next": _after_login(session, safe_next(request.query_params.get("next") or str(_json_next(raw)))),
            },
            headers={"Cache-Control": "no-store"},
        )
        max_age = int(accounts.policy.max_seconds)
        response.set_cookie(
            cookie_name(SESSION_COOKIE, secure=_secure(request)),
            token,
            max_age=max_age,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )
        response.set_cookie(
            cookie_name(CSRF_COOKIE, secure=_secure(request)),
            session.csrf,
            max_age=max_age,
            httponly=False,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )
        return response

    @app.post("/api/logout", summary="退出登录")
    def api_logout(request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        accounts.logout(auth[7:].strip() if auth.lower().startswith("bearer ") else _session_cookie(request))
        response = JSONResponse({"status": "已退出"})
        secure = _secure(request)
        response.delete_cookie(
            cookie_name(SESSION_COOKIE, secure=secure), path="/", samesite="strict", httponly=True, secure=secure
        )
        response.delete_cookie(cookie_name(CSRF_COOKIE, secure=secure), path="/", samesite="strict", secure=secure)
        return response

    @app.get("/api/session", summary="当前用户、角色和 CSRF 令牌")
    def api_session(request: Request) -> dict[str, Any]:
        user = _user_of(request)
        session = accounts.session(_session_cookie(request))
        local = not session and user.get("name") == LOCAL_USER["name"] and not accounts.has_users()
        perms = sorted(ALL_PERMISSIONS if local else permissions_of(user.get("role", ""), user.get("duties") or ()))
        token = session.csrf if session else (app.state.local_csrf if local else "")
        return {**user, "csrf_token": token, "permissions": perms, "must_change": bool(session and session.must_change)}

    @app.post("/api/me/password", summary="修改自己的密码")
    def api_own_password(request: Request, body: _OwnPassword) -> Response:
        user = _user_of(request)
        if user.get("role") not in ROLES:
            return _json(400, "本机单用户模式没有账户密码")
        try:
            accounts.login(user["name"], body.old_password, address=request.client.host if request.client else "")
        except LoginRefused as refused:
            return _json(
                refused.status if refused.status == 429 else 403,
                "原密码错误" if refused.status == 401 else refused.message,
            )
        if body.new_password == body.old_password:
            return _json(400, "新密码不能与原密码相同")
        try:
            accounts.set_password(user["name"], body.new_password)
        except AccountError as exc:
            return _json(400, str(exc))
        _note(request, object=f"用户 {user['name']}")
        return JSONResponse({"status": "密码已修改，请重新登录"})

    @app.get("/api/users", summary="用户列表（管理）")
    def api_users() -> list[dict[str, Any]]:
        return accounts.list_users()

    @app.post("/api/users", status_code=201, summary="新增用户（管理）")
    def api_add_user(request: Request, body: _NewUser) -> Response:
        if body.duties:  # duties are granted by 安全管理 (`_duties`), never with a new account
            return _json(403, "新增用户时不能授予管理职责：职责由安全管理员在“安全”页授予")
        try:  # a password an administrator chose: its owner changes it at the first login
            user = accounts.add_user(body.name, role=body.role, password=body.password, duties=(), must_change=True)
        except AccountError as exc:
            return _json(400, str(exc))
        _note(request, object=f"用户 {user['name']}", detail=f"角色 {user['role']}")
        return JSONResponse(user, status_code=201)

    def _change(request: Request, name: str, change: Callable[[], None], detail: str) -> Response:
        actor = _user_of(request)
        target = accounts.user(name)
        if target is not None and actor.get("role") in ROLES:  # three duties apart (`_duties`)
            why = account_change_refusal(actor["name"], actor.get("duties") or (), target["name"], target["duties"])
            if why:
                return _json(403, why)
        try:
            change()
        except AccountError as exc:
            return _json(404 if str(exc).startswith("没有用户") else 400, str(exc))
        _note(request, object=f"用户 {name}", detail=detail)
        return JSONResponse({"status": "已完成", "name": name})

    @app.post("/api/users/{name:path}/disable", summary="停用用户（管理）")
    def api_disable(request: Request, name: str) -> Response:
        return _change(request, name, lambda: accounts.disable(name), "停用")

    @app.post("/api/users/{name:path}/enable", summary="启用用户（管理）")
    def api_enable(request: Request, name: str) -> Response:
        return _change(request, name, lambda: accounts.enable(name), "启用")

    @app.post("/api/users/{name:path}/password", summary="重设用户密码（管理）")
    def api_reset_password(request: Request, name: str, body: _Password) -> Response:
        reset = lambda: accounts.set_password(name, body.password, by_admin=True)  # noqa: E731
        return _change(request, name, reset, "重设密码（须在登录时修改）")

    @app.post("/api/users/{name:path}/role", summary="修改用户角色（管理）")
    def api_role(request: Request, name: str, body: _Role) -> Response:
        return _change(request, name, lambda: accounts.set_role(name, body.role), f"角色改为 {body.role}")

    @app.get("/api/audit", summary="审计日志，最新在前，可按用户 user、操作代码 action 筛选（管理）")
    def api_audit(limit: int = 1000, offset: int = 0, user: str = "", action: str = "") -> Response:
        if not (1 <= limit <= 100_000 and offset >= 0):
            return _json(400, "limit 须在 1 至 100000 之间，offset 不能为负")
        refusals.flush(everything=True)
        return JSONResponse(
            _audit.entries(engine, limit=limit, offset=offset, username=user or None, action=action or None)
        )

    def _export(fmt: str) -> Response:
        refusals.flush(everything=True)
        tmp = Path(tempfile.mkdtemp(prefix="hg-audit-", dir=export_dir))
        path = _audit.write_export(engine, tmp / f"audit.{fmt}", fmt=fmt)

        def cleanup() -> None:
            path.unlink(missing_ok=True)
            tmp.rmdir()

        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "text/csv"
        return FileResponse(path, media_type=media, filename=f"审计日志.{fmt}", background=BackgroundTask(cleanup))

    @app.get("/api/audit.xlsx", summary="审计日志导出为 Excel（管理）")
    def api_audit_xlsx() -> Response:
        return _export("xlsx")

    @app.get("/api/audit.csv", summary="审计日志导出为 CSV（管理）")
    def api_audit_csv() -> Response:
        return _export("csv")

    app.add_middleware(_SecurityMiddleware, fastapi_app=app, accounts=accounts, engine=engine, local_ok=local_ok)
    return accounts
