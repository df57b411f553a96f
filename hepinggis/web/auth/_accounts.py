"""Accounts, logins and sessions of the bureau's server, kept in the store's database so that
several server processes share them.

Rules (what a government network's IT officer expects; stated in docs/server.md):

* passwords are argon2id hashes (`_passwords`); never logged, never returned;
* a login for an unknown, disabled or wrong-password account gets the same answer;
* failures are counted per account and address, per address and per account: after
  ``slow_after`` failures each further try must wait 2, 4, 8 … seconds (capped at ``max_delay``),
  after ``lock_after`` failures the account is locked *from that address* for ``lock_seconds``
  (the address over all accounts after ``address_lock_after``) — even the right password is
  refused; the account over all addresses is only slowed, never locked, so that nobody locks a
  colleague out from another address; a success clears the account's counts, never the
  address's; counts older than ``window`` lapse;
* a session id is 256 random bits, issued fresh at every login (no fixation), stored only as its
  sha256, ended by logout, by ``idle_seconds`` without a request or ``max_seconds`` after login,
  and by a password change or a disabled account.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from hepinggis.errors import AccountError, LoginRefused
from hepinggis.web.auth._duties import (
    DUTIES,
    PERMISSION_WORDS,
    PERMISSIONS,
    ROLES,
    check_duties,
    duties_text,
    parse_duties,
    permissions_of,
)
from hepinggis.web.auth._passwords import check_strength, hash_password, needs_rehash, verify_password
from hepinggis.web.store._server_schema import login_failures, password_history, sessions, users

__all__ = [
    "DUTIES",
    "PASSWORD_SETTINGS",
    "PERMISSIONS",
    "PERMISSION_WORDS",
    "ROLES",
    "Accounts",
    "LoginPolicy",
    "LoginRefused",
    "Session",
    "allowed",
    "password_expired",
    "password_rules",
    "permissions_of",
]

# the roles, duties and permissions live in `_duties` (issue 33: 三员分立); kept importable here
PASSWORD_SETTINGS = {"password_max_age_days": 90, "password_history": 5}
#: What 等保 2.0 asks as 定期更换 (change at regular intervals) and refusing reuse, as settings of the
#: store (安全管理, `auth.routes`); 0 turns each off. 90 days by default: the bureau's IT signs
#: off against 等保 level 2, which asks for it; a reviewer who finds it needless sets 0.
PASSWORD_LIMITS = {"password_max_age_days": (0, 3650), "password_history": (0, 24)}


def allowed(role: str, permission: str, duties: Iterable[str] = ()) -> bool:
    """True when ``role`` (with ``duties``) holds ``permission``."""
    return permission in permissions_of(role, duties)


def password_rules(conn: Any) -> dict[str, int]:
    """The password settings in force (``password_max_age_days``, ``password_history``)."""
    from hepinggis.web.store._schema import settings

    query = select(settings.c.key, settings.c.value).where(settings.c.key.in_(list(PASSWORD_SETTINGS)))
    rows = {str(k): v for k, v in conn.execute(query)}
    out = {}
    for key, default in PASSWORD_SETTINGS.items():
        try:
            out[key] = int(str(rows.get(key, default)).strip())
        except ValueError:
            out[key] = default
        low, high = PASSWORD_LIMITS[key]
        out[key] = min(max(out[key], low), high)
    return out


def password_expired(changed_at: str | None, max_age_days: int, *, now: float | None = None) -> bool:
    """True when a password set at ``changed_at`` (None: by an administrator) must be changed."""
    if changed_at is None:
        return True
    if max_age_days <= 0:
        return False
    try:
        when = datetime.fromisoformat(changed_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True
    return (time.time() if now is None else now) - when > max_age_days * 86_400


@dataclass(frozen=True, kw_only=True)
class LoginPolicy:
    """Limits on logins and sessions (seconds)."""

    slow_after: int = 3
    lock_after: int = 6
    address_slow_after: int = 10
    address_lock_after: int = 30
    account_slow_after: int = 10
    lock_seconds: float = 900.0
    max_delay: float = 60.0
    window: float = 900.0
    idle_seconds: float = 1800.0
    max_seconds: float = 8 * 3600.0


@dataclass(frozen=True)
class Session:
    """A live session: who, with which role, and the CSRF token that goes with it."""

    user_id: int
    name: str
    role: str
    csrf: str
    expires: float
    duties: tuple[str, ...] = ()
    must_change: bool = False  # an expired password (or one an administrator set): only a change allowed


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    """``name`` normalised (NFC, stripped), or AccountError."""
    name = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(name) <= 64:
        raise AccountError("用户名须为 1 至 64 个字符")
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in name):
        raise AccountError("用户名不能含控制字符或特殊空白")
    return name


def check_role(role: str) -> str:
    """``role`` if it is one of `ROLES`, or AccountError."""
    if role not in ROLES:
        raise AccountError(f"未知角色 {role!r}：角色只能是 {'、'.join(ROLES)}")
    return role


def _lock_keys(conn: Any, keys: list[str]) -> None:
    """Serialise the failure counts of ``keys`` between concurrent logins (issue 33's pen pass: two
    wrong passwords at once both inserted the same count — a 500 on PostgreSQL, a lost count on
    either): an advisory lock per key on PostgreSQL, the database's write lock on SQLite."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        for key in sorted(set(keys)):
            n = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": n})
    else:  # a write, even of no row, takes SQLite's one write lock before the counts are read
        conn.execute(update(login_failures).where(login_failures.c.key == keys[0]).values(key=keys[0]))


