"""hepinggis: the spatial plan of Heping District (和平区), Shenyang, as GIS layers, analysis and maps.

>>> import hepinggis
>>> zones = hepinggis.load("zones")
>>> len(zones)
6
"""

import sys as _sys

from hepinggis import errors
from hepinggis.analysis import projects
from hepinggis.analysis.apportion import apportion_to_zones
from hepinggis.analysis.assign import projects_by_jiedao, projects_by_zone, projects_outside, zone_of, zone_shares
from hepinggis.analysis.corridor import along_axis, in_belt
from hepinggis.analysis.measure import (
    MEASURE_CRS,
    geodesic_area,
    geodesic_length,
    planar_area,
    planar_length,
    projected_area,
    projected_length,
)
from hepinggis.analysis.overlap import overlap_analysis, overlap_matrix
from hepinggis.analysis.points import count_points_by_zone, count_points_in_parquet
from hepinggis.analysis.projects import prepare_projects
from hepinggis.build import build
from hepinggis.io import coords, postgis
from hepinggis.io.exchange import export, read_export
from hepinggis.io.importer import ImportResult, read_projects
from hepinggis.monitor.changes import project_changes
from hepinggis.monitor.evaluate import evaluate, zone_summary
from hepinggis.monitor.indicators import ActualsResult, indicators, read_actuals, write_template
from hepinggis.plan._layer_source import use_layers
from hepinggis.plan.adopt import adopt
from hepinggis.plan.check import CheckReport, check
from hepinggis.plan.layers import layer_path, layers, load
from hepinggis.stats import stats_tables, write_stats

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
    "projects_by_jiedao",
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

# ``import hepinggis.coords`` (and postgis, projects) keeps working as before the stages became
# sub-packages: these three modules were public at the top and are exported above.
for _name, _module in (("coords", coords), ("postgis", postgis), ("projects", projects)):
    _sys.modules.setdefault(f"{__name__}.{_name}", _module)
del _name, _module
