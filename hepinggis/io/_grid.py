"""A worksheet as Excel shows it: the cells' values, merged ranges, hidden and filtered-out rows,
and formulas that were never calculated — from .xlsx/.xlsm, .xls (BIFF, also WPS .et), .ods.

The format is told by the file's first bytes, not its name (an .xlsx renamed .xls is common).
Values come from python-calamine (fast, reads every format); what calamine does not expose (hidden
rows, the autofilter, formulas without a cached value) comes from the sheet's XML for .xlsx and from
xlrd (with ``formatting_info``) for .xls.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._limits import check_workbook

__all__ = ["Grid", "cell_text", "file_kind", "read_grid", "sheet_names"]

#: What to tell a clerk whose workbook cannot be read.
SAVE_AS_XLSX = "请在 Excel 或 WPS 中打开此文件，另存为 .xlsx（Excel 工作簿）后再导入"
FORMULA_NOT_CALCULATED = "公式未计算，请在 Excel 中打开并保存后再导入"


@dataclass
class Grid:
    """One sheet: ``cells[r][c]`` (0-based; row r is Excel row r + 1), merged ranges as
    ``(r0, c0, r1, c1)`` inclusive, and per 0-based row why Excel hides it."""

    cells: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: dict[int, str] = field(default_factory=dict)  # row → "隐藏" or "筛选"
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formula cells with no value
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    kind: str = "csv"  # "xlsx", "xls", "ods", "csv"


def file_kind(path: Path) -> str:
    """``xlsx``, ``ods``, ``xls`` (OLE2/BIFF) or ``other``, from the first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names and b"spreadsheet" in zf.read("mimetype"):
                    return "ods"
        except zipfile.BadZipFile:
            return "other"
        return "other"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    return "other"


