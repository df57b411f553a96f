"""Exporting the layers for QGIS, CAD, Google Earth/奥维 and Excel: atomic, verified, nothing lost.

Every export is written next to its target under a temporary name, read back and compared with
what was meant to be written (feature count, every attribute value, geometry within the format's
precision), and only then moved into place; a failed or interrupted export leaves the previous
good file untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis.analysis.projects import prepare_projects
from hepinggis.base._catalogue import LayerSpec, catalogue
from hepinggis.base._qgis import write_layer_styles
from hepinggis.base._renamed import renamed
from hepinggis.errors import ExportError
from hepinggis.io._sheets import write_workbook
from hepinggis.plan.layers import load

__all__ = ["FORMATS", "ExportError", "export", "read_export", "shapefile_fields"]

#: format name -> whether the export is one file (True) or a folder of files (False)
FORMATS: dict[str, bool] = {"gpkg": True, "xlsx": True, "shp": False, "geojson": False, "kml": False}
_PROJECTED_OK = {"gpkg", "shp"}
_TOLERANCE = {"EPSG:4326": 1e-7, "EPSG:4550": 0.01, "EPSG:4529": 0.01}


@lru_cache(maxsize=1)
def shapefile_fields() -> dict[str, str]:
    """Layer field -> Shapefile field name (at most 10 characters); see shapefile_fields.json."""
    text = resources.files("hepinggis.io").joinpath("shapefile_fields.json").read_text(encoding="utf-8")
    fields: dict[str, str] = json.loads(text)["fields"]
    return fields


def _layers(names: Iterable[str] | None) -> dict[str, gpd.GeoDataFrame]:
    names = list(names) if names is not None else list(catalogue())
    return {n: load(n) for n in names}


def _spec(name: str) -> LayerSpec:
    return catalogue()[name]


# --- Shapefile: short names, long text in continuation fields, one file per geometry kind ---------


def _pieces(text: str, encoding: str, limit: int = 254) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` encoded bytes. dBASE readers strip blanks at
    both ends of a value, so a cut never falls next to whitespace: it moves back into a word."""
    out: list[str] = []
    current, size = "", 0
    for ch in text:
        n = len(ch.encode(encoding))
        if size + n > limit:
            k = len(current)
            while k > len(current) - 60 and k > 1 and (current[k - 1].isspace() or (current + ch)[k].isspace()):
                k -= 1
            if current[k - 1].isspace() or (current + ch)[k].isspace():
                raise ExportError(f"cannot split a long text for a Shapefile without losing blanks: {text[:40]!r}…")
            out.append(current[:k])
            current = current[k:]
            size = len(current.encode(encoding))
        current += ch
        size += n
    out.append(current)
    return out


def _is_text(values: pd.Series) -> bool:
    return bool(pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values))


def _kind(geom_type: str) -> str:
    return {"Point": "point", "MultiPoint": "point", "LineString": "line", "MultiLineString": "line"}.get(
        geom_type, "polygon"
    )


def _continuation(short: str, n: int) -> str:
    """The name of the ``n``-th piece (n >= 2) of a long text: the short name cut so that name and
    number fit dBASE's 10 characters (src_quote2 … src_quote9, src_quot10 … src_quo100)."""
    return f"{short[: 10 - len(str(n))]}{n}"


def _to_shapefile_frame(frame: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    names = shapefile_fields()
    columns: dict[str, object] = {}
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        short = names.get(col)
        if short is None:
            raise ExportError(f"field {col!r} has no Shapefile name in shapefile_fields.json")
        values = frame[col]
        if _is_text(values):
            parts = [_pieces(v, encoding) if isinstance(v, str) else [v] for v in values]
            for k in range(max(len(p) for p in parts)):
                key = short if k == 0 else _continuation(short, k + 1)
                columns[key] = [p[k] if k < len(p) else None for p in parts]
        else:
            columns[short] = values.to_numpy()
    return gpd.GeoDataFrame(columns, geometry=frame.geometry.values, crs=frame.crs)


def _from_shapefile_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    back = {v: k for k, v in shapefile_fields().items()}
    out: dict[str, object] = {}
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        if col in back:
            out[back[col]] = frame[col].to_numpy(dtype=object).copy()
    pieces: list[tuple[int, str, str]] = []
    for col in frame.columns:
        if col in back or col == frame.geometry.name:
            continue
        match = re.fullmatch(r"(.*?)(\d+)", col)
        if match is None:
            continue
        n = int(match.group(2))
        base = next((s for s in back if _continuation(s, n) == col), None)
        if base is not None:
            pieces.append((n, col, back[base]))
    for _n, col, full in sorted(pieces):  # numeric order: 2, 3 … 10, 11
        current = out[full]
        assert isinstance(current, np.ndarray)
        extra = frame[col].to_numpy(dtype=object)
        for i, piece in enumerate(extra):
            if isinstance(piece, str) and piece:
                current[i] = (current[i] or "") + piece
    return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=frame.crs)


