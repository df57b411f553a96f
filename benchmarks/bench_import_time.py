"""Benchmark: start-up time of ``import hepinggis`` and of the command line's ``--help``.

Baseline, measured in the same run: ``import geopandas`` (target: ``import hepinggis`` at most
0.5 s more) and a bare ``python -c pass``. Each measurement is a fresh interpreter (median of
``--repeat`` runs, wall clock); ``--help`` target: under 0.5 s.

    python benchmarks/bench_import_time.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CASES = {
    "python -c pass (interpreter)": [sys.executable, "-c", "pass"],
    "import geopandas (baseline)": [sys.executable, "-c", "import geopandas"],
    "import hepinggis": [sys.executable, "-c", "import hepinggis"],
    "import hepinggis; hepinggis.load": [sys.executable, "-c", "import hepinggis; hepinggis.load"],
    "hepinggis --help": [sys.executable, "-m", "hepinggis", "--help"],
    "hepinggis build --help": [sys.executable, "-m", "hepinggis", "build", "--help"],
    "hepinggis import --help": [sys.executable, "-m", "hepinggis", "import", "--help"],
}


def _time(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    medians: dict[str, float] = {}
    for cmd in CASES.values():  # warm the file cache once, so the first case is not penalised
        _time(cmd)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):  # interleaved, so a busy moment hits every case alike
        for name, cmd in CASES.items():
            samples[name].append(_time(cmd))
    for name, values in samples.items():
        medians[name] = statistics.median(values)
        print(f"{name:36s} {medians[name]:6.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    extra = medians["import hepinggis"] - medians["import geopandas (baseline)"]
    print(f"\nimport hepinggis - import geopandas = {extra:+.3f} s (target <= +0.5 s)")
    slowest = max(v for k, v in medians.items() if k.endswith("--help"))
    print(f"slowest --help: {slowest:.3f} s (target < 0.5 s)")


if __name__ == "__main__":
    main()
