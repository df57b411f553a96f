"""Worker processes that die with their parent.

A forked ``ProcessPoolExecutor`` worker whose parent is killed (SIGKILL, or SIGTERM/SIGINT with no
handler) is reparented to PID 1 and blocks forever on its task queue, holding hundreds of MB. Three
layers stop that, each covering what the one before cannot:

1. `die_with_parent`: Linux's ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the child the
   moment its parent dies, even by SIGKILL. Python's ``os`` has no binding, hence ctypes. The
   signal fires when the *thread* that forked the child ends, so it is only used for children
   forked by a thread that lives as long as the process (a pool's workers are forked by the thread
   that submits the first task; `worker_pool` is meant for the main thread or a long-lived one).
2. A pipe watchdog (`worker_initializer`): each worker holds the read end of a pipe whose only
   write end stays in the parent; when the parent dies the kernel closes it, the read returns
   end-of-file and the worker exits. Works on every POSIX system and for any thread, but only for
   forked workers (the descriptor numbers must be inherited).
3. `worker_pool`: in the parent, SIGTERM becomes `Terminated` (a ``SystemExit(143)``) and SIGINT stays
   ``KeyboardInterrupt``; either leaving the pool kills its workers before it propagates, so the
   caller's cleanup (e.g. removing a half-built folder) still runs.

The web app's job runner uses the same pieces: ``subprocess.Popen(…, preexec_fn=die_with_parent)``
for a job started as a subprocess, or `worker_pool` for a pool of forked workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from types import FrameType
from typing import Any

from hepinggis.errors import Terminated

__all__ = ["die_with_parent", "worker_initializer", "worker_pool"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL, *, parent_pid: int | None = None) -> bool:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux only).

    Call it in the child, first thing: as a pool ``initializer``, or as ``preexec_fn`` of
    `subprocess.Popen` (``Popen(cmd, preexec_fn=die_with_parent)``).

    Parameters
    ----------
    sig : int
        The signal to receive (default SIGKILL: nothing can catch it, nothing is left).
    parent_pid : int, optional
        The parent's process id as the parent saw it before forking. If the parent already died
        before this call (the request would then never fire), the process exits at once.

    Returns
    -------
    bool
        Whether the request was registered (False off Linux or where ``prctl`` is unavailable;
        then rely on `worker_initializer`'s pipe watchdog).
    """
    ok = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            ok = libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
        except (OSError, AttributeError):
            ok = False
    if parent_pid is not None and os.getppid() != parent_pid:  # the parent died before prctl
        os._exit(1)
    return ok


def _watch(read_fd: int) -> None:
    """Block on the pipe; end-of-file (or an error) means the parent is gone: exit now."""
    try:
        while os.read(read_fd, 1):
            pass
    except OSError:
        pass
    os._exit(1)


def worker_initializer(parent_pid: int | None = None, read_fd: int | None = None, write_fd: int | None = None) -> None:
    """Initializer of a worker process that must not outlive its parent.

    Registers `die_with_parent`, ignores SIGINT (a Ctrl-C reaches the whole process group; the
    parent decides what stops) and, given a pipe, starts the watchdog thread: the worker closes its
    copy of the write end and exits as soon as the read end reports end-of-file.

    Parameters
    ----------
    parent_pid : int, optional
        The parent's process id (``os.getpid()`` in the parent).
    read_fd, write_fd : int, optional
        The two ends of an ``os.pipe()`` made by the parent before forking; the parent keeps the
        write end open for as long as the workers may live.
    """
    die_with_parent(parent_pid=parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if read_fd is not None:
        if write_fd is not None:
            with contextlib.suppress(OSError):
                os.close(write_fd)
        threading.Thread(target=_watch, args=(read_fd,), name="hepinggis-parent-watchdog", daemon=True).start()


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers now and reap them (the executor offers no public way before Python
    3.14's ``kill_workers``, hence its ``_processes``)."""
    kill = getattr(pool, "kill_workers", None)
    if callable(kill):
        kill()
    else:
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.kill()
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.join(timeout=1)
    pool.shutdown(wait=False, cancel_futures=True)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(128 + signum)


@contextlib.contextmanager
def worker_pool(max_workers: int, *, mp_context: BaseContext | None = None) -> Iterator[ProcessPoolExecutor]:
    """A `ProcessPoolExecutor` whose workers die with this process, whatever kills it.

    Workers run `worker_initializer` (parent-death signal, pipe watchdog where forked). While the
    pool is open in the main thread, SIGTERM raises `hepinggis.errors.Terminated` (a
    ``SystemExit(143)``); on any exception leaving
    the block (that, ``KeyboardInterrupt`` from SIGINT, or an error) the workers are killed at once
    instead of being waited for, then the exception propagates.

    Parameters
    ----------
    max_workers : int
        The number of worker processes.
    mp_context : multiprocessing context, optional
        Default: "fork" where the system has it (the watchdog needs inherited descriptors).

    Yields
    ------
    ProcessPoolExecutor
    """
    if mp_context is None and "fork" in multiprocessing.get_all_start_methods():
        mp_context = multiprocessing.get_context("fork")
    forked = mp_context is not None and mp_context.get_start_method() == "fork"
    read_fd, write_fd = os.pipe() if forked else (None, None)
    initargs: tuple[Any, ...] = (os.getpid(), read_fd, write_fd)
    main = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _raise_terminated) if main else None
    pool = ProcessPoolExecutor(
        max_workers=max_workers, mp_context=mp_context, initializer=worker_initializer, initargs=initargs
    )
    try:
        yield pool
        pool.shutdown(wait=True)
    except BaseException:
        _kill_workers(pool)
        raise
    finally:
        if main:
            signal.signal(signal.SIGTERM, old_term if old_term is not None else signal.SIG_DFL)
        for fd in (read_fd, write_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