class Accounts:
    """Users, login failures and sessions over one SQLAlchemy engine (schema from `_migrate`)."""

    def __init__(self, engine: Engine, *, policy: LoginPolicy | None = None) -> None:
        self.engine = engine
        self.policy = policy or LoginPolicy()

    # ---- accounts ----
    def add_user(
        self,
        name: str,
        *,
        role: str,
        password: str,
        duties: Iterable[str] | None = None,
        must_change: bool = False,
    ) -> dict[str, Any]:
        """Create an account; AccountError if the name exists or the role/password is refused.

        ``duties`` None: all three for 管理 (one administrator, as before the split), none otherwise.
        ``must_change``: the password was chosen by an administrator — its owner changes it at login.
        """
        name, role = check_name(name), check_role(role)
        held = check_duties(DUTIES if duties is None and role == "管理" else (duties or ()))
        problem = check_strength(password)
        if problem:
            raise AccountError(problem)
        stamp = now_iso()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        name=name,
                        role=role,
                        password_hash=hash_password(password),
                        disabled=False,
                        created_at=stamp,
                        updated_at=stamp,
                        duties=duties_text(held),
                        password_changed_at=None if must_change else stamp,
                    )
                )
        except IntegrityError:
            raise AccountError(f"用户 {name} 已存在") from None
        return {"name": name, "role": role, "duties": list(held), "disabled": False, "created_at": stamp}

    def list_users(self) -> list[dict[str, Any]]:
        """Every account (name, role, duties, disabled, created_at, updated_at, must_change: the password expired), by
        name; never a hash."""
        cols = (
            users.c.name,
            users.c.role,
            users.c.duties,
            users.c.disabled,
            users.c.created_at,
            users.c.updated_at,
            users.c.password_changed_at,
        )
        with self.engine.connect() as conn:
            max_age = password_rules(conn)["password_max_age_days"]
            rows = [dict(r._mapping) for r in conn.execute(select(*cols).order_by(users.c.name))]
        for row in rows:
            row["duties"] = list(parse_duties(row["duties"]))
            row["must_change"] = password_expired(row.pop("password_changed_at"), max_age)
        return rows

    def user(self, name: str) -> dict[str, Any] | None:
        """One account (name, role, duties, disabled) or None."""
        try:
            name = check_name(name)
        except AccountError:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.name, users.c.role, users.c.duties, users.c.disabled).where(users.c.name == name)
            ).first()
        if row is None:
            return None
        return {"name": row.name, "role": row.role, "duties": list(parse_duties(row.duties)), "disabled": row.disabled}

    def has_users(self) -> bool:
        """True when at least one enabled account exists."""
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(users).where(users.c.disabled.is_(False))).scalar_one()
        return bool(n)

    def _user_id(self, conn: Any, name: str) -> int:
        uid = conn.execute(select(users.c.id).where(users.c.name == check_name(name))).scalar_one_or_none()
        if uid is None:
            raise AccountError(f"没有用户 {name}")
        return int(uid)

    def disable(self, name: str) -> None:
        """Disable an account and end its sessions."""
        with self.engine.begin() as conn:
            uid = self._user_id(conn, name)
            conn.execute(update(users).where(users.c.id == uid).values(disabled=True, updated_at=now_iso()))
            conn.execute(delete(sessions).where(sessions.c.user_id == uid))

    def enable(self, name: str) -> None:
        """Enable a disabled account."""
        with self.engine.begin() as conn:
            uid = self._user_id(conn, name)
            conn.execute(update(users).where(users.c.id == uid).values(disabled=False, updated_at=now_iso()))

    def set_password(self, name: str, password: str, *, by_admin: bool = False) -> None:
        """Change a password and end every session of the account.

        Refused (AccountError) when too weak or one of the last ``password_history`` passwords (the
        current one included; argon2 hashes kept in ``password_history``). ``by_admin``: set for
        its owner by an administrator, who must change it at the next login.
        """
        problem = check_strength(password)
        if problem:
            raise AccountError(problem)
        with self.engine.connect() as conn:
            uid = self._user_id(conn, name)
            keep = password_rules(conn)["password_history"]
            current = conn.execute(select(users.c.password_hash).where(users.c.id == uid)).scalar_one()
            earlier = conn.execute(
                select(password_history.c.password_hash)
                .where(password_history.c.user_id == uid)
                .order_by(password_history.c.id.desc())
                .limit(max(keep - 1, 0))
            ).scalars()
            recent = [current, *earlier] if keep else []
        if any(verify_password(old, password) for old in recent):
            raise AccountError(f"新密码不能与最近 {keep} 次用过的密码相同")
        stamp = now_iso()
        with self.engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == uid)
                .values(
                    password_hash=hash_password(password),
                    updated_at=stamp,
                    password_changed_at=None if by_admin else stamp,
                )
            )
            conn.execute(insert(password_history).values(user_id=uid, password_hash=current, retired_at=stamp))
            kept = select(password_history.c.id).where(password_history.c.user_id == uid)
            kept = kept.order_by(password_history.c.id.desc()).limit(max(keep - 1, 0))
            conn.execute(
                delete(password_history).where(
                    password_history.c.user_id == uid, password_history.c.id.not_in(kept.scalar_subquery())
                )
            )
            conn.execute(delete(sessions).where(sessions.c.user_id == uid))

    def set_role(self, name: str, role: str) -> None:
        """Change an account's role and end its sessions."""
        role = check_role(role)
        with self.engine.begin() as conn:
            uid = self._user_id(conn, name)
            conn.execute(update(users).where(users.c.id == uid).values(role=role, updated_at=now_iso()))
            conn.execute(delete(sessions).where(sessions.c.user_id == uid))

    def set_duties(self, name: str, duties: Iterable[str]) -> tuple[str, ...]:
        """Set an account's administrative duties (`_duties.DUTIES`) and end its sessions."""
        held = check_duties(duties)
        with self.engine.begin() as conn:
            uid = self._user_id(conn, name)
            conn.execute(update(users).where(users.c.id == uid).values(duties=duties_text(held), updated_at=now_iso()))
            conn.execute(delete(sessions).where(sessions.c.user_id == uid))
        return held

    # ---- lockouts (安全管理) ----
    def lockouts(self) -> list[dict[str, Any]]:
        """The counts of failed logins now slowing or locking someone: key, kind, who, address,
        failures, locked_until (epoch seconds, 0: slowed only)."""
        now = time.time()
        with self.engine.connect() as conn:
            rows = conn.execute(select(login_failures).order_by(login_failures.c.key)).all()
        out = []
        for row in rows:
            if row.locked_until <= now and now - row.last_at > self.policy.window:
                continue  # lapsed
            kind, _, rest = str(row.key).partition(":")
            name, _, address = rest.rpartition("@") if kind == "user" and "@" in rest else (rest, "", "")
            if kind == "addr":
                name, address = "", rest
            out.append(
                {
                    "key": row.key,
                    "name": name,
                    "address": address,
                    "failures": int(row.failures),
                    "locked_until": float(row.locked_until) if row.locked_until > now else 0.0,
                }
            )
        return out

    def release(self, key: str) -> bool:
        """Clear one count of failed logins (a lockout released); False if there was none."""
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(login_failures).where(login_failures.c.key == key)).rowcount)

    # ---- login failures ----
    def _failures(self, conn: Any, key: str, now: float) -> tuple[int, float, float]:
        row = conn.execute(select(login_failures).where(login_failures.c.key == key)).first()
        if row is None:
            return 0, 0.0, 0.0
        if row.locked_until <= now and now - row.last_at > self.policy.window:
            return 0, 0.0, 0.0
        return int(row.failures), float(row.last_at), float(row.locked_until)

    def _gate(self, conn: Any, key: str, now: float, slow_after: int, who: str, *, lock: bool = True) -> None:
        n, last, locked = self._failures(conn, key, now)
        if lock and locked > now:
            wait = locked - now
            raise LoginRefused(
                429,
                f"登录失败次数过多，{who}已被锁定，请 {int(wait // 60) + 1} 分钟后再试",
                "locked",
                retry_after=wait,
            )
        if n >= slow_after:
            delay = min(2.0 ** (n - slow_after + 1), self.policy.max_delay)
            if now < last + delay:
                wait = last + delay - now
                raise LoginRefused(429, f"登录失败次数过多，请 {int(wait) + 1} 秒后再试", "slowed", retry_after=wait)

    def _fail(self, conn: Any, key: str, now: float, lock_after: int) -> None:
        n, _, _ = self._failures(conn, key, now)
        n += 1
        locked = now + self.policy.lock_seconds if lock_after and n >= lock_after else 0.0
        values = {"failures": n, "last_at": now, "locked_until": locked}
        if conn.execute(update(login_failures).where(login_failures.c.key == key).values(**values)).rowcount == 0:
            conn.execute(insert(login_failures).values(key=key, **values))

    def login(self, name: str, password: str, *, address: str) -> tuple[str, Session]:
        """Check the password and open a new session: (cookie token, session).

        Raises
        ------
        LoginRefused
            Wrong name or password (401), or too many failures (429).
        """
        now = time.time()
        try:
            name = check_name(name)
        except AccountError:
            name = ""
        # three counts (issue 33): the account from this address (slowed, then locked — for this
        # address only), the address over all accounts (slowed, then locked), and the account over
        # all addresses (slowed only, and only for an address that itself failed on it): nobody can
        # lock a colleague — 管理 included — out from another address
        pkey, ukey, akey = f"user:{name}@{address}", f"user:{name}", f"addr:{address}"
        with self.engine.begin() as conn:
            self._gate(conn, akey, now, self.policy.address_slow_after, "该地址")
            self._gate(conn, pkey, now, self.policy.slow_after, "该账户在此地址")
            if self._failures(conn, pkey, now)[0]:
                self._gate(conn, ukey, now, self.policy.account_slow_after, "该账户", lock=False)
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first() if name else None
            max_age = password_rules(conn)["password_max_age_days"]
        good = verify_password(row.password_hash if row is not None else None, password)
        if row is None or not good or row.disabled:
            reason = "no such user" if row is None else ("disabled" if good else "wrong password")
            with self.engine.begin() as conn:
                _lock_keys(conn, [pkey, ukey, akey])  # concurrent failures: counted one after the other
                self._fail(conn, pkey, now, self.policy.lock_after)
                self._fail(conn, ukey, now, 0)  # never locks: slows only
                self._fail(conn, akey, now, self.policy.address_lock_after)
            raise LoginRefused(401, "用户名或密码错误", reason)
        with self.engine.begin() as conn:
            # the account's counts end; the address's does not (a login to one's own account must
            # not wipe the failures the same address made on others')
            conn.execute(delete(login_failures).where(login_failures.c.key.in_([pkey, ukey])))
            if needs_rehash(row.password_hash):
                conn.execute(update(users).where(users.c.id == row.id).values(password_hash=hash_password(password)))
            conn.execute(delete(sessions).where(sessions.c.expires < now))  # housekeeping
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            expires = now + self.policy.max_seconds
            must_change = password_expired(row.password_changed_at, max_age, now=now)
            conn.execute(
                insert(sessions).values(
                    id_hash=_digest(token),
                    user_id=row.id,
                    csrf=csrf,
                    address=address,
                    created=now,
                    last_seen=now,
                    expires=expires,
                    must_change=must_change,
                )
            )
        duties = parse_duties(row.duties)
        return token, Session(int(row.id), row.name, row.role, csrf, expires, duties, must_change)

    # ---- sessions ----
    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie token (its idle clock restarted), or None."""
        if not token or len(token) > 200:
            return None
        now = time.time()
        key = _digest(token)
        with self.engine.begin() as conn:
            row = conn.execute(
                select(sessions, users.c.name, users.c.role, users.c.disabled, users.c.duties)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.id_hash == key)
            ).first()
            if row is None:
                return None
            if row.disabled or row.expires <= now or now - row.last_seen > self.policy.idle_seconds:
                conn.execute(delete(sessions).where(sessions.c.id_hash == key))
                return None
            if now - row.last_seen > 5:  # write the idle clock at most every few seconds
                conn.execute(update(sessions).where(sessions.c.id_hash == key).values(last_seen=now))
        duties = parse_duties(row.duties)
        return Session(
            int(row.user_id), row.name, row.role, row.csrf, float(row.expires), duties, bool(row.must_change)
        )

    def logout(self, token: str | None) -> None:
        """End the session of ``token`` (nothing if there is none)."""
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.id_hash == _digest(token)))
