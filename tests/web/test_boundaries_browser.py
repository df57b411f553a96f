"""The 边界 page in Chromium against a real server: an office's delivery is looked at before it is
adopted, every option is a control on the page (图层, 编码, 名称列, 坐标系, 对应, 容差), its messages
name those controls (never flags or server paths), and the versions are listed and rolled back in a
click. Fails on any page error, console error or external request (`Tab.check`)."""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _server import Server, wait_gone
from playwright.sync_api import expect
from test_web_browser import Tab

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("make_official_layers_b", REPO / "tools" / "make_official_layers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    folder = tmp_path_factory.mktemp("deliveries")
    module.build_all(folder)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("boundaries") / "store"
    srv = Server(data)
    yield srv
    srv.stop()
    assert wait_gone(data) == []


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    t = Tab(context, server.url)
    yield t
    context.close()
    t.check()


def _no_flags(text: str) -> None:
    assert "--" not in text and "/tmp" not in text and "tmp/" not in text, text


def _ready(page: Any) -> str:
    page.locator("#status.ok, #status.error").wait_for(timeout=120_000)
    return str(page.inner_text("#status"))


def test_a_delivery_is_looked_at_corrected_adopted_and_rolled_back(tab: Tab, corpus: Path, tmp_path: Path) -> None:
    hostile = json.loads((REPO / "tests" / "data" / "hostile.json").read_text(encoding="utf-8"))
    page = tab.goto("/boundaries")
    assert "随工具提供的规划边界" in page.inner_text("#active")
    # a zip with two Shapefiles: the page asks for the layer by its control
    page.select_option("#as", "jiedao")
    page.set_input_files("#file", str(corpus / "边界_两个.zip"))
    _ready(page)
    problem = page.inner_text("#insp-problem")
    assert "「图层」" in problem and page.is_visible("#layer") and page.is_disabled("#adopt")
    _no_flags(problem)
    page.select_option("#layer", "边界/街道.shp")
    page.locator("#status.ok").wait_for(timeout=120_000)
    assert "沈阳市和平区北市场街道" in page.inner_text("#columns") and "馬路灣街道" in page.inner_text("#columns")
    assert "GBK" in page.inner_text("#encoding-note")
    assert page.locator("#features tbody tr").count() == 10 and page.inner_text("#insp-problem") == ""
    page.fill("#accuracy", "1")
    page.click("#adopt")
    page.wait_for_selector("section.boundary", timeout=180_000)
    assert "边界_两个.zip" in page.inner_text("#active")
    page.locator("#versions tbody tr").first.wait_for()
    assert page.locator("#versions tbody tr").count() == 1 and "当前使用" in page.inner_text("#versions")
    # no .prj: the CRS proposed by where the features land, with the 街道 they land in
    jinja = next(c["text"] for c in hostile["corpus"] if c["id"] == "jinja_expr")  # {{7*7}}
    noprj = tmp_path / f"街道{jinja}无坐标.zip"
    with zipfile.ZipFile(noprj, "w") as z:
        for part in sorted(corpus.glob("官方街道.*")):
            z.write(part, part.name)
    page.select_option("#as", "jiedao")  # the page was reloaded by the adoption
    page.set_input_files("#file", str(noprj))
    _ready(page)
    problem = page.inner_text("#insp-problem")
    assert "「坐标系」" in problem and "EPSG:4550" in problem
    _no_flags(problem)
    assert jinja in page.inner_text("#insp-file") and "49" not in page.inner_text("#insp-file")  # text, not code
    labels = page.locator("#crs option").all_inner_texts()
    proposed = next(label for label in labels if "EPSG:4550" in label)
    assert "北市场街道" in proposed
    assert any(label.startswith("其他：EPSG:4529") for label in labels)  # any common CRS can be chosen
    page.select_option("#crs", "EPSG:4550")
    expect(page.locator("#insp-problem")).to_have_text("", timeout=120_000)
    assert "可以采用" in _ready(page), page.inner_text("#status") + page.inner_text("#insp-problem")
    page.click("#adopt")
    expect(page.locator("section.boundary")).to_have_count(2, timeout=180_000)
    page.locator("#versions tbody tr:nth-child(2)").wait_for()
    assert page.locator("#versions tbody tr").count() == 2
    # roll back to the first version in a click
    page.click("#versions button[data-rollback='1']")
    expect(page.locator("#versions tbody tr")).to_have_count(3, timeout=60_000)
    first = page.locator("#versions tbody tr").first
    assert "第 3 版" in first.inner_text() and "回退到第 1 版" in first.inner_text()
    assert "边界_两个.zip" in page.inner_text("#active")


def test_a_zone_name_on_a_jiedao_is_refused_and_corrected_on_the_page(tab: Tab, corpus: Path, tmp_path: Path) -> None:
    upload = tmp_path / "街道功能区名.zip"
    with zipfile.ZipFile(upload, "w") as z:
        for part in sorted(corpus.glob("街道功能区名.*")):
            z.write(part, part.name)
    page = tab.goto("/boundaries")
    page.select_option("#as", "jiedao")
    page.set_input_files("#file", str(upload))
    _ready(page)
    row = page.locator("#features tbody tr", has_text="泛太原街商贸金融产业集聚区")
    assert "功能区的名称" in row.inner_text() and "「作为」" in row.inner_text()
    _no_flags(page.inner_text("#features"))
    row.locator("select").select_option("taiyuanjie")  # the officer says it is the 太原街 feature
    page.click("#reinspect")
    page.locator("#status.ok").wait_for(timeout=120_000)
    assert not page.is_disabled("#adopt")