# --- writing each format into a folder ----------------------------------------------------------


def _write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    for name, frame in layers.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _write_geojson(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> None:
    for name, frame in layers.items():
        frame.to_file(
            folder / f"{name}.geojson",
            driver="GeoJSON",
            engine="pyogrio",
            layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 7, "WRITE_NAME": "NO"},
        )


def _write_kml(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> None:
    for name, frame in layers.items():
        kml = frame.copy()
        kml["Name"] = kml["name_zh"]  # the label Google Earth / 奥维 shows
        kml.to_file(folder / f"{name}.kml", driver="KML", engine="pyogrio")


def _write_shp(layers: dict[str, gpd.GeoDataFrame], folder: Path, encoding: str) -> None:
    for name, frame in layers.items():
        kinds = frame.geom_type.map(_kind)
        for kind in sorted(kinds.unique()):
            part = frame[kinds == kind]
            stem = name if kinds.nunique() == 1 else f"{name}_{kind}"
            _to_shapefile_frame(part, encoding).to_file(
                folder / f"{stem}.shp", driver="ESRI Shapefile", engine="pyogrio", encoding=encoding
            )


def _write_xlsx(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    tables = {}
    for name, frame in layers.items():
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        wgs = frame.to_crs(4326).geometry
        centre = wgs.representative_point()
        table["geometry_type"] = frame.geom_type.to_numpy()
        table["lon"] = np.round(centre.x.to_numpy(), 7)
        table["lat"] = np.round(centre.y.to_numpy(), 7)
        tables[name] = table
    write_workbook(tables, path)  # text cells stay text: never a formula


# --- reading back -----------------------------------------------------------------------------


@renamed(layer="name")
def read_export(path: str | Path, name: str, *, fmt: str | None = None) -> gpd.GeoDataFrame:
    """Read one layer back from an export, with the original field names and types.

    Parameters
    ----------
    path : str or pathlib.Path
        What `export` wrote: a ``.gpkg`` or ``.xlsx`` file, or a folder of ``shp``, ``geojson`` or
        ``kml`` files.
    name : str
        The layer's name in the catalogue (`hepinggis.layers`), e.g. ``"zones"``. ``layer=`` is
        its old name (deprecated, warns).
    fmt : str, optional
        ``gpkg``, ``xlsx``, ``shp``, ``geojson`` or ``kml``; by default from the file's suffix, or
        from the files in the folder.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer with the catalogue's field names and types (Shapefile's 10-character names and
        continuation fields joined again; an Excel sheet's lon/lat as points).

    Raises
    ------
    ExportError
        An unknown format, or a Shapefile folder without the layer.

    Examples
    --------
    >>> import pathlib, tempfile, hepinggis
    >>> folder = hepinggis.export(pathlib.Path(tempfile.mkdtemp()) / "shp", fmt="shp", names=["zones"])
    >>> hepinggis.read_export(folder, "zones")["name_zh"].iloc[0]
    '北市场民族民俗产业集聚区'
    """
    layer = name
    path = Path(path)
    fmt = fmt or (
        "gpkg"
        if path.suffix.lower() == ".gpkg"
        else "xlsx"
        if path.suffix.lower() == ".xlsx"
        else _guess_folder_format(path)
    )
    spec = _spec(layer)
    if fmt == "gpkg":
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    elif fmt == "geojson":
        frame = gpd.read_file(path / f"{layer}.geojson", engine="pyogrio")
    elif fmt == "kml":
        frame = gpd.read_file(path / f"{layer}.kml", engine="pyogrio")
        if "id2" in frame.columns:  # the KML driver keeps the Placemark id as "id" and our field as "id2"
            frame["id"] = frame.pop("id2")
        frame = frame[[c for c in frame.columns if c in spec.field_names or c == frame.geometry.name]]
    elif fmt == "shp":
        files = sorted(path.glob(f"{layer}.shp")) or sorted(path.glob(f"{layer}_*.shp"))
        if not files:
            raise ExportError(f"{path}: no Shapefile for layer {layer!r}")
        parts = [_from_shapefile_frame(gpd.read_file(f, engine="pyogrio")) for f in files]
        frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    elif fmt == "xlsx":
        table = pd.read_excel(path, sheet_name=layer[:31])
        frame = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326)
    else:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    return _typed(frame, spec)


def _guess_folder_format(path: Path) -> str:
    for fmt, suffix in (("shp", ".shp"), ("geojson", ".geojson"), ("kml", ".kml")):
        if any(path.glob(f"*{suffix}")):
            return fmt
    raise ExportError(f"{path}: cannot tell the export format")


def _typed(frame: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    for f in spec.fields:
        if f.name not in frame.columns:
            continue
        col = frame[f.name]
        if f.type == "str":
            frame[f.name] = [
                None if v is None or (isinstance(v, float) and np.isnan(v)) or (v == "" and f.nullable) else str(v)
                for v in col
            ]
        elif f.type == "float":
            frame[f.name] = pd.to_numeric(col, errors="coerce").astype(float)
        else:
            frame[f.name] = pd.to_numeric(col, errors="coerce").astype("Int64")
    return frame


# --- verification and the atomic move -------------------------------------------------------------


_NO_EMPTY_TEXT = {"shp", "xlsx"}


def _same_value(a: object, b: object, kind: str) -> bool:
    a_null = a is None or (isinstance(a, float) and np.isnan(a)) or a is pd.NA
    b_null = b is None or (isinstance(b, float) and np.isnan(b)) or b is pd.NA
    if a_null or b_null:
        return a_null and b_null
    if kind == "float":
        return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=1e-9))  # type: ignore[arg-type]
    if kind == "int":
        return int(a) == int(b)  # type: ignore[call-overload]
    return str(a) == str(b)


