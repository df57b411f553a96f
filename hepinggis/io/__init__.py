"""Data in and out: reading the project lists planners have (CSV/XLSX/GIS, any encoding and CRS,
row by row), coordinates (GCJ-02, BD-09, CGCS2000), exports (GeoPackage, Shapefile, KML, XLSX,
CSV), PostGIS, spreadsheets that never hold formulas, and writing folders atomically.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RegisterPreview", "preview_register"]


def __getattr__(name: str) -> Any:
    """``preview_register`` and ``RegisterPreview`` from `hepinggis.io.preview`, imported on first
    use (so that ``import hepinggis.base.coords`` stays light)."""
    if name in __all__:
        from hepinggis.io import preview

        return getattr(preview, name)
    raise AttributeError(f"module 'hepinggis.io' has no attribute {name!r}")
