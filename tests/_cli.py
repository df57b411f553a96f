"""The ``hepinggis`` command line for the tests: as its own process (`run_cli`, as a user or a
script runs it: no terminal, its own interpreter), or its code run in the test's process
(`cli_in_process`) where a test only needs what the command does, not a new interpreter — one
``python -m hepinggis`` costs about 1.5 s of processor time before it parses its arguments."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m hepinggis ARGS`` from the checkout, ``stdin`` piped in; never raises on its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "hepinggis", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})),
        timeout=timeout,
        check=False,
    )


def cli_in_process(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`hepinggis.cli.main` (what ``python -m hepinggis`` runs) in this process, with ``stdin`` as
    its standard input (a pipe, not a terminal) and its output captured: the same exit code,
    stdout and stderr as `run_cli`, without a new interpreter."""
    from hepinggis.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        # main silences library warnings for its one-line rule: not for the rest of the test
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: a usage error
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess(["hepinggis", *args], code, out.getvalue(), err.getvalue())
