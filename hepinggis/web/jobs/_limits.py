"""The lanes of the background jobs and their limits.

Three **lanes** never wait for one another (`lane_of`): ``light`` (previews and imports of files up
to `JobLimits.light_bytes`, monitoring figures, boundaries, the maps of small registers — what a
user waits for on the page; one worker per core), ``heavy`` (larger files and large maps; one
worker: a colleague's 50 MB register never delays a 1-row upload) and ``build`` (briefing and
monitoring packages; one worker). `plan_lanes` gives each worker its lanes.

`JobLimits` (configurable by environment) holds each job's memory cap and each lane's time limit;
the timings of the workers (polling, heartbeat, a dead server's jobs) are set here too. The
server's side is `_pool`, the workers' `_jobs`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from hepinggis.base.settings import settings
from hepinggis.errors import InvalidOptionError

__all__ = ["BUILD_KINDS", "FILE_KINDS", "LANES", "JobLimits", "lane_of", "memory_message", "plan_lanes"]

LANES = ("light", "heavy", "build")
#: Job kinds of the build lane.
BUILD_KINDS = ("package", "monitor")
#: Job kinds whose lane depends on the size of their file.
FILE_KINDS = ("preview", "import", "figures", "boundary")
IDLE_POLL_S = 0.5
#: Rows of the register each worker reads, counts and maps while warming up (the paths of a real
#: register: density layer, clustering).
WARM_ROWS = 200
#: How long a starting server waits for its workers to be warm before it answers.
WARM_WAIT_S = settings().warm_wait_s
#: What the warm parent does before it forks the workers (`warm_up`), from the environment's
#: ``HEPINGGIS_WARM_UP``: ``full`` (the default) imports the stack and runs a small job of each
#: kind; ``imports`` only imports the stack (a server that starts sooner and whose first job of a
#: kind is slower: the test suite's many short-lived servers, see tests/conftest.py).
WARM_ENV = "HEPINGGIS_WARM_UP"
WARM_MODES = ("full", "imports")
#: A running job whose heartbeat is older than this belongs to a dead server (any host); the
#: environment's ``HEPINGGIS_JOB_STALE_S`` changes it (the tests shorten it).
STALE_S = settings().job_stale_s
#: How often a server looks for such jobs.
RECOVER_EVERY_S = min(5.0, STALE_S / 2)
#: How often a running job beats its heartbeat.
BEAT_S = min(2.0, STALE_S / 3)
#: A worker's exit status after a job ran out of memory (it failed the job itself).
EXIT_MEMORY = 3
_READY = "ready-{pid}"
_ENV_MEMORY = "HEPINGGIS_JOB_MEMORY"
_ENV_SECONDS = "HEPINGGIS_JOB_SECONDS"
_ENV_LIGHT_BYTES = "HEPINGGIS_LIGHT_BYTES"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)


def _bytes(text: str, what: str) -> int:
    m = _SIZE.match(text)
    if not m:
        raise InvalidOptionError(f"{what} {text!r}：请写成 3GB、500MB 这样的大小")
    return int(float(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()])


def _human(n: int) -> str:
    return f"{n / 1024**3:.3g} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def memory_message(memory: int, *, crashed: bool = False) -> str:
    """The refusal of a job that needed more than ``memory`` bytes (``crashed``: its worker ended
    without saying why, as an allocation failing in C code ends it)."""
    cap = _human(memory)
    head = f"处理进程意外停止（可能所需内存超过上限 {cap}）" if crashed else f"所需内存超过上限（{cap}）"
    return f"{head}，已停止，数据未改动；请检查文件是否含大量空行空列，或拆分后再上传"


@dataclass(frozen=True)
class JobLimits:
    """The limits of the job workers.

    Parameters
    ----------
    memory : int
        Bytes of address space a job may take beyond its warm worker's footprint (``RLIMIT_AS``).
        Environment ``HEPINGGIS_JOB_MEMORY`` (``3GB``).
    seconds : dict
        Time limit of one job per lane. Environment ``HEPINGGIS_JOB_SECONDS``: one number for
        every lane or ``light,heavy,build`` (``120,900,1800``).
    light_bytes : int
        Files up to this size go to the light lane, larger ones to the heavy lane. Environment
        ``HEPINGGIS_LIGHT_BYTES`` (``4MB``).
    """

    memory: int = 3 * 1024**3
    seconds: dict[str, float] = field(default_factory=lambda: {"light": 120.0, "heavy": 900.0, "build": 1800.0})
    light_bytes: int = 4 * 1024**2

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> JobLimits:
        """The defaults, changed by the environment variables named above (`hepinggis.base.settings`)."""
        given = settings(env)
        base = cls()
        memory = _bytes(given.job_memory, _ENV_MEMORY) if given.job_memory else base.memory
        seconds = dict(base.seconds)
        if given.job_seconds:
            try:
                values = [float(v) for v in given.job_seconds.split(",")]
            except ValueError:
                raise InvalidOptionError(f"{_ENV_SECONDS}：请写成秒数，如 120 或 120,900,1800") from None
            if len(values) not in (1, 3) or min(values) <= 0:
                raise InvalidOptionError(f"{_ENV_SECONDS}：请写成秒数，如 120 或 120,900,1800")
            seconds = dict(zip(LANES, values * 3 if len(values) == 1 else values, strict=False))
        light = _bytes(given.light_bytes, _ENV_LIGHT_BYTES) if given.light_bytes else base.light_bytes
        return cls(memory=memory, seconds=seconds, light_bytes=light)

    def args(self) -> list[str]:
        """The worker's command-line options carrying these limits."""
        secs = ",".join(str(self.seconds[lane]) for lane in LANES)
        return ["--memory", str(self.memory), "--seconds", secs, "--light-bytes", str(self.light_bytes)]


def lane_of(kind: str, params: dict[str, Any], *, light_bytes: int) -> str:
    """The lane of a job: ``build`` for packages, ``heavy`` for a file above ``light_bytes`` (or a
    large register's map), else ``light``."""
    if kind in BUILD_KINDS:
        return "build"
    if kind in FILE_KINDS:
        return "heavy" if int(params.get("size") or 0) > light_bytes else "light"
    if kind == "map":
        from hepinggis.web.jobs._work_light import MAP_LIGHT_ROWS

        return "light" if 0 < int(params.get("rows") or 0) <= MAP_LIGHT_ROWS else "heavy"
    if kind == "plan_map":
        return "heavy"  # started with the server; never in a user's way
    if kind.startswith("fault_"):
        return str(params.get("lane") or "light")
    return "heavy"


def plan_lanes(workers: int | None = None) -> list[tuple[str, ...]]:
    """The lanes of each worker process: ``None`` → one light worker per core (at least 2), one
    heavy and one build worker; ``1`` → one worker for everything; ``n ≥ 2`` → ``n - 1`` light
    workers and one for the heavy and build lanes (small test servers)."""
    light: tuple[str, ...] = ("light",)
    if workers is None:
        return [light] * max(2, os.cpu_count() or 2) + [("heavy",), ("build",)]
    if workers <= 1:
        return [LANES]
    return [light] * (workers - 1) + [("heavy", "build")]
