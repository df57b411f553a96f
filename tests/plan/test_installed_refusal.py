"""``digitize`` (and ``adopt``) refuse to rewrite the layers of an installed package."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hepinggis._paths import data_dir, refuse_installed
from hepinggis.errors import InstalledPackageError

REPO = Path(__file__).resolve().parents[2]


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """The wheel's layout: site-packages/hepinggis with geodata inside, no git checkout around it."""
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "hepinggis", site / "hepinggis", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(data_dir(), site / "hepinggis" / "geodata")
    return site


def _run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "hepinggis", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


@pytest.mark.slow
def test_digitize_refuses_the_installed_layers(installed: Path, tmp_path: Path) -> None:
    geodata = installed / "hepinggis" / "geodata"
    before = _digest(geodata)
    run = _run(installed, "digitize", cwd=tmp_path)
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("hepinggis digitize: 拒绝写入已安装的包")
    assert 'pip install -e ".[dev]"' in lines[0] and str(geodata) in lines[0]
    assert _digest(geodata) == before


@pytest.mark.slow
def test_digitize_with_edited_lines_refuses_to_rewrite_installed_sources(installed: Path, tmp_path: Path) -> None:
    lines = tmp_path / "lines.geojson"
    lines.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    run = _run(installed, "digitize", "--out", str(tmp_path / "out"), "--lines", str(lines), cwd=tmp_path)
    assert run.returncode == 1 and "拒绝写入已安装的包" in run.stderr
    assert not (tmp_path / "out").exists()


def test_a_checkout_and_other_folders_are_allowed(tmp_path: Path) -> None:
    data = tmp_path / "repo" / "geodata"
    data.mkdir(parents=True)
    with pytest.raises(InstalledPackageError):
        refuse_installed(data / "zones.geojson", command="digitize", data=data)
    refuse_installed(tmp_path / "elsewhere", command="digitize", data=data)  # not in the layers: allowed
    (tmp_path / "repo" / ".git").write_text("gitdir: /somewhere\n", encoding="utf-8")  # a worktree's .git file
    refuse_installed(data / "zones.geojson", command="digitize", data=data)
    refuse_installed(data_dir(), command="digitize")  # this checkout
