"""What a monitoring package reads or derives many times, made once per package (`read_once`):
the plan's zones (asked for about twenty times; each read opens the file with GDAL and validates
it again) and other values keyed by the caller (`memo`). Outside a `read_once` block everything is
made afresh on every call, so a long-lived server never draws with zones adopted since, and a
frame changed in place is never read stale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

import geopandas as gpd

from hepinggis.plan.layers import load

__all__ = ["layer", "memo", "read_once", "zones"]

T = TypeVar("T")
_READ: ContextVar[dict[Any, Any] | None] = ContextVar("hepinggis_monitor_layers", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """While the block runs, `layer` reads each layer once (handing out copies) and `memo`
    makes each value once."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def memo(key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """``make()``, made once per `read_once` block for ``key``; outside a block, every time."""
    read = _READ.get()
    if read is None:
        return make()
    if key not in read:
        read[key] = make()
    return cast(T, read[key])


def layer(name: str) -> gpd.GeoDataFrame:
    """The layer ``name`` in use (`hepinggis.plan.layers.load`); a copy of the one read in this
    `read_once` block, if any."""
    return memo(("layer", name), lambda: load(name)).copy()


def zones() -> gpd.GeoDataFrame:
    """The zones in use (see `layer`)."""
    return layer("zones")
