"""Benchmark: importing a 2,000-row office register (two-row merged header, sections, merged-down
cells, hidden rows, 合计 and 注) against reading the same sheet with ``pandas.read_excel``.

Target: the import under 2 s on this 2-core machine. The baseline (``pandas.read_excel``, which
reads values only: no merges, no header paths, no units, no report) is measured in the same run on
the same file; each measurement is the best of ``--repeat`` runs, each in a fresh subprocess so that
neither gains from the other's warm caches or imports.

    python benchmarks/bench_register_import.py [--rows 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
path, mode = sys.argv[1], sys.argv[2]
if mode == "hepinggis":
    from hepinggis import read_projects
    import hepinggis.io._grid, hepinggis.io._header  # imports are not what is measured
    t = time.perf_counter()
    result = read_projects(path)
    seconds = time.perf_counter() - t
    n = result.rows_in
    extra = {"imported": result.n_imported, "skipped": result.n_skipped, "rejected": result.n_rejected}
else:
    import pandas as pd
    import openpyxl  # noqa: F401
    t = time.perf_counter()
    frame = pd.read_excel(path, sheet_name="项目清单", header=None)
    seconds = time.perf_counter() - t
    n, extra = len(frame), {}
print(json.dumps({"seconds": seconds, "rows": n, **extra}))
"""


def _maker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_registers", ROOT / "tools" / "make_registers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_registers"] = module
    spec.loader.exec_module(module)
    return module


def _run(path: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    maker = _maker()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "重点建设项目清单.xlsx"
        lines, merges = maker.office_lines(args.rows, seed=2000)
        maker.write_office_xlsx(path, lines, merges)
        ours = min((_run(path, "hepinggis") for _ in range(args.repeat)), key=lambda r: r["seconds"])
        base = min((_run(path, "pandas") for _ in range(args.repeat)), key=lambda r: r["seconds"])
    print(f"register: {args.rows} projects, {ours['rows']} rows below the header (best of {args.repeat})")
    print(
        f"hepinggis read_projects: {ours['seconds']:.3f} s  "
        f"({ours['imported']:.0f} imported, {ours['skipped']:.0f} not projects, {ours['rejected']:.0f} refused)"
    )
    print(f"pandas.read_excel      : {base['seconds']:.3f} s  ({base['rows']:.0f} rows, values only)")
    verdict = "met" if ours["seconds"] < 2 else "NOT met"
    print(f"ratio {ours['seconds'] / base['seconds']:.2f}x; target < 2 s: {verdict}")


if __name__ == "__main__":
    main()
