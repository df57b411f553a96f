"""Part of a package written by a forked child while this process writes the rest: on two cores
the monitoring package's PDFs are drawn beside its maps (`hepinggis.monitor._pdf.pdfs_written`).

The child starts from this process's memory (the figures already laid out, the font subset already
made), so nothing is pickled. It dies with its parent (`hepinggis._workers.die_with_parent`), never
unwinds the parent's stack (it leaves with ``os._exit``: a staged package folder is not removed
twice), and reports a failure as one line, raised here as `HepingGISError`. If this process fails
first, the child is killed and reaped before the error goes on. Forking is only safe in a process
without other threads (`can_fork`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import NoReturn

from hepinggis._workers import _raise_terminated, die_with_parent
from hepinggis.errors import HepingGISError

__all__ = ["can_fork", "forked"]


def can_fork() -> bool:
    """Whether this process may fork a child to share the work: POSIX, two cores or more, and no
    other thread (a thread holding a lock at the fork would leave the child stuck on it; the web
    app's job workers have threads, so they write serially)."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and threading.active_count() == 1


def _child(work: Callable[[], None], write_fd: int, parent: int) -> NoReturn:
    code, said = 0, b""
    try:
        die_with_parent(parent_pid=parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what stops
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        work()
    except BaseException as exc:
        code, said = 1, (str(exc).splitlines() or [type(exc).__name__])[0].encode("utf-8", "replace")
    finally:
        with contextlib.suppress(OSError):
            os.write(write_fd, said[:2000])
        os._exit(code)


@contextlib.contextmanager
def forked(work: Callable[[], None]) -> Iterator[int]:
    """Run ``work`` in a forked child while the block runs (the child's process id is yielded);
    on leaving the block wait for it and raise `HepingGISError` with its reason if it failed. If the
    block raises, the child is killed first. While the block runs in the main thread, SIGTERM
    raises `hepinggis.errors.Terminated` here (as in `hepinggis._workers.worker_pool`), so a
    terminated command removes its half-written package as an interrupted one does."""
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(work, write_fd, parent)
    os.close(write_fd)
    main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
    done = False
    try:
        yield pid
        with os.fdopen(read_fd, "rb") as fh:
            said = fh.read().decode("utf-8", "replace")
        read_fd = -1
        _, status = os.waitpid(pid, 0)
        done = True
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise HepingGISError(said or f"the process writing part of the package stopped (exit code {code})")
    finally:
        if main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
        if not done:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        if read_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(read_fd)
