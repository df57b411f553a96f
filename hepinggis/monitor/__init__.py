"""Monitoring the plan every year (规划实施监测评估): the targets as indicators, the figures a
bureau enters, the verdicts, project changes, and the package of maps, PDFs and workbook.

>>> from hepinggis.monitor import monitor, monitor_map, STATUS_ZH
>>> STATUS_ZH["achieved_early"]
'提前达成'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hepinggis.monitor.package import STATUS_COLORS, STATUS_ZH, monitor, monitor_map, monitor_pdf

__all__ = ["STATUS_COLORS", "STATUS_ZH", "monitor", "monitor_map", "monitor_pdf"]


def __getattr__(name: str) -> Any:
    # Loaded on first use (PEP 562): the stage's helper modules (e.g. the styles the analysis
    # modules share) import without pulling in the whole monitor stage, which would be circular.
    if name in __all__:
        return getattr(import_module("hepinggis.monitor.package"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
