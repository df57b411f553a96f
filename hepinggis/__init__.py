"""hepinggis: the spatial plan of Heping District (和平区), Shenyang, as GIS layers, analysis and maps.

>>> import hepinggis
>>> zones = hepinggis.load("zones")
>>> len(zones)
6
"""

from . import coords, errors
from .check import CheckReport, check
from .importer import ImportResult, read_projects
from .layers import layer_path, layers, load
from .measure import MEASURE_CRS, geodesic_area, geodesic_length, projected_area, projected_length

__all__ = [
    "MEASURE_CRS",
    "CheckReport",
    "ImportResult",
    "check",
    "coords",
    "errors",
    "geodesic_area",
    "geodesic_length",
    "layer_path",
    "layers",
    "load",
    "projected_area",
    "projected_length",
    "read_projects",
]

__version__ = "0.1.0"
