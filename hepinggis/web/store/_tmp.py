"""Per-server temporary folders under ``DATA/tmp``.

Two servers may share one data folder (and one database). Each server writes its temporary files
(uploads being received, maps and packages being written) in a folder of its own,
``tmp/HOST-PID-XXXX``, and holds an exclusive ``flock`` on ``.lock`` in it for its lifetime (its
workers write there too: they die with the server). A starting server removes only the folders
whose lock it can take — their server is gone — so it never empties the folder of a server that
is running, nor kills its job. The kernel drops the lock when the process dies however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import time
import uuid
from pathlib import Path

__all__ = ["ServerTmp", "clean_stale"]

_LOCK = ".lock"
#: Loose files directly in ``tmp/`` (written by versions before per-server folders) older than this
#: are removed at start.
LOOSE_MAX_AGE_S = 3600.0


class ServerTmp:
    """This server's temporary folder, locked while the server runs.

    Parameters
    ----------
    root : Path
        ``DATA/tmp``.
    """

    def __init__(self, root: Path) -> None:
        self.name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.path = Path(root) / self.name
        self.path.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path / _LOCK, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def close(self) -> None:
        """Remove the folder and release the lock (at shutdown)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _owner_gone(folder: Path) -> bool:
    """True when no running process holds ``folder``'s lock (or it has none and is an hour old)."""
    lock = folder / _LOCK
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return time.time() - folder.stat().st_mtime > LOOSE_MAX_AGE_S
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops a lock we took
    return True


def clean_stale(root: Path, *, keep: str | None = None) -> list[str]:
    """Remove the temporary folders of servers that are gone (and old loose files); never ``keep``
    nor a folder whose server still runs. Returns the names removed."""
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for p in root.iterdir():
        if p.name == keep:
            continue
        try:
            if p.is_dir():
                if _owner_gone(p):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p.name)
            elif keep is None or time.time() - p.stat().st_mtime > LOOSE_MAX_AGE_S:
                p.unlink(missing_ok=True)
                removed.append(p.name)
        except FileNotFoundError:
            continue
    return removed
