"""``HEPINGGIS_WARM_UP``: what the warm parent does before it forks its workers — ``full`` (the
default: the stack imported and a small job of each kind run) or ``imports`` (the stack imported,
no job run: the test suite's servers, tests/conftest.py); anything else refused by ``serve`` in one
line before it writes anything. The ``full`` warm-up on a real server is tested in test_job_lanes.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _server_env import free_port

from hepinggis.errors import InvalidOptionError
from hepinggis.web.jobs._jobs import WARM_ENV, warm_mode

REPO = Path(__file__).resolve().parents[2]


def test_the_mode_is_read_from_the_environment() -> None:
    assert warm_mode({}) == "full"
    assert warm_mode({WARM_ENV: ""}) == "full"
    assert warm_mode({WARM_ENV: " Imports "}) == "imports"
    assert warm_mode({WARM_ENV: "full"}) == "full"
    for bad in ("lazy", "0", "imports,full"):
        with pytest.raises(InvalidOptionError, match=WARM_ENV):
            warm_mode({WARM_ENV: bad})


def test_the_suite_warms_by_imports() -> None:
    assert warm_mode() == "imports"


def test_each_mode_imports_the_stack_and_only_full_runs_the_small_jobs(tmp_path: Path) -> None:
    """In a fresh process (as the warm parent is): ``imports`` leaves the stack imported without
    reading a register or drawing its map; ``full`` then does both; neither leaves a file behind."""
    code = (
        "import json, sys, pathlib\n"
        "import hepinggis.web.jobs._work as _work\n"  # dotted: tools/apply_module_moves.py rewrites it
        "import hepinggis.web.jobs._jobs as _jobs\n"
        "ran = []\n"
        "_work_map = _work._write_map\n"
        "_work._write_map = lambda *a, **k: (ran.append('map'), _work_map(*a, **k))[1]\n"
        "mods = ('hepinggis.io.importer', 'hepinggis.maps', 'folium', 'openpyxl', 'hepinggis.briefing',"
        " 'matplotlib.pyplot')\n"
        "for mode in ('imports', 'full'):\n"
        f"    _jobs.warm_up(('light', 'heavy', 'build'), pathlib.Path({str(tmp_path)!r}), mode=mode)\n"
        "    print(json.dumps([[m for m in mods if m not in sys.modules], ran]), flush=True)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    imports, full = (json.loads(line) for line in run.stdout.strip().splitlines()[-2:])
    assert imports == [[], []]  # the stack imported, no job run
    assert full == [[], ["map"]]  # then the small jobs, the map among them
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_serve_refuses_a_wrong_mode_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "store"
    run = subprocess.run(
        [sys.executable, "-m", "hepinggis", "serve", "--data", str(data), "--port", str(free_port())],
        env=dict(os.environ, PYTHONPATH=str(REPO), **{WARM_ENV: "lazy"}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and WARM_ENV in lines[0] and "Traceback" not in run.stderr, run.stderr
    assert not data.exists()
