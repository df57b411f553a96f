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

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._dbf import dbf_encoding
from hepinggis.io._grid import Grid, cell_text, file_kind, read_grid
from hepinggis.io._header import find_header
from hepinggis.io._limits import check_csv_bytes

__all__ = ["ImportFileError", "RawTable", "detect_encoding", "read_raw"]

WORKBOOKS = {".xlsx", ".xlsm", ".xls", ".ods", ".et", ".ett", ".xlt", ".xltx"}
TABULAR = {".csv", ".txt", ".tsv", *WORKBOOKS}
GEO = {".geojson", ".json", ".gpkg", ".shp", ".zip"}


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
    header_rows: list[int] = field(default_factory=list)  # every header row (one to three), as numbered
    levels: list[list[str]] = field(default_factory=list)  # per column, its header labels top to bottom
    title_lines: list[str] = field(default_factory=list)  # text of the lines above the header
    merged_down: list[tuple[str, int, int]] = field(default_factory=list)  # (column, first row, last row)
    hidden: dict[int, str] = field(default_factory=dict)  # row number → "隐藏" / "筛选"
    uncalculated: dict[int, list[str]] = field(default_factory=dict)  # row → columns of formulas with no value
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)


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
        raise ImportFileError(Said("encoding_unknown", at=exc.start)) from exc


#: A quoted field may span at most this many lines; a quote still open after that is unterminated.
_MAX_QUOTED_LINES = 20

HeaderTest = Callable[[list[str]], bool]
NameColumn = Callable[[list[str]], int | None]


def _decode_lines(raw: bytes, encoding: str | None, path: Path) -> tuple[list[str], str, list[int]]:
    """The file's lines, decoded; a GBK file with a few UTF-8 lines (pasted from a web form) is
    decoded line by line, and those lines' numbers are returned, never turned into mojibake."""
    if encoding:
        try:
            return _lines(raw.decode(encoding)), encoding, []
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(f"{path}: 无法按 {encoding} 编码读取（{exc}）") from exc
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
                raise ImportFileError(Said("encoding_line_unknown", path=path, k=k, at=exc.start)) from exc
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


def _quoted(line: str) -> bool:
    """Whether the csv module must split ``line``: it holds a quote or a carriage return, or is
    longer than the module's field limit (which it refuses). Any other line is its cells between
    separators — `str.split`, 50,000 lines in a tenth of the time."""
    return '"' in line or "\r" in line or len(line) > _FIELD_LIMIT


_FIELD_LIMIT = csv.field_size_limit()


def _records(lines: list[str], sep: str) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]], dict[int, int]]:
    """Split lines into CSV records (a quoted field may hold line breaks), each numbered as Excel
    shows it: one row per record, however many text lines its quoted cells span. A quote left open
    is reported on its row and the next line read afresh, so one stray quote never swallows the rest
    of the file. Also returns, per text line (from 1), the row it belongs to."""
    if not any(_quoted(line) for line in lines):  # no quote anywhere (most files): a record a line
        split = [(k, line.split(sep) if line else []) for k, line in enumerate(lines, start=1)]
        return split, [], {k: k for k in range(1, len(lines) + 1)}
    records: list[tuple[int, list[str]]] = []
    bad: list[tuple[int, str]] = []
    line_row: dict[int, int] = {}
    i = 0
    row = 0
    while i < len(lines):
        start, text = i, lines[i]
        row += 1
        if not _quoted(text):  # most lines: the csv module's record, by str.split
            records.append((row, text.split(sep) if text else []))
            line_row[i + 1] = row
            i += 1
            continue
        literal = not text.startswith('"') and f'{sep}"' not in text  # no cell opens with a quote
        while not literal and text.count('"') % 2 == 1 and i + 1 < len(lines) and i - start < _MAX_QUOTED_LINES:
            i += 1
            text += "\n" + lines[i]
        if not literal and text.count('"') % 2 == 1:
            bad.append((row, "引号未闭合（此行未读入，请检查该行的双引号）"))
            line_row[start + 1] = row
            i = start + 1
            continue
        try:
            cells = next(csv.reader([text], delimiter=sep)) if text else []
        except csv.Error:
            if i == start:  # one line the module refuses (a field over its limit): said by the caller
                raise
            # a line break the module refuses after a quote it read as text: the line alone
            i, cells = start, next(csv.reader([lines[start]], delimiter=sep))
        records.append((row, cells))
        for k in range(start, i + 1):
            line_row[k + 1] = row
        i += 1
    return records, bad, line_row


def _header_index(records: list[tuple[int, list[str]]], header_row: int | None, path: Path) -> int | None:
    """The index of the record on spreadsheet row ``header_row``."""
    if header_row is None:
        return None
    for k, (line, _) in enumerate(records):
        if line == header_row:
            return k
    raise ImportFileError(f"{path}: 没有第 {header_row} 行可作表头")


