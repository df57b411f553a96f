"""Benchmark: ``hepinggis build`` (the whole briefing package) written in parallel processes, one
per core, against the same build in one process (``--jobs 1``), measured in the same run; both in
fresh subprocesses, as a planner runs the command. Goal (issue 18): under 10 s on 2 cores.

    python benchmarks/bench_build.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(out: Path, jobs: int | None) -> float:
    cmd = [sys.executable, "-m", "hepinggis", "build", "--quiet", "--out", str(out)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, jobs in ((f"--jobs {cores} (default)", None), ("--jobs 1", 1)):
            times = [run(Path(tmp) / f"maps{k}_{jobs}", jobs) for k in range(args.repeat)]
            products = sum(
                1 for p in (Path(tmp) / f"maps0_{jobs}").rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            rows.append((label, min(times), products))
    print(f"{'build':<22}{'best s':>8}{'files':>7}")
    for label, seconds, products in rows:
        print(f"{label:<22}{seconds:>8.2f}{products:>7}")
    print(f"({cores} cores; best of {args.repeat}, each a fresh process including Python's start-up)")


if __name__ == "__main__":
    main()
