"""The repro files of issue 33's resource findings, built by the tests (a few KB each)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl


def small_xlsx(path: Path, *, dimension: str | None = None, far_cell: str | None = None) -> Path:
    """A real two-row register saved by openpyxl, its sheet XML then given another ``dimension``
    or one more cell at ``far_cell`` — a few KB either way."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["项目名称", "经度", "纬度"])
    ws.append(["太原街改造", 123.4, 41.8])
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                if dimension:
                    data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data)
                if far_cell:
                    row = re.sub(r"\D", "", far_cell)
                    extra = f'<row r="{row}"><c r="{far_cell}" t="inlineStr"><is><t>x</t></is></c></row>'
                    data = data.replace(b"</sheetData>", extra.encode() + b"</sheetData>")
            zout.writestr(item, data)
    return path


def wide_csv(path: Path, columns: int = 1_000_000) -> Path:
    path.write_bytes((",".join(f"c{k % 10}" for k in range(columns)) + "\n").encode() * 2)
    return path
