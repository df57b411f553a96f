"""Maps: interactive folium maps that open offline (overview, zone maps, choropleths), static
maps and print layouts, their styles, basemaps and the QGIS styles of exports.

>>> from hepinggis.maps import overview_map
>>> "六区" in overview_map(basemap="none").get_root().render()
True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hepinggis.maps.interactive import choropleth_map, notebook_assets, overview_map, save_html, zone_map

__all__ = ["choropleth_map", "notebook_assets", "overview_map", "save_html", "zone_map"]


def __getattr__(name: str) -> Any:
    # Loaded on first use (PEP 562): the stage's helper modules (e.g. the styles the analysis
    # modules share) import without pulling in the whole maps stage, which would be circular.
    if name in __all__:
        return getattr(import_module("hepinggis.maps.interactive"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
