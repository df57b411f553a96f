"""Benchmark: ``hepinggis monitor`` (the monitoring package: 8 maps, 7 PDFs, the workbook and the
index) with the CJK font subset once per run (`hepinggis.monitor._pdf.write_pdfs`), against the
same package written the old way, each PDF subsetting the 5 MB font itself, measured in the same
run (the baseline swaps in the old PDF writer). Goal (issue 25): the package in under 3 s.

    python benchmarks/bench_monitor.py [--repeat 3]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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
