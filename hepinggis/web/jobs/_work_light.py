"""Small helpers shared by the server and the workers (no stage imports): a register's summary,
a job's one-line error, zipping a package folder, and whether a monitoring package is signed.
They live here, below `_jobs`, `_work` and `routes_sign`, so that none of those imports another
in a loop (tests/test_layering.py)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from hepinggis.web.store._server_schema import signatures
from hepinggis.web.store._store import new_id

__all__ = [
    "JOB_PREFIX",
    "MAP_IN_IMPORT",
    "MAP_LIGHT_ROWS",
    "SIGNED_MESSAGE",
    "is_signed",
    "job_error",
    "one_line",
    "summary",
    "zip_folder",
]

SIGNED_MESSAGE = "该监测成果包已由审核签署，不能修改或重新生成；如需更正，请上传新的填报数据生成新的成果包"


def summary(reg: dict[str, Any], *, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the API answers for a register: ``rows_in`` = ``imported`` + ``refused`` + ``skipped``,
    the rows set aside counted by kind (``hidden``, ``filtered``, ``total``, ``blank`` …), and
    ``per_zone``/``per_jiedao`` ending with their 区外 (``outside``) and 未定位 (``unplaced``) rows.
    ``lines`` are the report's lines when the caller has them (else ``report_json`` is read)."""
    from hepinggis.web.registers._accounting import skipped_by_kind

    by_kind = skipped_by_kind(json.loads(reg.get("report_json") or "[]") if lines is None else lines)
    return {
        "id": reg["id"],
        "file_name": reg["file_name"],
        "sha256": reg["sha256"],
        "uploaded_at": reg["uploaded_at"],
        "uploader": reg["uploader"],
        "rows_in": reg["rows_in"],
        "imported": reg["imported"],
        "refused": reg["refused"],
        "skipped": sum(by_kind.values()),
        "skipped_by_kind": by_kind,
        "warned": reg["warned"],
        "crs": reg["crs"],
        "per_zone": json.loads(reg["per_zone_json"]),
        "per_jiedao": json.loads(reg["per_jiedao_json"]),
    }


#: A register of more projects is usable as soon as it is stored; its map follows as its own job.
MAP_IN_IMPORT = 5000
#: A map job of up to this many projects runs in the light lane (`hepinggis.web.jobs._jobs.lane_of`).
MAP_LIGHT_ROWS = MAP_IN_IMPORT

#: How a failed job's one line starts, by job kind (otherwise 处理失败).
JOB_PREFIX = {"import": "导入失败", "preview": "无法读取", "package": "简报包生成失败"}


def job_error(kind: str, text: object) -> str:
    """A failed job's one line: ``导入失败：…`` (by `JOB_PREFIX`)."""
    return one_line(f"{JOB_PREFIX.get(kind, '处理失败')}：{text}")


def one_line(text: object) -> str:
    """One line of at most 300 characters (a job's error as the page shows it)."""
    line = " ".join(str(text).split()) or "未知错误"
    return line if len(line) <= 300 else line[:297] + "…"


def zip_folder(folder: Path, dest: Path) -> Path:
    """Zip every file of ``folder`` (paths relative to it, manifest included) into ``dest``,
    written beside it and renamed into place."""
    tmp = dest.with_name(f".{dest.name}.{new_id()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(folder).as_posix())
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def is_signed(bind: Engine | Connection, fid: str) -> bool:
    """True when the monitoring package of figures ``fid`` is signed."""
    query = select(signatures.c.figure_id).where(signatures.c.figure_id == fid)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return conn.execute(query).first() is not None
    return bind.execute(query).first() is not None
