"""The 项目清单 page in Debian Chromium (a real ``hepinggis serve``) with a register whose points
fit GPS and 高德 coordinates alike: the page says it cannot tell between them, names both in Chinese
with the code in brackets, preselects nothing (no 推荐) and makes the clerk choose; the API's refusal
without a coordinate system says the same. Refusals name the control the page shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _crs_points import tie_register
from _server import Server, wait_gone
from test_web_browser import Tab, _drop

from hepinggis.base.messages import crs_name, forbidden_spans


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("crs_tie") / "store"
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


@pytest.fixture(scope="module")
def tie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tie_register(tmp_path_factory.mktemp("tie_csv") / "坐标难分.csv")


def test_a_near_tie_is_said_and_the_clerk_chooses(tab: Tab, tie: Path) -> None:
    page = tab.goto("/registers")
    _drop(page, tie.name, tie.read_bytes())
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    reason = page.inner_text("#crs-reason")
    assert "无法区分" in reason and crs_name("wgs84") in reason and crs_name("gcj02") in reason, reason
    assert "推荐" not in reason.replace("不作推荐", ""), reason
    assert page.locator('#crs-choices button[aria-checked="true"]').count() == 0  # nothing preselected
    counts = page.inner_text("#crs-choices")
    assert counts.count("（30 行在区内）") >= 2, counts  # the tie, shown on the buttons themselves
    assert forbidden_spans(page.inner_text("#preview")) == []
    page.click("#confirm")  # not chosen yet: the page asks for it, nothing is imported
    page.wait_for_selector("#status.error")  # (the pages' CSP forbids wait_for_function's string eval)
    assert "请先点选坐标系" in page.inner_text("#status")
    page.click('#crs-choices button[data-value="wgs84"]')
    page.click("#confirm")
    page.wait_for_url("**/registers/*", timeout=180_000)
    page.wait_for_selector("#n-imported")
    assert page.inner_text("#n-imported") == "30"


def test_the_api_refuses_without_a_choice_and_recommends_nothing(server: Server, tie: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=300) as api:
        r = api.post("/api/registers", files={"file": (tie.name, tie.read_bytes())})
        assert r.status_code == 400, r.text
        detail = r.json()["detail"]
        assert "无法区分" in detail and "推荐" not in detail.replace("不作推荐", "") and "“坐标系”" in detail
        assert crs_name("wgs84") in detail and forbidden_spans(detail) == []
        pv = api.post("/api/preview", files={"file": (tie.name, tie.read_bytes())}).json()["preview"]
        assert pv["crs_proposed"] is None and pv["crs_tied"][:2] == ["wgs84", "gcj02"]
        # a refusal in the catalogue's page words names a control the page has
        bad = api.post("/api/preview", files={"file": (tie.name, tie.read_bytes())}, data={"header_row": "40"})
        assert bad.status_code >= 400 and forbidden_spans(bad.json()["detail"]) == []


def test_a_refusal_names_controls_the_page_shows(tab: Tab) -> None:
    """A register without the columns the importer needs: the page's words name “表头在第几行”, the
    “按此重新读取” button and the “角色” row of the preview — each there on the page to use."""
    page = tab.goto("/registers")
    _drop(page, "无表头.csv", "甲,乙\n1,2\n".encode())
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    page.click('#crs-choices button[data-value="wgs84"]')
    page.click("#confirm")
    page.wait_for_selector("#status.error", timeout=180_000)
    status = page.inner_text("#status")
    assert "“表头在第几行”一栏" in status and "“按此重新读取”" in status and "“角色”" in status, status
    assert "--" not in status and forbidden_spans(status) == [], status
    assert page.is_visible("#header-row") and page.inner_text("#reread") == "按此重新读取"
    assert page.inner_text("#pv-table tr.roles th.rn") == "角色" and "“角色”" in page.inner_text("#roles-help")
