"""How ``python -m pytest -n auto`` spreads the tests over its xdist workers (hooks used by
tests/conftest.py).

* **Workers**: ``-n auto`` starts `WORKERS_PER_CORE` workers per core; ``PYTEST_XDIST_AUTO_NUM_WORKERS``
  still decides when set, and ``-n 2`` is two. Two per core (many tests wait on a server, Chromium or
  a command) was tried on the shared machine: the same tests took ~15 % more CPU and the wall time could not be
  compared at load 10–17, so it stays one per core until a quiet A/B shows it is faster.
* **Files kept whole** (``--dist loadfile``): the tests of a module run on one worker, so a module-
  or class-scoped fixture (a server, a built package, pages drawn once) is made once per run, not
  once per worker the module's tests happened to be sent to. (``--dist loadgroup`` would keep only
  such modules whole, but it names its groups by changing ``item._nodeid``, which pytest 9 no
  longer reads.)
* **Longest first**: the files are sent longest first, by the seconds measured for their tests in
  ``tests/durations.json`` (`DEFAULT_S` for a test not listed; a file may be listed whole), so that
  no long file starts last while the other workers have nothing left to do. The figures only rank:
  they were measured on the shared machine (wall seconds at load ~6-15, every folder once with
  ``-n 2 --durations=0``) and are rewritten from such logs by ``python tests/_durations_update.py LOG…``.

An explicit ``--dist`` on the command line is left alone (then only the worker count applies).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: xdist workers per core for ``-n auto``.
WORKERS_PER_CORE = 1
#: Seconds assumed for a test that ``tests/durations.json`` does not list.
DEFAULT_S = 0.5
_DURATIONS = Path(__file__).resolve().parent / "durations.json"
_KEY = "hepinggis_loadfile"


def auto_workers() -> int:
    """The number of workers ``-n auto`` starts."""
    env = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if env and env.strip().isdigit():
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores * WORKERS_PER_CORE)


def _dist_given(config: pytest.Config) -> bool:
    args = [str(a) for a in config.invocation_params.args]
    return any(a in ("--dist", "-d", "--distload") or a.startswith("--dist=") for a in args)


def configure(config: pytest.Config) -> None:
    """On the controller: whole files, in our order, unless ``--dist`` was given; on a worker
    of such a run: register the ordering hook (`configure_node` tells it)."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        if config.getoption("dist", "no") == "load" and not _dist_given(config):
            config.option.dist = "loadfile"
            config.option.loadscopereorder = False  # keep the order `_Order` gives
        return
    if workerinput.get(_KEY):
        config.pluginmanager.register(_Order(), "hepinggis-order")


def configure_node(node: Any) -> None:
    """Tell each worker whether the controller sends whole files in our order."""
    node.workerinput[_KEY] = node.config.getoption("dist", "no") == "loadfile"


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _durations() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(_DURATIONS.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


class _Order:
    """After every other reordering: the files longest first (a stable sort: files of equal cost
    keep the collection order, a file's tests keep theirs)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seconds = _durations()
        files: dict[str, list[pytest.Item]] = {}
        for item in items:
            files.setdefault(_file(item), []).append(item)
        # a file may also be listed whole (an estimate before it was measured test by test)
        cost = {f: max(seconds.get(f, 0.0), sum(seconds.get(i.nodeid, DEFAULT_S) for i in t)) for f, t in files.items()}
        items[:] = [item for f in sorted(files, key=cost.__getitem__, reverse=True) for item in files[f]]
