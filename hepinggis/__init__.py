"""hepinggis: the spatial plan of Heping District (和平区), Shenyang, as GIS layers, analysis and maps.

>>> import hepinggis
>>> zones = hepinggis.load("zones")
>>> len(zones)
6
"""

import importlib as _importlib
from typing import TYPE_CHECKING, Any

# Lazy: ``import hepinggis`` costs little more than geopandas. Each name of ``__all__`` is imported
# from its module on first use (PEP 562), so the CLI's ``--help`` and a script that needs only
# ``load`` never pull matplotlib, folium, sklearn, scipy, pyarrow or openpyxl. The map below is
# the one place that says where a public name lives; the block under TYPE_CHECKING says the same
# for type checkers and editors (a test checks the two agree).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "hepinggis.analysis.apportion": ("apportion_to_zones",),
    "hepinggis.analysis.assign": ("projects_by_zone", "projects_outside", "zone_of", "zone_shares"),
    "hepinggis.analysis.corridor": ("along_axis", "in_belt"),
    "hepinggis.base.measure": (
        "MEASURE_CRS",
        "geodesic_area",
        "geodesic_length",
        "planar_area",
        "planar_length",
        "projected_area",
        "projected_length",
    ),
    "hepinggis.analysis.overlap": ("overlap_analysis", "overlap_matrix"),
    "hepinggis.analysis.points": ("count_points_by_zone", "count_points_in_parquet"),
    "hepinggis.analysis.projects": ("prepare_projects",),
    "hepinggis.briefing": ("build",),
    "hepinggis.io._staging": ("verify_package",),
    "hepinggis.io.exchange": ("export", "read_export"),
    "hepinggis.io.importer": ("ImportResult", "read_projects"),
    "hepinggis.monitor.changes": ("compare_registers", "project_changes"),
    "hepinggis.analysis.identity": ("match_projects",),
    "hepinggis.monitor.evaluate": ("evaluate", "zone_summary"),
    "hepinggis.monitor.indicators": ("ActualsResult", "indicators", "read_actuals", "write_template"),
    "hepinggis.base._layer_source": ("use_boundaries",),
    "hepinggis.plan.by_jiedao": ("projects_by_jiedao",),
    "hepinggis.io.adopt": ("adopt",),
    "hepinggis.plan.check": ("CheckReport", "check"),
    "hepinggis.plan.layers": ("layer_path", "layers", "load"),
    "hepinggis.stats": ("stats_tables", "write_stats"),
}
#: Public modules: ``hepinggis.errors``, and three that were public at the top before the stages
#: became sub-packages (``hepinggis/coords.py`` … re-export ``hepinggis.base.coords`` …).
_MODULES = {
    "errors": "hepinggis.errors",
    "coords": "hepinggis.coords",
    "postgis": "hepinggis.postgis",
    "projects": "hepinggis.projects",
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
#: Old names kept one release (issue 38, item 4): they warn when called, and are not in ``__all__``.
_DEPRECATED = {"use_layers": "hepinggis.base._layer_source"}

if TYPE_CHECKING:
    from hepinggis import coords, errors, postgis, projects
    from hepinggis.analysis.apportion import apportion_to_zones
    from hepinggis.analysis.assign import projects_by_zone, projects_outside, zone_of, zone_shares
    from hepinggis.analysis.corridor import along_axis, in_belt
    from hepinggis.analysis.identity import match_projects
    from hepinggis.analysis.overlap import overlap_analysis, overlap_matrix
    from hepinggis.analysis.points import count_points_by_zone, count_points_in_parquet
    from hepinggis.analysis.projects import prepare_projects
    from hepinggis.base._layer_source import use_boundaries
    from hepinggis.base.measure import (
        MEASURE_CRS,
        geodesic_area,
        geodesic_length,
        planar_area,
        planar_length,
        projected_area,
        projected_length,
    )
    from hepinggis.briefing import build
    from hepinggis.io._staging import verify_package
    from hepinggis.io.adopt import adopt
    from hepinggis.io.exchange import export, read_export
    from hepinggis.io.importer import ImportResult, read_projects
    from hepinggis.monitor.changes import compare_registers, project_changes
    from hepinggis.monitor.evaluate import evaluate, zone_summary
    from hepinggis.monitor.indicators import ActualsResult, indicators, read_actuals, write_template
    from hepinggis.plan.by_jiedao import projects_by_jiedao
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
    "compare_registers",
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
    "match_projects",
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
    "use_boundaries",
    "verify_package",
    "write_stats",
    "write_template",
    "zone_of",
    "zone_shares",
    "zone_summary",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = _importlib.import_module(_MODULES[name])
    elif name in _WHERE:
        value = getattr(_importlib.import_module(_WHERE[name]), name)
    elif name in _DEPRECATED:
        value = getattr(_importlib.import_module(_DEPRECATED[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
