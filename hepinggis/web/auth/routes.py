"""The 安全 page and its routes (安全管理, issue 33), the change-password page every account reaches,
and the audit trail's verification (审计查看).

* ``GET /security``, ``GET /api/security``: the security settings, the failed-login counts now
  slowing or locking someone, and every account's duties;
* ``POST /api/security``: the settings — the OGC public set, read auditing, password expiry (days,
  0 off) and history (how many earlier passwords refused), audit retention (days, ≥ 180);
* ``POST /api/security/release``: clear one failed-login count (a lockout released);
* ``POST /api/users/{name}/duties``: grant or revoke 用户管理/安全管理/审计查看 (never one's own);
* ``GET /password``: change one's own password — where a login with an expired password is sent;
* ``GET /api/audit/verify``: the audit trail's keyed chain checked (`_audit.verify`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from hepinggis.errors import AccountError
from hepinggis.web._deps import current_user, get_store
from hepinggis.web.auth._accounts import Accounts, password_rules
from hepinggis.web.auth._duties import DUTIES, ROLES, account_change_refusal
from hepinggis.web.auth._security import ROUTE_PERMISSIONS
from hepinggis.web.auth._security_settings import checked_settings, put_settings, security_settings
from hepinggis.web.store._store import Store

__all__ = ["router"]

router = APIRouter()
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

for _key, _value in {
    ("GET", "/security"): ("security", None),
    ("GET", "/api/security"): ("security", None),
    ("POST", "/api/security"): ("security", "security_settings"),
    ("POST", "/api/security/release"): ("security", "release_lockout"),
    ("POST", "/api/users/{name:path}/duties"): ("security", "user_duties"),
    ("GET", "/password"): ("view", None),
    ("GET", "/api/audit/verify"): ("audit", None),
}.items():
    ROUTE_PERMISSIONS.setdefault(_key, _value)


def _json(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def _note(request: Request, **values: str) -> None:
    request.scope.setdefault("state", {}).setdefault("audit", {}).update(values)


def _accounts(request: Request, store: Store) -> Accounts:
    return getattr(request.app.state, "accounts", None) or Accounts(store.engine)


class _Settings(BaseModel):
    ogc_public: str | None = None
    audit_reads: bool | None = None
    password_max_age_days: int | None = None
    password_history: int | None = None
    audit_keep_days: int | None = None


class _Release(BaseModel):
    key: str


class _Duties(BaseModel):
    duties: list[str]


@router.get("/api/security", summary="安全设置、正在减速或锁定的登录失败计数、各账户的管理职责（安全管理）")
def api_security(request: Request, store: StoreDep) -> dict[str, Any]:
    accounts = _accounts(request, store)
    users = [{k: u[k] for k in ("name", "role", "duties", "disabled")} for u in accounts.list_users()]
    return {"settings": security_settings(store.engine), "lockouts": accounts.lockouts(), "users": users}


@router.post("/api/security", summary="修改安全设置（安全管理）")
def api_set_security(request: Request, body: _Settings, store: StoreDep) -> Response:
    try:
        values, words = checked_settings(body.model_dump())
    except AccountError as exc:
        return _json(400, str(exc))
    if not values:
        return _json(400, "没有要修改的设置")
    put_settings(store.engine, values)
    _note(request, object="安全设置", detail="；".join(words))
    return JSONResponse({"status": "已保存", "settings": security_settings(store.engine)})


@router.post("/api/security/release", summary="解除一项登录失败锁定（安全管理）")
def api_release(request: Request, body: _Release, store: StoreDep) -> Response:
    if any(ord(c) < 32 for c in body.key):  # no count is keyed so (and PostgreSQL refuses a NUL)
        return _json(400, "没有这项登录失败记录（可能已过期或已解除）")
    if not _accounts(request, store).release(body.key[:400]):
        return _json(404, "没有这项登录失败记录（可能已过期或已解除）")
    _note(request, object=f"登录失败计数 {body.key[:400]}")
    return JSONResponse({"status": "已解除"})


@router.post("/api/users/{name:path}/duties", summary="授予或撤销管理职责（安全管理）")
def api_duties(request: Request, name: str, body: _Duties, store: StoreDep, user: UserDep) -> Response:
    accounts = _accounts(request, store)
    target = accounts.user(name)
    if target is None:
        return _json(404, f"没有用户 {name}")
    if user.get("role") in ROLES:  # nobody grants themselves a duty (the local planner has no account)
        why = account_change_refusal(user["name"], DUTIES, target["name"], ())
        if why:
            return _json(403, why)
    try:
        held = accounts.set_duties(name, body.duties)
    except AccountError as exc:
        return _json(400, str(exc))
    _note(request, object=f"用户 {target['name']}", detail="职责：" + ("、".join(held) or "无"))
    return JSONResponse({"status": "已完成", "name": target["name"], "duties": list(held)})


@router.get("/api/audit/verify", summary="核验审计日志的链（审计查看）")
def api_audit_verify(request: Request, store: StoreDep) -> Response:
    from hepinggis.errors import HepingGISError
    from hepinggis.web.auth import _audit

    refused = getattr(request.app.state, "refused_logins", None)
    if refused is not None:
        refused.flush(everything=True)
    try:
        n, problems = _audit.verify(store.engine)
    except HepingGISError as exc:  # no signing key on this server
        return _json(409, str(exc))
    return JSONResponse({"rows": n, "intact": not problems, "problems": problems[:50]})


@router.get("/security", response_class=HTMLResponse, include_in_schema=False)
def security_page(request: Request, store: StoreDep, user: UserDep) -> HTMLResponse:
    from hepinggis.web.pages.routes import _page

    accounts = _accounts(request, store)
    return _page(
        "security.html",
        request,
        user,
        settings=security_settings(store.engine),
        lockouts=accounts.lockouts(),
        users=accounts.list_users(),
        duties=DUTIES,
    )


@router.get("/password", response_class=HTMLResponse, include_in_schema=False)
def password_page(request: Request, store: StoreDep, user: UserDep, next: str = "/") -> HTMLResponse:
    from hepinggis.web.auth._login_guard import safe_next
    from hepinggis.web.auth._security import SESSION_COOKIE, cookie_name
    from hepinggis.web.pages.routes import _page

    accounts = _accounts(request, store)
    secure = request.url.scheme == "https"
    session = accounts.session(request.cookies.get(cookie_name(SESSION_COOKIE, secure=secure)))
    with store.engine.connect() as conn:
        rules = password_rules(conn)
    return _page(
        "password.html",
        request,
        user,
        expired=bool(session and session.must_change),
        has_account=session is not None,
        next=safe_next(next),
        rules=rules,
    )
