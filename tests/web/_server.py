"""A real ``python -m hepinggis serve`` process for the browser and kill tests, and the processes it
leaves behind (none, when it is right)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workers_of(data: Path) -> list[int]:
    """Pids of the worker processes serving ``data`` (read from /proc: exactly this store's)."""
    marker = str(data.absolute())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv]
        if "hepinggis.web.jobs._jobs" in args and marker in args:
            try:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state != "Z":
                pids.append(int(entry.name))
    return pids


class Server:
    """``python -m hepinggis serve --data DATA --port PORT`` run from the checkout."""

    def __init__(self, data: Path, *, max_upload: str = "50MB") -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.log = (data.parent / f"serve-{self.port}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hepinggis",
                "serve",
                "--data",
                str(data),
                "--port",
                str(self.port),
                "--max-upload",
                max_upload,
            ],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 300  # a busy machine (load 30 on 2 cores) needs minutes
        # one client for the whole wait: each `httpx.get` makes a client (and its SSL context,
        # ~25 ms of CPU), which at 20 polls a second took a fifth of a core from the starting server
        with httpx.Client(timeout=1) as poll:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.proc.returncode}: {self.output()}")
                try:
                    if poll.get(self.url + "/api/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)  # poll fast: the test waits on this
        self.stop()
        raise RuntimeError("serve did not answer within 300 s")

    def output(self) -> str:
        self.log.flush()
        return (self.data.parent / f"serve-{self.port}.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_gone(data: Path, timeout: float = 10.0) -> list[int]:
    """Wait for the workers of ``data`` to end; the pids still there after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = workers_of(data)
        if not left:
            return []
        time.sleep(0.05)
    return workers_of(data)