def verify(expected: gpd.GeoDataFrame, got: gpd.GeoDataFrame, layer: str, fmt: str, crs: str) -> None:
    """Raise `ExportError` naming the first difference between what was written and what reads back."""
    if len(got) != len(expected):
        raise ExportError(f"{layer} ({fmt}): {len(got)} features read back, {len(expected)} written")
    spec = _spec(layer)
    key = "id"
    got = got.set_index(key, drop=False).loc[list(expected[key])]
    for f in spec.fields:
        for fid, a, b in zip(expected[key], expected[f.name], got[f.name], strict=True):
            if fmt in _NO_EMPTY_TEXT and f.type == "str" and a == "":
                a = None  # dBASE and Excel cells cannot tell an empty text from no value
            if not _same_value(a, b, f.type):
                raise ExportError(f"{layer} ({fmt}): feature {fid!r} field {f.name!r}: wrote {a!r}, read {b!r}")
    if fmt == "xlsx":
        return
    tol = _TOLERANCE.get(crs, 1e-7)
    a_geoms = expected.to_crs(crs).geometry.values
    b_geoms = got.to_crs(crs).geometry.values
    for fid, a, b in zip(expected[key], a_geoms, b_geoms, strict=True):
        if (
            not shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=tol)
            and shapely.hausdorff_distance(a, b) > tol * 10
        ):
            raise ExportError(
                f"{layer} ({fmt}): feature {fid!r}: geometry differs by "
                f"{shapely.hausdorff_distance(a, b):.3g} (tolerance {tol:g})"
            )


def _replace(tmp: Path, dest: Path) -> None:
    if tmp.is_dir():
        old = dest.with_name(dest.name + ".previous")
        if old.exists():
            shutil.rmtree(old)
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        if old.exists():
            shutil.rmtree(old)
    else:
        os.replace(tmp, dest)


