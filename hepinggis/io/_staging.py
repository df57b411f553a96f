"""Writing a whole folder atomically: build it beside the target, then swap it in.

A kill at any moment leaves the old folder or the new one, never a mix. The swap is one
``renameat2(RENAME_EXCHANGE)`` call where Linux offers it (glibc ≥ 2.28; Python's ``os`` has no
binding, hence ctypes); elsewhere two renames, and a later run puts the old folder back if a kill
fell between them. Every package carries a manifest (`MANIFEST`: each file's SHA-256), written
last, so that a reader can check it is whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hepinggis.errors import HepingGISError

__all__ = ["MANIFEST", "note_in_manifest", "replace_folder", "staged_folder", "verify_package"]

log = logging.getLogger("hepinggis")

#: The manifest every package holds: when it was built and the SHA-256 of every other file.
MANIFEST = ".hepinggis-package.json"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _stale(dest: Path, kind: str) -> list[Path]:
    return sorted(dest.parent.glob(f".{dest.name}.{kind}-*"))


def _clean_stale(dest: Path) -> list[str]:
    """Put back a package a kill left renamed away, and remove half-built folders. Says what it did."""
    notes = []
    olds = _stale(dest, "old")
    if not dest.exists() and olds:
        olds[-1].rename(dest)
        notes.append(f"restored {dest} from {olds[-1].name} (an earlier build was stopped while swapping)")
        olds = olds[:-1]
    for path in [*olds, *_stale(dest, "building")]:
        shutil.rmtree(path, ignore_errors=True)
        notes.append(f"removed {path.name}, left by an earlier build that was stopped")
    for note in notes:
        log.warning(note)
    return notes


def _is_package(dest: Path) -> bool:
    """An empty folder, or one that a build wrote (its manifest, or an index and overview from
    before manifests existed): only such a folder may be replaced as a whole."""
    if not any(dest.iterdir()):
        return True
    index = (dest / "index.html").is_file()
    return (dest / MANIFEST).is_file() or (
        index and any((dest / f).is_file() for f in ("overview.html", "monitoring.xlsx"))
    )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def _own_files(folder: Path, carried: list[str]) -> list[Path]:
    """The files the package itself holds: all but the manifest and what was carried over."""
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST and p.relative_to(folder).parts[0] not in carried
    ]


def _to_carry(dest: Path, carry: tuple[str, ...]) -> list[str]:
    """What of the old package to keep: the names in ``carry``, and everything its manifest does not
    list (another command's output, a user's sub-folder such as ``maps/own``)."""
    if not dest.is_dir():
        return []
    names = {n for n in carry if (dest / n).exists()}
    try:
        listed = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return sorted(names)
    own = {Path(rel).parts[0] for rel in listed}
    names |= {p.name for p in dest.iterdir() if p.name != MANIFEST and p.name not in own}
    return sorted(names)


def _write_manifest(folder: Path, carried: list[str]) -> None:
    files = {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in _own_files(folder, carried)
    }
    record = {
        "built": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "files": files,
        "carried": carried,
    }
    (folder / MANIFEST).write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def verify_package(folder: str | Path) -> list[str]:
    """Check a package folder (``hepinggis build`` or ``monitor`` output) against its manifest.

    Every package holds ``.hepinggis-package.json``, written last: the SHA-256 of each of its
    files, and the sub-folders it carries from another command (e.g. ``monitor/``, checked by that
    folder's own manifest). A package that is whole after a copy, a download or an interrupted
    write gives an empty list.

    Parameters
    ----------
    folder : str or Path
        The package folder (e.g. ``maps``).

    Returns
    -------
    list of str
        One line per problem: ``missing: FILE``, ``changed: FILE``, ``extra: FILE``, or ``no
        readable manifest: …``; empty when the package is whole.

    Examples
    --------
    >>> import hepinggis, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     hepinggis.verify_package(tmp)[0].startswith("no readable manifest")
    True
    """
    folder = Path(folder)
    try:
        record = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files, carried = record["files"], list(record.get("carried", []))
    except (OSError, ValueError, KeyError) as exc:
        return [f"no readable manifest: {exc}"]
    problems = []
    present = {str(p.relative_to(folder)) for p in _own_files(folder, carried)}
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"changed: {rel}")
    problems += [f"extra: {rel}" for rel in sorted(present - set(files))]
    return problems


def note_in_manifest(
    folder: str | Path,
    *,
    rewritten: tuple[str, ...] = (),
    carried: tuple[str, ...] = (),
    about: dict[str, object] | None = None,
) -> bool:
    """Record in ``folder``'s manifest that another command rewrote some of its files (e.g.
    ``monitor`` adding its link to the gallery ``index.html``) and added a sub-folder it carries
    (``monitor``): only those files are hashed again, so any other change still shows in
    `verify_package`. ``about`` (JSON) is kept in the manifest as what the package holds (e.g. the
    version and filter of a register it was built from). Returns False (and does nothing) where
    ``folder`` has no readable manifest.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        files = record["files"]
    except (OSError, ValueError, KeyError):
        return False
    for rel in rewritten:
        if (folder / rel).is_file():
            files[rel] = hashlib.sha256((folder / rel).read_bytes()).hexdigest()
    record["carried"] = sorted({*record.get("carried", []), *carried})
    if about is not None:
        record["about"] = about
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return True


@contextlib.contextmanager
def staged_folder(dest: str | Path, *, carry: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield an empty folder beside ``dest`` to write into; on success it replaces ``dest`` in one
    step (with a manifest), on failure it is removed and ``dest`` is untouched. The entries named
    in ``carry`` (e.g. another command's sub-folder), and whatever the old package's manifest does
    not list, are copied over from the old ``dest`` first: nothing of the user's is lost.

    Raises
    ------
    HepingGISError
        ``dest`` is a file, or a folder holding files that no build wrote (it is never replaced).
    """
    dest = Path(dest).absolute()
    if dest.exists() and not dest.is_dir():
        raise HepingGISError(f"{dest} is a file; give a folder for the package")
    if dest.is_dir() and not _is_package(dest):
        raise HepingGISError(
            f"{dest} holds files that are not a hepinggis package; give a new or empty folder "
            "(a package folder is replaced as a whole)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(dest)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.building-", dir=dest.parent))
    try:
        carried = _to_carry(dest, carry)
        for name in carried:
            if (dest / name).is_dir():
                shutil.copytree(dest / name, stage / name)
            else:
                shutil.copy2(dest / name, stage / name)
        yield stage
        _write_manifest(stage, carried)
        stage.chmod(0o755)
        if not dest.exists():
            stage.rename(dest)
        elif _exchange(stage, dest):
            shutil.rmtree(stage, ignore_errors=True)  # it now holds the old package
        else:
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            old.rmdir()
            dest.rename(old)
            stage.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def replace_folder(new: str | Path, dest: str | Path) -> None:
    """Put the finished folder ``new`` in place of ``dest`` in one step (``renameat2`` exchange
    where Linux offers it, else two renames) and remove the old one: a reader sees the old package
    or the new one, never a mix. ``new`` must be on the same file system as ``dest``."""
    new, dest = Path(new).absolute(), Path(dest).absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not dest.exists():
        new.rename(dest)
        return
    if _exchange(new, dest):
        shutil.rmtree(new, ignore_errors=True)  # it now holds the old package
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
    old.rmdir()
    dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
