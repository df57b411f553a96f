"""``hepinggis store dump`` / ``store restore``: the whole store (every table — registers,
projects, figures, layers, jobs, users, audit trail — and the files of the data folder) as one zip.

The zip holds ``manifest.json`` (format, schema revision, per-table row counts and sha256),
``tables/<name>.jsonl`` (one JSON object per row, in primary-key order; geometries as EWKB hex,
timestamps and bytes tagged) and ``files/…``. A restore goes into an empty store at the same schema
revision only, checks every member name (no absolute path, no ``..``), every size and the whole
unpacked size before writing, and writes the rows in one transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import MetaData, Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from hepinggis.errors import StoreBackupError
from hepinggis.web.auth._keys import mac, signing_key
from hepinggis.web.store._engine import SQLITE_NAME
from hepinggis.web.store._migrate import VERSION_TABLE, current_revision, upgrade

__all__ = ["FORMAT", "dump", "restore", "table_digests"]

FORMAT = "hepinggis-store-dump/1"
SIGNATURE = "manifest.sig"
MAX_UNPACKED = 20 * 1024**3  # 20 GB: a restore never unpacks more
MAX_RATIO = 200  # a member more than 200 times its compressed size is a zip bomb
_SKIP_FILES = {SQLITE_NAME, SQLITE_NAME + "-wal", SQLITE_NAME + "-shm", SQLITE_NAME + "-journal"}
_SKIP_TABLES = {VERSION_TABLE, "spatial_ref_sys", "sessions", "login_failures"}


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if hasattr(value, "desc") and hasattr(value, "srid"):  # geoalchemy2 WKBElement
        return {"$ewkb": bytes(value.data).hex() if not isinstance(value.data, str) else value.data}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((key, v),) = value.items()
        if key == "$dt":
            return dt.datetime.fromisoformat(v)
        if key == "$date":
            return dt.date.fromisoformat(v)
        if key == "$b64":
            return base64.b64decode(v)
        if key == "$dec":
            return decimal.Decimal(v)
        if key == "$ewkb":
            from geoalchemy2.elements import WKBElement

            return WKBElement(bytes.fromhex(v), extended=True)
    return value


def _metadata(conn: Connection) -> MetaData:
    if conn.dialect.name == "postgresql":
        import geoalchemy2  # noqa: F401 - teaches reflection the geometry type

    meta = MetaData()
    names = [n for n in conn.dialect.get_table_names(conn) if n not in _SKIP_TABLES]
    meta.reflect(conn, only=names)
    return meta


def _ordered(meta: MetaData) -> list[Table]:
    return [t for t in meta.sorted_tables if t.name not in _SKIP_TABLES]


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=5000).execute(select(table).order_by(*order))
    for row in result:
        yield {k: _encode(v) for k, v in row._mapping.items()}


def table_digests(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per table: (rows, sha256 of its rows as dumped) — equal for equal contents."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in _ordered(_metadata(conn)):
            h, n = hashlib.sha256(), 0
            for row in _rows(conn, table):
                h.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n")
                n += 1
            out[table.name] = (n, h.hexdigest())
    return out


def _files(data_dir: Path) -> list[Path]:
    if not data_dir.is_dir():
        return []
    return sorted(
        p
        for p in data_dir.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and p.relative_to(data_dir).parts[0] not in _SKIP_FILES
        and not p.name.startswith(".tmp")
    )


def dump(engine: Engine, data_dir: Path, dest: Path) -> dict[str, Any]:
    """Write the store to the zip ``dest`` (atomically: a temporary file renamed); return its manifest."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-dump-", suffix=".zip", dir=dest.parent)
    os.close(fd)
    manifest: dict[str, Any] = {"format": FORMAT, "tables": {}, "files": {}}
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            # one read-only snapshot for every table (REPEATABLE READ on PostgreSQL)
            with engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    manifest["revision"] = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
                    manifest["dialect"] = conn.dialect.name
                    for table in _ordered(_metadata(conn)):
                        h, n = hashlib.sha256(), 0
                        with zf.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as out:
                            for row in _rows(conn, table):
                                line = json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
                                out.write(line)
                                h.update(line)
                                n += 1
                        manifest["tables"][table.name] = {"rows": n, "sha256": h.hexdigest()}
            for path in _files(Path(data_dir)):
                rel = path.relative_to(data_dir).as_posix()
                h = hashlib.sha256()
                with path.open("rb") as src, zf.open(f"files/{rel}", "w", force_zip64=True) as out:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        h.update(chunk)
                        out.write(chunk)
                manifest["files"][rel] = {"bytes": path.stat().st_size, "sha256": h.hexdigest()}
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            zf.writestr("manifest.json", manifest_bytes)
            # the manifest holds every table's and file's sha256; its HMAC, with the key kept outside
            # the store (`_keys`), is what `restore` checks: an edited dump cannot be re-signed
            zf.writestr(SIGNATURE, mac(signing_key(), b"hepinggis-dump", manifest_bytes))
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return manifest


def _safe_member(name: str) -> PurePosixPath:
    parts = name.removesuffix("/").split("/")
    if name.startswith("/") or "\\" in name or ":" in name or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise StoreBackupError(f"备份文件中有不安全的路径 {name!r}，拒绝恢复")
    return PurePosixPath(name)


