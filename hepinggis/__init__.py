"""hepinggis: the spatial plan of Heping District (和平区), Shenyang, as GIS layers, analysis and maps.

>>> import hepinggis
>>> zones = hepinggis.load("zones")
>>> len(zones)
6
"""

from . import coords, errors, postgis, projects
from ._layer_source import use_layers
from .adopt import adopt
from .apportion import apportion_to_zones
from .assign import projects_by_zone, projects_outside, zone_of, zone_shares
from .build import build
from .changes import project_changes
from .check import CheckReport, check
from .corridor import along_axis, in_belt
from .evaluate import evaluate, zone_summary
from .exchange import export, read_export
from .importer import ImportResult, read_projects
from .indicators import ActualsResult, indicators, read_actuals, write_template
from .layers import layer_path, layers, load
from .measure import (
    MEASURE_CRS,
    geodesic_area,
    geodesic_length,
    planar_area,
    planar_length,
    projected_area,
    projected_length,
)
from .overlap import overlap_analysis, overlap_matrix
from .points import count_points_by_zone, count_points_in_parquet
from .projects import prepare_projects
from .stats import stats_tables, write_stats

__all__ = [
    "MEASURE_CRS",
    "ActualsResult",
    "CheckReport",
    "ImportResult",
    "adopt",
    "along_axis",
    "apportion_to_zones",
    "build",
    "check",
    "coords",
    "count_points_by_zone",
    "count_points_in_parquet",
    "errors",
    "evaluate",
    "export",
    "geodesic_area",
    "geodesic_length",
    "in_belt",
    "indicators",
    "layer_path",
    "layers",
    "load",
    "overlap_analysis",
    "overlap_matrix",
    "planar_area",
    "planar_length",
    "postgis",
    "prepare_projects",
    "project_changes",
    "projected_area",
    "projected_length",
    "projects",
    "projects_by_zone",
    "projects_outside",
    "read_actuals",
    "read_export",
    "read_projects",
    "stats_tables",
    "use_layers",
    "write_stats",
    "write_template",
    "zone_of",
    "zone_shares",
    "zone_summary",
]

__version__ = "0.1.0"
