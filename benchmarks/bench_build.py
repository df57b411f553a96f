"""Benchmark: ``hepinggis build`` (the whole briefing package) against a baseline measured in the
same run, each in a fresh process as a planner runs the command. Goals (issue 37): the bundled
package under 5 s on 2 cores, 50,000 projects under 15 s.

The baseline is the package as it was at ``--baseline`` (a git revision, default the commit before
issue 37's work), unpacked from git into a temporary folder and run with the same Python; runs
alternate (baseline, current, baseline …) so that both see the same load. Each figure is the
median wall time, with the processor time the build and its workers used (user + system, which
load inflates less than wall time) and the load average when it ran, and the current code's
ratios to the baseline (wall and processor time: on a loaded machine the ratios are the figures
to read). ``--jobs`` is measured too: the default (one process per core) against ``--jobs 1``.

    python benchmarks/bench_build.py [--repeat 3] [--rows 50000] [--baseline REV] [--no-baseline]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The last commit before issue 37's build work (``hepinggis build`` 8.1–10 s on the quiet machine).
BASELINE = "7ad29ca"
GOAL_S = {"bundled": 5.0, "50000": 15.0}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def unpack(rev: str, into: Path) -> Path:
    """The package (code and bundled layers) as it was at ``rev``."""
    tar = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "hepinggis", "geodata"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return into


def run(code: Path, out: Path, *args: str) -> tuple[float, float, str]:
    """(wall s, processor s of the build and its workers, load average at the start)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-m", "hepinggis", "build", "--quiet", "--out", str(out), *args]
    load = load_average()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=out.parent)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, load


def register(folder: Path, rows: int) -> Path:
    from hepinggis.io._synthetic import write_register

    return write_register(folder / f"清单_{rows}.csv", rows, seed=7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=50_000, help="the large register's projects (0: skip it)")
    parser.add_argument("--baseline", default=BASELINE, help="git revision measured beside the current code")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-jobs", action="store_true", help="skip the --jobs 1 comparison")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"hepinggis build, {cores} cores, {load_average()} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        codes: dict[str, Path] = {}
        if not args.no_baseline:
            codes[f"baseline {args.baseline}"] = unpack(args.baseline, root / "baseline")
        codes["current"] = REPO
        cases: list[tuple[str, list[str]]] = [("bundled", [])]
        if not args.no_jobs:
            cases.append(("bundled --jobs 1", ["--jobs", "1"]))
        if args.rows:
            big = register(root, args.rows)
            cases.append((str(args.rows), ["--projects", str(big), "--crs", "gcj02"]))
        print(f"{'case':<18}{'code':<20}{'median s':>9}{'cpu s':>8}{'× wall':>8}{'× cpu':>7}  load at start (per run)")
        for case, extra in cases:
            results: dict[str, list[tuple[float, float, str]]] = {name: [] for name in codes}
            for k in range(args.repeat):
                for name, code in codes.items():  # alternate: both see the same load
                    results[name].append(run(code, root / f"out_{len(results[name])}_{k}_{abs(hash(name))}", *extra))
            first = next(iter(results))  # the ratios: to the first code measured (the baseline, if any)
            base_wall = statistics.median(r[0] for r in results[first])
            base_cpu = statistics.median(r[1] for r in results[first])
            for name, runs in results.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                ratios = f"{wall / base_wall:>8.2f}{cpu / base_cpu:>7.2f}" if name != first else f"{'':>8}{'':>7}"
                goal = GOAL_S.get(case)
                verdict = ""
                if goal is not None and name == "current":
                    verdict = f"  goal < {goal:g} s: {'met' if wall < goal else 'NOT met'}"
                loads = "; ".join(r[2] for r in runs)
                print(f"{case:<18}{name:<20}{wall:>9.2f}{cpu:>8.2f}{ratios}  {loads}{verdict}")
    print(f"(median of {args.repeat}; each a fresh process including Python's start-up; {load_average()} at the end)")


if __name__ == "__main__":
    main()
