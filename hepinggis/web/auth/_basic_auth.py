"""HTTP Basic authentication for the OGC API services under ``/ogc`` (issue 36).

QGIS's OGC API – Features provider logs in with its authentication configurations (method
"Basic"), which put ``Authorization: Basic …`` on every request; the app otherwise takes a session
cookie or a bearer token only. `BasicLogins` turns such a header into the account's session-like
identity, for safe requests (GET, HEAD) under ``/ogc`` only — never for the pages or the API, and
never for a state-changing request (`_security` asks it nowhere else).

* **The same login rules as the login page.** A header not seen lately is checked by
  `hepinggis.web.auth._accounts.Accounts.login` itself (argon2 in the bounded pool of
  `hepinggis.web.auth._login_guard.check_password`), so that a failure counts towards the same slow-down
  and lockout per account and address, a locked account is refused even with the right password,
  and each refusal goes into the per-minute refused-login row of the audit trail. The session that
  login opens is ended at once: the client keeps no session, it sends its header again.
* **A short cache.** argon2 costs ~50 ms of CPU and QGIS sends the header with every items page and
  tile, so a verified header is remembered for `CACHE_SECONDS`, keyed by an HMAC of the header
  (the password is never kept, not even hashed with a fast hash). Each use compares the account's
  row (password hash, role, disabled, last change) with the one seen at verification: a password
  change, a new role or a disabled account — made by this server, another process or the CLI —
  ends the cached login at the next request. Concurrent requests with one new header wait for one
  check (QGIS asks for many tiles at once). The HMAC key is random per process: the cache is in
  memory only, so nothing it keys outlives the process.
* **A refused header is no new guess when it comes again.** QGIS repeats a wrong password on every
  request; the very same header within `FAILED_SECONDS` (the account unchanged) is refused at once,
  written to the refused-login audit rows but not counted again towards the lockout, so that one
  mistyped password does not lock an officer out by itself.
* **Only where the password does not cross the network in clear**: over TLS (the server's own, or
  the reverse proxy's ``X-Forwarded-Proto: https`` when ``--forwarded-allow-ips`` trusts it) or from
  this machine (a loopback client). On plain HTTP from another machine the header is refused (403)
  and no challenge is sent, unless the bureau opts in with the store setting ``ogc_basic_http`` or
  the environment ``HEPINGGIS_OGC_BASIC_HTTP`` = ``1`` (an intranet without TLS, knowingly: see
  docs/ogc.md and docs/security.md).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.engine import Engine

from hepinggis.errors import LoginRefused
from hepinggis.web.auth._accounts import Accounts, Session
from hepinggis.web.auth._login_guard import RefusedLogins, check_password
from hepinggis.web.store._server_schema import users

__all__ = ["CACHE_SECONDS", "CHALLENGE", "BasicLogins", "basic_allowed", "basic_header", "challenge", "logins_of"]

#: How long a verified header is believed without argon2 (the account's row is still read each time).
CACHE_SECONDS = 300.0
#: The most headers remembered at once (the oldest are forgotten first).
CACHE_SIZE = 1024
#: How long the very same refused header is answered 401 again without a new check or count.
FAILED_SECONDS = 60.0
#: The answer's ``WWW-Authenticate`` (RFC 7617: the realm, and UTF-8 for names and passwords).
CHALLENGE = 'Basic realm="hepinggis", charset="UTF-8"'
_MAX_HEADER = 1024
_OPT_IN = ("1", "true", "yes", "是")


def basic_header(scope: MutableMapping[str, Any]) -> str | None:
    """The ``Authorization`` value of a Basic request (None if the request has none)."""
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            text = value.decode("latin-1")
            return text if text[:6].lower() == "basic " else None
    return None


def _loopback_client(scope: MutableMapping[str, Any]) -> bool:
    """True for a client on this machine (127.0.0.0/8, ::1) — the address uvicorn gives, never a
    name (`_security.is_loopback` would do, but `_security` imports this module)."""
    import ipaddress

    client = scope.get("client")
    try:
        return client is not None and ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:
        return False


def _opted_in(scope: MutableMapping[str, Any]) -> bool:
    from hepinggis.base.settings import settings

    value = settings().ogc_basic_http
    if value is None:
        store = getattr(getattr(scope.get("app"), "state", None), "store", None)
        value = store.get_setting("ogc_basic_http") if store is not None else ""
    return (value or "").strip().lower() in _OPT_IN


def basic_allowed(scope: MutableMapping[str, Any]) -> bool:
    """True when a Basic password may be taken on this request's connection: TLS, a client on this
    machine, or the bureau's opt-in for plain HTTP."""
    return scope.get("scheme") == "https" or _loopback_client(scope) or _opted_in(scope)


