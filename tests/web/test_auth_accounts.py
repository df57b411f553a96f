"""Accounts, lockout and sessions (hepinggis.web.auth._accounts) on SQLite and on PostGIS."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from _server_env import pg_schemas, pg_url, store_url  # noqa: F401 - fixtures
from sqlalchemy import select

from hepinggis.errors import AccountError, LoginRefused
from hepinggis.web.auth._accounts import Accounts, LoginPolicy, allowed
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._migrate import upgrade
from hepinggis.web.store._server_schema import sessions, users

PASSWORD = "Kf8#mQ2!zR7p"


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("hepinggis.web.auth._accounts.time", SimpleNamespace(time=c.time))
    return c


@pytest.fixture
def accounts(tmp_path: Path, store_url: str | None) -> Accounts:  # noqa: F811
    engine = make_engine(tmp_path / "data", store_url)
    upgrade(engine)
    policy = LoginPolicy(slow_after=2, lock_after=4, address_slow_after=6, address_lock_after=8, lock_seconds=600)
    acc = Accounts(engine, policy=policy)
    acc.add_user("张三", role="填报", password=PASSWORD)
    return acc


def test_password_is_hashed_never_stored(accounts: Accounts) -> None:
    with accounts.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert all("password" not in k for row in accounts.list_users() for k in row)


@pytest.mark.parametrize(
    ("name", "role", "password", "why"),
    [
        ("", "填报", PASSWORD, "用户名"),
        ("a\x00b", "填报", PASSWORD, "控制字符"),
        ("王五", "超级", PASSWORD, "未知角色"),
        ("王五", "填报", "short", "至少"),
        ("张三", "审核", PASSWORD, "已存在"),
    ],
)
def test_bad_accounts_refused(accounts: Accounts, name: str, role: str, password: str, why: str) -> None:
    with pytest.raises(AccountError, match=why):
        accounts.add_user(name, role=role, password=password)


def test_login_issues_a_fresh_session_each_time(accounts: Accounts) -> None:
    t1, s1 = accounts.login("张三", PASSWORD, address="10.0.0.1")
    t2, s2 = accounts.login("张三", PASSWORD, address="10.0.0.1")
    assert t1 != t2 and s1.csrf != s2.csrf and len(t1) >= 40
    assert accounts.session(t1) is not None and accounts.session(t2).role == "填报"  # type: ignore[union-attr]
    with accounts.engine.connect() as conn:
        stored = set(conn.execute(select(sessions.c.id_hash)).scalars())
    assert t1 not in stored and t2 not in stored  # only digests are kept
    accounts.logout(t1)
    assert accounts.session(t1) is None and accounts.session(t2) is not None
    assert accounts.session("forged-token") is None and accounts.session("") is None


def test_unknown_user_and_wrong_password_answer_alike(accounts: Accounts) -> None:
    answers = []
    for name, pw in (("张三", "wrong-password-1"), ("无此人", PASSWORD)):
        with pytest.raises(LoginRefused) as info:
            accounts.login(name, pw, address="10.0.0.2")
        answers.append((info.value.status, info.value.message))
    assert answers[0] == answers[1] == (401, "用户名或密码错误")


def test_slowed_then_locked_then_released(accounts: Accounts, clock: Clock) -> None:
    def attempt(pw: str) -> int:
        try:
            accounts.login("张三", pw, address="10.0.0.3")
        except LoginRefused as exc:
            return exc.status
        return 200

    assert [attempt("bad-password-x") for _ in range(2)] == [401, 401]
    assert attempt("bad-password-x") == 429  # slowed: must wait 2 s
    assert attempt(PASSWORD) == 429  # even the right password waits
    clock.now += 3
    assert attempt("bad-password-x") == 401  # third failure
    clock.now += 5
    assert attempt("bad-password-x") == 401  # fourth: locked now
    clock.now += 120
    assert attempt(PASSWORD) == 429  # locked, whatever the password
    clock.now += 600
    assert attempt(PASSWORD) == 200
    assert attempt("bad-password-x") == 401  # the count started again


def test_address_is_locked_across_accounts(accounts: Accounts, clock: Clock) -> None:
    statuses = []
    for i in range(12):
        clock.now += 100  # never slowed per account: only the address count grows
        try:
            accounts.login(f"user{i}", "bad-password-x", address="10.9.9.9")
        except LoginRefused as exc:
            statuses.append(exc.status)
    assert statuses[:8] == [401] * 8 and set(statuses[8:]) == {429}
    with pytest.raises(LoginRefused) as info:
        accounts.login("张三", PASSWORD, address="10.9.9.9")
    assert info.value.status == 429
    accounts.login("张三", PASSWORD, address="10.9.9.10")  # another address is not locked


def test_nobody_locks_a_colleague_out_from_another_address(accounts: Accounts, clock: Clock) -> None:
    """Issue 33: six wrong passwords used to lock 管理 for 15 minutes, whoever typed them."""
    accounts.add_user("王管理", role="管理", password=PASSWORD)
    statuses = []
    for _ in range(10):
        clock.now += 50  # past every delay (at most 8 s here): only the locks count
        try:
            accounts.login("王管理", "bad-password-x", address="10.6.6.6")
        except LoginRefused as exc:
            statuses.append(exc.status)
    assert statuses[:4] == [401] * 4 and set(statuses[4:]) == {429}  # that address is locked out
    accounts.login("王管理", PASSWORD, address="10.6.6.7")  # from the 管理's own desk: at once
    with pytest.raises(LoginRefused) as still:
        accounts.login("王管理", PASSWORD, address="10.6.6.6")
    assert still.value.status == 429


def test_own_login_does_not_reset_the_addresss_failures(accounts: Accounts, clock: Clock) -> None:
    for i in range(7):
        clock.now += 70
        with pytest.raises(LoginRefused):
            accounts.login(f"user{i}", "bad-password-x", address="10.7.7.7")
    clock.now += 70
    accounts.login("张三", PASSWORD, address="10.7.7.7")  # the guesser's own account
    clock.now += 70
    with pytest.raises(LoginRefused) as info:
        accounts.login("user9", "bad-password-x", address="10.7.7.7")
    assert info.value.status == 401
    with pytest.raises(LoginRefused) as locked:  # the eighth failure locked the address
        accounts.login("张三", PASSWORD, address="10.7.7.7")
    assert locked.value.status == 429


def test_sessions_expire_idle_and_absolute(accounts: Accounts, clock: Clock) -> None:
    token, _ = accounts.login("张三", PASSWORD, address="10.0.0.4")
    clock.now += accounts.policy.idle_seconds - 10
    assert accounts.session(token) is not None  # activity restarts the idle clock
    clock.now += accounts.policy.idle_seconds + 1
    assert accounts.session(token) is None
    token, _ = accounts.login("张三", PASSWORD, address="10.0.0.4")
    for _ in range(int(accounts.policy.max_seconds // 1000) + 1):
        clock.now += 1000
        accounts.session(token)
    assert accounts.session(token) is None  # 8 h after login, however active


def test_disable_password_and_role_change_end_sessions(accounts: Accounts) -> None:
    for change in (
        lambda: accounts.set_password("张三", "Another#pass9"),
        lambda: accounts.set_role("张三", "审核"),
        lambda: accounts.disable("张三"),
    ):
        pw = (
            "Another#pass9"
            if accounts.list_users()[0]["updated_at"] != accounts.list_users()[0]["created_at"]
            else PASSWORD
        )
        token, _ = accounts.login("张三", pw, address="10.0.0.5")
        change()
        assert accounts.session(token) is None
    with pytest.raises(LoginRefused):
        accounts.login("张三", "Another#pass9", address="10.0.0.5")
    assert not accounts.has_users()


def test_permissions_table() -> None:
    assert allowed("填报", "upload") and allowed("填报", "build") and not allowed("填报", "sign")
    assert allowed("审核", "sign") and allowed("审核", "upload") and not allowed("审核", "delete")
    assert allowed("管理", "adopt") and allowed("管理", "delete") and not allowed("管理", "users")
    assert not allowed("管理", "sign") and not allowed("nobody", "view")
    # issue 33: accounts, security and the audit trail are duties, held apart or together
    assert allowed("管理", "users", ["用户管理"]) and not allowed("管理", "audit", ["用户管理"])
    assert allowed("无", "audit", ["审计查看"]) and not allowed("无", "users", ["审计查看"])
    assert allowed("无", "security", ["安全管理"]) and allowed("无", "view") and not allowed("无", "upload")
