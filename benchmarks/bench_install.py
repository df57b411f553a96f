"""Benchmark: what ``pip install hepinggis`` puts on a machine, against the full install.

Each variant is installed from this checkout into a fresh virtual environment; the figures are
the number of distributions ``pip list`` reports (pip and setuptools left out) and the size of the
environment's site-packages. The baseline, measured in the same run, is everything the package
installed before the extras were split (the library, the server stack, pyarrow, dask and tobler),
which is ``.[server,parquet,dask,postgis]`` plus tobler. The library alone must run
``hepinggis build`` and say in one line that ``serve`` needs ``[server]``. What remains of the
library's size is its own stack: scipy, pandas, GDAL (in pyogrio), numpy, matplotlib, and
scikit-learn and networkx, which mapclassify brings.

    python benchmarks/bench_install.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

VARIANTS = {
    "library alone: pip install hepinggis": [str(REPO)],
    "with the server: pip install hepinggis[server]": [f"{REPO}[server]"],
    "baseline: every extra + tobler (the old install)": [f"{REPO}[server,parquet,dask,postgis]", "tobler>=0.11"],
}


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _measure(requirements: list[str], where: Path) -> tuple[int, float, float]:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    listed = subprocess.run(
        [str(where / "bin" / "python"), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    )
    packages = [p for p in json.loads(listed.stdout) if p["name"].lower() not in {"pip", "setuptools"}]
    site = next(where.glob("lib/python*/site-packages"))
    return len(packages), _size(site) / 1e6, time.perf_counter() - t


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, requirements) in enumerate(VARIANTS.items()):
            n, mb, seconds = _measure(requirements, Path(tmp) / f"v{i}")
            results[label] = (n, mb)
            load = os.getloadavg()[0]
            print(f"{label:52s} {n:4d} packages {mb:8.0f} MB  (install {seconds:.0f} s, load {load:.1f})")
        library = results["library alone: pip install hepinggis"]
        base = results["baseline: every extra + tobler (the old install)"]
        share = library[0] / base[0], library[1] / base[1]
        print(f"library alone / baseline: {share[0]:.2f} of the packages, {share[1]:.2f} of the size")
        build = subprocess.run(
            [str(Path(tmp) / "v0" / "bin" / "hepinggis"), "build", "--quiet", "--out", str(Path(tmp) / "maps")],
            capture_output=True,
            text=True,
            check=False,
        )
        serve = subprocess.run(
            [str(Path(tmp) / "v0" / "bin" / "hepinggis"), "serve", "--port", "8798"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        print(f"library alone: hepinggis build exit {build.returncode}; hepinggis serve says: {serve.stderr.strip()}")


if __name__ == "__main__":
    main()
