"""Run issue 37's benchmarks one after the other, each printing its figures beside a baseline
measured in the same run and whether its target is met, with the load average before and after.

    python benchmarks/run_all.py              # every benchmark below that is present
    python benchmarks/run_all.py build serve  # only these

Each is its own script (see its docstring for its options); this one adds nothing to what they
measure, it only runs them in order, on the same machine, so that the README quotes one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name -> (script, its arguments, what it measures against which target)
BENCHMARKS: dict[str, tuple[str, list[str], str]] = {
    "serve": ("bench_serve.py", [], "37.1: upload → report → map, first and warm, under 1 s"),
    "bureau": ("bench_bureau.py", [], "37.2: 10 and 20 clerks at once, p95 under 3 s and 5 s"),
    "build": ("bench_build.py", [], "37.3: the package under 5 s, 50,000 projects under 15 s"),
    "import_job": ("bench_import_job.py", [], "37.1/37.2: CPU seconds the web adds to read_projects per upload"),
}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def main(names: list[str]) -> int:
    chosen = names or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = 0
    for name in chosen:
        script, args, what = BENCHMARKS[name]
        path = HERE / script
        print(f"\n=== {name}: {what} ({load_average()} before)", flush=True)
        if not path.is_file():
            print(f"(not present: {script})")
            continue
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(path), *args], check=False)
        failed += done.returncode != 0
        print(f"=== {name}: {time.perf_counter() - start:.0f} s, exit {done.returncode} ({load_average()} after)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
