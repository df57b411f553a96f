"""Limits a user's spreadsheet must fit before any reader parses it.

A 4.8 KB .xlsx whose sheet declares ``A1:CV300000`` drove a reader to 3.1 GB, one spanning
``A1:XFD1048576`` made calamine ask for 512 GiB, and a 7.9 MB CSV of 10⁶ columns took 5 GB for
135 s (issue 33). What decides the memory a reader takes is not the file's size but the sheet's
extent (calamine and openpyxl hold every cell from A1 to the last one, empty or not) and the
unpacked size of the workbook's XML. Both are read here cheaply — the zip directory, the
``<dimension ref>`` near the start of each sheet and the ``r`` references of its rows and cells,
streamed in blocks, never held whole — and checked against the limits below before the file
is opened by calamine, openpyxl, xlrd or the CSV reader. A refusal is one Chinese line
(`FileLimitError`) saying which limit and what to do.

The limits are far above any register or figures sheet of the bureau (a 50,000-row register of
30 columns is 1.5 million cells), and far below what a 2-core, few-GB server can hold.
"""

from __future__ import annotations

import functools
import re
import zipfile
from pathlib import Path

from hepinggis.errors import FileLimitError

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_XLS_BYTES",
    "check_csv_bytes",
    "check_workbook",
]

#: Columns a sheet or CSV may span (Excel shows at most 16,384; a register has a few dozen).
MAX_COLUMNS = 1000
#: Rows a sheet may span.
MAX_ROWS = 1_048_576
#: Cells from A1 to the sheet's last cell (rows × columns): what a reader allocates.
MAX_CELLS = 5_000_000
#: The XML of an .xlsx/.ods unpacked, all parts together.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
#: An .xls (BIFF, not compressed) file.
MAX_XLS_BYTES = 30 * 1024 * 1024
#: One line of a CSV.
MAX_LINE_BYTES = 1024 * 1024

_SAVE = "请删去多余的空行、空列后另存为 .xlsx 或 CSV 再上传"
_BLOCK = 1 << 20
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*\bref="([A-Za-z]*)(\d*)(?::([A-Za-z]*)(\d*))?"')
_REF = re.compile(rb'<(?:\w+:)?(?:c|row)\b[^>]*?\sr="([A-Za-z]{0,4})(\d{1,9})"')


def _col(letters: bytes) -> int:
    k = 0
    for ch in letters.upper():
        k = k * 26 + ch - 64
    return k


def _refuse(name: str, what: str) -> FileLimitError:
    return FileLimitError(f"{name}：{what}，超出服务器的读取限制，为保护服务器未读取：{_SAVE}")


def _check_extent(name: str, sheet: str, rows: int, cols: int) -> None:
    where = f"工作表“{sheet}”"
    if cols > MAX_COLUMNS:
        raise _refuse(name, f"{where}有 {cols:,} 列（上限 {MAX_COLUMNS:,} 列）")
    if rows > MAX_ROWS:
        raise _refuse(name, f"{where}有 {rows:,} 行（上限 {MAX_ROWS:,} 行）")
    if rows * cols > MAX_CELLS:
        raise _refuse(name, f"{where}从 A1 起共 {rows:,} 行 × {cols:,} 列（上限 {MAX_CELLS:,} 个单元格）")


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """The sheet part's declared dimension and the highest row and column its cells reference,
    read block by block (a reference cut by a block's end is read with the next block)."""
    sheet = info.filename.rsplit("/", 1)[-1].removesuffix(".xml")
    rows = cols = 0
    tail = b""
    seen = 0
    first = True
    with zf.open(info) as fh:
        while block := fh.read(_BLOCK):
            seen += len(block)
            if seen > MAX_UNPACKED_BYTES:
                raise _refuse(name, f"解压后超过 {MAX_UNPACKED_BYTES // (1 << 20)} MB")
            text = tail + block
            if first:
                dim = _DIMENSION.search(text)
                if dim:
                    end_col, end_row = dim.group(3) or dim.group(1), dim.group(4) or dim.group(2)
                    rows, cols = int(end_row or 0), _col(end_col or b"")
                    _check_extent(name, sheet, rows, cols)
                first = False
            last = 0
            for m in _REF.finditer(text):
                if m.group(1):
                    cols = max(cols, _col(m.group(1)))
                rows = max(rows, int(m.group(2)))
                last = m.end()
            _check_extent(name, sheet, rows, cols)
            tail = text[max(last, len(text) - 256) :]


@functools.lru_cache(maxsize=32)
def _checked(path: str, size: int, mtime_ns: int, name: str) -> None:
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if size > MAX_XLS_BYTES:
            raise _refuse(name, f".xls 文件大于 {MAX_XLS_BYTES // (1 << 20)} MB")
        return
    if not head.startswith(b"PK"):
        return
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise _refuse(name, f"解压后超过 {MAX_UNPACKED_BYTES // (1 << 20)} MB")
            for info in infos:
                if re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                    _scan_sheet(zf, info, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        return  # not a readable zip: the reader says so in its own words


def check_workbook(path: str | Path, *, name: str | None = None) -> None:
    """Refuse a workbook (.xlsx/.xlsm, .ods, .xls; told by content) beyond the limits before a
    reader opens it; any other file passes (its own reader judges it).

    Parameters
    ----------
    path : str or Path
        The file.
    name : str, optional
        How messages name the file (default its file name).

    Raises
    ------
    FileLimitError
        Unpacked above `MAX_UNPACKED_BYTES`, a sheet spanning more than `MAX_COLUMNS` columns,
        `MAX_ROWS` rows or `MAX_CELLS` cells from A1 (declared or referenced), or an .xls above
        `MAX_XLS_BYTES`.
    """
    p = Path(path)
    st = p.stat()
    _checked(str(p.absolute()), st.st_size, st.st_mtime_ns, name or p.name)


def check_csv_bytes(raw: bytes, *, name: str, sep: bytes = b",") -> None:
    """Refuse a CSV with a line longer than `MAX_LINE_BYTES` or more than `MAX_COLUMNS` fields
    before it is decoded and split. Separators inside quotes are not counted (a quoted note may
    hold commas); a line is counted exactly only when its plain count is above the limit.

    Raises
    ------
    FileLimitError
        In one Chinese line naming the line as the spreadsheet numbers it.
    """
    start = 0
    line_no = 0
    n = len(raw)
    while start < n:
        end = raw.find(b"\n", start)
        end = n if end < 0 else end
        line_no += 1
        if raw.count(sep, start, end) >= MAX_COLUMNS and end - start <= 8 * MAX_LINE_BYTES:
            fields = _fields(raw[start:end], sep)  # counted exactly up to 8 MB; longer is refused below
            if fields > MAX_COLUMNS:
                raise _refuse(name, f"第 {line_no} 行有 {fields:,} 列（上限 {MAX_COLUMNS:,} 列）")
        if end - start > MAX_LINE_BYTES:
            raise _refuse(name, f"第 {line_no} 行长于 {MAX_LINE_BYTES // 1024} KB")
        start = end + 1


def _fields(line: bytes, sep: bytes) -> int:
    """Fields of one CSV line, separators inside double quotes not counted (written here rather
    than with the csv module, which needs the line decoded first: the encoding is not known yet)."""
    count, quoted = 1, False
    q, s = ord('"'), sep[0]
    for ch in line:
        if ch == q:
            quoted = not quoted
        elif ch == s and not quoted:
            count += 1
    return count
