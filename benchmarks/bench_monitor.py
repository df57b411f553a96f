"""Benchmark: ``hepinggis monitor`` (the monitoring package: 8 maps, 7 PDFs, the workbook and the
index) with the CJK font subset once per run (`hepinggis.monitor._pdf.write_pdfs`), against the
same package written the old way, each PDF subsetting the 5 MB font itself, measured in the same
run (the baseline swaps in the old PDF writer). Goal (issue 25): the package in under 3 s.

With ``--cli`` (issue 34): the command a clerk runs, ``hepinggis monitor`` on the example, as a
fresh process (start-up and imports included), against ``python -c "import geopandas"`` measured
in the same run; wall and CPU seconds of each, the load average beside them. Goal: under 2 s.

    python benchmarks/bench_monitor.py [--repeat 3] [--cli]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

import hepinggis.monitor.package as package
from hepinggis.maps.static import CJK_FONT
from hepinggis.monitor._pdf import write_pdfs
from hepinggis.monitor.indicators import read_actuals

EXAMPLE = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


def per_pdf_subsetting(jobs: Sequence[tuple[list[Figure], Path]]) -> list[Path]:
    """The old writer: every PDF embeds (and so subsets) the full CJK font on its own."""
    rc = {"font.sans-serif": [CJK_FONT, "DejaVu Sans"], "font.family": "sans-serif", "pdf.fonttype": 42}
    out = []
    with plt.rc_context(rc):  # type: ignore[arg-type]
        for figs, path in jobs:
            with PdfPages(path) as pdf:
                for fig in figs:
                    pdf.savefig(fig)
            out.append(Path(path))
    for figs, _ in jobs:
        for fig in figs:
            plt.close(fig)
    return out


def run(writer: object, tmp: Path, k: int) -> float:
    package.write_pdfs = writer  # type: ignore[assignment]
    actuals = read_actuals(EXAMPLE)
    t = time.perf_counter()
    package.monitor(actuals, tmp / f"m{k}", year=2023)
    return time.perf_counter() - t


def _child(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def cli(repeat: int) -> None:
    """``hepinggis monitor`` as a clerk runs it, beside ``import geopandas``, in the same run."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for label, cmd in (
            ("python -c 'import geopandas' (baseline)", [sys.executable, "-c", "import geopandas"]),
            (
                "hepinggis monitor <example> --year 2023",
                [sys.executable, "-m", "hepinggis.cli", "monitor", str(EXAMPLE), "--year", "2023", "--out"],
            ),
        ):
            runs = []
            for k in range(repeat):
                full = [*cmd, str(Path(tmp) / f"m{k}")] if cmd[-1] == "--out" else cmd
                load = os.getloadavg()[0]
                wall, cpu = _child(full)
                runs.append((wall, cpu, load))
            rows.append((label, min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)))
    print(f"{'command':<44}{'best wall s':>12}{'best CPU s':>12}{'load (1 min)':>14}")
    for label, wall, cpu, load in rows:
        print(f"{label:<44}{wall:>12.2f}{cpu:>12.2f}{load:>14.2f}")
    met = rows[1][1] < 2.0
    print(
        f"hepinggis monitor = {rows[1][1] / rows[0][1]:.1f}× import geopandas (wall), "
        f"{rows[1][2] / rows[0][2]:.1f}× (CPU); target < 2 s wall on 2 cores: {'met' if met else 'NOT met'}"
        + ("" if rows[1][3] < 2.5 else " (machine loaded: the CPU column is the fairer figure)")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="time the command against import geopandas")
    args = parser.parse_args()
    if args.cli:
        cli(args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(write_pdfs, Path(tmp), -1)  # warm-up: imports, layer cache
        rows = []
        for label, writer in (("font subset once per run", write_pdfs), ("subset per PDF (old)", per_pdf_subsetting)):
            times = [run(writer, Path(tmp), k + 10 * len(rows)) for k in range(args.repeat)]
            rows.append((label, min(times), sorted(times)[len(times) // 2]))
        package.write_pdfs = write_pdfs  # type: ignore[assignment]
    print(f"{'monitoring package (8 maps, 7 PDFs, workbook)':<48}{'best s':>8}{'median s':>10}")
    for label, best, median in rows:
        print(f"{label:<48}{best:>8.2f}{median:>10.2f}")
    print(f"speed-up (best): {rows[1][1] / rows[0][1]:.2f}×; in-process, after one warm-up run")


if __name__ == "__main__":
    main()
