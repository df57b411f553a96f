"""Write example_2023.json: what a reader reads in the monitoring package of the bundled example
figures (year 2023) — each PDF's text page by page (``pdftotext -layout``) and every cell of the
workbook. `tests/monitor/test_forked_pdfs.py` checks a package against it. The kept file was
written from the code before the speed work of issue 34; run this only when a change of wording
is meant, and read the diff.

    python tests/data/monitor_golden/make.py [PACKAGE_FOLDER]   (default: write one now)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


def main() -> None:
    spec = importlib.util.spec_from_file_location("compare_monitor", REPO / "benchmarks" / "compare_monitor.py")
    assert spec is not None and spec.loader is not None
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
    else:
        from hepinggis.monitor.indicators import read_actuals
        from hepinggis.monitor.package import monitor

        folder = Path(tempfile.mkdtemp()) / "pkg"
        monitor(read_actuals(EXAMPLE), folder, year=2023)
    kept = {
        "pdfs": {p.name: compare.pdf_pages(p) for p in sorted(folder.glob("*.pdf"))},
        "workbook": {
            k: [list(r) for r in rows] for k, rows in compare.workbook_values(folder / "monitoring.xlsx").items()
        },
    }
    out = Path(__file__).with_name("example_2023.json")
    out.write_text(json.dumps(kept, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{out}: {len(kept['pdfs'])} PDFs, {sum(len(r) for r in kept['workbook'].values())} workbook rows")


if __name__ == "__main__":
    main()
