"""Every upload audited with its file name, size and SHA-256 — sent as a file or named by a
preview's token (issue 33: page uploads had sha256='' and no name) — previews audited too, and
previews never imported expire."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import BAD_ROWS, GBK_TITLE

from hepinggis.web.auth import _audit
from hepinggis.web.jobs._upload_audit import expire_previews

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Any) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    app = create_app(data_dir=tmp_path / "data", workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_page_uploads_and_previews_are_audited_with_name_size_and_sha256(client: Any) -> None:
    data = GBK_TITLE.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    r = client.post("/api/preview", files={"file": (GBK_TITLE.name, data)})
    assert r.status_code == 200, r.text
    token = r.json()["upload"]["sha256"]
    # the page's second step: the register named by the preview's token, no file sent again
    r = client.post("/api/registers", data={"upload": token, "file_name": GBK_TITLE.name, "crs": "wgs84"})
    assert r.status_code == 201, r.text
    rows = _audit.entries(client.app.state.store.engine)
    for action in ("preview_register", "upload_register"):
        row = next(x for x in rows if x["action"] == action)
        assert row["sha256"] == sha, row
        assert GBK_TITLE.name in row["object"] and f"{len(data):,} 字节" in row["object"], row
    assert r.json()["id"] in next(x for x in rows if x["action"] == "upload_register")["object"]


def test_previews_never_imported_expire(client: Any) -> None:
    store = client.app.state.store
    kept = client.post(
        "/api/registers", files={"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}, data={"crs": "wgs84"}
    )
    assert kept.status_code == 201, kept.text
    r = client.post("/api/preview", files={"file": (BAD_ROWS.name, BAD_ROWS.read_bytes())})
    assert r.status_code == 200
    previewed = store.file_path(r.json()["upload"]["sha256"], r.json()["upload"]["kind"])
    imported = store.file_path(kept.json()["sha256"], "csv")
    assert previewed.is_file() and imported.is_file()
    assert expire_previews(store, ttl_s=3600, every_s=0) == 0  # a fresh preview is kept a day
    assert expire_previews(store, ttl_s=0, every_s=0) == 1
    assert not previewed.exists() and imported.is_file()
    r = client.post("/api/registers", data={"upload": previewed.name.split(".")[0], "crs": "wgs84"})
    assert r.status_code == 400 and "重新选择文件" in r.json()["detail"]
