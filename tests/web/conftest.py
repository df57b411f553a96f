"""Fixtures of the web tests: an application on a fresh data folder (real worker processes), and
the registers of tests/data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data"
GBK_TITLE = DATA / "registers" / "重点项目清单_标题行_GBK.csv"
BAD_ROWS = DATA / "registers" / "问题行_GBK混UTF8.csv"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An HTTP test client of an application on its own data folder, with its worker processes."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient

    from hepinggis.web.app import create_app

    data = tmp_path_factory.mktemp("webdata")
    app = create_app(data_dir=data, max_upload=2 * 1024 * 1024)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.data_dir = data  # type: ignore[attr-defined]
        yield c


#: The hostile-text corpus: each string must come out literally, run nothing and break nothing.
HOSTILE: list[dict[str, str]] = json.loads((DATA / "hostile.json").read_text(encoding="utf-8"))["corpus"]


@pytest.fixture
def tab(browser: Any, server: Any) -> Iterator[Any]:
    """A fresh browser context (a `test_web_browser.Tab`) on the requesting module's own ``server``
    fixture; the tab fails its test on any page error, console error or external request."""
    from test_web_browser import Tab

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    t = Tab(context, server.url)
    yield t
    context.close()
    t.check()