def _check_archive(zf: zipfile.ZipFile) -> dict[str, Any]:
    total = 0
    for info in zf.infolist():
        _safe_member(info.filename)
        total += info.file_size
        if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 10 * 1024**2:
            raise StoreBackupError(f"备份成员 {info.filename!r} 的压缩比异常（疑似压缩炸弹），拒绝恢复")
    if total > MAX_UNPACKED:
        raise StoreBackupError("备份解压后超过 20 GB，拒绝恢复")
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError):
        raise StoreBackupError("这不是 hepinggis 的备份文件（缺少 manifest.json）") from None
    try:
        signature = zf.read(SIGNATURE).decode("ascii").strip()
    except (KeyError, UnicodeDecodeError):
        raise StoreBackupError("备份没有签名（manifest.sig），拒绝恢复：可能被改动或不是 hepinggis 备份") from None
    expected = mac(signing_key(create=False), b"hepinggis-dump", zf.read("manifest.json"))
    if not hmac.compare_digest(signature, expected):
        raise StoreBackupError(
            "备份签名不符，拒绝恢复：备份在写出后被改动，或不是用本机签名密钥（HEPINGGIS_KEY_FILE）写出的"
        )
    if manifest.get("format") != FORMAT:
        raise StoreBackupError(f"备份格式 {manifest.get('format')!r} 不是 {FORMAT}")
    return dict(manifest)


def _store_empty(conn: Connection, data_dir: Path) -> bool:
    for table in _ordered(_metadata(conn)):
        if conn.execute(select(func.count()).select_from(table)).scalar_one():
            return False
    return not _files(data_dir)


def _reset_sequences(conn: Connection, meta: MetaData) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in _ordered(meta):
        for col in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}).scalar()
            if seq:
                conn.execute(
                    text(f'SELECT setval(:s, coalesce((SELECT max("{col.name}") FROM "{table.name}"), 0) + 1, false)'),
                    {"s": seq},
                )


def restore(engine: Engine, data_dir: Path, source: Path) -> dict[str, Any]:
    """Restore the zip ``source`` into an empty store (schema created here); return the manifest.

    Raises
    ------
    StoreBackupError
        The archive is not a dump, is unsafe, does not match its manifest, the revision differs,
        or the store already holds data.
    """
    data_dir = Path(data_dir)
    try:
        zf = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise StoreBackupError(f"无法读取备份 {source}：{exc}") from None
    with zf:
        manifest = _check_archive(zf)
        head = upgrade(engine)
        if manifest.get("revision") != head:
            raise StoreBackupError(f"备份的数据库版本 {manifest.get('revision')} 与本程序的 {head} 不同，无法恢复")
        staged = Path(
            tempfile.mkdtemp(prefix=".tmp-restore-", dir=data_dir.parent if data_dir.parent.exists() else None)
        )
        try:
            for rel, info in manifest.get("files", {}).items():
                target = staged / _safe_member(rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                h, size = hashlib.sha256(), 0
                with zf.open(f"files/{rel}") as src, target.open("wb") as out:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        size += len(chunk)
                        if size > info["bytes"]:
                            raise StoreBackupError(f"备份文件 {rel!r} 比清单所记的大，拒绝恢复")
                        h.update(chunk)
                        out.write(chunk)
                if h.hexdigest() != info["sha256"]:
                    raise StoreBackupError(f"备份文件 {rel!r} 的校验和不符，拒绝恢复")
            with engine.begin() as conn:
                if not _store_empty(conn, data_dir):
                    raise StoreBackupError("目标数据库或数据目录不是空的：恢复只能写入新的空库")
                meta = _metadata(conn)
                tables = {t.name: t for t in _ordered(meta)}
                missing = [n for n in manifest["tables"] if n not in tables]
                if missing:
                    raise StoreBackupError(f"备份中的表 {', '.join(missing)} 在本数据库中不存在")
                for table in _ordered(meta):
                    info = manifest["tables"].get(table.name)
                    if info is None:
                        continue
                    h, batch, n = hashlib.sha256(), [], 0
                    with zf.open(f"tables/{table.name}.jsonl") as src:
                        for line in src:
                            h.update(line)
                            n += 1
                            batch.append({k: _decode(v) for k, v in json.loads(line).items()})
                            if len(batch) >= 5000:
                                conn.execute(insert(table), batch)
                                batch = []
                    if batch:
                        conn.execute(insert(table), batch)
                    if (n, h.hexdigest()) != (info["rows"], info["sha256"]):
                        raise StoreBackupError(f"备份中表 {table.name} 的内容与清单不符，拒绝恢复")
                _reset_sequences(conn, meta)
                data_dir.mkdir(parents=True, exist_ok=True)
                for item in sorted(staged.rglob("*")):
                    if item.is_file():
                        dest = data_dir / item.relative_to(staged)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(str(item), dest)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    if current_revision(engine) != head:  # pragma: no cover - upgrade() above guarantees it
        raise StoreBackupError("恢复后数据库版本不符")
    return manifest