def challenge(scope: MutableMapping[str, Any]) -> dict[str, str]:
    """The headers of a 401 under ``/ogc``: the Basic challenge where a Basic login is taken."""
    return {"WWW-Authenticate": CHALLENGE} if basic_allowed(scope) else {}


def _refusal(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers={"Cache-Control": "no-store", **headers})


def _credentials(header: str) -> tuple[str, str] | None:
    """(user name, password) of a Basic header, or None if it is malformed. UTF-8 as the challenge
    asks (RFC 7617; QGIS 3.22.16 sends UTF-8); bytes that are not UTF-8 are read as Latin-1, what
    older clients send (some QGIS versions encoded with ``toLatin1``, which cannot carry Chinese: each
    such character arrives as ``?`` — see `_hint`)."""
    if len(header) > _MAX_HEADER:
        return None
    try:
        data = base64.b64decode(header[6:].strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        raw = data.decode("latin-1")
    name, sep, password = raw.partition(":")
    return (name, password) if sep and name else None


def _hint(message: str, creds: tuple[str, str]) -> str:
    """A refusal's line, with what to do when the client could not send Chinese characters (a
    Latin-1 client turns each into ``?``): nothing about the account is told."""
    if "?" in creds[0] or "?" in creds[1]:
        return (
            f"{message}（若用户名或密码含中文：此客户端可能把中文发成了“?”，"
            "请升级客户端，或使用只含字母、数字和符号的用户名和密码）"
        )
    return message


@dataclass(frozen=True)
class _Entry:
    session: Session  # as `Accounts.login` made it (its own session row already ended)
    stamp: tuple[Any, ...]
    until: float


class BasicLogins:
    """Basic logins of one server process: the check, the cache, the refusals.

    Parameters
    ----------
    accounts
        The server's accounts (`install_security`).
    refusals
        The per-minute refused-login rows of the audit trail.
    engine
        The store's database (the accounts' rows, the audit row of a verified login).
    """

    def __init__(self, accounts: Accounts, refusals: RefusedLogins, engine: Engine) -> None:
        self.accounts = accounts
        self.refusals = refusals
        self.engine = engine
        self._key = secrets.token_bytes(32)  # the cache lives in this process only: so does its key
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._pending: dict[str, asyncio.Lock] = {}
        self._failed: OrderedDict[str, tuple[int | None, tuple[Any, ...] | None, float, str]] = OrderedDict()

    def _digest(self, header: str) -> str:
        return hmac.new(self._key, header.encode("latin-1", "replace"), hashlib.sha256).hexdigest()

    def _stamp(self, user_id: int) -> tuple[Any, ...] | None:
        """What ends a cached login when it changes: the password hash, the role, disabled, the
        last change of the account (None: the account is gone)."""
        cols = (users.c.password_hash, users.c.role, users.c.disabled, users.c.updated_at)
        with self.engine.connect() as conn:
            row = conn.execute(select(*cols).where(users.c.id == user_id)).first()
        return None if row is None else tuple(row)

    def _cached(self, key: str) -> Session | None:
        """The session of a cached login that still holds (its account unchanged), or None."""
        with self._lock:
            entry = self._cache.get(key)
        if entry is None:
            return None
        if entry.until > time.monotonic() and self._stamp(entry.session.user_id) == entry.stamp:
            return entry.session
        self.forget(key)
        return None

    def _failed_before(self, key: str, name: str) -> str | None:
        """The message of the refusal of this very header a moment ago, if the account has not
        changed since (the same wrong password again — QGIS repeats it on every request — is no new
        guess: answered 401 without argon2 and not counted again)."""
        with self._lock:
            got = self._failed.get(key)
        if got is None:
            return None
        uid, stamp, until, message = got
        if until > time.monotonic() and uid == self._user_id(name) and (uid is None or self._stamp(uid) == stamp):
            return message
        with self._lock:
            self._failed.pop(key, None)
        return None

    def _remember_failure(self, key: str, name: str, message: str) -> None:
        uid = self._user_id(name)
        stamp = self._stamp(uid) if uid is not None else None
        with self._lock:
            self._failed[key] = (uid, stamp, time.monotonic() + FAILED_SECONDS, message)
            while len(self._failed) > CACHE_SIZE:
                self._failed.popitem(last=False)

    def forget(self, key: str | None = None) -> None:
        """Forget one cached login (by its key), or all of them."""
        with self._lock:
            if key is None:
                self._cache.clear()
            else:
                self._cache.pop(key, None)

    def _verify(self, name: str, password: str, address: str) -> tuple[Session, _Entry | None]:
        """Check the password as the login page does (`Accounts.login`, which raises `LoginRefused`
        and counts the failure); the session, and the entry to cache — None when the account
        changed while it was checked (then this request alone is let through)."""
        from hepinggis.web.auth import _audit

        uid = self._user_id(name)
        before = self._stamp(uid) if uid is not None else None
        token, session = self.accounts.login(name, password, address=address)
        self.accounts.logout(token)  # the client keeps no session: it sends its header again
        after = self._stamp(session.user_id)
        _audit.record(
            self.engine,
            action="login",
            username=session.name,
            role=session.role,
            address=address,
            object="OGC 服务",
            detail="HTTP Basic 认证（如 QGIS 的认证配置）",
        )
        if before is None or before != after:
            return session, None
        return session, _Entry(session, after, time.monotonic() + CACHE_SECONDS)

    def _user_id(self, name: str) -> int | None:
        from hepinggis.errors import AccountError
        from hepinggis.web.auth._accounts import check_name

        try:
            name = check_name(name)
        except AccountError:
            return None
        with self.engine.connect() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.name == name)).scalar_one_or_none()
        return None if uid is None else int(uid)

    async def authenticate(self, scope: MutableMapping[str, Any], header: str) -> Session | JSONResponse:
        """The identity of a Basic header on a GET/HEAD of ``/ogc``, or the refusal to send (401
        wrong name or password, 429 too many failures, 403 a password in clear not allowed)."""
        if not basic_allowed(scope):
            return _refusal(
                403,
                "此服务器只在 HTTPS 连接（或本机）上接受用户名和密码：请用 https:// 地址连接，"
                "或请管理员按《OGC 服务说明》开启内网明文登录",
            )
        client = scope.get("client")
        address = str(client[0]) if client else ""
        creds = _credentials(header)
        if creds is None:
            self.refusals.add(address=address, username="", status=401, reason="malformed basic header")
            return _refusal(401, "认证信息格式不正确（须为 UTF-8 的“用户名:密码”）", **{"WWW-Authenticate": CHALLENGE})
        key = self._digest(header)
        session = self._cached(key)
        if session is not None:
            return session
        with self._lock:
            gate = self._pending.setdefault(key, asyncio.Lock())
        try:
            async with gate:  # one check per new header, whatever number of requests bring it at once
                session = self._cached(key)
                if session is not None:
                    return session
                again = await run_in_threadpool(self._failed_before, key, creds[0])
                if again is not None:  # in the audit's refused logins, not in the lockout's count
                    self.refusals.add(
                        address=address, username=creds[0], status=401, reason="same wrong password again"
                    )
                    return _refusal(401, again, **{"WWW-Authenticate": CHALLENGE})
                try:
                    fresh, entry = await check_password(lambda: self._verify(creds[0], creds[1], address))
                except LoginRefused as refused:
                    self.refusals.add(address=address, username=creds[0], status=refused.status, reason=refused.reason)
                    if refused.status == 429:
                        return _refusal(429, refused.message, **{"Retry-After": str(int(refused.retry_after) + 1)})
                    message = _hint(refused.message, creds)
                    await run_in_threadpool(self._remember_failure, key, creds[0], message)
                    return _refusal(refused.status, message, **{"WWW-Authenticate": CHALLENGE})
                if entry is not None:
                    with self._lock:
                        self._cache[key] = entry
                        while len(self._cache) > CACHE_SIZE:
                            self._cache.popitem(last=False)
                return fresh
        finally:
            with self._lock:
                if self._pending.get(key) is gate and not gate.locked():
                    del self._pending[key]


def logins_of(app: Any) -> BasicLogins:
    """The app's `BasicLogins` (made at the first Basic request, from what `install_security` set)."""
    state = app.state
    got: BasicLogins | None = getattr(state, "basic_logins", None)
    if got is None:
        got = state.basic_logins = BasicLogins(state.accounts, state.refused_logins, state.store.engine)
    return got
