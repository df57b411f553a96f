"""Issue 33: the server answers only to its own host names (DNS rebinding), a browser's request in
single-user mode needs the CSRF token too, a blank bearer header does not skip the CSRF check,
and a production server serves TLS with __Host- cookies and believes X-Forwarded-For from no one
it was not told to."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_env import REPO, free_port, users_add
from conftest import GBK_TITLE

from hepinggis.web.auth._accounts import LoginPolicy

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    app = create_app(data_dir=tmp_path_factory.mktemp("local"), workers=1, allowed_hosts=LOOPBACK)
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1:8765"):
        yield app


def test_unknown_host_names_are_refused(local_app: Any) -> None:
    client = TestClient(local_app, raise_server_exceptions=False, base_url="http://127.0.0.1:8765")
    assert client.get("/api/health").status_code == 200
    for host in ("localhost:8765", "[::1]:8765", "127.0.0.1"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200, host
    for host in ("attacker.example", "attacker.example:8765", "127.0.0.1.attacker.example", ""):
        r = client.get("/", headers={"Host": host})
        assert r.status_code == 400 and "主机名" in r.json()["detail"], host


def test_single_user_mode_needs_the_token_from_a_browser(local_app: Any) -> None:
    """A page on localhost:9999 used to upload registers here with no user action."""
    client = TestClient(local_app, raise_server_exceptions=False, base_url="http://localhost:8765")
    files = {"file": (GBK_TITLE.name, GBK_TITLE.read_bytes())}
    evil = {"Origin": "http://localhost:9999", "Sec-Fetch-Site": "same-site"}
    r = client.post("/api/registers", files=files, data={"crs": "wgs84"}, headers=evil)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    token = client.get("/api/session").json()["csrf_token"]
    assert len(token) > 20
    r = client.post("/api/registers", files=files, data={"crs": "wgs84"}, headers={**evil, "X-CSRF-Token": token})
    assert r.status_code == 403 and "其他网站" in r.json()["detail"]  # even with the token: wrong origin
    own = {"Origin": "http://localhost:8765", "Sec-Fetch-Site": "same-origin", "X-CSRF-Token": token}
    r = client.post("/api/boundaries/choose", data={"id": "bundled"}, headers=own)
    assert r.status_code == 200, r.text
    r = client.post("/api/boundaries/choose", data={"id": "bundled"}, headers={**own, "X-CSRF-Token": "x" * 40})
    assert r.status_code == 403


@pytest.fixture(scope="module")
def accounts_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hepinggis.web.app import create_app

    app = create_app(data_dir=tmp_path_factory.mktemp("acc"), workers=1, require_login=True, login_policy=LoginPolicy())
    app.state.accounts.add_user("officer", role="管理", password="Gl#9034-lan-tian")
    with TestClient(app, raise_server_exceptions=False):
        yield app


@pytest.mark.parametrize("auth", ["Bearer ", "Bearer \t ", "bearer  ", "BEARER \t\t"])
def test_a_blank_bearer_header_does_not_skip_csrf(accounts_app: Any, auth: str) -> None:
    client = TestClient(accounts_app, raise_server_exceptions=False)
    assert client.post("/api/login", json={"username": "officer", "password": "Gl#9034-lan-tian"}).status_code == 200
    body = {"name": "csrf-victim", "role": "填报", "password": "Xx#1234567-ab"}
    r = client.post("/api/users", json=body, headers={"Authorization": auth})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"], (auth, r.text)


def test_tls_host_cookies_and_no_forwarded_for_from_loopback(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    data = tmp_path / "data"
    users_add(data, None, "officer", "管理", "Gl#9034-lan-tian")
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hepinggis", "serve", "--data", str(data), "--port", str(port),
         "--certfile", str(cert), "--keyfile", str(key)],
        cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"https://127.0.0.1:{port}"
        with httpx.Client(verify=False, base_url=url, timeout=10) as http:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if http.get("/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text(errors="replace")
                    assert proc.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
                    time.sleep(0.05)
            forged = {"X-Forwarded-For": "10.1.2.3"}
            assert http.post("/api/login", json={"username": "officer", "password": "wrong-x"}, headers=forged)
            r = http.post("/api/login", json={"username": "officer", "password": "Gl#9034-lan-tian"}, headers=forged)
            assert r.status_code == 200, r.text
            cookies = r.headers.get_list("set-cookie")
            assert any(c.startswith("__Host-hg_session=") and "Secure" in c and "HttpOnly" in c for c in cookies)
            trail = http.get("/api/audit", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()
            addresses = {row["address"] for row in trail if row["action"] in ("login", "login_failed")}
            assert addresses == {"127.0.0.1"}, trail  # never the forged 10.1.2.3
            assert http.get("/api/health", headers={"Host": "attacker.example"}).status_code == 400
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
