"""An adopted layer written (`hepinggis.io.adopt`): its provenance (the original file kept when
an adopted layer edited in QGIS is adopted again), the table added to or replaced in the
GeoPackage on a copy beside it, with QGIS styles, recorded as a version with what changed against
the layer in force (`hepinggis.io._adopt_history`), and swapped in."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from hepinggis.base._layer_source import ADOPTABLE, adopted_names
from hepinggis.base._qgis import write_layer_styles
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.io._adopt_history import record_version
from hepinggis.io._adopt_names import _bundled
from hepinggis.plan._tiling import safe_overlay
from hepinggis.plan.layers import load

__all__ = ["_provenance", "_write"]


def _provenance(frame: pd.DataFrame, rows_order: list[int], name: str, day: str) -> tuple[list[str], list[str]]:
    """``adopted_from`` and ``source`` per feature: the original file is kept when the file is an
    adopted layer edited (in QGIS) and adopted again."""
    if "adopted_from" in frame.columns:
        original = [str(frame["adopted_from"].iloc[k]) for k in rows_order]
        before = (
            [str(frame["adopted_on"].iloc[k]) for k in rows_order]
            if "adopted_on" in frame.columns
            else [""] * len(rows_order)
        )
        source = [
            f"{o}（{b} 采用；{day} 经 {name} 修改后再次采用）" if o != name else f"{o}（采用）"
            for o, b in zip(original, before, strict=True)
        ]
        return original, source
    return [name] * len(rows_order), [f"{name}（采用）"] * len(rows_order)


def _write_to(frame: gpd.GeoDataFrame, name: str, out: Path, tmp: Path) -> None:
    """``out`` (if any) with table ``name`` added or replaced, written to ``tmp``."""
    if out.is_file():
        shutil.copyfile(out, tmp)
        keep = [n for n in adopted_names(tmp) if n != name]
        others = {n: gpd.read_file(tmp, layer=n, engine="pyogrio") for n in keep}
        tmp.unlink()
    else:
        tmp.unlink(missing_ok=True)
        others = {}
    for n, f in {**others, name: frame}.items():
        pyogrio.write_dataframe(f, tmp, layer=n, driver="GPKG")
    write_layer_styles(tmp, [*others, name])


def _changes(frame: gpd.GeoDataFrame, name: str, out: Path) -> list[str]:
    """What the adoption changes against the layer in force (adopted before, else bundled)."""
    before = load(name, boundaries=out) if out.is_file() and name in adopted_names(out) else _bundled(name)
    was = "上一版" if out.is_file() and name in adopted_names(out) else "随包边界"
    old = before.set_index("id").to_crs(MEASURE_CRS).geometry
    new = frame.set_index("id").to_crs(MEASURE_CRS).geometry
    lines = []
    for fid in new.index:
        if fid not in old.index:
            continue
        a, b = old.loc[fid], new.loc[fid]
        diff = float(safe_overlay(shapely.symmetric_difference, a, b, grid=1e-3).area)
        if diff >= 1.0:
            label = frame.set_index("id").loc[fid, "name_zh"]
            lines.append(f"{label} 面积 {(b.area - a.area) / 1e6:+.4f} km²（变动 {diff / 1e6:.4f} km²）")
    head = f"采用{ADOPTABLE[name]}（{len(frame)} 个要素），与{was}相比"
    return [head + ("：" + "；".join(lines) if lines else "没有变化")]


def _write(
    frame: gpd.GeoDataFrame, name: str, out: Path, *, file: str, sha256: str, who: str | None, notes: list[str]
) -> dict[str, Any]:
    """Add or replace table ``name`` in ``out``: on a copy beside it, kept as a version, swapped in."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        changes = _changes(frame, name, out) + notes
        _write_to(frame, name, out, tmp)
        entry = record_version(out, tmp, layer=name, file=file, sha256=sha256, changes=changes, who=who)
        os.replace(tmp, out)
        return entry
    finally:
        tmp.unlink(missing_ok=True)
