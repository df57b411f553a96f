"""The 审计 page's paging and filters and the 用户 page's rows, through the application (TestClient):
hostile user names and audit rows come back escaped, and the pager keeps the filter."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import HOSTILE
from markupsafe import escape

from hepinggis.web.auth import _audit

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

TEXTS = [h["text"] for h in HOSTILE if len(h["text"]) <= 200]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    application = create_app(data_dir=tmp_path_factory.mktemp("admin"), workers=1)
    with TestClient(application, raise_server_exceptions=False):
        yield application


def test_audit_page_pages_newest_first_and_keeps_the_filter(app: Any) -> None:
    engine = app.state.store.engine
    for i in range(120):
        _audit.record(engine, action="upload_register", username=TEXTS[i % len(TEXTS)], object=f"第{i}行")
    client = TestClient(app, raise_server_exceptions=False)  # loopback without accounts: the local 管理
    first = client.get("/audit")
    assert first.status_code == 200 and "第 1 / 3 页" in first.text and first.text.count('<td class="object">') == 50
    assert '<td class="object">第119行</td>' in first.text  # newest first
    last = client.get("/audit", params={"page": 3})
    assert last.text.count('<td class="object">') == 20 and '<td class="object">第0行</td>' in last.text
    who = TEXTS[4]  # '<img src=x onerror=alert(1)>'
    only = client.get("/audit", params={"user": who, "action": "upload_register"})
    n = len([i for i in range(120) if TEXTS[i % len(TEXTS)] == who])
    assert only.text.count('<td class="object">') == n and f'共 <span id="total">{n}</span> 条' in only.text
    assert who not in only.text and str(escape(who)) in only.text
    api = client.get("/api/audit", params={"user": who, "action": "upload_register"}).json()
    assert len(api) == n and {r["username"] for r in api} == {who}
    for text in TEXTS:
        page = client.get("/audit", params={"user": text})
        assert page.status_code == 200
        assert f'<option value="{escape(text)}" selected>{escape(text)}</option>' in page.text  # literally
        if any(c in text for c in '<>&"'):
            assert text not in page.text


def test_users_page_lists_hostile_names_escaped_and_only_for_the_officer(app: Any) -> None:
    from hepinggis.errors import AccountError
    from hepinggis.web.auth._accounts import check_name

    accounts = app.state.accounts
    names = []
    for text in TEXTS:
        try:
            ok = check_name(text) == text
        except AccountError:
            ok = False
        if ok:
            accounts.add_user(text, role="填报", password="Xn#2024-abc-def")
            names.append(text)
    accounts.add_user("管理员", role="管理", password="Officer#2024-abc")
    clerk = TestClient(app, raise_server_exceptions=False)
    assert clerk.post("/api/login", json={"username": names[0], "password": "Xn#2024-abc-def"}).status_code == 200
    refused = clerk.get("/users", headers={"accept": "text/html"})
    assert refused.status_code == 403 and 'id="error-line"' in refused.text and "权限不足" in refused.text
    assert 'href="/users"' not in clerk.get("/").text
    assert clerk.head("/users").status_code == 403 and clerk.head("/api/audit").status_code == 403
    officer = TestClient(app, raise_server_exceptions=False)
    assert officer.post("/api/login", json={"username": "管理员", "password": "Officer#2024-abc"}).status_code == 200
    page = officer.get("/users").text
    assert 'href="/users"' in page and 'href="/audit"' in page
    for name in names:
        assert f'<td class="name">{escape(name)}</td>' in page
    assert "<img src=x" not in page and "</script><script>alert(2)" not in page
