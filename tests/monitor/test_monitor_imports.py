"""``hepinggis monitor`` never loads matplotlib (issue 34, item 7: the PDFs are drawn by fpdf2 and
matplotlib's import alone cost more than half a second): run as a clerk runs it, with
``python -X importtime``, whose report of every module imported comes from every process of the
command — the forked PDF writers too, which import fpdf2 — on the one stderr."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


def _imported(stderr: str) -> set[str]:
    """The top-level packages ``-X importtime`` reports as imported."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)", stderr, re.M)
    return {n.split(".")[0] for n in names}


def test_the_monitor_command_never_imports_matplotlib(tmp_path: Path) -> None:
    out = tmp_path / "m"
    cmd = [sys.executable, "-X", "importtime", "-m", "hepinggis.cli", "monitor", str(EXAMPLE), "--year", "2023"]
    run = subprocess.run(
        [*cmd, "--out", str(out)],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(list(out.glob("*.pdf"))) == 7
    imported = _imported(run.stderr)
    assert {"fpdf", "folium", "geopandas"} <= imported  # the report covers the PDF writers' imports
    assert "matplotlib" not in imported