@renamed(layers="names", crs="to_crs")
def export(
    dest: str | Path,
    *,
    fmt: str = "gpkg",
    names: Sequence[str] | None = None,
    to_crs: str = "EPSG:4326",
    encoding: str = "UTF-8",
    projects: gpd.GeoDataFrame | None = None,
    name_col: str | None = None,
) -> Path:
    """Export layers of the catalogue (all by default) to ``dest``, atomically and verified.

    Each file is written under a temporary name, read back and compared with what was meant
    (features, every attribute value, geometry within the format's precision), then moved into
    place: a failed or interrupted export leaves the previous good file untouched.

    Parameters
    ----------
    dest : str or pathlib.Path
        A ``.gpkg`` / ``.xlsx`` file, or a folder for ``shp``, ``geojson`` and ``kml`` (one file per
        layer; a Shapefile per geometry kind where a layer mixes them, e.g. ``belt_polygon.shp``).
    fmt : str
        ``gpkg`` (default: one file, one table per layer, each with its QGIS style in the
        ``layer_styles`` table), ``shp``, ``geojson``, ``kml``, ``xlsx``
        (attribute tables with each feature's representative lon/lat).
    names : sequence of str, optional
        The layers to export, by their names in the catalogue (`hepinggis.layers`; ``--layer NAME``
        on the command line, repeated); all by default. ``layers=`` is its old name (deprecated,
        warns).
    to_crs : str
        The output's CRS (``--to-crs`` on the command line): ``EPSG:4326`` (default), or
        ``EPSG:4550`` / ``EPSG:4529`` for CAD and survey users (GeoPackage and Shapefile only:
        GeoJSON and KML are WGS 84 by definition). ``crs=`` is its old name (deprecated, warns:
        ``crs`` means an input's CRS everywhere else, as ``--crs`` does on the command line).
    encoding : str
        Shapefile text encoding, ``UTF-8`` or ``GBK`` (written to the ``.cpg``). Text that does not
        fit the encoding raises instead of being mangled.
    projects : geopandas.GeoDataFrame, optional
        Your own projects in place of the bundled ``projects`` layer: ``read_projects(…).projects``
        as it comes, or any GeoDataFrame with a name column (see `hepinggis.projects.prepare_projects`).
        The layer's schema is written (the catalogue's fields); other columns are not.
    name_col : str, optional
        The column of ``projects`` holding the names, where it is not recognised.

    Returns
    -------
    pathlib.Path
        ``dest``, written and verified.

    Raises
    ------
    ExportError
        An unknown format or CRS, a reprojected GeoJSON/KML, text the encoding cannot hold, a
        read-back that differs, or a destination that cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = export(pathlib.Path(tempfile.mkdtemp()) / "heping.gpkg", names=["zones"], to_crs="EPSG:4550")
    >>> zones = read_export(out, "zones")
    >>> zones["name_zh"].iloc[0], zones.crs.to_epsg()
    ('北市场民族民俗产业集聚区', 4550)
    """
    crs = to_crs
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if crs != "EPSG:4326" and fmt not in _PROJECTED_OK:
        raise ExportError(f"{fmt} is WGS 84 by definition; reproject only GeoPackage or Shapefile exports")
    if crs not in _TOLERANCE:
        raise ExportError(f"crs must be one of {', '.join(_TOLERANCE)}")
    dest = Path(dest)
    chosen = _layers(names)
    if projects is not None:
        spec = _spec("projects")
        mine = prepare_projects(projects, name_col=name_col).to_crs(4326)
        chosen["projects"] = _typed(
            gpd.GeoDataFrame(mine[[*spec.field_names, mine.geometry.name]], crs=mine.crs).reset_index(drop=True), spec
        )
    frames = {n: f.to_crs(crs) if crs != "EPSG:4326" else f for n, f in chosen.items()}
    if fmt == "shp":
        _check_encodable(frames, encoding)
    single = FORMATS[fmt]
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if single:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=dest.suffix, dir=dest.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            tmp.unlink()
        else:
            tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
            tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it 0700: a folder for others to open too
    except OSError as exc:
        raise ExportError(f"cannot write {dest}: {exc.strerror or exc} in {dest.parent}") from exc
    try:
        writer = {"gpkg": _write_gpkg, "geojson": _write_geojson, "kml": _write_kml, "xlsx": _write_xlsx}
        if fmt == "shp":
            _write_shp(frames, tmp, encoding)
        else:
            writer[fmt](frames, tmp)
        if fmt == "gpkg":  # QGIS opens each layer styled like the briefing maps
            write_layer_styles(tmp, list(frames))
        for name, frame in frames.items():
            verify(frame, read_export(tmp, name, fmt=fmt), name, fmt, crs)
        _replace(tmp, dest)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise
    return dest


def _umask() -> int:
    """The process's umask (read by setting and restoring it: there is no other portable way)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _check_encodable(frames: dict[str, gpd.GeoDataFrame], encoding: str) -> None:
    for name, frame in frames.items():
        for col in frame.columns:
            if not _is_text(frame[col]) or col == frame.geometry.name:
                continue
            for fid, value in zip(frame["id"], frame[col], strict=True):
                if isinstance(value, str):
                    try:
                        value.encode(encoding)
                    except UnicodeEncodeError as exc:
                        raise ExportError(
                            f"{name}: feature {fid!r} field {col!r}: {value[exc.start : exc.end]!r} "
                            f"cannot be written in {encoding}; use encoding='UTF-8'"
                        ) from exc
