"""A killed build (or pool, or job subprocess) leaves no process behind within 2 s.

Each case runs in a harness process that makes itself a child subreaper (Linux), so workers
orphaned by the kill are reparented to it instead of PID 1: it can count every descendant that is
still alive, reap the dead and kill whatever survives (so a failing test leaves nothing either).
The kill lands at a random moment after the workers were seen running.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreaper is Linux only")

HARNESS = r"""
import ctypes, json, os, signal, subprocess, sys, time
import psutil

ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us
cmd, sig, delay, want = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
# the command gets Ctrl+C as in a terminal, even when this run was started in the background by a
# shell without job control (which starts its commands with SIGINT ignored, inherited by every child)
signal.signal(signal.SIGINT, signal.SIG_DFL)
me = psutil.Process()
child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=sys.argv[5])


def alive():
    out = []
    for p in me.children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


seen, deadline = 0, time.monotonic() + 90
while time.monotonic() < deadline and child.poll() is None:
    try:
        seen = len(psutil.Process(child.pid).children(recursive=True))
    except psutil.NoSuchProcess:
        break
    if seen >= want:
        break
    time.sleep(0.02)
time.sleep(delay)
finished_before = child.poll() is not None
os.kill(child.pid, sig)
t0 = time.monotonic()
while True:
    child.poll()
    reap()
    left = alive()
    if not left or time.monotonic() - t0 > 4.0:  # a loaded 2-core machine: a graceful exit may take a moment
        break
    time.sleep(0.05)
seconds = time.monotonic() - t0
parent_left = child.pid in left
others = [pid for pid in left if pid != child.pid]
for pid in left:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
time.sleep(0.2)
reap()
print(json.dumps({"seen": seen, "left": left, "workers_left": others, "parent_left": parent_left,
                  "seconds": seconds, "finished_before": finished_before}))
"""

POOL = r"""
import sys, time
from hepinggis._workers import worker_pool

with worker_pool(2) as pool:
    list(pool.map(time.sleep, [0.05] * 2000))
"""

PLAIN_POOL = r"""
import multiprocessing, time
from concurrent.futures import ProcessPoolExecutor

with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
    list(pool.map(time.sleep, [0.05] * 2000))
"""

JOB = r"""
import subprocess, sys, time
from hepinggis._workers import die_with_parent

subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=die_with_parent)
time.sleep(60)
"""

_SEED = int.from_bytes(os.urandom(4), "little")
_RNG = random.Random(_SEED)


def _kill(cmd: list[str], sig: int, *, want: int, cwd: Path, delay: float | None = None) -> dict:
    delay = _RNG.uniform(0.0, 1.0) if delay is None else delay
    run = subprocess.run(
        [sys.executable, "-c", HARNESS, json.dumps(cmd), str(int(sig)), str(delay), str(want), str(cwd)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["delay"], result["seed"] = delay, _SEED
    return result


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["KILL", "TERM", "INT"])
def test_killed_build_leaves_no_process(sig: signal.Signals, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "hepinggis", "build", "--quiet", "--jobs", "2", "--out", str(tmp_path / "maps")]
    result = _kill(cmd, sig, want=2, cwd=REPO)
    assert result["seen"] >= 2 and not result["finished_before"], f"the workers never ran: {result}"
    assert result["left"] == [], f"processes left {result['seconds']:.1f} s after {sig.name}: {result}"
    assert not (tmp_path / "maps").exists()  # the staged package never got swapped in
    assert not list(tmp_path.glob(".maps.building-*")) or sig == signal.SIGKILL  # cleaned unless SIGKILLed


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["KILL", "TERM", "INT"])
def test_killed_pool_leaves_no_process(sig: signal.Signals, tmp_path: Path) -> None:
    result = _kill([sys.executable, "-c", POOL], sig, want=2, cwd=tmp_path)
    assert result["seen"] >= 2 and not result["finished_before"], result
    assert result["left"] == [], f"processes left {result['seconds']:.1f} s after {sig.name}: {result}"


def test_harness_sees_orphans_of_a_plain_pool(tmp_path: Path) -> None:
    """The control: without `worker_pool`, SIGKILL orphans both workers, and the harness says so."""
    result = _kill([sys.executable, "-c", PLAIN_POOL], signal.SIGKILL, want=2, cwd=tmp_path)
    assert result["seen"] >= 2
    assert len(result["left"]) == 2, result


def test_job_subprocess_dies_with_its_parent(tmp_path: Path) -> None:
    """The web app's way: ``Popen(…, preexec_fn=die_with_parent)``."""
    result = _kill([sys.executable, "-c", JOB], signal.SIGKILL, want=1, cwd=tmp_path, delay=0.1)
    assert result["seen"] >= 1
    assert result["left"] == [], result


CAP = r"""
from hepinggis.web.jobs._jobs import cap_memory
cap = cap_memory(200 * 1024**2)
try:
    block = bytearray(1024**3)
    print("allocated")
except MemoryError:
    print("refused")
small = bytearray(50 * 1024**2)
print("ok", cap)
"""


def test_a_worker_memory_cap_refuses_what_is_above_it_and_allows_what_is_below(tmp_path: Path) -> None:
    """`cap_memory` (the job workers' RLIMIT_AS): 1 GB beyond a 200 MB allowance fails with
    MemoryError, 50 MB succeeds."""
    run = subprocess.run(
        [sys.executable, "-c", CAP],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.split()
    assert lines[0] == "refused" and lines[1] == "ok", run.stdout
