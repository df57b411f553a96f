"""Reading planners' files as raw tables: encodings (UTF-8, BOM, GBK/GB18030) and formats.

Every value of a CSV or XLSX comes back untouched (strings / cells), so that bad values can be
reported rather than coerced; blank lines are kept as rows so that none goes missing silently.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import HepingGISError

__all__ = ["ImportFileError", "RawTable", "detect_encoding", "read_raw"]

TABULAR = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
GEO = {".geojson", ".json", ".gpkg", ".shp", ".zip"}


class ImportFileError(HepingGISError):
    """A project file that cannot be read at all (format, encoding, sheet, CRS)."""


@dataclass
class RawTable:
    frame: pd.DataFrame  # one row per input record; object dtype
    row_numbers: list[int]  # the number a planner sees for each record (spreadsheet row / feature number)
    row_label: str  # what the numbers count ("row" with the header as row 1, or "feature")
    encoding: str | None
    geometry: gpd.GeoSeries | None = None  # for GIS formats
    file_crs: str | None = None
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # rows that could not even be split


def detect_encoding(raw: bytes) -> str:
    """``utf-8-sig`` for a BOM, ``utf-8`` if the bytes decode as UTF-8, else ``gb18030`` (a superset of
    GBK and GB2312) if they decode as that."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"the file is neither UTF-8 nor GBK/GB18030 (byte {exc.start}); pass encoding=…") from exc


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    raw = path.read_bytes()
    try:
        enc = encoding or detect_encoding(raw)
    except ImportFileError as exc:
        raise ImportFileError(f"{path}: {exc}") from exc
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportFileError(f"{path}: cannot decode as {enc}: {exc}") from exc
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError(f"{path}: the file is empty (no header row, no data)")
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, sep=sep)
    except pd.errors.EmptyDataError as exc:
        raise ImportFileError(f"{path}: no columns could be read from the first line") from exc
    except pd.errors.ParserError:
        return _read_csv_row_by_row(text, sep, enc)  # some rows are malformed: keep the others, report those
    frame = frame.fillna("")  # a blank line has no fields at all
    return RawTable(frame, [i + 2 for i in range(len(frame))], "row", enc)


def _read_csv_row_by_row(text: str, sep: str, enc: str) -> RawTable:
    """The slow, forgiving path: a row with more fields than the header is reported, not fatal."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = next(reader)
    rows: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    start = reader.line_num + 1
    for record in reader:
        if len(record) > len(header):
            bad.append((start, f"the row has {len(record)} fields but the header has {len(header)}"))
        else:
            rows.append(record + [""] * (len(header) - len(record)))
            numbers.append(start)
        start = reader.line_num + 1
    return RawTable(pd.DataFrame(rows, columns=header, dtype=object), numbers, "row", enc, bad_rows=bad)


def _read_excel(path: Path, sheet: str | int | None) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=object, keep_default_na=False)
    except (ValueError, KeyError, OSError) as exc:  # bad sheet name, not a workbook, corrupt zip
        raise ImportFileError(f"{path}: cannot be read as an Excel workbook: {exc}") from exc
    except Exception as exc:  # openpyxl/zipfile raise several types for a damaged file
        raise ImportFileError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from exc
    frame = frame.astype(object).where(frame.notna(), "")
    return RawTable(frame, [i + 2 for i in range(len(frame))], "row", None)


def _dbf_encoding(path: Path, encoding: str | None) -> str | None:
    """A Shapefile's encoding: the caller's, its .cpg, else detected from the .dbf bytes (a .shp
    without .cpg would otherwise be read as ISO-8859-1 and come back as mojibake)."""
    if encoding or path.suffix.lower() != ".shp":
        return encoding
    cpg = path.with_suffix(".cpg")
    if cpg.is_file():
        return None  # GDAL honours it
    dbf = path.with_suffix(".dbf")
    return detect_encoding(dbf.read_bytes()) if dbf.is_file() else None


def _read_geo(path: Path, encoding: str | None, layer: str | None) -> RawTable:
    enc = _dbf_encoding(path, encoding)
    try:
        frame = (
            pyogrio.read_dataframe(path, layer=layer, encoding=enc)
            if enc
            else pyogrio.read_dataframe(path, layer=layer)
        )
    except Exception as exc:  # GDAL raises several types; all mean the same to the user
        raise ImportFileError(f"{path}: cannot be read by GDAL: {exc}") from exc
    geom = frame.geometry
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    attrs = attrs.where(attrs.notna(), "")
    crs = frame.crs.to_string() if frame.crs is not None else None
    return RawTable(attrs, [i + 1 for i in range(len(frame))], "feature", enc, geom, crs)


def read_raw(
    path: Path, *, encoding: str | None = None, sheet: str | int | None = None, layer: str | None = None
) -> RawTable:
    """Read ``path`` (CSV/TSV, XLSX, GeoJSON, GeoPackage, Shapefile) as a `RawTable`."""
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    if not path.is_file():
        raise ImportFileError(f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path, encoding)
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return _read_excel(path, sheet)
    if suffix in GEO:
        return _read_geo(path, encoding, layer)
    raise ImportFileError(f"{path}: unsupported file type {suffix!r}; use CSV, XLSX, GeoJSON, GeoPackage or Shapefile")
