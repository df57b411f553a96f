"""The server refuses the repro uploads of issue 33 (a few-KB xlsx spanning A1:XFD1048576, a CSV of
10⁶ columns) with one Chinese line, on SQLite and on PostGIS, and stays quick for the next user."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _limit_files import small_xlsx, wide_csv
from _server_env import pg_schemas, pg_url, store_url  # noqa: F401  (the fixtures: both stores)
from conftest import GBK_TITLE

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path, store_url: str | None) -> Iterator[Any]:  # noqa: F811
    from hepinggis.web.app import create_app

    app = create_app(data_dir=tmp_path / "data", db_url=store_url, workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_the_repro_uploads_are_refused_in_one_chinese_line(client: Any, tmp_path: Path) -> None:
    for path in (small_xlsx(tmp_path / "声明范围.xlsx", dimension="A1:XFD1048576"), wide_csv(tmp_path / "百万列.csv")):
        start = time.monotonic()
        r = client.post("/api/preview", files={"file": (path.name, path.read_bytes())})
        assert r.status_code == 400, r.text
        detail = r.json()["detail"]
        assert "超出服务器的读取限制" in detail and path.name in detail, detail
        assert "/" not in detail and "tmp" not in detail and ".py" not in detail, detail
        assert time.monotonic() - start < 60
    # the next user's small register is read as before
    r = client.post("/api/preview", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())})
    assert r.status_code == 200, r.text
