"""Adopting a bureau's own boundaries: a foreign file (typically a CGCS2000 Gauss-Krüger Shapefile
with GBK attributes, Chinese names and no ids) brought into a layer's schema and written to a
GeoPackage of adopted layers, which every command then uses (``--layers``, `use_layers`).

Each feature is matched to the bundled one by its name (full or short, with or without 街道 /
集聚区 / 示范区), keeps the bundled attributes (四至, 2025 targets, planned area …) on the new
geometry, and records the file and the day as its provenance. The geometry is checked as `check`
does: valid, polygons, no overlaps, no holes between features; where the district is adopted too,
the features must tile it within `TILING_TOLERANCE_M2`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from hepinggis.analysis.measure import MEASURE_CRS
from hepinggis.errors import HepingGISError
from hepinggis.io._tables import ImportFileError, read_raw
from hepinggis.maps._qgis import write_layer_styles
from hepinggis.maps._style import ZONE_SHORT_ZH
from hepinggis.plan._layer_source import ADOPTABLE, adopted_names
from hepinggis.plan.layers import load

__all__ = ["NAME_COLUMNS", "SUFFIXES", "TILING_TOLERANCE_M2", "AdoptError", "adopt"]

#: A gap, an overlap or a piece outside the district larger than this (m²) refuses the file.
TILING_TOLERANCE_M2 = 1000.0
#: Name suffixes that official names carry or leave out, longest first.
SUFFIXES: tuple[str, ...] = (
    "街道办事处",
    "民族民俗产业集聚区",
    "历史文化产业集聚区",
    "商贸金融产业集聚区",
    "科技文化融合示范区",
    "高端商务商业集聚区",
    "国际化生态科技示范区",
    "产业集聚区",
    "集聚区",
    "示范区",
    "功能区",
    "街道",
)
#: Columns looked for, in this order, for the names when ``name_col`` is not given.
NAME_COLUMNS: tuple[str, ...] = (
    "name_zh",
    "名称",
    "NAME",
    "Name",
    "name",
    "街道名称",
    "功能区名称",
    "区名",
    "MC",
    "JDMC",
)
_CRS_NAMES = {"wgs84": 4326, "cgcs2000": 4490}


class AdoptError(HepingGISError):
    """A file that cannot be adopted: names that do not match, a missing CRS, broken geometry."""


def _key(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _keys(text: object) -> set[str]:
    """A name and its forms without the usual suffixes: 新华街道 → {新华街道, 新华}."""
    key = _key(text)
    out = {key}
    for suffix in SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            out.add(key[: -len(suffix)])
    return out


def _bundled_keys(row: pd.Series) -> set[str]:
    keys = _keys(row["name_zh"]) | {_key(row["id"])}
    if row["id"] in ZONE_SHORT_ZH:
        keys |= _keys(ZONE_SHORT_ZH[row["id"]])
    return keys


def _read(path: Path, layer: str | None, encoding: str | None) -> tuple[pd.DataFrame, gpd.GeoSeries, str | None]:
    try:
        raw = read_raw(path, encoding=encoding, layer=layer)
    except ImportFileError as exc:
        raise AdoptError(str(exc)) from exc
    if raw.geometry is None:
        raise AdoptError(f"{path}: no geometry; adopt a Shapefile, GeoPackage or GeoJSON of polygons")
    return raw.frame, raw.geometry, raw.file_crs


def _source_crs(path: Path, file_crs: str | None, crs: str | int | None, geoms: gpd.GeoSeries) -> CRS:
    if crs is not None:
        key = str(crs).strip().lower()
        chosen = CRS.from_epsg(_CRS_NAMES[key]) if key in _CRS_NAMES else CRS.from_user_input(crs)
    elif file_crs is not None:
        chosen = CRS.from_user_input(file_crs)
    else:
        raise AdoptError(
            f"{path}: the file has no coordinate system (.prj missing); pass --crs (e.g. EPSG:4550 for "
            "CGCS2000 / 3-degree Gauss-Krüger CM 123°E, EPSG:4529 with the zone number 41 in front)"
        )
    minx = float(np.nanmin(shapely.bounds(geoms.values)[:, 0]))
    epsg = chosen.to_epsg()
    if epsg == 4550 and minx > 41_000_000:
        raise AdoptError(f"{path}: eastings carry the zone number 41 ({minx:.0f}): these are EPSG:4529, not 4550")
    if epsg == 4529 and 0 < minx < 1_000_000:
        raise AdoptError(f"{path}: eastings have no zone number ({minx:.0f}): these are EPSG:4550, not 4529")
    return chosen


def _names(path: Path, frame: pd.DataFrame, name_col: str | None) -> pd.Series:
    if name_col is not None:
        if name_col not in frame.columns:
            raise AdoptError(f"{path}: no column {name_col!r} (columns: {', '.join(map(str, frame.columns))})")
        return frame[name_col].astype(str).str.strip()
    found = next((c for c in NAME_COLUMNS if c in frame.columns), None)
    if found is None:
        raise AdoptError(
            f"{path}: no name column ({' / '.join(NAME_COLUMNS)}) among {', '.join(map(str, frame.columns))}; "
            "pass --name-col"
        )
    return frame[found].astype(str).str.strip()


def _match(path: Path, names: pd.Series, bundled: gpd.GeoDataFrame, as_layer: str) -> list[int]:
    """For each feature of the file, the row of the bundled feature it names."""
    if as_layer == "district":
        if len(names) != 1:
            raise AdoptError(f"{path}: the district is one feature; the file has {len(names)}")
        return [0]
    keys = [_bundled_keys(row) for _, row in bundled.iterrows()]
    candidates = "、".join(bundled["name_zh"])
    rows: list[int] = []
    for k, name in enumerate(names, start=1):
        hits = [i for i, ks in enumerate(keys) if _keys(name) & ks]
        if len(hits) != 1:
            why = "matches none" if not hits else f"matches several ({'、'.join(bundled['name_zh'].iloc[hits])})"
            raise AdoptError(f"{path}: feature {k} ({name!r}) {why} of the {as_layer}: {candidates}")
        rows.append(hits[0])
    seen: dict[int, int] = {}
    for k, row in enumerate(rows, start=1):
        if row in seen:
            raise AdoptError(
                f"{path}: features {seen[row]} and {k} both name {bundled['name_zh'].iloc[row]}; "
                "merge them into one (multi)polygon or fix the names"
            )
        seen[row] = k
    missing = [bundled["name_zh"].iloc[i] for i in range(len(bundled)) if i not in seen]
    if missing:
        raise AdoptError(f"{path}: no feature for {'、'.join(missing)}; the {as_layer} must be adopted whole")
    return rows


def _check_geometry(path: Path, frame: gpd.GeoDataFrame, district: gpd.GeoDataFrame | None) -> None:
    """Valid polygons, no overlaps, no holes between them; tiling ``district`` if given."""
    for k, (name, geom) in enumerate(zip(frame["name_zh"], frame.geometry.values, strict=True), start=1):
        if geom is None or geom.is_empty:
            raise AdoptError(f"{path}: feature {k} ({name}) has no geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise AdoptError(f"{path}: feature {k} ({name}) is a {geom.geom_type}; polygons are needed")
        if not geom.is_valid:
            raise AdoptError(
                f"{path}: feature {k} ({name}) is invalid: {shapely.is_valid_reason(geom)} (fix it in QGIS: "
                "Vector › Geometry Tools › Fix Geometries, or Check Validity)"
            )
    metric = frame.to_crs(MEASURE_CRS)
    geoms = metric.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i < j:
            area = shapely.area(shapely.intersection(geoms[i], geoms[j]))
            if area > TILING_TOLERANCE_M2:
                raise AdoptError(
                    f"{path}: features {frame['name_zh'].iloc[i]} and {frame['name_zh'].iloc[j]} overlap by "
                    f"{area:,.0f} m² (more than {TILING_TOLERANCE_M2:,.0f} m²)"
                )
    union = shapely.union_all(geoms)
    holes = [shapely.Polygon(r) for p in shapely.get_parts(union) for r in p.interiors]
    big = [h for h in holes if h.area > TILING_TOLERANCE_M2]
    if big:
        where = gpd.GeoSeries([big[0].representative_point()], crs=MEASURE_CRS).to_crs(4326).iloc[0]
        raise AdoptError(
            f"{path}: a gap of {big[0].area:,.0f} m² lies between the features near "
            f"({where.x:.5f}, {where.y:.5f}); the {len(frame)} features must tile without gaps"
        )
    if district is not None:
        outline = district.to_crs(MEASURE_CRS).geometry.union_all()
        for label, piece in (
            ("uncovered", outline.difference(union)),
            ("outside the district", union.difference(outline)),
        ):
            if piece.area > TILING_TOLERANCE_M2:
                where = gpd.GeoSeries([piece.representative_point()], crs=MEASURE_CRS).to_crs(4326).iloc[0]
                raise AdoptError(
                    f"{path}: {piece.area:,.0f} m² of the adopted district is {label} by the features, near "
                    f"({where.x:.5f}, {where.y:.5f}); tolerance {TILING_TOLERANCE_M2:,.0f} m²"
                )


def adopt(
    file: str | Path,
    *,
    as_layer: str,
    out: str | Path,
    name_col: str | None = None,
    crs: str | int | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    accuracy_m: float = 1.0,
    when: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """Bring ``file`` into the schema of ``as_layer`` and write it to the GeoPackage ``out``.

    Parameters
    ----------
    file : path
        Shapefile, GeoPackage (``layer`` names the table where it has several) or GeoJSON.
    as_layer : str
        ``zones``, ``jiedao`` or ``district``.
    out : path
        The GeoPackage of adopted layers; the table ``as_layer`` is added or replaced, the others
        are kept (several calls build it up). Written atomically, with QGIS styles.
    name_col, crs, encoding : optional
        The names' column, the coordinate system where the file has no ``.prj`` (or a wrong one),
        the attribute encoding (default: the ``.cpg``, else detected: UTF-8 or GBK).
    accuracy_m : float
        The accuracy stated for the official boundaries (default 1 m).

    Returns
    -------
    geopandas.GeoDataFrame
        The adopted layer as written (EPSG:4326, the bundled attributes, ``adopted_from`` and
        ``adopted_on``).

    Raises
    ------
    AdoptError
        An unmatched or repeated name (listing the candidates), a missing CRS, an invalid or
        non-polygon feature, overlaps, gaps (each naming the feature); nothing is written then.
    """
    path = Path(file)
    if as_layer not in ADOPTABLE:
        raise AdoptError(f"--as must be one of {', '.join(ADOPTABLE)}, not {as_layer!r}")
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise AdoptError(f"{out}: the adopted layers go into a GeoPackage (.gpkg)")
    frame, geoms, file_crs = _read(path, layer, encoding)
    source_crs = _source_crs(path, file_crs, crs, geoms)
    geoms = gpd.GeoSeries(shapely.force_2d(geoms.values), crs=source_crs).to_crs(4326)
    bundled = _bundled(as_layer)
    rows = _match(path, _names(path, frame, name_col), bundled, as_layer)
    order = np.argsort(rows)
    adopted = gpd.GeoDataFrame(
        bundled.drop(columns="geometry").iloc[[rows[k] for k in order]].reset_index(drop=True),
        geometry=list(geoms.values[order]),
        crs=4326,
    )
    adopted["source"] = f"{path.name}（采用）"
    adopted["method"] = "adopted"
    adopted["accuracy_m"] = float(accuracy_m)
    adopted["adopted_from"] = path.name
    adopted["adopted_on"] = (when or dt.date.today()).isoformat()
    district = None
    if as_layer != "district" and out.is_file() and "district" in adopted_names(out):
        district = load("district", layers=out)
    _check_geometry(path, adopted, district)
    _write(adopted, as_layer, out)
    return adopted


def _bundled(name: str) -> gpd.GeoDataFrame:
    from hepinggis.plan._layer_source import use_layers

    with use_layers(None):  # match against the bundled features, whatever is in use
        return load(name)


def _write(frame: gpd.GeoDataFrame, name: str, out: Path) -> None:
    """Add or replace table ``name`` in ``out``: on a copy beside it, swapped in when written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if out.is_file():
            shutil.copyfile(out, tmp)
            keep = [n for n in adopted_names(tmp) if n != name]
            others = {n: gpd.read_file(tmp, layer=n, engine="pyogrio") for n in keep}
            tmp.unlink()
        else:
            tmp.unlink()
            others = {}
        for n, f in {**others, name: frame}.items():
            pyogrio.write_dataframe(f, tmp, layer=n, driver="GPKG")
        write_layer_styles(tmp, [*others, name])
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
