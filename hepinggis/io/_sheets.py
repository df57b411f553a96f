"""Tables for spreadsheet users, written so that no cell is ever a formula.

A project named ``=HYPERLINK("http://x","点我")`` or ``@SUM(A1)`` is text. openpyxl (and so
``DataFrame.to_excel``) stores any string starting with ``=`` as a formula, so every text cell is
written with the string type set explicitly: the workbook keeps the text byte for byte and Excel
shows it, never evaluates it. A CSV file has no cell types, so there the OWASP rule applies:
text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
(Excel hides it and shows the rest as text); numbers are written as numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils.exceptions import IllegalCharacterError

__all__ = ["FORMULA_PREFIXES", "csv_safe", "write_csv", "write_workbook"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table (names cut to Excel's 31 characters), a header row, every string stored
    as a string cell. Control characters that XML cannot hold are written as ``\\xNN`` escapes."""
    book = Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        sheet = book.create_sheet(title=str(name)[:31])
        rows = [list(table.columns), *table.itertuples(index=False, name=None)]
        for r, row in enumerate(rows, start=1):
            for c, raw in enumerate(row, start=1):
                value = _cell(raw)
                try:
                    cell = sheet.cell(row=r, column=c, value=value)
                except IllegalCharacterError:  # control characters XML cannot hold: keep them visible
                    value = str(value).encode("unicode_escape").decode("ascii")
                    cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str):
                    cell.data_type = TYPE_STRING
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula when the CSV is opened in a spreadsheet."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    out.columns = [("'" + c if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with a BOM (so Excel shows Chinese), text cells made formula-safe by `csv_safe`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_safe(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return path
