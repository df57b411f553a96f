"""Cells as planners type them: text with blanks stripped (full-width digits normalised where
numbers are meant), numbers, control characters removed with a warning, investments in 元."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from hepinggis.io._money import Amount, parse_amount

__all__ = ["amounts", "number_cells", "text_cells", "without_controls"]


def text_cells(series: pd.Series, *, nfkc: bool = False) -> pd.Series:
    """Cells as strings with surrounding blanks stripped, otherwise exactly as written; with ``nfkc``
    (for numbers and coordinates only) full-width digits and signs (１２３．５) are normalised."""
    out = series.astype(str).str.strip()
    if nfkc:
        wide = ~out.map(str.isascii)
        if wide.any():
            out[wide] = out[wide].map(lambda v: unicodedata.normalize("NFKC", v).strip())
    return out.where(~series.isna(), "")


def number_cells(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, blank, garbage): parsed floats, blank cells, cells that are not finite numbers."""
    text = text_cells(series, nfkc=True)
    blank = (text == "").to_numpy()
    values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(dtype="float64")
    garbage = ~blank & ~np.isfinite(values)
    return values, blank, garbage


#: Characters that are not text: C0/C1 controls (tab, line feed and carriage return excepted),
#: which make SVG/XML invalid and workbooks unreadable.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def without_controls(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The frame with control characters removed from every text cell, and per row position the
    warnings saying from which columns."""
    out = frame.copy()
    notes: dict[int, list[str]] = {}
    for col in out.columns:
        values = out[col]
        cells = values.to_numpy(dtype=object)
        if infer_dtype(cells, skipna=False) == "string" and not _CONTROL.search("\n".join(cells)):
            continue  # a column of text without a control character (most): one search of it all
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not is_text.any():
            continue
        text = values[is_text].astype(str)
        hit = text.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
        if not hit.any():
            continue
        positions = np.flatnonzero(is_text)[hit]
        fixed = values.to_numpy(dtype=object).copy()
        fixed[positions] = text[hit].str.replace(_CONTROL, "", regex=True).to_numpy()
        out[col] = fixed
        for i in positions:
            notes.setdefault(int(i), []).append(f"已删除“{col}”中的控制字符（如 ESC、NUL），其余文字保留")
    return out, notes


def amounts(series: pd.Series, unit: float | None) -> list[Amount]:
    """Every investment cell read into 元 (see `_money`), with the column's unit (see `_units`)
    where the cell has none."""
    return [parse_amount(v, unit) for v in series]
