"""Every write leaves one audit line (who, role, address, what, sha256, outcome), and the 审核's
signature of a monitoring package is written into its index, PDFs and workbook — through the API
of a real application with accounts."""

from __future__ import annotations

import hashlib
import io
import json
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import GBK_TITLE

from hepinggis.web.auth._accounts import LoginPolicy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
FIGURES = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"
PW = {"填报": "Tb#8472-lvse-qiu", "审核": "Sh#5531-hong-ye", "管理": "Gl#9034-lan-tian"}
NAMES = {"填报": "张三", "审核": "李审核", "管理": "王管理"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    application = create_app(
        data_dir=tmp_path_factory.mktemp("audited"), workers=2, require_login=True, login_policy=LoginPolicy()
    )
    for role, name in NAMES.items():
        application.state.accounts.add_user(name, role=role, password=PW[role])
    with TestClient(application, raise_server_exceptions=False):
        yield application


def login(app: Any, role: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    r = client.post("/api/login", json={"username": NAMES[role], "password": PW[role]})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def wait(client: TestClient, jid: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {jid} did not finish")


def test_every_write_is_audited_and_the_signature_is_in_the_package(app: Any, tmp_path: Path) -> None:
    clerk, reviewer, officer = login(app, "填报"), login(app, "审核"), login(app, "管理")
    data = GBK_TITLE.read_bytes()
    r = clerk.post("/api/registers", files={"file": (GBK_TITLE.name, data)}, data={"crs": "wgs84"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = clerk.post(f"/api/registers/{rid}/package")
    assert r.status_code == 202
    figures = FIGURES.read_bytes()
    r = clerk.post("/api/monitoring", files={"file": (FIGURES.name, figures)})
    assert r.status_code in (200, 201), r.text
    fid = r.json()["id"]
    # separation of duties: the 审核 signs figures a colleague uploaded and built
    assert officer.post(f"/api/monitoring/{fid}/package").status_code == 403  # not the uploader, not 审核
    wait(clerk, clerk.post(f"/api/monitoring/{fid}/package").json()["id"])
    assert clerk.post(f"/api/monitoring/{fid}/sign").status_code == 403  # 填报 cannot sign
    assert officer.post(f"/api/monitoring/{fid}/sign").status_code == 403  # nor 管理
    r = reviewer.post(f"/api/monitoring/{fid}/sign")
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["signer"] == "李审核" and record["role"] == "审核"
    # signed: never rebuilt, never signed again
    again = reviewer.post(f"/api/monitoring/{fid}/sign")
    assert again.status_code == 409 and "已由审核签署" in again.json()["detail"]
    assert reviewer.post(f"/api/monitoring/{fid}/package").status_code == 409
    assert reviewer.get(f"/api/monitoring/{fid}/signature").json()["signer"] == "李审核"
    shipped = zipfile.ZipFile(io.BytesIO(reviewer.get(f"/api/monitoring/{fid}/package.zip").content))
    names = shipped.namelist()
    assert "签署页.pdf" in names and "signature.json" in names
    assert "李审核" in shipped.read("index.html").decode("utf-8")
    manifest_name = next(n for n in names if n.endswith("manifest.json") or n == ".hepinggis-package.json")
    assert json.loads(shipped.read(manifest_name))["signature"]["signer"] == "李审核"
    book = openpyxl.load_workbook(io.BytesIO(shipped.read("monitoring.xlsx")))
    assert book.sheetnames[0] == "签署" and book["签署"]["B2"].value == "李审核"
    from pypdf import PdfReader

    pdfs = [n for n in names if n.endswith(".pdf") and n != "签署页.pdf"]
    assert pdfs
    for name in pdfs:
        reader = PdfReader(io.BytesIO(shipped.read(name)))
        assert reader.metadata["/SignedBy"] == "李审核"
        assert "审核签署" in reader.pages[-1].extract_text()
    # boundaries, adoption, deletion, accounts
    # boundaries: an upload that is refused is audited with its sha256 too; choosing is adoption
    upload = b"PK\x05\x06" + b"\0" * 18  # an empty zip: no Shapefile in it
    r = officer.post("/api/boundaries", files={"file": ("官方功能区.zip", upload)}, data={"as": "zones"})
    assert r.status_code in (400, 415), r.text
    assert officer.post("/api/boundaries/choose", data={"id": "bundled"}).status_code == 200
    assert clerk.post("/api/boundaries/choose", data={"id": "bundled"}).status_code == 403
    assert clerk.delete(f"/api/registers/{rid}").status_code == 403
    assert officer.delete(f"/api/registers/{rid}").status_code == 200
    assert (
        officer.post("/api/users", json={"name": "新人", "role": "填报", "password": "Xn#2024-abc-def"}).status_code
        == 201
    )
    assert officer.post("/api/users/新人/disable").status_code == 200

    trail = officer.get("/api/audit").json()
    assert [t["id"] for t in trail] == sorted((t["id"] for t in trail), reverse=True)  # newest first

    def line(action: str, user: str, outcome: str = "成功") -> dict[str, Any]:
        hits = [t for t in trail if t["action"] == action and t["username"] == user and t["outcome"] == outcome]
        assert len(hits) >= 1, (action, user, outcome, [(t["action"], t["username"], t["outcome"]) for t in trail])
        return hits[0]

    up = line("upload_register", "张三")
    assert up["sha256"] == hashlib.sha256(data).hexdigest() and GBK_TITLE.name in up["object"] and rid in up["object"]
    assert up["role"] == "填报" and up["address"]
    assert rid in line("build_package", "张三")["object"]
    assert line("upload_figures", "张三")["sha256"] == hashlib.sha256(figures).hexdigest()
    assert fid in line("build_monitoring", "张三")["object"]
    assert line("sign_monitoring", "李审核")["sha256"] == record["manifest_sha256"]
    line("sign_monitoring", "张三", "失败（HTTP 403）")
    line("sign_monitoring", "李审核", "失败（HTTP 409）")
    refused = [t for t in trail if t["action"] == "upload_boundaries" and t["username"] == "王管理"]
    assert refused and refused[0]["outcome"].startswith("失败（HTTP 4")
    assert refused[0]["sha256"] == hashlib.sha256(upload).hexdigest() and "官方功能区.zip" in refused[0]["object"]
    line("adopt_boundaries", "王管理")
    line("delete_register", "张三", "失败（HTTP 403）")
    assert rid in line("delete_register", "王管理")["object"]
    assert "新人" in line("user_add", "王管理")["object"]
    assert "新人" in line("user_disable", "王管理")["object"]
    for who in NAMES.values():
        line("login", who)
    # exports for 管理 only, Chinese headers, newest first
    assert clerk.get("/api/audit").status_code == 403 and clerk.get("/api/audit.xlsx").status_code == 403
    sheet = openpyxl.load_workbook(io.BytesIO(officer.get("/api/audit.xlsx").content))["审计日志"]
    assert sheet["A1"].value == "序号" and sheet.max_row == len(officer.get("/api/audit").json()) + 1
    csv_text = officer.get("/api/audit.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("序号,时间（北京时间）,用户")
    # nothing in the API edits or deletes the trail
    for method in ("PUT", "PATCH", "DELETE"):
        assert officer.request(method, "/api/audit").status_code in (403, 405)
