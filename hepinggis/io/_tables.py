"""Reading planners' files as raw tables: encodings (UTF-8, BOM, GBK/GB18030) and formats.

Every value of a CSV or XLSX comes back untouched (strings / cells), so that bad values can be
reported rather than coerced; blank lines are kept as rows so that none goes missing silently.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from hepinggis.errors import HepingGISError
from hepinggis.io._dbf import dbf_encoding

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
    header_row: int | None = None  # the row the header was found on (titles above it are not data)
    row_notes: dict[int, str] = field(default_factory=dict)  # a warning per row number (e.g. its encoding)


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


#: A quoted field may span at most this many lines; a quote still open after that is unterminated.
_MAX_QUOTED_LINES = 20
#: The header row is looked for among this many rows at the top (below title and blank rows).
_HEADER_SEARCH_ROWS = 20

HeaderTest = Callable[[list[str]], bool]


def _decode_lines(raw: bytes, encoding: str | None, path: Path) -> tuple[list[str], str, list[int]]:
    """The file's lines, decoded; a GBK file with a few UTF-8 lines (pasted from a web form) is
    decoded line by line, and those lines' numbers are returned, never turned into mojibake."""
    if encoding:
        try:
            return _lines(raw.decode(encoding)), encoding, []
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(f"{path}: cannot decode as {encoding}: {exc}") from exc
    if raw.startswith(b"\xef\xbb\xbf") or _is_utf8(raw):
        enc = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        return _lines(raw.decode(enc)), enc, []
    lines, utf8 = [], []
    for k, chunk in enumerate(raw.split(b"\n"), start=1):
        chunk = chunk.rstrip(b"\r")
        try:
            if chunk.isascii():
                lines.append(chunk.decode("ascii"))
                continue
            lines.append(chunk.decode("utf-8"))
            utf8.append(k)
        except UnicodeDecodeError:
            try:
                lines.append(chunk.decode("gb18030"))
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"{path}: line {k} is neither UTF-8 nor GBK/GB18030 (byte {exc.start}); pass encoding=…"
                ) from exc
    if lines and lines[-1] == "":
        lines.pop()
    return lines, "gb18030", utf8