def _sheet_table(
    records: list[tuple[int, list[str]]],
    values: list[list[object]] | None,
    merges: list[tuple[int, int, int, int]],
    path: Path,
    *,
    header_row: int | None,
    is_header: HeaderTest | None,
    name_col: NameColumn | None,
    strict_width: bool,
) -> RawTable:
    """Records (spreadsheet row number, cell texts) below a header of one to three rows as a
    frame; ``values`` are the cells as the workbook typed them (numbers stay numbers), or None for
    a CSV. A row with cells beyond the header is refused (CSV: a comma problem) or warned about."""
    if not any(any(c.strip() for c in cells) for _, cells in records):
        raise ImportFileError(f"{path}: 文件是空的（没有表头，也没有数据）")
    texts = [cells for _, cells in records]
    at = _header_index(records, header_row, path)
    found = find_header(
        texts,
        merges,
        accepts=is_header or (lambda cells: any(c.strip() for c in cells)),
        name_col=name_col or (lambda labels: None),
        at=at,
    )
    if found is None:
        first = next(k for k, (_, cells) in enumerate(records) if any(c.strip() for c in cells))
        found = find_header(texts, merges, accepts=lambda cells: True, name_col=lambda labels: None, at=first)
    assert found is not None
    paths = found.paths
    seen: dict[str, int] = {}
    for k, h in enumerate(paths):
        if h in seen:
            raise ImportFileError(f"{path}: 表头中“{h}”出现两次（第 {seen[h] + 1} 列和第 {k + 1} 列），请改名其中一列")
        seen[h] = k
    width = len(paths)
    bottom = found.rows[-1]
    rows: list[list[object]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    notes: dict[int, str] = {}
    for k in range(bottom + 1, len(records)):
        line, cells = records[k]
        if len(cells) == width:  # most rows: as wide as the header, nothing beyond it
            rows.append(list(cells) if values is None else list(values[k][:width]))
            numbers.append(line)
            continue
        extra = [c for c in cells[width:] if c.strip()]
        if extra and strict_width:
            bad.append(
                (
                    line,
                    f"此行有 {len(cells)} 个字段，表头只有 {width} 列："
                    "文字中的英文逗号请用引号括起，或改用中文逗号“，”",
                )
            )
            continue
        if extra:
            notes[line] = f"表头以外的单元格有内容（“{extra[0][:20]}”等），未读入"
        source = values[k] if values is not None else cells
        rows.append((list(source[:width]) + [""] * width)[:width])
        numbers.append(line)
    frame = pd.DataFrame(rows, columns=paths, dtype=object) if rows else pd.DataFrame(columns=paths, dtype=object)
    merged_down = [
        (paths[c0], records[r0][0], records[min(r1, len(records) - 1)][0])
        for r0, c0, r1, _c1 in merges
        if r0 > bottom and r1 > r0 and c0 < width and r0 < len(records)
    ]
    table = RawTable(frame, numbers, "row", None, bad_rows=bad, header_row=records[bottom][0], row_notes=notes)
    table.header_rows = [records[r][0] for r in found.rows]
    table.levels = found.levels
    table.title_lines = found.title_lines
    table.merged_down = merged_down
    return table


def _read_csv(
    path: Path,
    encoding: str | None,
    header_row: int | None = None,
    is_header: HeaderTest | None = None,
    name_col: NameColumn | None = None,
) -> RawTable:
    raw = path.read_bytes()
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    check_csv_bytes(raw, name=path.name, sep=sep.encode())  # its width, before it is split
    lines, enc, utf8_lines = _decode_lines(raw, encoding, path)
    if not any(line.strip() for line in lines):
        raise ImportFileError(f"{path}: 文件是空的（没有表头，也没有数据）")
    records, bad, line_row = _records(lines, sep)
    table = _sheet_table(
        records, None, [], path, header_row=header_row, is_header=is_header, name_col=name_col, strict_width=True
    )
    header_line = table.header_row or 0
    table.encoding = enc
    table.bad_rows = sorted([b for b in bad if b[0] > header_line] + table.bad_rows)
    table.row_notes.update(
        {
            line_row.get(k, k): "此行为 UTF-8 编码（文件其余为 GBK），已按 UTF-8 读取"
            for k in utf8_lines
            if line_row.get(k, k) > header_line
        }
    )
    return table


def _read_excel(
    path: Path,
    sheet: str | int | None,
    header_row: int | None = None,
    is_header: HeaderTest | None = None,
    name_col: NameColumn | None = None,
) -> RawTable:
    grid = read_grid(path, sheet=sheet)
    records = [(r + 1, [cell_text(v) for v in row]) for r, row in enumerate(grid.cells)]
    try:
        if not any(any(c.strip() for c in cells) for _, cells in records):
            raise ImportFileError(f"{path}: 工作表“{grid.sheet}”是空的")
        if is_header is not None and header_row is None and len(grid.sheets) > 1:
            texts = [cells for _, cells in records]
            if find_header(texts, grid.merged, accepts=is_header, name_col=lambda labels: None) is None:
                raise ImportFileError(f"{path}: 工作表“{grid.sheet}”中找不到项目清单的表头")
        table = _sheet_table(
            records,
            grid.cells,
            grid.merged,
            path,
            header_row=header_row,
            is_header=is_header,
            name_col=name_col,
            strict_width=False,
        )
    except ImportFileError as exc:
        if len(grid.sheets) < 2:
            raise
        problem = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        raise ImportFileError(_other_sheets(path, grid, is_header, problem)) from exc
    table.sheet, table.sheets = grid.sheet, grid.sheets
    table.hidden = {r + 1: why for r, why in grid.hidden.items() if r + 1 in set(table.row_numbers)}
    names = list(table.frame.columns)
    for r, c in sorted(grid.uncalculated):
        if r + 1 in set(table.row_numbers) and c < len(names):
            table.uncalculated.setdefault(r + 1, []).append(names[c])
    return table


def _other_sheets(path: Path, grid: Grid, is_header: HeaderTest | None, problem: str) -> Said:
    """``problem`` (met on the sheet read), the sheets of the workbook, which of them look like a
    list, and how to choose one."""
    listed = "、".join(f"{k + 1} {n}" for k, n in enumerate(grid.sheets))
    likely = []
    for k, name in enumerate(grid.sheets):
        if name == grid.sheet or is_header is None:
            continue
        try:
            other = read_grid(path, sheet=name)
        except ImportFileError:
            continue
        texts = [[cell_text(v) for v in row] for row in other.cells[:40]]
        if find_header(texts, other.merged, accepts=is_header, name_col=lambda labels: None) is not None:
            likely.append((k + 1, name))
    hint = f"“{likely[0][1]}”像是项目清单；" if likely else ""
    k, name = likely[0] if likely else (2, grid.sheets[1])
    return Said("sheet_choose", problem=problem, n=len(grid.sheets), listed=listed, hint=hint, name=name, k=k)


def _read_geo(path: Path, encoding: str | None, layer: str | None) -> RawTable:
    if layer is None and path.suffix.lower() == ".gpkg":  # never take the first of several silently
        try:  # tables without geometry (QGIS's layer_styles, say) are not layers of projects
            names = [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
        except Exception as exc:
            raise ImportFileError(f"{path}: GDAL 无法读取此文件：{exc}") from exc
        if len(names) > 1:
            raise ImportFileError(Said("layers_choose", path=path, n=len(names), names="、".join(names)))
        layer = names[0] if names else None
    enc = dbf_encoding(path, encoding)
    try:
        frame = (
            pyogrio.read_dataframe(path, layer=layer, encoding=enc)
            if enc
            else pyogrio.read_dataframe(path, layer=layer)
        )
    except Exception as exc:  # GDAL raises several types; all mean the same to the user
        raise ImportFileError(f"{path}: GDAL 无法读取此文件：{exc}") from exc
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
    name_col: NameColumn | None = None,
) -> RawTable:
    """Read ``path`` (CSV/TSV, XLSX, GeoJSON, GeoPackage, Shapefile) as a `RawTable`.

    For CSV and XLSX the header is the row numbered ``header_row`` (as the spreadsheet shows it),
    or the first row among the top ones that ``is_header`` accepts (titles and blank rows above it
    are skipped), or the first non-blank row."""
    if not path.exists():
        raise ImportFileError(f"{path}: 文件不存在")
    if not path.is_file():
        raise ImportFileError(f"{path}: 不是文件（可能是文件夹）")
    suffix = path.suffix.lower()
    if suffix in GEO:
        return _read_geo(path, encoding, layer)
    if file_kind(path) != "other" or suffix in WORKBOOKS:  # by content: an .xlsx renamed .xls is read as one
        return _read_excel(path, sheet, header_row, is_header, name_col)
    if suffix in {".csv", ".txt", ".tsv"}:
        return _read_csv(path, encoding, header_row, is_header, name_col)
    raise ImportFileError(
        f"{path}: 不支持的文件类型 {suffix or '（无后缀）'}：请另存为 .xlsx 或 CSV"
        "（GIS 文件可用 GeoJSON、GeoPackage、Shapefile）"
    )
