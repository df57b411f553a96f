"""Password expiry and history (issue 33, 等保 2.0 定期更换): a password older than the setting, or
one an administrator chose, reaches only the change-password page until it is changed; a change may
not reuse one of the last N; ``hepinggis users policy``/``passwd --must-change``; the page in
Chromium by keyboard, at 390 px, through axe."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from _cli import cli_in_process
from _server import Server, wait_gone
from _server_env import pg_schemas, pg_url, store_url, users_add  # noqa: F401 - fixtures
from playwright.sync_api import expect
from sqlalchemy import update

from hepinggis.errors import AccountError
from hepinggis.web.auth._accounts import Accounts, LoginPolicy
from hepinggis.web.auth._security_settings import put_settings
from hepinggis.web.store._server_schema import users

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

P = ["Pw#0-alpha-river", "Pw#1-bravo-stone", "Pw#2-charlie-moon", "Pw#3-delta-cloud"]


def _accounts(tmp_path: Path, db: str | None) -> Accounts:
    from hepinggis.web.store._engine import make_engine
    from hepinggis.web.store._migrate import upgrade

    engine = make_engine(tmp_path / "store", db)
    upgrade(engine)
    return Accounts(engine)


def _age(accounts: Accounts, name: str, days: float | None) -> None:
    stamp = None if days is None else (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")
    with accounts.engine.begin() as conn:
        conn.execute(update(users).where(users.c.name == name).values(password_changed_at=stamp))


def test_history_refuses_the_last_n_passwords(tmp_path: Path, store_url: str | None) -> None:  # noqa: F811
    accounts = _accounts(tmp_path, store_url)
    put_settings(accounts.engine, {"password_history": "3"})
    accounts.add_user("张三", role="填报", password=P[0])
    accounts.set_password("张三", P[1])
    accounts.set_password("张三", P[2])
    for old in (P[2], P[1], P[0]):  # the current one and the two before it
        with pytest.raises(AccountError, match="最近 3 次"):
            accounts.set_password("张三", old)
    put_settings(accounts.engine, {"password_history": "2"})
    accounts.set_password("张三", P[0])  # three back: allowed when only two are kept
    put_settings(accounts.engine, {"password_history": "0"})
    accounts.set_password("张三", P[0])  # no history at all
    accounts.engine.dispose()


def test_an_old_or_administrator_set_password_must_be_changed(tmp_path: Path, store_url: str | None) -> None:  # noqa: F811
    accounts = _accounts(tmp_path, store_url)
    accounts.add_user("李四", role="审核", password=P[0])
    assert not accounts.login("李四", P[0], address="a")[1].must_change
    _age(accounts, "李四", 91)  # default 90 days
    assert accounts.login("李四", P[0], address="a")[1].must_change
    assert [u["must_change"] for u in accounts.list_users()] == [True]
    put_settings(accounts.engine, {"password_max_age_days": "0"})  # expiry off
    assert not accounts.login("李四", P[0], address="a")[1].must_change
    put_settings(accounts.engine, {"password_max_age_days": "30"})
    _age(accounts, "李四", 29)
    assert not accounts.login("李四", P[0], address="a")[1].must_change
    accounts.set_password("李四", P[1], by_admin=True)  # an administrator's reset: changed at login
    token, session = accounts.login("李四", P[1], address="a")
    assert session.must_change and accounts.session(token).must_change  # type: ignore[union-attr]
    accounts.set_password("李四", P[2])  # its owner's change
    assert not accounts.login("李四", P[2], address="a")[1].must_change
    accounts.engine.dispose()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    application = create_app(
        data_dir=tmp_path_factory.mktemp("expiry"),
        workers=1,
        require_login=True,
        login_policy=LoginPolicy(address_slow_after=1000, address_lock_after=2000),
    )
    application.state.accounts.add_user("old", role="填报", password=P[0])
    with TestClient(application, raise_server_exceptions=False):
        yield application


def test_an_expired_session_reaches_only_the_change(app: Any) -> None:
    accounts = app.state.accounts
    _age(accounts, "old", 400)
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    r = client.post("/api/login", json={"username": "old", "password": P[0], "next": "/monitoring?x=1"})
    assert r.status_code == 200 and r.json()["must_change"] is True
    assert r.json()["next"] == "/password?next=%2Fmonitoring%3Fx%3D1"
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    page = client.get("/registers")
    assert page.status_code == 303 and page.headers["location"] == "/password?next=%2Fregisters"
    for method, path in (("GET", "/api/registers"), ("POST", "/api/preview"), ("GET", "/ogc/collections")):
        r = client.request(method, path)
        assert r.status_code == 403 and r.json()["detail"].startswith("密码已过期"), (method, path, r.text)
    form = client.get("/password?next=/monitoring")
    assert form.status_code == 200 and 'id="password-form"' in form.text and "密码已过期" in form.text
    assert 'data-next="/monitoring"' in form.text
    assert client.get("/password?next=//evil.example").text.count('data-next="//') == 0
    # the change: not the same, not too weak, not without the CSRF token
    same = client.post("/api/me/password", json={"old_password": P[0], "new_password": P[0]})
    assert same.status_code == 400 and same.json()["detail"] == "新密码不能与原密码相同"
    assert client.post("/api/me/password", json={"old_password": P[0], "new_password": "12345678"}).status_code == 400
    no_token = TestClient(app, raise_server_exceptions=False, cookies=client.cookies)
    assert no_token.post("/api/me/password", json={"old_password": P[0], "new_password": P[1]}).status_code == 403
    assert client.post("/api/me/password", json={"old_password": P[0], "new_password": P[1]}).status_code == 200
    assert client.get("/api/session").status_code == 401  # every session ended
    again = TestClient(app, raise_server_exceptions=False)
    r = again.post("/api/login", json={"username": "old", "password": P[1], "next": "/monitoring"})
    assert r.json()["must_change"] is False and r.json()["next"] == "/monitoring"
    assert again.get("/api/registers").status_code == 200


def test_the_command_line_sets_policy_duties_and_a_must_change(tmp_path: Path) -> None:
    data = tmp_path / "store"
    users_add(data, None, "审计员", "无", P[0])
    done = cli_in_process("users", "policy", "--max-age-days", "30", "--history", "3", "--data", str(data))
    assert done.returncode == 0 and "30 天" in done.stdout and "最近 3 次" in done.stdout, done.stderr
    done = cli_in_process("users", "policy", "--history", "99", "--data", str(data))
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    done = cli_in_process("users", "grant", "审计员", "审计查看", "安全管理", "--data", str(data))
    assert done.returncode == 0 and "安全管理、审计查看" in done.stdout, done.stderr
    done = cli_in_process("users", "revoke", "审计员", "安全管理", "--data", str(data))
    assert done.returncode == 0 and done.stdout.strip().endswith("审计查看（其会话已结束）"), done.stdout
    done = cli_in_process(
        "users", "passwd", "审计员", "--must-change", "--password-stdin", "--data", str(data), stdin=P[1]
    )
    assert done.returncode == 0, done.stderr
    done = cli_in_process("users", "passwd", "审计员", "--password-stdin", "--data", str(data), stdin=P[0] + "\n")
    assert done.returncode != 0 and "最近 3 次" in done.stderr, done.stderr  # P[0] is in the history
    listed = cli_in_process("users", "list", "--data", str(data)).stdout
    assert re.search(r"审计员\t无\t审计查看\t须修改密码", listed), listed


# -- the page in Chromium ------------------------------------------------------------------------------
NAME, FIRST, SECOND = "到期用户", "First#2024-abcdef", "Second#2024-abcdef"
OFFICER = "安全员<b>甲</b>"  # a hostile name, shown as text


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("expired") / "store"
    data.mkdir()
    users_add(data, None, NAME, "填报", FIRST)
    users_add(data, None, OFFICER, "管理", FIRST)  # all three duties
    done = cli_in_process(
        "users", "passwd", NAME, "--must-change", "--password-stdin", "--data", str(data), stdin=FIRST + "x\n"
    )
    assert done.returncode == 0, done.stderr
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


def test_an_expired_user_changes_the_password_by_keyboard_on_a_phone(browser: Any, server: Server) -> None:
    from test_clerk_pages import _axe
    from test_web_browser import Tab

    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    context.set_default_timeout(120_000)
    tab = Tab(context, server.url)
    try:
        page = tab.goto("/login?next=%2Fmonitoring")
        page.fill("#username", NAME)
        page.fill("#password", FIRST + "x")
        page.click("#submit")
        page.wait_for_url(re.compile(r"/password\?next=%2Fmonitoring$"))
        page.wait_for_load_state("load")
        assert "密码已过期或由管理员重设" in page.inner_text("#why")
        assert page.locator("header.top nav").count() == 0  # nowhere else to go until it is changed
        assert _axe(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # by keyboard only: focus walks the fields in order, Enter submits
        page.focus("#old-password")
        page.keyboard.type(FIRST + "x")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "new-password"
        page.keyboard.type(SECOND)
        page.keyboard.press("Tab")
        page.keyboard.type(SECOND + "y")
        page.keyboard.press("Enter")
        page.wait_for_selector("#msg:not(:empty)")
        assert page.inner_text("#msg") == "两次输入的新密码不一致"
        page.fill("#new-password2", SECOND)
        page.focus("#new-password2")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/login\?next=%2Fmonitoring$"))
        page.fill("#username", NAME)
        page.fill("#password", SECOND)
        page.click("#submit")
        page.wait_for_url(re.compile(r"/monitoring$"))
        assert page.locator("#change-password").count() == 1
    finally:
        context.close()
    tab.check()


def test_the_security_page_grants_a_duty_by_keyboard_on_a_phone(browser: Any, server: Server) -> None:
    """The 安全 page with accounts: axe and 390 px, a duty granted with Space, Tab and Enter, never
    one's own (no control on one's own row), the name shown as text."""
    from test_clerk_pages import _axe
    from test_web_browser import Tab

    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    context.set_default_timeout(120_000)
    tab = Tab(context, server.url)
    try:
        page = tab.goto("/login?next=%2Fsecurity")
        page.fill("#username", OFFICER)
        page.fill("#password", FIRST)
        page.click("#submit")
        page.wait_for_url(re.compile(r"/security$"))
        page.wait_for_load_state("load")
        assert _axe(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        mine = page.locator("#duties tbody tr").filter(has=page.locator("td.name", has_text="安全员"))
        assert mine.locator("td.name").inner_text() == OFFICER and mine.locator("button").count() == 0
        row = page.locator("#duties tbody tr").filter(has=page.locator("td.name", has_text=NAME))
        box = row.locator("input[value='审计查看']")
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked()
        row.locator("button.save-duties").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#status")).to_have_text(f"已把“{NAME}”的职责设为审计查看", timeout=60_000)
        row = page.locator("#duties tbody tr").filter(has=page.locator("td.name", has_text=NAME))
        assert row.locator("input[value='审计查看']").is_checked()
        assert not row.locator("input[value='用户管理']").is_checked()
    finally:
        context.close()
    tab.check()