def _lines(text: str) -> list[str]:
    """Lines split at line feeds only (``str.splitlines`` would also split at U+2028, U+0085 …,
    which are text inside a cell), without the BOM and a final empty line."""
    lines = [line.removesuffix("\r") for line in text.lstrip("\ufeff").split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _records(lines: list[str], sep: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """Split lines into CSV records (a quoted field may hold line breaks), each with the line it
    starts on. A quote left open is reported on its line and the next line read afresh, so one
    stray quote never swallows the rest of the file."""
    records: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        start, text = i, lines[i]
        while text.count('"') % 2 == 1 and i + 1 < len(lines) and i - start < _MAX_QUOTED_LINES:
            i += 1
            text += "\n" + lines[i]
        if text.count('"') % 2 == 1:
            bad.append((start + 1, "引号未闭合（此行未读入，请检查该行的双引号）"))
            i = start + 1
            continue
        records.append((start + 1, next(csv.reader([text], delimiter=sep)) if text else []))
        i += 1
    return records, bad


def _find_header(
    records: list[tuple[int, list[str]]], header_row: int | None, is_header: HeaderTest | None, path: Path
) -> int:
    """The index of the header record: the one on ``header_row``, else the first that ``is_header``
    accepts among the top rows (below titles and blank rows), else the first non-blank one."""
    if header_row is not None:
        for k, (line, _) in enumerate(records):
            if line == header_row:
                return k
        raise ImportFileError(f"{path}: there is no row {header_row} to use as the header")
    filled = [k for k, (_, cells) in enumerate(records) if any(c.strip() for c in cells)]
    if not filled:
        raise ImportFileError(f"{path}: the file is empty (no header row, no data)")
    if is_header is not None:
        for k in filled[:_HEADER_SEARCH_ROWS]:
            if is_header([c.strip() for c in records[k][1]]):
                return k
    return filled[0]


def _table(
    records: list[tuple[int, list[str]]], header_at: int, path: Path
) -> tuple[pd.DataFrame, list[int], list[tuple[int, str]]]:
    """Rows below the header as a frame of strings; a row with more fields than the header is reported."""
    header = [h.strip() for h in records[header_at][1]]
    while header and header[-1] == "":
        header.pop()
    header = [h or f"第{k + 1}列" for k, h in enumerate(header)]
    seen: dict[str, int] = {}
    for k, h in enumerate(header):
        if h in seen:
            raise ImportFileError(
                f"{path}: the header names {h!r} twice (columns {seen[h] + 1} and {k + 1}); rename one of them"
            )
        seen[h] = k
    rows, numbers, bad = [], [], []
    for line, cells in records[header_at + 1 :]:
        extra = [c for c in cells[len(header) :] if c.strip()]
        if extra:
            bad.append(
                (
                    line,
                    f"此行有 {len(cells)} 个字段，表头只有 {len(header)} 列："
                    "文字中的英文逗号请用引号括起，或改用中文逗号“，”",
                )
            )
            continue
        rows.append((cells + [""] * len(header))[: len(header)])
        numbers.append(line)
    return pd.DataFrame(rows, columns=header, dtype=object), numbers, bad


def _read_csv(
    path: Path, encoding: str | None, header_row: int | None = None, is_header: HeaderTest | None = None
) -> RawTable:
    raw = path.read_bytes()
    lines, enc, utf8_lines = _decode_lines(raw, encoding, path)
    if not any(line.strip() for line in lines):
        raise ImportFileError(f"{path}: the file is empty (no header row, no data)")
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    records, bad = _records(lines, sep)
    at = _find_header(records, header_row, is_header, path)
    frame, numbers, too_long = _table(records, at, path)
    header_line = records[at][0]
    bad = [b for b in bad if b[0] > header_line] + too_long
    table = RawTable(frame, numbers, "row", enc, bad_rows=sorted(bad), header_row=header_line)
    table.row_notes = {k: "此行为 UTF-8 编码（文件其余为 GBK），已按 UTF-8 读取" for k in utf8_lines if k > header_line}
    return table


def _read_excel(
    path: Path, sheet: str | int | None, header_row: int | None = None, is_header: HeaderTest | None = None
) -> RawTable:
    try:
        grid = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, dtype=object, keep_default_na=False, header=None
        )
    except (ValueError, KeyError, OSError) as exc:  # bad sheet name, not a workbook, corrupt zip
        raise ImportFileError(f"{path}: cannot be read as an Excel workbook: {exc}") from exc
    except Exception as exc:  # openpyxl/zipfile raise several types for a damaged file
        raise ImportFileError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc})") from exc
    grid = grid.astype(object).where(grid.notna(), "")
    records = [
        (k + 1, ["" if v is None else str(v) for v in row]) for k, row in enumerate(grid.itertuples(index=False))
    ]
    if not records:
        raise ImportFileError(f"{path}: the sheet is empty (no header row, no data)")
    at = _find_header(records, header_row, is_header, path)
    frame, numbers, bad = _table(records, at, path)
    values = grid.iloc[at + 1 :, : len(frame.columns)]  # the cells as Excel gave them (numbers stay numbers)
    keep = [line - 1 for line in numbers]
    frame = pd.DataFrame(values.loc[keep].to_numpy(), columns=frame.columns, dtype=object) if len(keep) else frame
    return RawTable(frame, numbers, "row", None, bad_rows=bad, header_row=records[at][0])


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
    if layer is None and path.suffix.lower() == ".gpkg":  # never take the first of several silently
        try:  # tables without geometry (QGIS's layer_styles, say) are not layers of projects
            names = [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
        except Exception as exc:
            raise ImportFileError(f"{path}: cannot be read by GDAL: {exc}") from exc
        if len(names) > 1:
            raise ImportFileError(f"{path} has {len(names)} layers ({', '.join(names)}); pass --layer NAME")
        layer = names[0] if names else None
    enc = dbf_encoding(path, encoding)
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
    path: Path,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    header_row: int | None = None,
    is_header: HeaderTest | None = None,
) -> RawTable:
    """Read ``path`` (CSV/TSV, XLSX, GeoJSON, GeoPackage, Shapefile) as a `RawTable`.

    For CSV and XLSX the header is the row numbered ``header_row`` (as the spreadsheet shows it),
    or the first row among the top ones that ``is_header`` accepts (titles and blank rows above it
    are skipped), or the first non-blank row."""
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    if not path.is_file():
        raise ImportFileError(f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path, encoding, header_row, is_header)
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return _read_excel(path, sheet, header_row, is_header)
    if suffix in GEO:
        return _read_geo(path, encoding, layer)
    raise ImportFileError(f"{path}: unsupported file type {suffix!r}; use CSV, XLSX, GeoJSON, GeoPackage or Shapefile")
