"""How ``python -m pytest -n auto`` spreads the tests over its xdist workers (hooks used by
tests/conftest.py).

* **Workers**: ``-n auto`` starts `WORKERS_PER_CORE` workers per core (many tests wait on a server,
  Chromium or a command rather than use the processor); ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still
  decides when set, and ``-n 2`` is two.
* **Modules kept whole**: a module whose tests share a module- or class-scoped fixture (a server, a
  built package, pages drawn once) runs on one worker, so that fixture is made once per run, not
  once per worker the module's tests happened to be sent to (``--dist loadgroup`` with one
  ``xdist_group`` per such module; the other tests are sent one by one).
* **Longest first**: the work units (whole modules and single tests) are sent longest first, by the
  seconds measured for them in ``tests/durations.json`` (`DEFAULT_S` for a test not listed), so
  that no long module starts last while the other workers have nothing left to do.

An explicit ``--dist`` on the command line is left alone (then only the worker count applies).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: xdist workers per core for ``-n auto``.
WORKERS_PER_CORE = 2
#: Seconds assumed for a test that ``tests/durations.json`` does not list.
DEFAULT_S = 0.5
#: Module-scoped fixtures that do not tie a module to one worker (cheap to make again).
_LOOSE = frozenset({"browser"})
_DURATIONS = Path(__file__).resolve().parent / "durations.json"
_KEY = "hepinggis_loadgroup"


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
    """On the controller: load groups unless ``--dist`` was given; on a worker: follow the
    controller (`configure_node`), and register the grouping and ordering hooks."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        if config.getoption("dist", "no") == "load" and not _dist_given(config):
            config.option.dist = "loadgroup"
            config.option.loadscopereorder = False  # keep the order `_Order` gives
        return
    if workerinput.get(_KEY):
        config.option.loadgroup = True  # read by xdist's worker when it names the groups
        config.pluginmanager.register(_Groups(), "hepinggis-groups")
        config.pluginmanager.register(_Order(), "hepinggis-order")


def configure_node(node: Any) -> None:
    """Tell each worker whether the controller schedules by load groups."""
    node.workerinput[_KEY] = node.config.getoption("dist", "no") == "loadgroup"


def _tied(item: pytest.Item) -> bool:
    """Whether the item uses a module-, class- or package-scoped fixture (other than `_LOOSE`)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    for name, defs in info.name2fixturedefs.items():
        if name in _LOOSE or not defs:
            continue
        if defs[-1].scope in ("module", "class", "package"):
            return True
    return False


def _module(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


class _Groups:
    """Before xdist names the groups: one ``xdist_group`` per module that is tied to a worker."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        tied = {_module(item) for item in items if _tied(item)}
        for item in items:
            if _module(item) in tied and item.get_closest_marker("xdist_group") is None:
                item.add_marker(pytest.mark.xdist_group(_module(item)))


def _durations() -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(_DURATIONS.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        return {}


class _Order:
    """After every other reordering: the work units longest first (a stable sort: equal units keep
    the collection order; a module's tests keep theirs)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seconds = _durations()
        units: dict[str, list[pytest.Item]] = {}
        ids: dict[int, str] = {}  # each item's node id without the group xdist appended to it
        for item in items:
            mark = item.get_closest_marker("xdist_group")
            group = str(mark.args[0] if mark.args else mark.kwargs.get("name", "default")) if mark else ""
            ids[id(item)] = item.nodeid.removesuffix(f"@{group}") if group else item.nodeid
            units.setdefault(f"@{group}" if group else item.nodeid, []).append(item)

        def cost(unit: str) -> float:
            return sum(seconds.get(ids[id(i)], DEFAULT_S) for i in units[unit])

        order = sorted(units, key=cost, reverse=True)
        items[:] = [item for unit in order for item in units[unit]]