def cell_text(value: object) -> str:
    """A cell as Excel displays it in a General column: integral numbers without ``.0``, dates as
    ``2023-05-01`` (with the time when there is one), text stripped of nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _plain(value: object) -> object:
    """Values kept as Excel has them (numbers stay numbers), integral floats as int, blanks as ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return cell_text(value) if not isinstance(value, dt.time | dt.timedelta) else str(value)
    return value


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names, in order (empty for a file that is not a workbook)."""
    kind = file_kind(path)
    if kind == "other":
        return []
    return _calamine(path).sheet_names if kind != "xls" else _xlrd_book(path, formatting=False).sheet_names()


def _calamine(path: Path):  # type: ignore[no-untyped-def]
    from python_calamine import CalamineWorkbook

    check_workbook(path)  # its extent and unpacked size, before calamine allocates for them
    try:
        with open(path, "rb") as fh:  # from a file object calamine reads the content, not the suffix
            return CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))
    except Exception as exc:  # calamine raises its own error types for damaged or encrypted files
        raise ImportFileError(f"{path}: 无法读取此工作簿（{type(exc).__name__}）：{SAVE_AS_XLSX}") from exc


def _xlrd_book(path: Path, *, formatting: bool):  # type: ignore[no-untyped-def]
    import xlrd

    check_workbook(path)
    try:
        return xlrd.open_workbook(str(path), formatting_info=formatting, on_demand=True)
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors … for the same thing
        if formatting:  # some writers' BIFF files lack the formatting records: values alone still do
            return _xlrd_book(path, formatting=False)
        raise ImportFileError(f"{path}: 无法读取此 .xls 文件（{exc}）：{SAVE_AS_XLSX}") from exc


def _pick(names: list[str], sheet: str | int | None, path: Path) -> int:
    """The 0-based index of the sheet asked for: a name, or a 1-based number (``--sheet 2``)."""
    if sheet is None:
        return 0
    if isinstance(sheet, int) and not isinstance(sheet, bool):  # a Python int is 0-based, as in pandas
        if 0 <= sheet < len(names):
            return sheet
        sheet = str(sheet)
    if isinstance(sheet, str) and sheet in names:
        return names.index(sheet)
    text = str(sheet).strip()
    if text.isdigit() and 1 <= int(text) <= len(names):
        return int(text) - 1
    listed = "、".join(f"{k + 1} {n}" for k, n in enumerate(names))
    raise ImportFileError(Said("sheet_missing", path=path, sheet=sheet, listed=listed))


def read_grid(path: Path, *, sheet: str | int | None = None) -> Grid:
    """Read one sheet of a workbook as a `Grid` (``sheet``: name or 1-based number; default the first).

    Raises
    ------
    HepingGISError
        In one Chinese line when the file cannot be read, saying to save it as .xlsx.
    """
    kind = file_kind(path)
    if kind == "other":
        raise ImportFileError(f"{path}: 不是可读取的 Excel/WPS/ODS 工作簿：{SAVE_AS_XLSX}")
    if kind == "xls":
        return _read_xls(path, sheet)
    book = _calamine(path)
    names = list(book.sheet_names)
    index = _pick(names, sheet, path)
    try:
        data = book.get_sheet_by_index(index)
        values = data.to_python(skip_empty_area=False)
        merged = [(a[0], a[1], b[0], b[1]) for a, b in (data.merged_cell_ranges or [])]
    except Exception as exc:  # a damaged sheet part
        raise ImportFileError(f"{path}: 无法读取工作表“{names[index]}”（{exc}）：{SAVE_AS_XLSX}") from exc
    grid = Grid([[_plain(v) for v in row] for row in values], merged, sheet=names[index], sheets=names, kind=kind)
    if kind == "xlsx":
        _xlsx_structure(path, names[index], grid)
    return grid


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _sheet_part(zf: zipfile.ZipFile, name: str) -> str | None:
    """The zip member holding the sheet called ``name`` (workbook.xml → its relationship)."""
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    rid = next((s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == name), None)
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels.iter(f"{_PKG_REL}Relationship") if r.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _column_index(ref: str) -> int:
    k = 0
    for ch in ref:
        if not ch.isalpha():
            break
        k = k * 26 + ord(ch.upper()) - 64
    return k - 1


def _xlsx_structure(path: Path, name: str, grid: Grid) -> None:
    """Hidden and filtered-out rows, and formulas with no cached value, read from the sheet's XML.

    Read here rather than with openpyxl, which builds an object for every cell and takes several
    times as long as everything else in an import; only three things are needed, at fixed places in
    the OOXML sheet part: ``row/@hidden``, ``autoFilter/@ref`` and a ``c`` holding an ``f`` but no ``v``.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, name)
            if part is None or part not in zf.namelist():
                return
            hidden: list[int] = []
            merges: list[str] = []
            autofilter: str | None = None
            row = -1
            with zf.open(part) as fh:
                for _event, el in ET.iterparse(fh, events=("end",)):
                    tag = el.tag
                    if tag == f"{_MAIN}c":
                        if el.find(f"{_MAIN}f") is not None:
                            v = el.find(f"{_MAIN}v")
                            ref = el.get("r")
                            if ref and (v is None or not (v.text or "").strip()):
                                digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
                                grid.uncalculated.add((int(digits) - 1, _column_index(ref)))
                    elif tag == f"{_MAIN}row":
                        row = int(el.get("r", row + 2)) - 1
                        if el.get("hidden") in ("1", "true"):
                            hidden.append(row)
                        el.clear()
                    elif tag == f"{_MAIN}autoFilter":
                        autofilter = el.get("ref")
                    elif tag == f"{_MAIN}mergeCell" and el.get("ref"):
                        merges.append(str(el.get("ref")))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, ValueError):
        return  # calamine read the values; without the structure only hidden rows go unsaid
    from openpyxl.utils.cell import range_boundaries

    if not grid.merged:
        for ref in merges:
            c0, r0, c1, r1 = range_boundaries(ref)
            grid.merged.append((r0 - 1, c0 - 1, r1 - 1, c1 - 1))
    span: tuple[int, int] | None = None
    if autofilter:
        _c0, r0, _c1, r1 = range_boundaries(autofilter)
        span = (r0 - 1, (r1 or 1_048_576) - 1)
    for r in hidden:
        grid.hidden[r] = "筛选" if span and span[0] < r <= span[1] else "隐藏"


def _read_xls(path: Path, sheet: str | int | None) -> Grid:
    import xlrd

    book = _xlrd_book(path, formatting=True)
    names = list(book.sheet_names())
    index = _pick(names, sheet, path)
    sh = book.sheet_by_index(index)
    cells: list[list[object]] = []
    for r in range(sh.nrows):
        row: list[object] = []
        for k in range(sh.ncols):
            ctype, value = sh.cell_type(r, k), sh.cell_value(r, k)
            if ctype == xlrd.XL_CELL_DATE:
                with contextlib.suppress(ValueError, OverflowError):  # a date out of range stays a number
                    value = xlrd.xldate_as_datetime(value, book.datemode)
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif ctype == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(value, "#错误")
            row.append(_plain(value))
        cells.append(row)
    merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(sh, "merged_cells", [])]
    hidden = {r: "隐藏" for r, info in getattr(sh, "rowinfo_map", {}).items() if getattr(info, "hidden", 0)}
    return Grid(cells, merged, hidden, sheet=names[index], sheets=names, kind="xls")
