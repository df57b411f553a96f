"""Analysis on the layers and on any project list: measuring on the ellipsoid or in EPSG:4550,
overlaps, projects per zone, along an axis or in the belt, apportioning, and points → zones at
scale. Every function takes GeoDataFrames and returns results aligned to their index; the
public ones are re-exported from `hepinggis`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hepinggis.analysis.assign import projects_by_jiedao, projects_by_zone, projects_outside, zone_of, zone_shares

__all__ = ["projects_by_jiedao", "projects_by_zone", "projects_outside", "zone_of", "zone_shares"]


def __getattr__(name: str) -> Any:
    # Loaded on first use (PEP 562), as in `hepinggis.maps`: importing a helper module of this
    # stage (e.g. `analysis.measure`, which the plan stage uses) does not pull in the rest.
    if name in __all__:
        return getattr(import_module("hepinggis.analysis.assign"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
