"""Adopting a bureau's own boundaries: a foreign file (typically a CGCS2000 Gauss-Krüger Shapefile
with GBK attributes, Chinese names and no ids) brought into a layer's schema and written to a
GeoPackage of adopted layers, which every command then uses (``--layers``, `use_layers`).

Each feature is matched to the bundled one by its name in any form an office writes
(`hepinggis.plan._names`), keeps the bundled attributes (四至, 2025 targets, planned area …) on the
new geometry, and records the file and the day as its provenance (the original file is kept when
an adopted layer is edited in QGIS and adopted again). Before that the file must land on the
district in the CRS given (`hepinggis.plan._placement`), be valid in its own CRS (reprojection
artefacts are repaired and reported), and tile the district (`hepinggis.plan._tiling`): no gap or
overlap of `TILING_TOLERANCE_M2`, no part far outside. Adopting the district re-checks the layers
adopted before it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from hepinggis.base._layer_source import ADOPTABLE, adopted_names
from hepinggis.base._qgis import write_layer_styles
from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import AdoptError, HepingGISError
from hepinggis.io._tables import read_raw
from hepinggis.plan._names import SUFFIXES, closest, name_keys
from hepinggis.plan._partial import IOU_WARNING, zone_jiedao_warnings
from hepinggis.plan._placement import placement_problem
from hepinggis.plan._tiling import FAR_OUTSIDE_M, MIN_AREA_M2, TilingIssue, tiling_issues
from hepinggis.plan.layers import load

__all__ = [
    "IOU_WARNING",
    "NAME_COLUMNS",
    "REPAIR_LIMIT_M2",
    "SUFFIXES",
    "TILING_TOLERANCE_M2",
    "AdoptError",
    "adopt",
]

#: A gap, an overlap or a piece outside the district of at least this area (m²) refuses the file.
TILING_TOLERANCE_M2 = MIN_AREA_M2
#: A reprojection artefact is repaired only if the repair changes the area by at most this (m²).
REPAIR_LIMIT_M2 = 1.0
#: Columns looked for, in this order, for the names when ``name_col`` is not given.
NAME_COLUMNS: tuple[str, ...] = (
    "name_zh",
    "名称",
    "NAME",
    "Name",
    "name",
    "街道名称",
    "街道",
    "功能区名称",
    "功能区",
    "区名",
    "MC",
    "JDMC",
)
_CRS_NAMES = {"wgs84": 4326, "cgcs2000": 4490}
_SNAP_GRID_M = 1e-6
_MAX_LISTED = 8


def _bundled_keys(row: pd.Series) -> set[str]:
    keys = name_keys(row["name_zh"]) | {str(row["id"]).lower()}
    if row["id"] in ZONE_SHORT_ZH:
        keys |= name_keys(ZONE_SHORT_ZH[row["id"]])
    return keys


def _read(
    path: Path, layer: str | None, encoding: str | None, as_layer: str
) -> tuple[pd.DataFrame, gpd.GeoSeries, str | None]:
    if layer is None and path.suffix.lower() == ".gpkg" and path.is_file():
        try:  # a GeoPackage of adopted layers (the QGIS edit loop): its table of the same name
            tables = [str(n) for n, kind in pyogrio.list_layers(path) if kind is not None]
        except Exception:  # read_raw reports the unreadable file
            tables = []
        if as_layer in tables and len(tables) > 1:
            layer = as_layer
    try:
        raw = read_raw(path, encoding=encoding, layer=layer)
    except HepingGISError as exc:
        raise AdoptError(str(exc).replace("pass encoding=…", "请用 --encoding 指明（例如 --encoding GBK）")) from exc
    if raw.geometry is None:
        raise AdoptError(f"{path}：没有几何图形；请采用面状的 Shapefile、GeoPackage 或 GeoJSON")
    return raw.frame, raw.geometry, raw.file_crs


def _source_crs(path: Path, file_crs: str | None, crs: str | int | None, geoms: gpd.GeoSeries) -> CRS:
    if crs is not None:
        key = str(crs).strip().lower()
        try:
            chosen = CRS.from_epsg(_CRS_NAMES[key]) if key in _CRS_NAMES else CRS.from_user_input(crs)
        except Exception as exc:  # pyproj's CRSError
            raise AdoptError(f"--crs {crs}：不是可识别的坐标系（例如 EPSG:4550）") from exc
    elif file_crs is not None:
        chosen = CRS.from_user_input(file_crs)
    else:
        raise AdoptError(
            f"{path}：文件没有坐标系（缺少 .prj）；请用 --crs 指明（例如 --crs EPSG:4550 即 CGCS2000 3 度带"
            "高斯-克吕格中央经线 123°E；东坐标前带带号 41 的为 --crs EPSG:4529）"
        )
    minx = float(np.nanmin(shapely.bounds(geoms.values)[:, 0]))
    epsg = chosen.to_epsg()
    if epsg == 4550 and minx > 41_000_000:
        raise AdoptError(f"{path}：东坐标带带号 41（{minx:.0f}），是 EPSG:4529，不是 4550；请用 --crs EPSG:4529")
    if epsg == 4529 and 0 < minx < 1_000_000:
        raise AdoptError(f"{path}：东坐标不带带号（{minx:.0f}），是 EPSG:4550，不是 4529；请用 --crs EPSG:4550")
    return chosen


def _names(path: Path, frame: pd.DataFrame, name_col: str | None, as_layer: str) -> pd.Series:
    if name_col is not None:
        if name_col not in frame.columns:
            raise AdoptError(f"{path}：没有列 {name_col!r}（现有列：{'、'.join(map(str, frame.columns))}）")
        return frame[name_col].astype(str).str.strip()
    found = next((c for c in NAME_COLUMNS if c in frame.columns), None)
    if found is None:
        if as_layer == "district":  # one feature: no name needed
            return pd.Series(["和平区"] * len(frame), index=frame.index)
        raise AdoptError(
            f"{path}：找不到名称列（{' / '.join(NAME_COLUMNS)}），现有列：{'、'.join(map(str, frame.columns))}；"
            "请用 --name-col 指明"
        )
    return frame[found].astype(str).str.strip()


def _match(path: Path, names: pd.Series, bundled: gpd.GeoDataFrame, as_layer: str) -> list[int]:
    """For each feature of the file, the row of the bundled feature it names."""
    label = {"zones": "功能区", "jiedao": "街道", "district": "区界"}[as_layer]
    if as_layer == "district":
        if len(names) != 1:
            raise AdoptError(f"{path}：区界应为一个要素（面或多面），文件有 {len(names)} 个；请先在 QGIS 中融合")
        return [0]
    keys = [_bundled_keys(row) for _, row in bundled.iterrows()]
    by_name = dict(zip(bundled["name_zh"], keys, strict=True))
    hits = [[i for i, ks in enumerate(keys) if name_keys(name) & ks] for name in names]
    taken = {h[0] for h in hits if len(h) == 1}
    free = {n: ks for i, (n, ks) in enumerate(by_name.items()) if i not in taken}
    rows: list[int] = []
    for k, (name, hit) in enumerate(zip(names, hits, strict=True), start=1):
        if len(hit) != 1:
            if hit:
                why = f"同时对应多个{label}（{'、'.join(bundled['name_zh'].iloc[hit])}）"
            else:
                near = closest(name, free or by_name)
                why = f"对应不上任何{label}；最接近的是：{'、'.join(near)}"
            raise AdoptError(f"{path}：第 {k} 个要素（{name!r}）{why}")
        rows.append(hit[0])
    seen: dict[int, int] = {}
    for k, row in enumerate(rows, start=1):
        if row in seen:
            raise AdoptError(
                f"{path}：第 {seen[row]} 个和第 {k} 个要素都是 {bundled['name_zh'].iloc[row]}；"
                "请合并为一个（多）面要素，或改正名称"
            )
        seen[row] = k
    missing = [bundled["name_zh"].iloc[i] for i in range(len(bundled)) if i not in seen]
    if missing:
        raise AdoptError(f"{path}：缺少 {'、'.join(missing)}；{label}图层须整体采用")
    return rows


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _valid_in_own_crs(path: Path, names: list[str], geoms: gpd.GeoSeries) -> None:
    """Each feature a valid polygon in the file's own CRS, as QGIS and GEOS judge it there."""
    for k, (name, geom) in enumerate(zip(names, geoms.values, strict=True), start=1):
        if geom is None or geom.is_empty:
            raise AdoptError(f"{path}：第 {k} 个要素（{name}）没有几何图形")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise AdoptError(f"{path}：第 {k} 个要素（{name}）是 {geom.geom_type}，须为面")
        if not geom.is_valid:
            raise AdoptError(
                f"{path}：第 {k} 个要素（{name}）在文件自身坐标系中无效：{shapely.is_valid_reason(geom)}"
                "（可在 QGIS 中用 矢量 › 几何工具 › 修复几何 或 检查有效性 处理）"
            )


