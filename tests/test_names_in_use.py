"""Nothing in the tree uses a deprecated name (issue 38, item 4): the README's command lines parse
without a deprecation line, and the command line run as ``python -W error::FutureWarning`` (with
``--debug``, so a warning would end in a traceback) uses the library's new keywords only."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hepinggis.cli import _parser

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
#: every ``hepinggis …`` line of the README's shell blocks, without its comment
COMMANDS = [
    line.split("  #", 1)[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, re.S)
    for line in block.splitlines()
    if line.startswith("hepinggis ")
]


def test_the_readme_has_command_lines() -> None:
    assert len(COMMANDS) >= 12
    assert any("--boundaries" in c for c in COMMANDS) and any(c.startswith("hepinggis check ") for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_uses_no_deprecated_flag(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    _parser().parse_args(shlex.split(line)[1:])
    assert "deprecated" not in capsys.readouterr().err


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-W", "error::FutureWarning", "-m", "hepinggis", "--debug", *argv]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_commands_that_took_renamed_keywords_run_with_future_warnings_as_errors(tmp_path: Path) -> None:
    """export (names, to_crs, boundaries), adopt (path, table), check, import (table) and the
    boundaries in use: each goes through a renamed keyword of the library."""
    done = _run("export", "zones.gpkg", "--layer", "zones", "--to-crs", "EPSG:4550", cwd=tmp_path)
    assert done.returncode == 0 and "FutureWarning" not in done.stderr, done.stderr
    done = _run("export", "delivery.gpkg", "--layer", "zones", "--layer", "jiedao", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _run(
        "adopt", "delivery.gpkg", "--as", "zones", "--table", "zones", "--name-col", "name_zh", "--out", "b.gpkg",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "--boundaries b.gpkg" in done.stdout, done.stdout + done.stderr
    done = _run("check", "b.gpkg", cwd=tmp_path)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    done = _run("export", "again.gpkg", "--layer", "zones", "--boundaries", "b.gpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _run("import", "delivery.gpkg", "--table", "jiedao", "--crs", "wgs84", cwd=tmp_path)
    assert "Traceback" not in done.stderr and "deprecated" not in done.stderr, done.stderr
