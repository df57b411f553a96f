"""Tables for spreadsheet users, written so that no cell is ever a formula.

A project named ``=HYPERLINK("http://x","点我")`` or ``@SUM(A1)`` is text. ``DataFrame.to_excel``
(openpyxl's and XlsxWriter's generic ``write``) stores any string starting with ``=`` as a formula,
so every text cell is written as a string cell explicitly (XlsxWriter's ``write_string``): the
workbook keeps the text byte for byte and Excel shows it, never evaluates it. A CSV file has no
cell types, so there the OWASP rule applies:
text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``
(Excel hides it and shows the rest as text); numbers are written as numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

__all__ = ["FORMULA_PREFIXES", "csv_safe", "write_csv", "write_workbook"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: The control characters XML 1.0 cannot hold (openpyxl's ``ILLEGAL_CHARACTERS_RE``, the same
#: pattern): copied, because importing openpyxl for it cost every build ~0.3 s of processor time.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


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


def _sheet_names(names: list[str]) -> list[str]:
    """Excel's 31-character sheet names, made unique as openpyxl does (a number appended)."""
    out: list[str] = []
    for name in names:
        title, k = name[:31], 1
        while title.lower() in (t.lower() for t in out):
            suffix = str(k)
            title, k = name[: 31 - len(suffix)] + suffix, k + 1
        out.append(title)
    return out


def _column(series: pd.Series) -> list[Any]:
    """One column's values, converted column-wise (a float or integer column needs no per-cell
    checks; NaN is no value)."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"  # nullable dtypes: cell by cell
    if kind == "f":
        return [None if v != v else v for v in series.tolist()]
    if kind in "iub":
        return series.tolist()
    return [_cell(v) for v in series.tolist()]


def _write(sheet: Any, r: int, c: int, value: Any) -> None:
    """One cell: a number as a number, any text as a string cell (never a formula)."""
    if value is None:
        return
    if value is True or value is False:
        sheet.write_boolean(r, c, value)
    elif isinstance(value, int | float) and math.isfinite(value):
        sheet.write_number(r, c, value)
    else:  # text (and ±inf, which a cell cannot hold as a number)
        text = str(value)
        if ILLEGAL_CHARACTERS_RE.search(text):  # keep them visible, as escapes
            text = text.encode("unicode_escape").decode("ascii")
        sheet.write_string(r, c, text)


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One sheet per table (names cut to Excel's 31 characters), a header row, every string stored
    as a string cell. Control characters that XML cannot hold are written as ``\\xNN`` escapes.

    Written with XlsxWriter, row by row in constant memory, from columns converted column-wise:
    openpyxl builds a cell object per value first (16 s for the 50,000-project statistics workbook,
    issue 37; 6.2 s in its write-only mode, 4.8 s here, processor time in one run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    try:
        for title, table in zip(_sheet_names([str(n) for n in tables]), tables.values(), strict=True):
            sheet = book.add_worksheet(title)
            for c, head in enumerate(table.columns):
                _write(sheet, 0, c, _cell(head))
            columns = [_column(table.iloc[:, k]) for k in range(table.shape[1])]
            for r, row in enumerate(zip(*columns, strict=True), start=1):
                for c, value in enumerate(row):
                    _write(sheet, r, c, value)
    finally:
        book.close()
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