def _snapped(geom: shapely.Geometry, crs: CRS) -> shapely.Geometry | None:
    """``geom`` snap-rounded to a micrometre grid in its own (projected) CRS: a vertex a few
    nanometres from an edge (as buffers and overlays leave them) is noded onto it there, so the
    reprojected feature keeps the vertices of its neighbours' shared edges. None for degrees."""
    if crs.is_geographic:
        return None
    snapped = shapely.set_precision(geom, _SNAP_GRID_M)
    return snapped if snapped.is_valid and not snapped.is_empty else None


def _reproject(path: Path, names: list[str], geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, list[str]]:
    """``geoms`` in EPSG:4326; reprojection artefacts (a numerical self-touch) repaired where the
    repair changes the area by at most `REPAIR_LIMIT_M2` (measured in EPSG:4550). Returns the
    geometries and the repairs, in Chinese."""
    crs = CRS.from_user_input(geoms.crs)
    wgs = geoms.to_crs(4326)
    metric = geoms.to_crs(MEASURE_CRS)
    out, notes = list(wgs.values), []
    for k, geom in enumerate(wgs.values):
        if geom.is_valid:
            continue
        reason = shapely.is_valid_reason(geom)
        snapped = _snapped(geoms.values[k], crs)
        if snapped is not None and (fixed := gpd.GeoSeries([snapped], crs=crs).to_crs(4326).iloc[0]).is_valid:
            how = "在原坐标系中按 1 微米网格对齐"
            area = float(gpd.GeoSeries([snapped], crs=crs).to_crs(MEASURE_CRS).area.iloc[0])
            change = abs(area - float(metric.values[k].area))
        else:
            how = "按 GEOS make_valid 修复"
            fixed = _polygonal(shapely.make_valid(geom))
            if not fixed.is_valid:
                fixed = _polygonal(geom.buffer(0))
            # Measured on the same vertices: the repair's area against the reprojected ring's (both
            # in degrees², the long edges the same chords), scaled to m² by the feature's own
            # EPSG:4550/degree² ratio. Projecting the repair back would bend every edge that gained
            # a node and count that as a change.
            scale = float(metric.values[k].area) / float(geom.area) if geom.area else 0.0
            change = abs(float(fixed.area) - float(geom.area)) * scale
        if not fixed.is_valid or fixed.is_empty or change > REPAIR_LIMIT_M2:
            raise AdoptError(
                f"{path}：第 {k + 1} 个要素（{names[k]}）转换到 WGS 84 后无效（{reason}），修复会改变面积 "
                f"{change:,.1f} m²（超过 {REPAIR_LIMIT_M2:g} m²）；请在 QGIS 中检查该要素"
            )
        out[k] = fixed
        notes.append(
            f"第 {k + 1} 个要素（{names[k]}）在原坐标系中有效，转换到 WGS 84 时出现数值自接触（{reason}），"
            f"已{how}修复，面积变化 {change:.4f} m²"
        )
    return gpd.GeoSeries(out, crs=4326), notes


