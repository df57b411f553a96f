"""The deploy/ folder (issue 33): the systemd units pass ``systemd-analyze verify`` and the nginx
site passes ``nginx -t`` (each with this machine's paths put in: the venv's hepinggis, a
throw-away certificate), and they say what docs/security.md says: loopback listening, the one
trusted proxy, the upload limit, slow-client timeouts, a signed daily dump kept 30 days."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide {name} (.ci/test-deps)")
        pytest.skip(f"{name} is not installed: bash .ci/test-deps")
    return path


def test_systemd_units_verify(tmp_path: Path) -> None:
    tool = _tool("systemd-analyze")
    here = str(Path(sys.executable).parent / "hepinggis")
    assert Path(here).exists()
    units = []
    for name in ("hepinggis.service", "hepinggis-dump.service", "hepinggis-dump.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/opt/hepinggis/venv/bin/hepinggis", here), encoding="utf-8")
        units.append(str(tmp_path / name))
    done = subprocess.run([tool, "verify", "--man=no", *units], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    service = (DEPLOY / "hepinggis.service").read_text(encoding="utf-8")
    assert "--host 127.0.0.1" in service and "--forwarded-allow-ips 127.0.0.1" in service
    assert "hepinggis_app@" in service and "HEPINGGIS_KEY_FILE=/etc/hepinggis/" in service
    dump = (DEPLOY / "hepinggis-dump.service").read_text(encoding="utf-8")
    assert "store dump" in dump and "-mtime +30 -delete" in dump
    assert "OnCalendar=" in (DEPLOY / "hepinggis-dump.timer").read_text(encoding="utf-8")


def test_a_broken_unit_fails_the_check(tmp_path: Path) -> None:
    tool = _tool("systemd-analyze")
    text = (DEPLOY / "hepinggis.service").read_text(encoding="utf-8")
    (tmp_path / "x.service").write_text(text.replace("/opt/hepinggis/venv/bin/hepinggis", "/nonexistent/hg"))
    done = subprocess.run([tool, "verify", "--man=no", str(tmp_path / "x.service")], capture_output=True, check=False)
    assert done.returncode != 0


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _tool("nginx")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=gis.heping.local",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx-hepinggis.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/hepinggis/tls/cert.pem", str(cert)).replace("/etc/hepinggis/tls/key.pem", str(key))
    site = site.replace("listen 80;", "listen 127.0.0.1:18080;").replace("listen 443 ssl", "listen 127.0.0.1:18443 ssl")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    musts = ["client_max_body_size 51m", "client_header_timeout", "client_body_timeout"]
    musts += ["X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme", "ssl_protocols TLSv1.2 TLSv1.3"]
    for must in musts:
        assert must in site, must
    broken = site.replace("client_max_body_size 51m;", "client_max_body_size;")
    (tmp_path / "site.conf").write_text(broken, encoding="utf-8")
    bad = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, check=False
    )
    assert bad.returncode != 0
