"""``hepinggis import --out FILE``: the imported projects written through the checked, atomic
export (`hepinggis.io.exchange.export`), in the format the suffix names; or as a CSV of attributes
with each project's representative longitude/latitude."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hepinggis.errors import ExportError, HepingGISError
from hepinggis.io._sheets import write_csv
from hepinggis.io.exchange import export

__all__ = ["SUFFIXES", "write_imported"]

#: Output suffix → export format ("csv": attributes with lon/lat, written here).
SUFFIXES: dict[str, str] = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shp",
    ".kml": "kml",
    ".xlsx": "xlsx",
    ".csv": "csv",
}
_SINGLE = {"gpkg", "xlsx"}


def write_imported(projects: gpd.GeoDataFrame, out: str | Path, *, encoding: str = "UTF-8") -> Path:
    """Write imported projects to ``out`` (format from its suffix); the file appears whole or not at
    all. An unknown suffix, or a folder at ``out``, is refused before anything is written."""
    out = Path(out)
    fmt = SUFFIXES.get(out.suffix.lower())
    if fmt is None:
        raise ExportError(
            f"{out}: unknown output type {out.suffix or '(no suffix)'!r}; use one of {', '.join(SUFFIXES)}"
        )
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name ending in {out.suffix}")
    if projects.empty:
        raise HepingGISError(f"no row was imported, so there is nothing to write to {out}")
    if fmt in _SINGLE:
        return export(out, fmt=fmt, names=["projects"], projects=projects)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        if fmt == "csv":
            staged = write_csv(_attribute_table(projects), Path(tmp) / out.name)
            os.replace(staged, out)
            return out
        folder = export(Path(tmp) / "export", fmt=fmt, names=["projects"], projects=projects, encoding=encoding)
        files = sorted(p for p in folder.iterdir() if p.is_file())
        for path in files:  # projects.shp/.dbf/… (or projects_point.shp … where kinds mix) → out's name
            target = out.with_name(path.name.replace("projects", out.stem, 1))
            shutil.move(str(path), str(target.with_suffix(".partial" + target.suffix)))
        for path in files:
            target = out.with_name(path.name.replace("projects", out.stem, 1))
            os.replace(target.with_suffix(".partial" + target.suffix), target)
    return out


def _attribute_table(projects: gpd.GeoDataFrame) -> pd.DataFrame:
    points = projects.to_crs(4326).geometry.representative_point()
    table = pd.DataFrame(projects.drop(columns=projects.geometry.name))
    table["lon_wgs84"], table["lat_wgs84"] = points.x.round(7).to_numpy(), points.y.round(7).to_numpy()
    return table
