"""The cells of a figures file as the clerk saw them: value, whether Excel (or LibreOffice) showed
it as a percentage, and the row number the spreadsheet shows.

One reader per format, each with the library that knows it: ``openpyxl`` for .xlsx/.xlsm (number
formats, merged cells), ``xlrd`` with ``formatting_info`` for BIFF .xls (the same), ``odfpy`` for
.ods (``office:value-type="percentage"``, spanned cells) and the ``csv`` module for CSV (a quoted
note with a line break is one record: the row numbers count records, as Excel shows them, not
physical lines). A merged cell's value is given to every cell it covers (a merged 指标编号 block
names each of its rows). The format is told from the file's first bytes, not its name (an .xlsx
saved as ``.xls`` is still read as what it is).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._grid import file_kind
from hepinggis.io._limits import check_csv_bytes, check_workbook
from hepinggis.io._tables import detect_encoding

__all__ = ["Cell", "Grid", "read_grid"]

#: Rows of a sheet read at most (a sheet formatted to row 1,048,576 is not 1 million figures).
_MAX_ROWS = 200_000


@dataclass(frozen=True)
class Cell:
    """One cell: its value (text, number or None) and whether it was shown as a percentage."""

    value: object = None
    percent: bool = False


@dataclass
class Grid:
    """A sheet: ``rows`` as (row number the spreadsheet shows, cells)."""

    rows: list[tuple[int, list[Cell]]]
    sheet: str | None  # None for CSV
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None

    def where(self) -> str:
        """How messages name the place: “工作表“填报”” or “” for a CSV."""
        return f"工作表“{self.sheet}”" if self.sheet is not None else ""


def _kind(path: Path) -> str:
    """``xlsx``, ``xls``, ``ods`` or ``csv``, told by the register importer's content detection
    (`hepinggis.io._grid.file_kind`, one detection for every file the bureau gives), never by the
    name: an .xlsx saved as ``.xls`` is read as the .xlsx it is."""
    kind = file_kind(path)
    if kind != "other":
        return kind
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls", ".ods", ".et"}:
        raise ImportFileError(f"{path.name}：文件扩展名为{suffix}，但内容不是工作簿（可能已损坏或是改名的文本文件）")
    return "csv"


def _xlsx(path: Path) -> Iterator[tuple[str, Callable[[], list[tuple[int, list[Cell]]]]]]:
    from openpyxl import load_workbook

    try:  # from the bytes: openpyxl would refuse a workbook by its name (an .xlsx called .xls)
        book = load_workbook(io.BytesIO(path.read_bytes()), data_only=True)
    except Exception as exc:  # openpyxl and zipfile raise several types for a damaged file
        raise ImportFileError(f"{path.name}：无法作为 Excel 工作簿打开（文件可能已损坏）") from exc
    for ws in book.worksheets:

        def grid(ws: object = ws) -> list[tuple[int, list[Cell]]]:
            sheet = ws  # openpyxl Worksheet
            cells: dict[tuple[int, int], Cell] = {}
            for row in sheet.iter_rows(max_row=min(sheet.max_row, _MAX_ROWS)):  # type: ignore[attr-defined]
                for c in row:
                    if c.value is not None:
                        cells[(c.row, c.column)] = Cell(c.value, "%" in str(c.number_format or ""))
            for rng in sheet.merged_cells.ranges:  # type: ignore[attr-defined]
                top = cells.get((rng.min_row, rng.min_col))
                if top is None:
                    continue
                for r in range(rng.min_row, rng.max_row + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        cells[(r, c)] = top
            return _rows(cells)

        yield ws.title, grid


def _xls(path: Path) -> Iterator[tuple[str, Callable[[], list[tuple[int, list[Cell]]]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, struct.error, … for a damaged file
        raise ImportFileError(f"{path.name}：无法作为 Excel 97–2003（.xls）工作簿打开（文件可能已损坏）") from exc
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)

        def grid(sheet: xlrd.sheet.Sheet = sheet) -> list[tuple[int, list[Cell]]]:
            cells: dict[tuple[int, int], Cell] = {}
            for r in range(min(sheet.nrows, _MAX_ROWS)):
                for c in range(sheet.ncols):
                    kind = sheet.cell_type(r, c)
                    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        continue
                    value = sheet.cell_value(r, c)
                    if kind == xlrd.XL_CELL_ERROR:
                        value = xlrd.error_text_from_code.get(value, "#错误")
                    elif kind == xlrd.XL_CELL_BOOLEAN:
                        value = bool(value)
                    xf = book.xf_list[sheet.cell_xf_index(r, c)]
                    fmt = book.format_map.get(xf.format_key)
                    percent = kind == xlrd.XL_CELL_NUMBER and fmt is not None and "%" in fmt.format_str
                    cells[(r + 1, c + 1)] = Cell(value, percent)
            for rlo, rhi, clo, chi in sheet.merged_cells:
                top = cells.get((rlo + 1, clo + 1))
                if top is None:
                    continue
                for r in range(rlo, rhi):
                    for c in range(clo, chi):
                        cells[(r + 1, c + 1)] = top
            return _rows(cells)

        yield sheet.name, grid


def _ods(path: Path) -> Iterator[tuple[str, Callable[[], list[tuple[int, list[Cell]]]]]]:
    from odf import teletype
    from odf.namespaces import TABLENS
    from odf.opendocument import load
    from odf.table import Table

    try:
        doc = load(str(path))
    except Exception as exc:  # odfpy raises several types for a damaged file
        raise ImportFileError(f"{path.name}：无法作为 ODS 工作簿打开（文件可能已损坏）") from exc

    def attr(node: object, name: str) -> str | None:
        return node.attributes.get((TABLENS, name))  # type: ignore[attr-defined]

    for table in doc.spreadsheet.getElementsByType(Table):

        def grid(table: object = table) -> list[tuple[int, list[Cell]]]:
            cells: dict[tuple[int, int], Cell] = {}
            spans: list[tuple[int, int, int, int]] = []
            r = 0
            for row in table.childNodes:  # type: ignore[attr-defined]
                if row.qname != (TABLENS, "table-row"):
                    continue
                repeat = int(attr(row, "number-rows-repeated") or 1)
                c = 0
                filled: list[tuple[int, Cell]] = []
                for cell in row.childNodes:
                    if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                        continue
                    times = int(attr(cell, "number-columns-repeated") or 1)
                    value = _ods_value(cell, teletype)
                    if value.value is not None:
                        for k in range(min(times, 1024)):
                            filled.append((c + k + 1, value))
                        rs = int(attr(cell, "number-rows-spanned") or 1)
                        cs = int(attr(cell, "number-columns-spanned") or 1)
                        if rs > 1 or cs > 1:
                            spans.append((r + 1, c + 1, r + rs, c + cs))
                    c += times
                if filled:
                    for k in range(min(repeat, _MAX_ROWS)):
                        for col, value in filled:
                            cells[(r + k + 1, col)] = value
                r += repeat
                if r > _MAX_ROWS:
                    break
            for r0, c0, r1, c1 in spans:
                top = cells[(r0, c0)]
                for rr in range(r0, r1 + 1):
                    for cc in range(c0, c1 + 1):
                        cells[(rr, cc)] = top
            return _rows(cells)

        yield str(attr(table, "name")), grid


def _ods_value(cell: object, teletype: object) -> Cell:
    from odf.namespaces import OFFICENS

    attrs = cell.attributes  # type: ignore[attr-defined]
    kind = attrs.get((OFFICENS, "value-type"))
    if kind in ("float", "percentage", "currency"):
        raw = attrs.get((OFFICENS, "value"))
        number = float(raw)
        return Cell(int(number) if number.is_integer() and kind != "percentage" else number, kind == "percentage")
    if kind == "boolean":
        return Cell(attrs.get((OFFICENS, "boolean-value")) == "true")
    # one paragraph (text:p) per line the clerk typed: joined with the line breaks they typed
    from odf.namespaces import TEXTNS

    paras = [n for n in cell.childNodes if n.qname == (TEXTNS, "p")]  # type: ignore[attr-defined]
    text = "\n".join(teletype.extractText(p) for p in paras) if paras else teletype.extractText(cell)  # type: ignore[attr-defined]
    return Cell(text if text != "" else None)


def _rows(cells: dict[tuple[int, int], Cell]) -> list[tuple[int, list[Cell]]]:
    if not cells:
        return []
    width = max(c for _, c in cells)
    last = max(r for r, _ in cells)
    return [(r, [cells.get((r, c), Cell()) for c in range(1, width + 1)]) for r in range(1, last + 1)]


def _csv(path: Path, encoding: str | None) -> tuple[list[tuple[int, list[Cell]]], str]:
    raw = path.read_bytes()
    check_csv_bytes(raw, name=path.name, sep=b"\t" if path.suffix.lower() == ".tsv" else b",")
    enc = encoding or detect_encoding(raw)
    try:
        text = raw.decode(enc)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ImportFileError(f"{path.name}：无法按 {enc} 编码读取（请另存为 UTF-8 或 GBK 的 CSV）") from exc
    text = text.lstrip("\ufeff")
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        # one record per spreadsheet row: a quoted note with a line break stays in its row,
        # and the rows are numbered as Excel shows them (records, not physical lines)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        raise ImportFileError(f"{path.name}：CSV 格式有误（{exc}）") from exc
    return [(k, [Cell(v if v != "" else None) for v in rec]) for k, rec in enumerate(records, start=1)], enc


def read_grid(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    accept: Callable[[Grid], bool] = lambda g: True,
) -> Grid:
    """The sheet of ``path`` to read: the one named ``sheet`` (a name, or its number from 1), else
    the first that ``accept`` takes (a cover or instructions sheet before the figures is passed
    over); `ImportFileError` names the sheets when none fits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = f.write_text('a,b\\n1,"x\\ny"\\n2,z\\n', encoding="utf-8")
    >>> [(n, [c.value for c in cells]) for n, cells in read_grid(f).rows]
    [(1, ['a', 'b']), (2, ['1', 'x\\ny']), (3, ['2', 'z'])]
    """
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path.name}：文件不存在（{path}）")
    if not path.is_file():
        raise ImportFileError(f"{path.name}：不是文件")
    kind = _kind(path)
    if kind == "csv":
        if sheet is not None:
            raise ImportFileError(Said("csv_no_sheets", name=path.name))
        rows, enc = _csv(path, encoding)
        return Grid(rows, None, [], enc)
    check_workbook(path)  # extent and unpacked size, before openpyxl or xlrd reads a cell
    readers = {"xlsx": _xlsx, "xls": _xls, "ods": _ods}
    sheets = list(readers[kind](path))
    names = [name for name, _ in sheets]
    if not names:
        raise ImportFileError(f"{path.name}：工作簿中没有工作表")
    if sheet is not None:
        wanted = [(n, g) for n, g in sheets if n == sheet]
        if not wanted and str(sheet).isdigit() and 1 <= int(sheet) <= len(sheets):
            wanted = [sheets[int(sheet) - 1]]
        if not wanted:
            raise ImportFileError(f"{path.name}：没有名为“{sheet}”的工作表（现有：{'、'.join(names)}）")
        name, make = wanted[0]
        return Grid(make(), name, names)
    for name, make in sheets:
        grid = Grid(make(), name, names)
        if accept(grid):
            return grid
    return Grid(sheets[0][1](), names[0], names)
