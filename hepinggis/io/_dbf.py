"""The text encoding of a Shapefile's attributes (.dbf), detected from its records alone.

A .dbf starts with a binary header (field names, sizes, a language byte) whose bytes are not text:
decoding the whole file (as a CSV would be) fails on any header byte ≥ 128 and misjudges the
encoding. The header's length is stored in bytes 8–9 (dBASE III+ and later, little-endian); only the
bytes after it — the records — are text. GDAL honours a ``.cpg`` beside the file; without one it
would read the records as ISO-8859-1 and give mojibake, so the encoding is detected here.
Hand-written (a few lines of the dBASE layout) because no maintained library exposes it.
"""

from __future__ import annotations

import struct
from pathlib import Path

from hepinggis.errors import DbfEncodingError

__all__ = ["DBF_ENCODINGS", "dbf_encoding", "detect_dbf_encoding"]

#: Tried in this order: UTF-8 is strict (GBK text almost never decodes as UTF-8); GBK before its
#: superset GB18030 so the usual name is reported.
DBF_ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")


def _record_bytes(raw: bytes) -> bytes:
    if len(raw) < 32:
        return b""
    header_length = struct.unpack_from("<H", raw, 8)[0]
    records = raw[header_length:]
    return records[:-1] if records.endswith(b"\x1a") else records  # the end-of-file marker


def detect_dbf_encoding(raw: bytes) -> str:
    """The encoding of the records of the .dbf whose bytes are ``raw``: ``utf-8``, ``gbk`` or
    ``gb18030``; plain ASCII counts as UTF-8.

    Raises
    ------
    DbfEncodingError
        When the records decode in none of them (the message names the option to pass).
    """
    records = _record_bytes(raw)
    for encoding in DBF_ENCODINGS:
        try:
            records.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise DbfEncodingError(
        "属性表（.dbf）既不是 UTF-8，也不是 GBK/GB18030 编码；请用 --encoding 指明编码（例如 --encoding GBK），"
        "或在 .shp 旁放一个写有编码名的 .cpg 文件"
    )


def dbf_encoding(path: Path, encoding: str | None) -> str | None:
    """The encoding to read the Shapefile ``path`` with: ``encoding`` if given; None where a
    ``.cpg`` says it (GDAL reads that itself) or for other formats; else detected from the records.

    Raises
    ------
    DbfEncodingError
        When the records decode in none of `DBF_ENCODINGS`; the message names the file.
    """
    if encoding or path.suffix.lower() != ".shp":
        return encoding
    if path.with_suffix(".cpg").is_file():
        return None
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.is_file()), None)
    if dbf is None:
        return None
    try:
        return detect_dbf_encoding(dbf.read_bytes())
    except DbfEncodingError as exc:
        raise DbfEncodingError(f"{dbf}: {exc}") from exc
