"""Every adoption into a GeoPackage of adopted layers kept as a version, to list and roll back.

Beside ``layers.gpkg`` sits the folder ``layers.history/``: ``v0001.gpkg`` … (the whole GeoPackage
as each adoption left it) and ``history.json`` (per version: the file, its SHA-256, who, when in
Beijing time, which layer, what changed). A rollback puts an earlier version's GeoPackage in force
and is itself recorded as a version, so the history only grows. Every write is a copy beside its
target swapped in (`os.replace`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hepinggis.base.messages import Namer
from hepinggis.errors import AdoptError

__all__ = ["BEIJING", "file_sha256", "history_dir", "history_lines", "record_version", "rollback", "versions"]

BEIJING = dt.timezone(dt.timedelta(hours=8), "北京时间")


def history_dir(out: Path) -> Path:
    """The folder of versions beside the GeoPackage ``out`` (``layers.gpkg`` → ``layers.history``)."""
    return out.with_name(f"{out.stem}.history")


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (a FileGDB) in name order."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            digest.update(str(f.relative_to(path)).encode("utf-8"))
        with f.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def versions(out: Path) -> list[dict[str, Any]]:
    """The versions of ``out``, oldest first (empty before the first adoption)."""
    index = history_dir(Path(out)) / "history.json"
    if not index.is_file():
        return []
    return list(json.loads(index.read_text(encoding="utf-8")))


def _write_json(path: Path, items: list[dict[str, Any]]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".history.", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def record_version(
    out: Path,
    new_gpkg: Path,
    *,
    layer: str,
    file: str,
    sha256: str,
    changes: list[str],
    who: str | None = None,
    action: str = "adopt",
    when: dt.datetime | None = None,
) -> dict[str, Any]:
    """Keep ``new_gpkg`` (the GeoPackage about to replace ``out``) as the next version of ``out``
    and return its entry. Called before the swap: a version never names a state not written."""
    folder = history_dir(Path(out))
    folder.mkdir(parents=True, exist_ok=True)
    items = versions(out)
    n = (items[-1]["n"] if items else 0) + 1
    snapshot = folder / f"v{n:04d}.gpkg"
    fd, tmp = tempfile.mkstemp(prefix=f".v{n:04d}.", suffix=".gpkg", dir=folder)
    os.close(fd)
    shutil.copyfile(new_gpkg, tmp)
    os.replace(tmp, snapshot)
    moment = (when or dt.datetime.now(dt.UTC)).astimezone(BEIJING)
    entry = {
        "n": n,
        "action": action,
        "layer": layer,
        "file": file,
        "sha256": sha256,
        "who": who or _user(),
        "when": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "changes": changes,
        "snapshot": snapshot.name,
    }
    _write_json(folder / "history.json", [*items, entry])
    return entry


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a service account): say so rather than guess
        return "（未知用户）"


def rollback(out: Path, n: int, *, who: str | None = None, o: Namer | None = None) -> dict[str, Any]:
    """Put version ``n`` of ``out`` back in force, recorded as a new version; returns its entry.

    Raises
    ------
    AdoptError
        When ``out`` has no version ``n`` (the message lists the versions there are).
    """
    out = Path(out)
    items = versions(out)
    match = [v for v in items if v["n"] == n]
    if not match:
        have = "、".join(str(v["n"]) for v in items) or "无"
        err = AdoptError(f"{out.name} 没有第 {n} 版（现有版本：{have}）；用 --history 查看")
        err.page_text = f"{out.name} 没有第 {n} 版（现有版本：{have}）；见「版本记录」"
        raise err
    old = match[0]
    snapshot = history_dir(out) / str(old["snapshot"])
    entry = record_version(
        out,
        snapshot,
        layer=str(old["layer"]),
        file=str(old["file"]),
        sha256=str(old["sha256"]),
        changes=[f"回退到第 {n} 版（{old['when']} 采用的 {old['file']}）"],
        who=who,
        action="rollback",
    )
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    try:
        shutil.copyfile(snapshot, tmp)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return entry


_LAYER_ZH = {"zones": "功能区", "jiedao": "街道", "district": "区界"}


def history_lines(out: Path) -> list[str]:
    """The versions of ``out`` as lines for the command line, newest last, the one in force marked."""
    items = versions(Path(out))
    if not items:
        return [f"{Path(out).name}：还没有采用记录"]
    lines = []
    for v in items:
        mark = "（当前）" if v is items[-1] else ""
        what = "回退" if v["action"] == "rollback" else f"采用{_LAYER_ZH.get(str(v['layer']), v['layer'])}"
        lines.append(
            f"第 {v['n']} 版{mark}  {v['when']}（北京时间）  {v['who']}  {what}  {v['file']}  SHA-256 {v['sha256']}"
        )
        lines += [f"    {c}" for c in v["changes"]]
    return lines
