"""hepinggis: the spatial plan of Heping District (和平区), Shenyang, as GIS layers, analysis and maps.

>>> import hepinggis
>>> zones = hepinggis.load("zones")
>>> len(zones)
6
"""

from . import errors
from .check import CheckReport, check
from .layers import layer_path, layers, load
from .measure import MEASURE_CRS, geodesic_area, geodesic_length, projected_area, projected_length

__all__ = [
    "MEASURE_CRS",
    "CheckReport",
    "check",
    "errors",
    "geodesic_area",
    "geodesic_length",
    "layer_path",
    "layers",
    "load",
    "projected_area",
    "projected_length",
]

__version__ = "0.1.0"
