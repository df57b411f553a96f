"""Basemaps as xyzservices TileProviders, each knowing the datum its tiles are drawn in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import xyzservices
import xyzservices.providers as xyz

from hepinggis.base.settings import settings
from hepinggis.errors import HepingGISError

__all__ = ["TIANDITU_KEY_ENV", "Basemap", "basemap", "basemaps"]

TIANDITU_KEY_ENV = "HEPINGGIS_TIANDITU_KEY"


@dataclass(frozen=True)
class Basemap:
    """A named basemap: its tile layers (none for ``"none"``) and the datum of its tiles."""

    name: str
    title_zh: str
    datum: str  # "wgs84" or "gcj02"
    tiles: tuple[xyzservices.TileProvider, ...]

    @property
    def is_gcj02(self) -> bool:
        return self.datum == "gcj02"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    text = resources.files("hepinggis.maps").joinpath("basemaps.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    data.pop("about", None)
    return data


def basemaps() -> list[str]:
    """The basemap names (``osm`` is the default; ``none`` draws no tiles and works offline)."""
    return list(_catalogue())


def basemap(name: str = "osm", *, key: str | None = None) -> Basemap:
    """The `Basemap` called ``name``; Tianditu needs ``key`` or ``$HEPINGGIS_TIANDITU_KEY``.

    Examples
    --------
    >>> basemap("gaode").is_gcj02
    True
    >>> basemap("none").tiles
    ()
    """
    cat = _catalogue()
    if name not in cat:
        raise HepingGISError(f"unknown basemap {name!r}; choose one of: {', '.join(cat)}")
    entry = cat[name]
    tiles: list[xyzservices.TileProvider] = []
    if "xyz" in entry:
        tiles.append(xyz.query_name(entry["xyz"]))
    for layer in entry.get("layers", []):
        provider = xyzservices.TileProvider(layer)
        if "key" in entry:
            value = key or settings().tianditu_key
            if not value:
                raise HepingGISError(f"basemap {name!r} needs a Tianditu key: pass key=… or set {TIANDITU_KEY_ENV}")
            provider[entry["key"]] = value
        tiles.append(provider)
    return Basemap(name, entry["title_zh"], entry["datum"], tuple(tiles))
