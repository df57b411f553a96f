"""Are two monitoring packages the same to a reader? Compares what a reviewer reads: every cell value
of every sheet of ``monitoring.xlsx``, the text of every PDF page (poppler's ``pdftotext``, page by
page), the number of pages, and ``index.html`` byte for byte. Used to check that a speed change
leaves the outputs as they were (a package written before the change against one written after).

    python benchmarks/compare_monitor.py OLD_PACKAGE NEW_PACKAGE

Prints one line per difference (at most 20 per file) and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import openpyxl


def workbook_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's rows of cell values."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {name: [tuple(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}
    finally:
        book.close()


def pdf_pages(path: Path) -> list[str]:
    """The text of each page as ``pdftotext -layout`` reads it."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _map_text(path: Path) -> str:
    """A map page with folium's random element ids (32 hex digits) set aside."""
    return re.sub(r"[0-9a-f]{32}", "ID", path.read_text(encoding="utf-8"))


def differences(old: Path, new: Path) -> list[str]:
    """What differs between the packages ``old`` and ``new`` (empty when a reader sees the same)."""
    out: list[str] = []
    names = {p.name for p in old.glob("*.pdf")} | {p.name for p in new.glob("*.pdf")}
    for name in sorted(names):
        if not (old / name).is_file() or not (new / name).is_file():
            out.append(f"{name}: only in {'new' if (new / name).is_file() else 'old'}")
            continue
        a, b = pdf_pages(old / name), pdf_pages(new / name)
        if len(a) != len(b):
            out.append(f"{name}: {len(a)} pages, now {len(b)}")
        found = [f"{name} p.{k + 1}: text differs" for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
        out += found[:20]
    a_book, b_book = workbook_values(old / "monitoring.xlsx"), workbook_values(new / "monitoring.xlsx")
    if list(a_book) != list(b_book):
        out.append(f"monitoring.xlsx: sheets {list(a_book)}, now {list(b_book)}")
    for sheet in a_book.keys() & b_book.keys():
        rows_a, rows_b = a_book[sheet], b_book[sheet]
        if len(rows_a) != len(rows_b):
            out.append(f"monitoring.xlsx[{sheet}]: {len(rows_a)} rows, now {len(rows_b)}")
        pairs = enumerate(zip(rows_a, rows_b, strict=False))
        diff = [f"monitoring.xlsx[{sheet}] row {k + 1}: {x} → {y}" for k, (x, y) in pairs if x != y]
        out += diff[:20]
    if (old / "index.html").read_bytes() != (new / "index.html").read_bytes():
        out.append("index.html differs")
    for page in sorted(p.name for p in old.glob("*.html") if p.name != "index.html"):
        if not (new / page).is_file():
            out.append(f"{page}: only in old")
        elif _map_text(old / page) != _map_text(new / page):
            out.append(f"{page} differs (beyond folium's element ids)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args()
    found = differences(args.old, args.new)
    for line in found:
        print(line)
    pdfs = len(list(args.new.glob("*.pdf")))
    print(f"{len(found)} differences ({pdfs} PDFs, monitoring.xlsx, index.html and the map pages compared)")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
