"""HTML pieces the monitoring maps' panels (`hepinggis.monitor._maps`) and the package's index page
(`hepinggis.monitor._index`) share: the status word on its colour, the figure line, the plan's
words. Without folium, so that the index can be written where the PDFs are (a process that never
loads folium)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from hepinggis.monitor._targets import indicator_record
from hepinggis.monitor._words import STATUS_COLORS, STATUS_TEXT, STATUS_ZH, figure_parts, fmt_pct
from hepinggis.monitor.evaluate import JUDGED

__all__ = ["esc"]


def esc(value: object) -> str:
    """HTML-escape any user value (None becomes an empty string), as `hepinggis.maps._leaflet.esc`
    (which cannot be imported without folium)."""
    return "" if value is None else html.escape(str(value), quote=True)


def _chip(status: str) -> str:
    """The status word on its colour (contrast ≥ 4.5:1, see `STATUS_TEXT`)."""
    return (
        f'<span class="hg-status" style="background:{STATUS_COLORS[status]};color:{STATUS_TEXT[status]}">'
        f"{esc(STATUS_ZH[status])}</span>"
    )


def _figure_line(r: Mapping[str, Any]) -> str:
    """The figure judged, the requirement now and in 2025, the progress — rounded to the unit."""
    if r["status"] in ("qualitative", "no_data") or pd.isna(r["latest"]):
        return ""
    parts = figure_parts(r)
    if pd.notna(r["required"]) and pd.notna(r["progress_pct"]) and r["status"] in JUDGED:
        parts.append(f"进度 {fmt_pct(r['progress_pct'])}")
    return "；".join(parts)


def _plan_words(iid: str) -> tuple[str, str]:
    ind = indicator_record(iid)
    return str(ind["quote"]), str(ind["plan_section"])
