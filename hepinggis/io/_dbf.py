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
from dataclasses import dataclass
from pathlib import Path

from hepinggis.base.messages import Said
from hepinggis.errors import DbfEncodingError

__all__ = ["DBF_ENCODINGS", "DbfReading", "dbf_encoding", "detect_dbf_encoding", "read_encoding"]

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
    raise DbfEncodingError(Said("dbf_encoding_unknown"))


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
        said = exc.args[0] if exc.args else ""
        raise DbfEncodingError(said.at(dbf) if isinstance(said, Said) else f"{dbf}: {exc}") from exc


def _field_name_bytes(raw: bytes) -> bytes:
    """The field names of the header (11 bytes each, NUL-padded): text in the file's encoding."""
    if len(raw) < 32:
        return b""
    header_length = struct.unpack_from("<H", raw, 8)[0]
    names = []
    for start in range(32, min(header_length, len(raw)) - 31, 32):
        if raw[start] == 0x0D:  # end of the field descriptors
            break
        names.append(raw[start : start + 11].split(b"\x00", 1)[0])
    return b" ".join(names)


#: What a .cpg may say, brought to the codec Python knows it by.
_CPG_NAMES = {"936": "gbk", "cp936": "gbk", "gb2312": "gb2312", "gbk": "gbk", "gb18030": "gb18030", "65001": "utf-8"}
#: The names the bureau sees.
_LABEL = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "gb2312": "GB2312"}


@dataclass(frozen=True)
class DbfReading:
    """How to read a .dbf: ``codec`` for GDAL; ``label`` as the bureau names it; ``note`` (Chinese)
    where the records contradict the .cpg; ``cpg`` what the .cpg said ("" without one)."""

    codec: str
    label: str
    note: str
    cpg: str


def read_encoding(raw: bytes, cpg: str | None, chosen: str | None = None) -> DbfReading:
    """The encoding of the .dbf whose bytes are ``raw``, judged from its records and field names
    whatever the ``.cpg`` (its text, or None) says: a .cpg is written by whoever exported the file,
    and offices send "GB2312" on files with characters outside GB2312 and "UTF-8" on GBK files.
    GBK (and GB2312) text is read as GB18030, its superset, so no character is lost.

    Parameters
    ----------
    raw : bytes
        The whole .dbf.
    cpg : str or None
        The text of the .cpg beside it.
    chosen : str, optional
        The encoding the user chose (the page's encoding switch); checked against the records.

    Raises
    ------
    DbfEncodingError
        When the records do not decode in ``chosen``, or in none of `DBF_ENCODINGS`.
    """
    text = _record_bytes(raw) + b" " + _field_name_bytes(raw)
    said = (cpg or "").strip()
    if chosen:
        codec = _CPG_NAMES.get(chosen.strip().lower(), chosen.strip().lower())
        codec = "gb18030" if codec in ("gbk", "gb2312") else codec
        try:
            text.decode(codec)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DbfEncodingError(f"属性表不能按 {chosen} 解读") from exc
        return DbfReading(codec, _LABEL.get(codec, chosen), "", said)
    found = None
    for encoding in DBF_ENCODINGS:
        try:
            text.decode(encoding)
        except UnicodeDecodeError:
            continue
        found = encoding
        break
    if found is None:
        raise DbfEncodingError("属性表（.dbf）既不是 UTF-8，也不是 GBK/GB18030 编码")
    label = _LABEL[found]
    codec = "utf-8" if found == "utf-8" else "gb18030"
    expected = _CPG_NAMES.get(said.lower(), said.lower()) if said else ""
    note = ""
    if said and expected != found and not (expected in ("gbk", "gb2312", "gb18030") and found != "utf-8"):
        note = f"属性编码按记录判断为 {label}（.cpg 写的是 {said}，与记录不符，已按 {label} 读取）"
    elif said and expected == "gb2312":
        try:
            text.decode("gb2312")
        except UnicodeDecodeError:
            note = "属性编码：.cpg 写的是 GB2312，但记录中有 GB2312 以外的字，已按 GB18030 读取"
    if not said and found != "utf-8":
        note = f"属性编码按记录判断为 {label}（没有 .cpg）"
    return DbfReading(codec, label, note, said)
