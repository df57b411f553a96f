"""Registers as living lists in Debian Chromium against a real ``hepinggis serve``: upload version 2
of a register, see the proposal to link it, see the changes, open a project's page, filter (by
keyboard only) and download exactly the filtered set. Every test fails on a page error, a console
error, an unexpected dialog or a request leaving the server."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _server import Server, wait_gone
from test_web_browser import Tab


def _wait_until(page: Any, predicate: str, timeout_s: float = 60.0) -> None:
    """Poll ``predicate`` (a function expression) with ``page.evaluate``: the pages' Content Security
    Policy forbids the string evaluation that ``page.wait_for_function`` uses."""
    import time

    end = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout_s:.0f} s: {predicate}")
        page.wait_for_timeout(200)


ROOT = Path(__file__).resolve().parents[2]


def _tool() -> Any:
    spec = importlib.util.spec_from_file_location("make_register_series", ROOT / "tools" / "make_register_series.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_register_series"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("versions-browser") / "store"
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


def _upload(tab: Tab, path: Path, *, expect_proposal: bool) -> Any:
    page = tab.goto("/registers")
    page.set_input_files("#file", str(path))
    page.wait_for_selector("#preview:not([hidden])", timeout=60_000)
    page.click('#crs-choices button[data-value="wgs84"]')
    if expect_proposal:
        page.wait_for_selector("#version-box:not([hidden])", timeout=30_000)
        assert page.is_checked("#as-next-version")
        assert "下一版本" in page.inner_text("#version-box")
    else:
        page.wait_for_timeout(500)
        assert page.is_hidden("#version-box")
    page.click("#confirm")
    page.wait_for_url("**/registers/*", timeout=120_000)
    page.wait_for_selector("#n-imported")
    return page


def test_version_two_changes_project_page_filter_and_download(tab: Tab, tmp_path: Path) -> None:
    truth = _tool().make_series(tmp_path, n=300, seed=5)
    _upload(tab, tmp_path / "v01.csv", expect_proposal=False)
    page = _upload(tab, tmp_path / "v02.csv", expect_proposal=True)
    # the changes, by identity: exactly the changes made
    page.click("#to-versions")
    page.wait_for_selector("#change-table")
    want = {"新增": 30, "不再列出": 20, "更名": 10, "位置变化": 20, "状态变化": 40, "投资变化": 30}
    counts = page.inner_text("#change-counts")
    for word, n in want.items():
        assert f"{word} {n} 项" in counts, counts
    assert len(page.query_selector_all("#version-table tbody tr")) == 2
    _wait_until(page, "() => document.querySelectorAll('#changes-map .leaflet-interactive').length >= 150")
    # a renamed project's page: both versions, both names
    page.click('#change-table tr[data-change="renamed"] a')
    page.wait_for_selector("#history-table")
    rows = page.query_selector_all("#history-table tbody tr")
    assert len(rows) == 2 and "未列出" not in page.inner_text("#history-table")
    assert page.inner_text("#project-warning").split("：")[0] in ("逾期", "滞后", "正常", "无法判断")
    _wait_until(page, "() => document.querySelectorAll('#project-map .leaflet-interactive').length >= 1")
    # the filter panel, keyboard only: type in the search box, Enter submits; the filter is in the URL
    page.goto(page.url.split("/projects/")[0] + "/list")
    page.wait_for_selector("#filter-form")
    page.focus("#f-status")
    page.keyboard.press("ArrowDown")  # the first status after 全部
    chosen = page.eval_on_selector("#f-status", "e => e.value")
    # the range in the register's own unit (万元, proposed by the page): 10000 万元 = 1 亿元
    assert page.eval_on_selector("#f-unit", "e => e.value") == "万元"
    page.focus("#f-min")
    page.keyboard.type("10000")
    page.keyboard.press("Enter")
    page.wait_for_url("**/list?*")
    assert "status=" in page.url and "min=10000" in page.url and "unit=" in page.url
    title = page.inner_text("#filter-title")
    assert "筛选结果" in title and "筛选条件" in page.inner_text("#filter-words")
    assert "投资不低于 10,000 万元" in page.inner_text("#filter-words")
    n = int(title.split("筛选结果：")[1].split(" 项")[0])
    rows = truth["versions"][1]["rows"]
    assert n <= len(rows)
    # the download holds exactly the filtered set and says so
    page.focus("#dl-xlsx")
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    got = tmp_path / "filtered.xlsx"
    dl.value.save_as(got)
    book = openpyxl.load_workbook(got)
    sheet = book["项目"]
    listed = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]
    assert len(listed) == n
    head = [c.value for c in sheet[1]]
    statuses = {r[head.index("状态")] for r in listed}
    assert statuses <= {chosen}
    assert all(r[head.index("总投资（万元）")] >= 10000 for r in listed)  # amounts as typed, in 万元
    about = " ".join(str(r[0]) for r in book["说明"].iter_rows(values_only=True))
    assert "筛选结果" in about and "筛选条件" in about
    # the briefing package of exactly this selection, keyboard only, from the same page
    page.focus("#build-subset")
    page.keyboard.press("Enter")
    page.wait_for_selector("#subset-links:not([hidden])", timeout=900_000)
    assert "完成" in page.inner_text("#subset-text")
    href = page.get_attribute("#subset-gallery", "href") or ""
    assert href.startswith("/filtered-packages/")
    gallery = tab.watch(tab.context.new_page())
    gallery.goto(tab.base + href)
    assert "筛选结果" in gallery.inner_text("#subset") and f"共 {n} 项" in gallery.inner_text("body")
    gallery.close()
    # the same link with another version: the map and the list as of version 1
    page.select_option("#version-select", index=0)
    with page.expect_navigation():
        page.click("#version-go")
    assert "第 1 版" in page.inner_text("#filter-title")
    assert "status=" in page.url  # the filter goes with the version
    _wait_until(
        page,
        "() => document.querySelectorAll('#list-map .leaflet-interactive').length >= 1 || "
        "document.getElementById('list-map').hidden",
    )
