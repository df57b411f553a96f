"""The plan's zones as the monitoring package reads them: once per package (`read_once`), not once
per map, page and sheet — a package asks for them about twenty times, and each read opens the file
with GDAL and validates it again. Outside `read_once` every call reads the layer in use afresh, so
a long-lived server never draws with zones adopted since."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import geopandas as gpd

from hepinggis.plan.layers import load

__all__ = ["layer", "read_once", "zones"]

_READ: ContextVar[dict[str, gpd.GeoDataFrame] | None] = ContextVar("hepinggis_monitor_layers", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """While the block runs, `layer` reads each layer once and hands out copies."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def layer(name: str) -> gpd.GeoDataFrame:
    """The layer ``name`` in use (`hepinggis.plan.layers.load`); a copy of the one read in this
    `read_once` block, if any."""
    read = _READ.get()
    if read is None:
        return load(name)
    if name not in read:
        read[name] = load(name)
    return read[name].copy()


def zones() -> gpd.GeoDataFrame:
    """The zones in use (see `layer`)."""
    return layer("zones")
