"""The login page and the 管理 pages (用户, 审计) in Debian Chromium against a real ``hepinggis serve``
process whose accounts were made by ``hepinggis users add --password-stdin``. Every test fails on a
page error, a console error it did not cause on purpose, an unexpected dialog or a request that
leaves the server (`test_browser.Tab`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _server import Server, wait_gone
from _server_env import users_add
from conftest import HOSTILE
from playwright.sync_api import expect
from test_web_browser import Tab

from hepinggis.errors import AccountError
from hepinggis.web.auth._accounts import check_name

CLERK, OFFICER, SLOWED = "填报员甲", "管理员乙", "审核员丙"
PASSWORDS = {CLERK: "Clerk#2024-abcdef", OFFICER: "Officer#2024-abcdef", SLOWED: "Slowed#2024-abcdef"}
NEW_PASSWORD = "Xn#2024-abc-def"


def _allowed(text: str) -> bool:
    try:
        return check_name(text) == text
    except AccountError:
        return False


#: the hostile texts an account may be called (1–64 characters, no control character or odd space)
HOSTILE_NAMES = [h["text"] for h in HOSTILE if _allowed(h["text"])]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("login") / "store"
    data.mkdir()
    users_add(data, None, CLERK, "填报", PASSWORDS[CLERK])
    users_add(data, None, OFFICER, "管理", PASSWORDS[OFFICER])
    users_add(data, None, SLOWED, "审核", PASSWORDS[SLOWED])
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


def _login(tab: Tab, name: str, password: str, *, path: str = "/login") -> Any:
    page = tab.goto(path)
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#submit")
    return page


def _status(page: Any, text: str) -> None:
    """Wait until the 用户 page's status line says exactly ``text``."""
    expect(page.locator("#status")).to_have_text(text, timeout=30_000)  # argon2 takes seconds on a loaded machine


def _refused(tab: Tab, page: Any, name: str, password: str) -> str:
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_selector("#msg:not(:empty)")
    tab.expect_error("401")  # the browser logs the refused request
    return str(page.inner_text("#msg"))


def test_clerk_sees_no_admin_pages_and_a_wrong_password_gets_one_chinese_line(tab: Tab) -> None:
    page = tab.goto("/registers")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert page.title().startswith("登录")
    assert page.locator("header.top nav").count() == 0 and page.locator("link[href='/static/style.css']").count() == 1
    assert _refused(tab, page, CLERK, "wrong-password-1") == "用户名或密码错误"
    assert page.url.endswith("/login?next=/registers")  # still on the login page
    page.fill("#password", PASSWORDS[CLERK])
    page.click("#submit")
    page.wait_for_url("**/registers")
    assert CLERK in page.inner_text("#user") and "填报" in page.inner_text("#user")
    nav = page.eval_on_selector_all("header.top nav a", "as => as.map(a => a.textContent.trim())")
    assert "项目清单" in nav and "用户" not in nav and "审计" not in nav
    page = tab.goto("/users")
    assert "权限不足" in page.inner_text("#error-line") and "「用户管理」职责" in page.inner_text("#error-line")
    tab.expect_error("403")
    page = tab.goto("/audit")
    assert "权限不足" in page.inner_text("#error-line")
    tab.expect_error("403")
    page.click("#logout")
    page.wait_for_url("**/login")
    page = tab.goto("/")
    page.wait_for_url(re.compile(r"/login\?next="))  # the session is gone


def test_repeated_failures_say_when_to_try_again(tab: Tab) -> None:
    page = tab.goto("/login")
    for _ in range(3):  # the server's default policy slows an account down after 3 failures
        assert _refused(tab, page, SLOWED, "wrong-password-2") == "用户名或密码错误"
    # the next tries are refused with when to try again (the wait counts from the last failure, so
    # on a loaded machine a try may come after it: then it is one more failure, and the wait grows)
    line = ""
    for _ in range(6):
        page.fill("#password", "wrong-password-3")
        page.click("#submit")
        page.wait_for_selector("#msg:not(:empty)")
        line = page.inner_text("#msg")
        if line != "用户名或密码错误":
            tab.expect_error("429")
            break
        tab.expect_error("401")
    assert re.fullmatch(r"登录失败次数过多，(请 \d+ 秒|该账户(在此地址)?已被锁定，请 \d+ 分钟)后再试", line), line


