"""The account, session and audit routes the security middleware comes with (`install_security`):
the login page and ``/api/login``, logout, the session, one's own password, the accounts (用户管理),
and the audit trail and its exports (审计查看). Their permissions are `_security.ROUTE_PERMISSIONS`'s."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from hepinggis.errors import AccountError, LoginRefused
from hepinggis.web.auth import _audit
from hepinggis.web.auth._accounts import ROLES, Accounts, Session
from hepinggis.web.auth._duties import ALL_PERMISSIONS, account_change_refusal, permissions_of
from hepinggis.web.auth._login_guard import RefusedLogins, check_password, read_capped, safe_next
from hepinggis.web.auth._scope import _json
from hepinggis.web.auth._security import CSRF_COOKIE, LOCAL_USER, SESSION_COOKIE, cookie_name

__all__ = ["add_audit_routes", "add_login_routes", "add_session_routes", "add_user_routes"]

_STATIC = Path(__file__).parents[1] / "static"


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


def _session_cookie(request: Request) -> str | None:
    return request.cookies.get(cookie_name(SESSION_COOKIE, secure=_secure(request)))


def _user_of(request: Request) -> dict[str, str]:
    return dict(request.scope.get("state", {}).get("user") or {})


def _note(request: Request, **values: str) -> None:
    request.scope.setdefault("state", {}).setdefault("audit", {}).update(values)


def _logged_in(request: Request, session: Session, token: str, target: str, *, max_age: int) -> JSONResponse:
    """The answer to a login: the account, its CSRF token, permissions and the page to go to, with
    the session cookie (HttpOnly) and the CSRF cookie (readable by the pages' scripts)."""
    response = JSONResponse(
        {
            "name": session.name,
            "role": session.role,
            "csrf_token": session.csrf,
            "token": token,
            "duties": list(session.duties),
            "permissions": sorted(permissions_of(session.role, session.duties)),
            "must_change": session.must_change,
            "next": _after_login(session, target),
        },
        headers={"Cache-Control": "no-store"},
    )
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


def add_login_routes(app: FastAPI, *, accounts: Accounts, refusals: RefusedLogins, engine: Engine) -> None:
    """The login page, its script and ``POST /api/login`` (public: `_security._PUBLIC`)."""

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
        target = safe_next(request.query_params.get("next") or str(_json_next(raw)))
        return _logged_in(request, session, token, target, max_age=int(accounts.policy.max_seconds))


def add_session_routes(app: FastAPI, *, accounts: Accounts) -> None:
    """Logout, the current session (and single-user mode's CSRF token), one's own password."""

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


def add_user_routes(app: FastAPI, *, accounts: Accounts) -> None:
    """The accounts (用户管理): list, add, disable, enable, reset a password, change a role — each
    change refused where the three duties must stay apart (`_duties.account_change_refusal`)."""

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


def add_audit_routes(app: FastAPI, *, engine: Engine, refusals: RefusedLogins, export_dir: Path | None) -> None:
    """The audit trail (审计查看): its rows, newest first, and its exports as xlsx and CSV."""

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
