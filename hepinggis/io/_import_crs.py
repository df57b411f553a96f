"""Which coordinate system an import's coordinates are in: the one given, else a GIS file's own
or what a table's header or the lines above it state (said in the report); never guessed — a
table that states none is refused with a proposal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyproj import CRS

from hepinggis.base.coords import SUPPORTED_CRS
from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._crs_hint import crs_from_text, metres_hint, near_tie, propose_crs
from hepinggis.io._prepare import Prepared, frame_positions


def _file_crs_name(file_crs: str | None) -> str | None:
    if file_crs is None:
        return None
    crs = CRS.from_user_input(file_crs)
    if len(crs.axis_info) == 3 and hasattr(crs, "to_2d"):  # 3-D (e.g. EPSG:4979): the same datum in 2-D
        crs = crs.to_2d()
    epsg = crs.to_epsg()
    known = {4326: "wgs84", 4490: "cgcs2000", 4550: "EPSG:4550", 4529: "EPSG:4529", 3857: "EPSG:3857"}
    if epsg not in known:
        raise ImportFileError(Said("crs_file_unsupported", name=crs.name, codes=list(SUPPORTED_CRS)))
    return known[epsg]


def _tabular_crs(path: Path, prepared: Prepared, declared: str | None) -> str:
    """The CRS of a table's coordinates: the one given, else the one its header or the lines above
    it state (said in the report); else an error proposing the system that puts most rows inside
    the district."""
    raw, cols = prepared.raw, prepared.cols
    labels: list[str] = []
    for role in ("x", "y", "xy"):
        if role in cols and cols[role] in raw.frame.columns:
            k = list(raw.frame.columns).index(cols[role])
            labels += raw.levels[k] if k < len(raw.levels) else [cols[role]]
    hint = crs_from_text([*labels, *raw.title_lines])
    if declared is not None and hint is None:  # the system given, none stated: no number to look at
        prepared.notes.append(Said("crs_declared", crs=declared))
        return declared
    xs, ys = frame_positions(raw.frame, cols)
    if declared is not None:
        if hint is not None and metres_hint(hint[0], xs) not in (declared, "cgcs2000" if declared == "wgs84" else ""):
            stated = metres_hint(hint[0], xs)
            prepared.notes.append(Said("crs_declared_differs", text=hint[1], stated=stated, crs=declared))
        else:
            prepared.notes.append(Said("crs_declared", crs=declared))
        return declared
    if hint is not None:
        chosen = metres_hint(hint[0], xs)
        prepared.notes.append(Said("crs_from_header", text=hint[1], crs=chosen))
        return chosen
    best, counts = propose_crs(xs, ys)
    n = int((np.isfinite(xs) & np.isfinite(ys)).sum())
    tied = near_tie(counts, n)
    proposal: str = (
        Said("crs_cannot_tell", counts=counts, n=n, tied=tied)
        if tied
        else Said("crs_proposal", counts=counts, n=n, best=best)
        if best
        else ""
    )
    raise ImportFileError(Said("crs_required_table", path=path, proposal=proposal))