def _refuse(path: Path, what: str, issues: list[TilingIssue]) -> None:
    faults = [t for t in issues if t.fault]
    if not faults:
        return
    listed = "；".join(t.text() for t in faults[:_MAX_LISTED])
    more = f"；另有 {len(faults) - _MAX_LISTED} 处" if len(faults) > _MAX_LISTED else ""
    raise AdoptError(
        f"{path}：{what}不能无缝拼接（容差 {MIN_AREA_M2:g} m²，区界外 {FAR_OUTSIDE_M:.0f} m）：{listed}{more}"
    )


def _provenance(frame: pd.DataFrame, rows_order: list[int], path: Path, day: str) -> tuple[list[str], list[str]]:
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
            f"{o}（{b} 采用；{day} 经 {path.name} 修改后再次采用）" if o != path.name else f"{o}（采用）"
            for o, b in zip(original, before, strict=True)
        ]
        return original, source
    return [path.name] * len(rows_order), [f"{path.name}（采用）"] * len(rows_order)


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
        Shapefile, GeoPackage (``layer`` names the table where it has several; a GeoPackage of
        adopted layers gives the table ``as_layer``) or GeoJSON.
    as_layer : str
        ``zones``, ``jiedao`` or ``district``.
    out : path
        The GeoPackage of adopted layers; the table ``as_layer`` is added or replaced, the others
        are kept (several calls build it up). Written atomically, with QGIS styles.
    name_col, crs, encoding : optional
        The names' column (not needed for the one-feature district), the coordinate system where
        the file has no ``.prj`` (or a wrong one), the attribute encoding (default: the ``.cpg``,
        else detected from the .dbf records: UTF-8, GBK or GB18030).
    accuracy_m : float
        The accuracy stated for the official boundaries (default 1 m).

    Returns
    -------
    geopandas.GeoDataFrame
        The adopted layer as written (EPSG:4326, the bundled attributes, ``adopted_from`` and
        ``adopted_on``); ``attrs["notes"]`` lists what was repaired or is worth knowing (outline
        differences, zone/街道 agreement), in Chinese.

    Raises
    ------
    AdoptError
        An unmatched or repeated name (listing the closest), a missing or wrong CRS (naming the
        likely one), an invalid or non-polygon feature, a gap, overlap or part far outside the
        district (each naming the features, area and place), or an adopted layer that the new
        district would leave untiled; nothing is written then.
    """
    path = Path(file)
    if as_layer not in ADOPTABLE:
        raise AdoptError(f"--as 须为 {'、'.join(ADOPTABLE)} 之一，不是 {as_layer!r}")
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise AdoptError(f"{out}：采用的图层写入 GeoPackage（.gpkg）")
    frame, raw_geoms, file_crs = _read(path, layer, encoding, as_layer)
    source_crs = _source_crs(path, file_crs, crs, raw_geoms)
    own = gpd.GeoSeries(shapely.force_2d(raw_geoms.values), crs=source_crs)
    names = _names(path, frame, name_col, as_layer)
    in_out = adopted_names(out) if out.is_file() else []
    district = load("district", layers=out) if as_layer != "district" and "district" in in_out else None
    reference = district if district is not None else _bundled("district")
    where = placement_problem(own, source_crs, reference)
    if where is not None:
        raise AdoptError(f"{path}：{where}")
    _valid_in_own_crs(path, list(names), own)
    geoms, notes = _reproject(path, list(names), own)
    bundled = _bundled(as_layer)
    rows = _match(path, names, bundled, as_layer)
    order = [int(k) for k in np.argsort(rows)]
    day = (when or dt.date.today()).isoformat()
    adopted = gpd.GeoDataFrame(
        bundled.drop(columns="geometry").iloc[[rows[k] for k in order]].reset_index(drop=True),
        geometry=list(geoms.values[order]),
        crs=4326,
    )
    original, source = _provenance(frame, order, path, day)
    adopted["source"] = source
    adopted["method"] = "adopted"
    adopted["accuracy_m"] = float(accuracy_m)
    adopted["adopted_from"] = original
    adopted["adopted_on"] = day
    notes += _check_tiling(path, adopted, as_layer, district, out, in_out)
    adopted.attrs["notes"] = notes
    _write(adopted, as_layer, out)
    return adopted


def _check_tiling(
    path: Path,
    adopted: gpd.GeoDataFrame,
    as_layer: str,
    district: gpd.GeoDataFrame | None,
    out: Path,
    in_out: list[str],
) -> list[str]:
    """Refuse what does not tile; the notes worth stating otherwise."""
    label = ADOPTABLE[as_layer]
    if as_layer == "district":
        _refuse(path, label, tiling_issues(adopted, None))
        for other in (n for n in ("zones", "jiedao") if n in in_out):  # re-check what is adopted already
            issues = tiling_issues(load(other, layers=out), adopted, authoritative=True)
            _refuse(path, f"已采用的{ADOPTABLE[other]}与新区界", issues)
        return []
    reference = district if district is not None else _bundled("district")
    issues = tiling_issues(adopted, reference, authoritative=district is not None)
    _refuse(path, label, issues)
    notes = [t.text() for t in issues if not t.fault][:_MAX_LISTED]
    if notes:
        total = sum(t.area_m2 for t in issues if not t.fault)
        notes.insert(0, f"与随包区界（±30 m）共相差 {total:,.0f} m²（未采用官方区界，仅供参考）：")
    other_name = "jiedao" if as_layer == "zones" else "zones"
    other = load(other_name, layers=out) if other_name in in_out else _bundled(other_name)
    zones, jiedao = (adopted, other) if as_layer == "zones" else (other, adopted)
    notes += zone_jiedao_warnings(zones, jiedao)
    return notes


def _bundled(name: str) -> gpd.GeoDataFrame:
    from hepinggis.base._layer_source import use_layers

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