@pytest.mark.parametrize(
    "next_", ["//evil.example/x", "http://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_goes_only_to_a_path_of_this_site(tab: Tab, next_: str) -> None:
    from urllib.parse import quote

    page = _login(tab, CLERK, PASSWORDS[CLERK], path="/login?next=" + quote(next_, safe=""))
    page.wait_for_url(tab.base + "/")
    assert page.url == tab.base + "/"


@pytest.mark.parametrize("next_", ["/.//evil.example", "/a/..//evil.example", "/%2e//evil.example"])
def test_a_next_the_browser_would_normalise_off_site_stays_here(tab: Tab, next_: str) -> None:
    """Issue 33: the page checked the raw string, then the browser made it //evil.example."""
    from urllib.parse import quote

    page = _login(tab, CLERK, PASSWORDS[CLERK], path="/login?next=" + quote(next_, safe=""))
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state()
    tab.errors[:] = [e for e in tab.errors if "404" not in e]  # /evil.example: a path here that does not exist
    assert page.url.startswith(tab.base + "/") and "evil.example" not in page.url.split("/")[2]


def test_login_follows_a_same_site_next(tab: Tab) -> None:
    page = _login(tab, CLERK, PASSWORDS[CLERK], path="/login?next=%2Fmonitoring%3Fx%3D1")
    page.wait_for_url(re.compile(r"/monitoring\?x=1$"))


def test_officer_adds_and_disables_users_and_reads_the_audit_trail(tab: Tab, browser: Any, tmp_path: Path) -> None:
    assert len(HOSTILE_NAMES) >= 10  # the corpus reaches the name field
    page = _login(tab, OFFICER, PASSWORDS[OFFICER])
    page.wait_for_url(tab.base + "/")
    nav = page.eval_on_selector_all("header.top nav a", "as => as.map(a => a.textContent.trim())")
    assert nav[-3:] == ["用户", "安全", "审计"]  # a 管理 from before the split holds all three duties
    page.click("header.top nav a[href='/users']")
    page.wait_for_url("**/users")
    names = [*HOSTILE_NAMES, "临时用户"]
    for name in names:
        page.fill("#new-name", name)
        page.select_option("#new-role", "填报")
        page.fill("#new-password", NEW_PASSWORD)
        page.fill("#new-password2", NEW_PASSWORD)
        page.click("#add")
        _status(page, f"已新增用户“{name}”（填报）")
    # the passwords typed twice must match: nothing is sent otherwise
    page.fill("#new-name", "不一致")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#new-password2", NEW_PASSWORD + "x")
    page.click("#add")
    assert page.inner_text("#status") == "两次输入的密码不一致"
    shown = page.eval_on_selector_all("#users tbody td.name", "tds => tds.map(td => td.textContent)")
    assert sorted(shown) == sorted([CLERK, OFFICER, SLOWED, *names])
    assert page.evaluate("document.querySelectorAll('#users img, #users svg, #users script').length") == 0
    # each hostile name's row answers its own buttons: disable one with the worst characters, enable it again
    tricky = next(n for n in HOSTILE_NAMES if "/" in n and "<" in n)
    row = page.locator("#users tbody tr").filter(has=page.locator("td.name", has_text=tricky))
    row.locator("button.disable").click()
    _status(page, f"已停用用户“{tricky}”")
    row = page.locator("#users tbody tr").filter(has=page.locator("td.name", has_text=tricky))
    assert row.locator("td.state").inner_text() == "已停用"
    row.locator("button.enable").click()
    _status(page, f"已启用用户“{tricky}”")
    # 临时用户: role changed to 审核, then disabled
    row = page.locator("#users tbody tr").filter(has=page.locator("td.name", has_text="临时用户"))
    row.locator("select[name=role]").select_option("审核")
    row.locator("form.role-form button").click()
    _status(page, "已把“临时用户”的角色改为审核")
    row = page.locator("#users tbody tr").filter(has=page.locator("td.name", has_text="临时用户"))
    assert row.locator("td.role").inner_text() == "审核"
    row.locator("button.disable").click()
    _status(page, "已停用用户“临时用户”")

    # the disabled user cannot log in (another browser context: no session shared)
    other = Tab(browser.new_context(), tab.base.replace("localhost", "127.0.0.1"))
    try:
        login = other.goto("/login")
        assert _refused(other, login, "临时用户", NEW_PASSWORD) == "用户名或密码错误"
        formula = next(n for n in HOSTILE_NAMES if n.startswith("=HYPERLINK"))
        assert _refused(other, login, formula, "no-such-password") == "用户名或密码错误"
        other.check()
    finally:
        other.context.close()

    # the 审计 page: newest first, the actions literally, filters by action and by user
    page.click("header.top nav a[href='/audit']")
    page.wait_for_url("**/audit")
    first = page.locator("#audit tbody tr").first
    # refused logins: one row per address and minute, naming every user tried (issue 33)
    assert first.locator("td.action").inner_text() == "登录失败" and formula in first.locator("td.user").inner_text()
    objects = page.eval_on_selector_all("#audit tbody td.object", "tds => tds.map(td => td.textContent)")
    assert "用户 临时用户" in objects
    page.select_option("#f-action", "user_add")
    page.click("#audit-filter button")
    page.wait_for_url(re.compile(r"/audit\?.*action=user_add"))
    total = int(page.inner_text("#total"))
    assert total == len(names) + 3  # the three made by the command line too
    rows = page.eval_on_selector_all("#audit tbody td.object", "tds => tds.map(td => td.textContent)")
    assert total <= 50 and sorted(rows) == sorted(f"用户 {n}" for n in [CLERK, OFFICER, SLOWED, *names])
    page.select_option("#f-action", "user_disable")
    page.select_option("#f-user", OFFICER)
    page.click("#audit-filter button")
    page.wait_for_url(re.compile(r"/audit\?"))
    rows = page.eval_on_selector_all("#audit tbody td.object", "tds => tds.map(td => td.textContent)")
    assert rows == ["用户 临时用户", f"用户 {tricky}"]
    page.select_option("#f-user", "")
    page.select_option("#f-action", "")
    page.click("#audit-filter button")
    page.wait_for_url(re.compile(r"/audit\?"))
    # every hostile name added shows literally in the trail, nothing of it runs
    all_objects = page.eval_on_selector_all("#audit tbody td.object", "tds => tds.map(td => td.textContent)")
    assert {f"用户 {n}" for n in HOSTILE_NAMES} <= set(all_objects)
    assert page.evaluate("document.querySelectorAll('#audit img, #audit svg, #audit script').length") == 0

    # the download: the whole trail as Excel, newest first, every text a text
    with page.expect_download() as dl:
        page.click("#dl-xlsx")
    path = tmp_path / "audit.xlsx"
    dl.value.save_as(path)
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号", "时间（北京时间）", "用户"] and "操作" in header and "对象" in header
    rows_x = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    assert rows_x[0]["操作"] == "登录失败" and formula in rows_x[0]["用户"]
    added = [r["对象"] for r in rows_x if r["操作代码"] == "user_add" and r["用户"] == OFFICER]
    assert sorted(added) == sorted(f"用户 {n}" for n in names)
    disabled = [r["对象"] for r in rows_x if r["操作代码"] == "user_disable"]
    assert disabled == ["用户 临时用户", f"用户 {tricky}"]
    roles = [r["说明"] for r in rows_x if r["操作代码"] == "user_role"]
    assert roles == ["角色改为 审核"]
    assert [int(r["序号"]) for r in rows_x] == sorted((int(r["序号"]) for r in rows_x), reverse=True)

    page.click("#logout")
    page.wait_for_url("**/login")


def test_the_security_page_saves_and_says_why_it_refuses(tab: Tab) -> None:
    """The 安全 page's script (security.js, on the script the 管理 pages share, admin_page.js): a saved
    setting is said after the reload that shows it; a refused one in the server's own line, as an error."""
    page = _login(tab, OFFICER, PASSWORDS[OFFICER])
    page.wait_for_url(tab.base + "/")
    page = tab.goto("/security")
    page.fill("#history", "7")
    page.click("#save")
    _status(page, "已保存安全设置")
    assert page.locator("#status").get_attribute("class") == "status ok"
    assert page.input_value("#history") == "7"
    page.fill("#ogc-public", "不是 编号")
    page.click("#save")
    _status(page, "公开图层须为图层编号（字母、数字、下划线、连字符），以逗号分隔")
    assert page.locator("#status").get_attribute("class") == "status error"
    tab.expect_error("400")
