"""A delivery's geometry made fit to adopt (`hepinggis.io.adopt`): its CRS (as read, as the
user names it, or refused naming the likely ones), each feature a valid polygon in its own CRS,
reprojected to EPSG:4326 with numerical artefacts repaired within `REPAIR_LIMIT_M2`, and the layer
tiling the district within the stated accuracy: what is narrower is closed and reported, what is
wider refused with its width, place and features."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from hepinggis.base._layer_source import ADOPTABLE
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import AdoptError
from hepinggis.io._adopt_names import _bundled
from hepinggis.io._delivery import Delivery, LayerRead
from hepinggis.io._delivery import refusal as _fail
from hepinggis.plan._partial import zone_jiedao_warnings
from hepinggis.plan._placement import CANDIDATES, likely_crs
from hepinggis.plan._tiling import FAR_OUTSIDE_M, TilingIssue, snap_to_tiling, tiling_issues
from hepinggis.plan.layers import load

__all__ = [
    "REPAIR_LIMIT_M2",
    "_check_tiling",
    "_outside_shares",
    "_prepare",
    "_reproject",
    "_snap",
    "_valid_in_own_crs",
]

#: A reprojection artefact is repaired only if the repair changes the area by at most this (m²).
REPAIR_LIMIT_M2 = 1.0
_CRS_NAMES = {"wgs84": 4326, "cgcs2000": 4490}
_SNAP_GRID_M = 1e-6
_MAX_LISTED = 8


def _source_crs(shown: str, file_crs: str | None, crs: str | int | None, geoms: gpd.GeoSeries) -> CRS:
    if crs is not None and str(crs).strip():
        key = str(crs).strip().lower()
        try:
            chosen = CRS.from_epsg(_CRS_NAMES[key]) if key in _CRS_NAMES else CRS.from_user_input(crs)
        except Exception as exc:  # pyproj's CRSError
            raise _fail(lambda o: f"{crs} 不是可识别的坐标系；{o('crs', 'EPSG:4550')}") from exc
    elif file_crs is not None:
        chosen = CRS.from_user_input(file_crs)
    else:
        likely = likely_crs(geoms, _bundled("district"))
        said = "、".join(f"EPSG:{c}（{CANDIDATES[c]}）" for c in likely)
        if likely:
            raise _fail(
                lambda o: (
                    f"{shown}：文件没有坐标系（缺少 .prj）；按坐标落点，最可能是 {said}："
                    f"{o('crs', f'EPSG:{likely[0]}')}"
                )
            )
        raise _fail(
            lambda o: (
                f"{shown}：文件没有坐标系（缺少 .prj），按常见坐标系读都不在和平区；{o('crs')}"
                "（例如 EPSG:4550 即 CGCS2000 3 度带高斯-克吕格中央经线 123°E）"
            )
        )
    minx = float(np.nanmin(shapely.bounds(geoms.values)[:, 0]))
    epsg = chosen.to_epsg()
    if epsg == 4550 and minx > 41_000_000:
        raise _fail(
            lambda o: f"{shown}：东坐标带带号 41（{minx:.0f}），是 EPSG:4529，不是 4550；{o('crs', 'EPSG:4529')}"
        )
    if epsg == 4529 and 0 < minx < 1_000_000:
        raise _fail(
            lambda o: f"{shown}：东坐标不带带号（{minx:.0f}），是 EPSG:4550，不是 4529；{o('crs', 'EPSG:4550')}"
        )
    return chosen


def _prepare(delivery: Delivery, read: LayerRead, *, crs: str | int | None) -> tuple[gpd.GeoSeries, CRS]:
    source_crs = _source_crs(delivery.name, read.crs, crs, read.geoms)
    return gpd.GeoSeries(shapely.force_2d(read.geoms.values), crs=source_crs), source_crs


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _valid_in_own_crs(path: str, names: list[str], geoms: gpd.GeoSeries) -> None:
    """Each feature a valid polygon in the file's own CRS, as QGIS and GEOS judge it there. In
    degrees (GeoJSON, KML: often exported from Gauss–Krüger data) a numerical self-touch is left
    for `_reproject` to repair within `REPAIR_LIMIT_M2`, as one made by reprojecting here is."""
    geographic = CRS.from_user_input(geoms.crs).is_geographic
    for k, (name, geom) in enumerate(zip(names, geoms.values, strict=True), start=1):
        if geom is None or geom.is_empty:
            raise AdoptError(f"{path}：第 {k} 个要素（{name}）没有几何图形")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise AdoptError(f"{path}：第 {k} 个要素（{name}）是 {geom.geom_type}，须为面")
        if not geom.is_valid and not geographic:
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


def _reproject(path: str, names: list[str], geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, list[str]]:
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
            how = "在原坐标系中按 1 微米网格对齐并"
            area = float(gpd.GeoSeries([snapped], crs=crs).to_crs(MEASURE_CRS).area.iloc[0])
            change = abs(area - float(metric.values[k].area))
        else:
            how = "按 GEOS make_valid "
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
            after = "" if crs.is_geographic else "转换到 WGS 84 后"
            raise AdoptError(
                f"{path}：第 {k + 1} 个要素（{names[k]}）{after}无效（{reason}），修复会改变面积 "
                f"{change:,.1f} m²（超过 {REPAIR_LIMIT_M2:g} m²）；请在 QGIS 中检查该要素"
            )
        out[k] = fixed
        happened = (
            "在文件中有数值自接触（常见于投影坐标导出为经纬度时）"
            if crs.is_geographic
            else "在原坐标系中有效，转换到 WGS 84 时出现数值自接触"
        )
        notes.append(f"第 {k + 1} 个要素（{names[k]}）{happened}（{reason}），已{how}修复，面积变化 {change:.4f} m²")
    return gpd.GeoSeries(out, crs=4326), notes


def _outside_shares(geoms: gpd.GeoSeries, reference: gpd.GeoDataFrame) -> list[float]:
    metric = geoms.to_crs(MEASURE_CRS)
    district = shapely.union_all(reference.to_crs(MEASURE_CRS).geometry.values).buffer(FAR_OUTSIDE_M)
    return [float(g.difference(district).area / g.area) if g.area else 0.0 for g in metric.values]


def _refuse(shown: str, what: str, issues: list[TilingIssue], tolerance_m: float) -> None:
    faults = [t for t in issues if t.fault]
    if not faults:
        return
    listed = "；".join(t.text() for t in faults[:_MAX_LISTED])
    more = f"；另有 {len(faults) - _MAX_LISTED} 处" if len(faults) > _MAX_LISTED else ""
    raise _fail(
        lambda o: (
            f"{shown}：{what}不能无缝拼接（容差 {tolerance_m:g} m，区界外 {FAR_OUTSIDE_M:.0f} m）：{listed}{more}；"
            f"请在 QGIS 中改正这些地方；若其精度确实更低，{o('accuracy')[1:]}"
        )
    )


def _snap(adopted: gpd.GeoDataFrame, district: gpd.GeoDataFrame | None, tolerance_m: float, as_layer: str) -> list[str]:
    """Close what is within ``tolerance_m`` (in place, EPSG:4326 kept); the notes saying what moved."""
    if as_layer == "district":
        return []
    wgs = adopted.to_crs(4326)
    outline = shapely.union_all(
        (district if district is not None else _bundled("district")).to_crs(4326).geometry.values
    )
    snapped = snap_to_tiling(list(wgs.geometry.values), outline, tolerance_m, authoritative=district is not None)
    adopted.attrs["snapped_m2"] = dict(zip(adopted["name_zh"], snapped.moved_m2, strict=True))
    if not snapped.changed():
        return []
    adopted["geometry"] = snapped.geoms
    moved = [
        f"{n} 面积变动 {m:,.1f} m²，最大移动 {s:,.3f} m"
        for n, m, s in zip(adopted["name_zh"], snapped.moved_m2, snapped.shift_m, strict=True)
        if m > 0
    ]
    against = "已采用的区界和相邻要素" if district is not None else "相邻要素"
    total = sum(snapped.moved_m2)
    return [
        f"容差 {tolerance_m:g} m 以内的缝隙和重叠已对齐到{against}（共 {total:,.1f} m²，"
        f"最大移动 {max(snapped.shift_m):,.3f} m）：{'；'.join(moved)}"
    ]


def _check_tiling(
    shown: str,
    adopted: gpd.GeoDataFrame,
    as_layer: str,
    district: gpd.GeoDataFrame | None,
    out: Path,
    in_out: list[str],
    tolerance_m: float,
) -> list[str]:
    """Refuse what does not tile within ``tolerance_m``; the notes worth stating otherwise."""
    label = ADOPTABLE[as_layer]
    lines = _bundled("boundary_lines")
    if as_layer == "district":
        _refuse(shown, label, [t for t in tiling_issues(adopted, None) if t.kind != "gap"], tolerance_m)
        for other in (n for n in ("zones", "jiedao") if n in in_out):  # re-check what is adopted already
            frame = load(other, boundaries=out)
            tol = max(tolerance_m, float(frame["accuracy_m"].max()) if "accuracy_m" in frame.columns else 0.0)
            issues = tiling_issues(frame, adopted, authoritative=True, tolerance_m=tol)
            _refuse(shown, f"已采用的{ADOPTABLE[other]}与新区界", issues, tol)
        return []
    reference = district if district is not None else _bundled("district")
    authoritative = district is not None
    issues = tiling_issues(adopted, reference, authoritative=authoritative, tolerance_m=tolerance_m, lines=lines)
    _refuse(shown, label, issues, tolerance_m)
    listed = [t for t in issues if not t.fault]
    notes = [t.text() for t in listed][:_MAX_LISTED]
    if notes:
        total = sum(t.area_m2 for t in listed)
        beyond = sum(t.beyond_m2 for t in listed)
        said = f"，其中 {beyond:,.0f} m² 超出随包区界各段所述精度" if beyond >= 1 else "，都在随包区界各段所述精度内"
        notes.insert(0, f"与随包区界共相差 {total:,.0f} m²{said}（未采用官方区界，随包区界仅供参考，不算要素间缝隙）：")
    other_name = "jiedao" if as_layer == "zones" else "zones"
    other = load(other_name, boundaries=out) if other_name in in_out else _bundled(other_name)
    zones, jiedao = (adopted, other) if as_layer == "zones" else (other, adopted)
    notes += zone_jiedao_warnings(zones, jiedao)
    return notes
