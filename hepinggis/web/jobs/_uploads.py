"""Uploads: the size limit enforced while the body streams in, the type read from the content,
archives checked member by member. A user's file name is kept as data and never used as a path."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hepinggis.errors import BadUpload, UploadTooLarge

__all__ = [
    "BadUpload",
    "UploadLimit",
    "UploadTooLarge",
    "check_zip",
    "receive_upload",
    "sniff_kind",
    "stored_upload",
]

#: Room for the multipart envelope and form fields around the file itself.
_ENVELOPE = 256 * 1024
#: An archive may not unpack to more than this, nor hold more members.
ZIP_MAX_UNPACKED = 500 * 1024 * 1024
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_RATIO = 200


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n} 字节"


class UploadLimit:
    """ASGI middleware: a request body longer than the limit is refused with 413 before it is
    parsed — at once when Content-Length says so, else as soon as the bytes received pass it."""

    def __init__(self, app: ASGIApp, max_upload: int) -> None:
        self.app = app
        self.max_upload = max_upload
        self.max_body = max_upload + _ENVELOPE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(send, self.max_upload)
            return
        seen = 0
        over = False
        limit = self.max_body
        max_upload = self.max_upload

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise UploadTooLarge(f"文件超过上传上限 {_mb(max_upload)}，未读取")
            return message

        async def sending(message: Message) -> None:
            # the body parser may turn our exception into its own 400: the answer is still 413
            if not over:
                await send(message)
            elif message["type"] == "http.response.start":
                await _too_large(send, max_upload)

        await self.app(scope, counted, sending)


async def _too_large(send: Send, max_upload: int) -> None:
    import json

    body = json.dumps({"detail": f"文件超过上传上限 {_mb(max_upload)}，未读取"}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def receive_upload(upload: Any, dest: Path, *, max_upload: int) -> tuple[str, int, bytes]:
    """Copy an UploadFile to ``dest`` counting bytes; return (sha256, size, first 8 KiB)."""
    h = hashlib.sha256()
    size = 0
    head = b""
    try:
        with dest.open("wb") as out:
            while True:
                block = await upload.read(1 << 20)
                if not block:
                    break
                size += len(block)
                if size > max_upload:
                    raise UploadTooLarge(f"文件超过上传上限 {_mb(max_upload)}，未读取")
                if len(head) < 8192:
                    head += block[: 8192 - len(head)]
                h.update(block)
                out.write(block)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if size == 0:
        dest.unlink(missing_ok=True)
        raise BadUpload("文件是空的（0 字节）")
    return h.hexdigest(), size, head


def sniff_kind(path: Path, head: bytes) -> str:
    """The file's kind from its bytes: ``xlsx``, ``xls``, ``ods``, ``gpkg``, ``zip`` or ``csv``; anything
    else is refused (415). The name the user gave the file plays no part."""
    if head.startswith(b"PK\x03\x04"):
        names = check_zip(path)
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        from hepinggis.io._grid import file_kind  # the importer's detection: an ODS workbook is one

        return "ods" if file_kind(path) == "ods" else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    # text: a register may hold a stray control character or a line in another encoding, a binary
    # file holds many of both
    controls = sum(1 for b in head if b < 9 or (13 < b < 32 and b != 27))
    if head and controls / len(head) > 0.02:
        raise BadUpload("无法识别的文件类型：请上传 CSV、XLSX、XLS、GeoPackage 或压缩的 Shapefile", 415)
    best = min(head.decode(enc, errors="replace").count("\ufffd") for enc in ("utf-8", "gb18030"))
    if best > max(4, len(head) // 50):
        raise BadUpload("无法识别的文件类型：不是 UTF-8 或 GBK 文本，也不是 Excel 或 GIS 文件", 415)
    return "csv"


def check_zip(path: Path) -> list[str]:
    """The member names of a zip archive, refused (400) if any escapes the folder it would be
    unpacked into, if there are too many, or if they would unpack to too much (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BadUpload("压缩文件已损坏，无法读取", 400) from None
    if len(infos) > ZIP_MAX_MEMBERS:
        raise BadUpload(f"压缩文件含 {len(infos)} 个成员，超过上限 {ZIP_MAX_MEMBERS}", 400)
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            raise BadUpload("压缩文件含有指向目标文件夹之外的路径，已拒绝", 400)
        total += info.file_size
        if (
            info.compress_size
            and info.file_size / max(info.compress_size, 1) > ZIP_MAX_RATIO
            and info.file_size > 1 << 20
        ):
            raise BadUpload("压缩文件解压比例异常（疑似压缩炸弹），已拒绝", 400)
    if total > ZIP_MAX_UNPACKED:
        raise BadUpload(f"压缩文件解压后超过 {_mb(ZIP_MAX_UNPACKED)}，已拒绝", 400)
    return [i.filename for i in infos]


def safe_name(text: str, default: str = "file") -> str:
    """A name made only of letters (Chinese included), digits, ``-`` and ``_`` from ``text``, at most
    60 characters: what a product may call a file the user named (the credit line shows it)."""
    import re

    cleaned = re.sub(r"[^\w-]+", "_", text, flags=re.UNICODE).strip("_.")[:60]
    return cleaned or default


def safe_extract(path: Path, dest: Path) -> dict[Path, str]:
    """Unpack a checked zip into ``dest`` under names of our own making (member i keeps only its
    extension), so that no member name ever becomes a path; returns each written file with the
    member name it came from."""
    check_zip(path)
    out: dict[Path, str] = {}
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path) as zf:
        stems: dict[str, str] = {}
        for info in zf.infolist():
            if info.is_dir():
                continue
            pure = PurePosixPath(info.filename.replace("\\", "/"))
            suffix = pure.suffix.lower()
            if not suffix[1:].isalnum() or len(suffix) > 8:
                continue
            # members of one Shapefile share a stem: keep them together under a stem of ours
            stem = stems.setdefault(str(pure.with_suffix("")), f"m{len(stems)}")
            target = dest / f"{stem}{suffix}"
            written = 0
            with zf.open(info) as src, target.open("wb") as f:
                while block := src.read(1 << 20):
                    written += len(block)
                    if written > ZIP_MAX_UNPACKED:
                        raise BadUpload("压缩文件解压后过大，已拒绝", 400)
                    f.write(block)
            out[target] = info.filename
    return out


def stored_upload(store: Any, sha: str, file_name: str, kinds: Iterable[str]) -> dict[str, Any]:
    """An earlier upload named by its digest (the ``upload`` token a preview or an inspection
    returned), stored as one of ``kinds``; ``file_name`` is the name the user gave, already cleaned.

    Raises
    ------
    BadUpload
        The token is not a digest, or no such upload is stored.
    """
    for kind in kinds:
        try:
            path = store.file_path(sha, kind)
        except ValueError:
            raise BadUpload("上传编号无效") from None
        if path.is_file():
            return {"sha256": sha, "kind": kind, "size": path.stat().st_size, "file_name": file_name}
    raise BadUpload("找不到该上传文件，请重新选择文件")
