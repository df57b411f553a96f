"""Adopting a bureau's own boundaries: a delivery as an office sends it (a zipped Shapefile in a
folder or beside others, GBK attributes whatever the .cpg says, a GeoPackage or FileGDB with several
layers, KML/KMZ, GeoJSON; `hepinggis.io._delivery`) brought into a layer's schema and written to a
GeoPackage of adopted boundaries, which every command then uses (``--boundaries``, `use_boundaries`).

Each feature is matched to the bundled one by its name in any form an office writes
(`hepinggis.plan._names`) — a zone's name on a 街道 feature, or a feature of another district, is
refused as such — keeps the bundled attributes (四至, 2025 targets, planned area …) on the new
geometry, and records the file and the day as its provenance (the original file is kept when an
adopted layer is edited in QGIS and adopted again). Before that the file must land on the district
in the CRS given (`hepinggis.plan._placement`), be valid in its own CRS (reprojection artefacts are
repaired and reported), and tile the district (`hepinggis.plan._tiling`) within a tolerance that is
a distance: the accuracy the office states (``accuracy_m``). Gaps and overlaps no wider than it are
closed against the adopted neighbour and reported (area moved, largest shift); wider ones are
refused with their width, place and features. Holes (an enclave) are the district's own.

Each adoption is kept as a version (`hepinggis.io._adopt_history`): ``adopt --history`` lists
them, ``adopt --rollback N`` puts one back. A refusal writes nothing.

Every refusal is an `AdoptError` naming the command-line options; its ``page_text`` names the 边界
page's controls (`hepinggis.base.messages`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from hepinggis.base._layer_source import ADOPTABLE, adopted_names
from hepinggis.base._qgis import write_layer_styles
from hepinggis.base._renamed import renamed
from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.base.messages import Namer
from hepinggis.errors import AdoptError
from hepinggis.io._adopt_history import file_sha256, record_version
from hepinggis.io._delivery import Delivery, LayerRead, open_delivery, read_layer, refusal
from hepinggis.plan._names import SUFFIXES, closest, kind_of, name_keys, other_district
from hepinggis.plan._partial import IOU_WARNING, zone_jiedao_warnings
from hepinggis.plan._placement import CANDIDATES, likely_crs, placement_problem
from hepinggis.plan._tiling import FAR_OUTSIDE_M, TilingIssue, safe_overlay, snap_to_tiling, tiling_issues
from hepinggis.plan.layers import load

__all__ = [
    "IOU_WARNING",
    "NAME_COLUMNS",
    "REPAIR_LIMIT_M2",
    "SUFFIXES",
    "AdoptError",
    "adopt",
    "inspect_delivery",
]

#: A reprojection artefact is repaired only if the repair changes the area by at most this (m²).
REPAIR_LIMIT_M2 = 1.0
#: Columns looked for, in this order, for the names when ``name_col`` is not given (XZQMC:
#: 行政区名称, GNQMC: 功能区名称, JDMC: 街道名称, as the national land survey's tables call them).
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
    "XZQMC",
    "GNQMC",
    "JDMC",
    "XZJDMC",
    "GNQ_MC",
    "JD_MC",
    "MC",
)
_CRS_NAMES = {"wgs84": 4326, "cgcs2000": 4490}
_SNAP_GRID_M = 1e-6
_MAX_LISTED = 8
_LABEL = {"zones": "功能区", "jiedao": "街道", "district": "区界"}
#: A feature of which more than this share lies outside the district is not the district's.
_OUTSIDE_SHARE = 0.5


def _fail(make: Callable[..., str]) -> AdoptError:
    return refusal(make)


def _bundled_keys(row: pd.Series, as_layer: str) -> set[str]:
    keys = name_keys(row["name_zh"]) | {str(row["id"]).lower()}
    if as_layer == "zones" and row["id"] in ZONE_SHORT_ZH:  # never for 街道 that share a zone's id
        keys |= name_keys(ZONE_SHORT_ZH[row["id"]])
    return keys


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


def _name_column(frame: pd.DataFrame, name_col: str | None, bundled: gpd.GeoDataFrame, as_layer: str) -> str | None:
    """The column holding the names: ``name_col``, a column of `NAME_COLUMNS`, else the column whose
    values name most bundled features (at least half of them)."""
    if name_col:
        return name_col
    found = next((c for c in NAME_COLUMNS if c in frame.columns), None)
    if found is not None or as_layer == "district":
        return found
    keys = set().union(*(_bundled_keys(r, as_layer) for _, r in bundled.iterrows()))
    best, hits = None, 0
    for col in frame.columns:
        values = frame[col].astype(str)
        n = sum(bool(name_keys(v) & keys) for v in values)
        if n > hits:
            best, hits = str(col), n
    return best if hits * 2 >= len(frame) and hits else None


def _names(
    shown: str, frame: pd.DataFrame, name_col: str | None, as_layer: str, bundled: gpd.GeoDataFrame
) -> pd.Series:
    col = _name_column(frame, name_col, bundled, as_layer)
    columns = "、".join(map(str, frame.columns)) or "无"
    if col is not None and col not in frame.columns:
        raise _fail(lambda o: f"{shown}：没有列 {col!r}（现有列：{columns}）；{o('name_col')}")
    if col is None:
        if as_layer == "district":  # one feature: no name needed
            return pd.Series(["和平区"] * len(frame), index=frame.index)
        raise _fail(lambda o: f"{shown}：找不到名称列（现有列：{columns}）；{o('name_col')}")
    return frame[col].astype(str).str.strip()


def _match(
    path: Path | str,
    names: pd.Series,
    bundled: gpd.GeoDataFrame,
    as_layer: str,
    *,
    outside: list[float] | None = None,
    matches: dict[str, str] | None = None,
    whole: bool = True,
) -> list[int]:
    """For each feature of the file, the row of the bundled feature it names (``matches``: the
    user's corrections, name as written → bundled id or name; ``outside``: each feature's share
    outside the district)."""
    shown = Path(str(path)).name
    label = _LABEL[as_layer]
    if as_layer == "district":
        if len(names) != 1:
            raise _fail(lambda o: f"{shown}：区界应为一个要素（面或多面），文件有 {len(names)} 个；请先在 QGIS 中融合")
        other = other_district(names.iloc[0])
        if other:
            raise _fail(lambda o: f"{shown}：要素（{names.iloc[0]}）是{other}的区界，不是和平区的；请采用和平区的区界")
        return [0]
    keys = [_bundled_keys(row, as_layer) for _, row in bundled.iterrows()]
    by_name = dict(zip(bundled["name_zh"], keys, strict=True))
    ids = {str(i): k for k, i in enumerate(bundled["id"])} | {str(n): k for k, n in enumerate(bundled["name_zh"])}
    chosen = {str(k): ids[str(v)] for k, v in (matches or {}).items() if str(v) in ids}
    hits = [[chosen[n]] if n in chosen else [i for i, ks in enumerate(keys) if name_keys(n) & ks] for n in names]
    taken = {h[0] for h in hits if len(h) == 1}
    free = {n: ks for i, (n, ks) in enumerate(by_name.items()) if i not in taken}
    other_layer = "zones" if as_layer == "jiedao" else "jiedao"
    rows: list[int] = []
    for k, (name, hit) in enumerate(zip(names, hits, strict=True), start=1):
        where = f"{shown}：第 {k} 个要素（{name!r}）"
        district = other_district(name)
        if name not in chosen and district:
            raise _fail(lambda o, w=where, d=district: f"{w}属于{d}，不在和平区内；请从文件中删去该要素")
        if name not in chosen and outside is not None and outside[k - 1] > _OUTSIDE_SHARE:
            share = outside[k - 1]
            raise _fail(
                lambda o, w=where, s=share: f"{w}有 {s:.0%} 位于和平区区界外，是其他区的要素；请从文件中删去该要素"
            )
        if name not in chosen and (kind_of(name) == other_layer or (not hit and _names_other_layer(name, as_layer))):
            belongs = _LABEL[other_layer]
            raise _fail(
                lambda o, w=where, b=belongs: (
                    f"{w}是{b}的名称，属于{b}图层，不是{label}；若整份文件是{b}，{o('as', other_layer)}；否则请改正名称"
                )
            )
        if len(hit) != 1:
            if hit:
                why = f"同时对应多个{label}（{'、'.join(bundled['name_zh'].iloc[hit])}）"
            else:
                near = closest(name, free or by_name)
                why = f"对应不上任何{label}；最接近的是：{'、'.join(near)}"
            raise _fail(lambda o, w=where, y=why: f"{w}{y}；请改正名称（或{o('match')[1:]}）")
        rows.append(hit[0])
    if not whole:
        return rows
    seen: dict[int, int] = {}
    for k, row in enumerate(rows, start=1):
        if row in seen:
            first, twin = seen[row], bundled["name_zh"].iloc[row]
            raise _fail(
                lambda o, f=first, t=twin, n=k: (
                    f"{shown}：第 {f} 个和第 {n} 个要素都是 {t}；请合并为一个（多）面要素，或改正名称"
                )
            )
        seen[row] = k
    missing = [bundled["name_zh"].iloc[i] for i in range(len(bundled)) if i not in seen]
    if missing:
        raise _fail(lambda o: f"{shown}：缺少 {'、'.join(missing)}；{label}图层须整体采用")
    return rows


def _names_other_layer(name: str, as_layer: str) -> bool:
    """Whether ``name`` (without a kind of unit) names a feature of the other layer only."""
    other = "zones" if as_layer == "jiedao" else "jiedao"
    frame = _bundled(other)
    return any(name_keys(name) & _bundled_keys(row, other) for _, row in frame.iterrows())


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


def _outside_shares(geoms: gpd.GeoSeries, reference: gpd.GeoDataFrame) -> list[float]:
    metric = geoms.to_crs(MEASURE_CRS)
    district = shapely.union_all(reference.to_crs(MEASURE_CRS).geometry.values).buffer(FAR_OUTSIDE_M)
    return [float(g.difference(district).area / g.area) if g.area else 0.0 for g in metric.values]


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


def _bundled(name: str) -> gpd.GeoDataFrame:
    from hepinggis.base._layer_source import use_boundaries

    with use_boundaries(None):  # match against the bundled features, whatever is in use
        return load(name)


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


def _prepare(delivery: Delivery, read: LayerRead, *, crs: str | int | None) -> tuple[gpd.GeoSeries, CRS]:
    source_crs = _source_crs(delivery.name, read.crs, crs, read.geoms)
    return gpd.GeoSeries(shapely.force_2d(read.geoms.values), crs=source_crs), source_crs


@renamed(file="path", layer="table")
def adopt(
    path: str | Path,
    *,
    as_layer: str,
    out: str | Path,
    name_col: str | None = None,
    crs: str | int | None = None,
    table: str | None = None,
    encoding: str | None = None,
    accuracy_m: float = 1.0,
    tolerance_m: float | None = None,
    matches: dict[str, str] | None = None,
    when: dt.date | None = None,
    who: str | None = None,
    shown_name: str | None = None,
) -> gpd.GeoDataFrame:
    """Bring the delivery ``path`` into the schema of ``as_layer`` and write it to the GeoPackage ``out``.

    ``out`` is then a GeoPackage of adopted boundaries: ``boundaries=`` of `hepinggis.load`,
    `hepinggis.use_boundaries`, ``--boundaries`` on the command line.

    Parameters
    ----------
    path : str or pathlib.Path
        A delivery as an office sends it: Shapefile (or a zip with it, in a folder or beside
        others), GeoPackage, FileGDB (the .gdb folder or zipped), KML/KMZ or GeoJSON. ``file=`` is
        its old name (deprecated, warns).
    as_layer : str
        ``zones``, ``jiedao`` or ``district``.
    out : str or pathlib.Path
        The GeoPackage of adopted boundaries; the table ``as_layer`` is added or replaced, the
        others are kept (several calls build it up). Written atomically, with QGIS styles; each
        adoption is kept as a version beside it (``<stem>.history``).
    name_col : str, optional
        The names' column (default: a known column, else the one whose values name the features).
    crs : str or int, optional
        The delivery's (input) coordinate system where the file has no ``.prj`` (or a wrong one).
    table : str, optional
        The layer (table) of a GeoPackage, FileGDB or zip that holds several (``--table`` on the
        command line); a GeoPackage of adopted boundaries gives the table ``as_layer``. ``layer=``
        is its old name (deprecated, warns).
    encoding : str, optional
        The attribute encoding (default: judged from the .dbf records, whatever the .cpg says).
    accuracy_m : float
        The accuracy stated for the official boundaries (default 1 m); the tolerance by default.
    tolerance_m : float, optional
        Gaps and overlaps no wider than this (m) are closed and reported; wider ones refuse.
    matches : dict, optional
        Corrections of the matching: a name as written in the file → the bundled id or name.
    when, who : optional
        The day of adoption (default today) and who adopts (default the login name).
    shown_name : str, optional
        The file's name as the user knows it (an upload kept under another name).

    Returns
    -------
    geopandas.GeoDataFrame
        The adopted layer as written (EPSG:4326, the bundled attributes, ``adopted_from`` and
        ``adopted_on``); ``attrs["notes"]`` lists what was repaired, closed or is worth knowing,
        in Chinese; ``attrs["version"]`` the history entry.

    Raises
    ------
    AdoptError
        A delivery not read here (saying what to export), an unmatched or repeated name, a zone
        name on a 街道 (or the reverse), a feature of another district, a missing or wrong CRS
        (naming the likely one), an invalid or non-polygon feature, a gap, overlap or part outside
        wider than the tolerance (each naming the features, width, area and place), or an adopted
        layer the new district would leave untiled; nothing is written then.

    Examples
    --------
    Adopt a GeoPackage holding the bundled zones (as an office's delivery would), then read them:

    >>> import datetime, pathlib, tempfile, hepinggis
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> delivery = hepinggis.export(tmp / "功能区.gpkg", names=["zones"])
    >>> adopted = hepinggis.adopt(
    ...     delivery, as_layer="zones", out=tmp / "boundaries.gpkg", table="zones", name_col="name_zh",
    ...     when=datetime.date(2026, 12, 1), who="王工",
    ... )
    >>> len(adopted), str(adopted["adopted_on"].iloc[0])
    (6, '2026-12-01')
    >>> len(hepinggis.load("zones", boundaries=tmp / "boundaries.gpkg"))
    6
    """
    path = Path(path)
    shown = shown_name or path.name
    if as_layer not in ADOPTABLE:
        raise _fail(
            lambda o: (
                f"「{as_layer}」不是可采用的图层：须为功能区（zones）、街道（jiedao）或区界（district）；{o('as')}"
            )
        )
    out = Path(out)
    if out.suffix.lower() != ".gpkg":
        raise AdoptError(f"{out}：采用的图层写入 GeoPackage（.gpkg）")
    tolerance = float(accuracy_m if tolerance_m is None else tolerance_m)
    if not np.isfinite(tolerance) or tolerance < 0 or tolerance > FAR_OUTSIDE_M:
        raise _fail(lambda o: f"容差 {tolerance:g} m 不合理：须在 0 到 {FAR_OUTSIDE_M:.0f} m 之间；{o('accuracy')}")
    with tempfile.TemporaryDirectory(prefix="hepinggis-adopt-") as work:
        delivery = open_delivery(path, Path(work), shown=shown)
        ref = delivery.choose(table, prefer=as_layer)
        read = read_layer(ref, encoding=encoding)
        own, source_crs = _prepare(delivery, read, crs=crs)
        bundled = _bundled(as_layer)
        names = _names(shown, read.frame, name_col, as_layer, bundled)
        in_out = adopted_names(out) if out.is_file() else []
        district = load("district", boundaries=out) if as_layer != "district" and "district" in in_out else None
        reference = district if district is not None else _bundled("district")
        where = placement_problem(own, source_crs, reference)
        if where is not None:
            page = placement_problem(own, source_crs, reference, _page_namer())
            err = AdoptError(f"{shown}：{where}")
            err.page_text = f"{shown}：{page}"
            raise err
        _valid_in_own_crs(shown, list(names), own)
        geoms, notes = _reproject(shown, list(names), own)
        rows = _match(shown, names, bundled, as_layer, outside=_outside_shares(geoms, reference), matches=matches)
        frame = read.frame
        label = ref.label
    if read.encoding is not None and read.encoding.note:
        notes.insert(0, read.encoding.note)
    order = [int(k) for k in np.argsort(rows)]
    day = (when or dt.date.today()).isoformat()
    adopted = gpd.GeoDataFrame(
        bundled.drop(columns="geometry").iloc[[rows[k] for k in order]].reset_index(drop=True),
        geometry=list(geoms.values[order]),
        crs=4326,
    )
    # credited as delivered, with the layer taken where the delivery is a container (a zip, a GeoPackage …)
    credited = shown if label == shown else f"{shown}（{label.removeprefix(shown + ' › ')}）"
    original, source = _provenance(frame, order, credited, day)
    adopted["source"] = source
    adopted["method"] = "adopted"
    adopted["accuracy_m"] = float(accuracy_m)
    adopted["adopted_from"] = original
    adopted["adopted_on"] = day
    notes += _snap(adopted, district, tolerance, as_layer)
    notes += _check_tiling(shown, adopted, as_layer, district, out, in_out, tolerance)
    adopted.attrs["notes"] = notes
    adopted.attrs["version"] = _write(
        adopted, as_layer, out, file=shown, sha256=file_sha256(path), who=who, notes=notes
    )
    return adopted


def _page_namer() -> Namer:
    from hepinggis.base.messages import page_control

    return page_control


def _landing(geoms: gpd.GeoSeries, code: int) -> list[str]:
    """The bundled 街道 that the features' inner points land in, read in EPSG ``code``."""
    try:
        points = gpd.GeoSeries(geoms.values, crs=code).representative_point().to_crs(4326)
    except Exception:  # PROJ refuses numbers far outside the projection
        return []
    jiedao = _bundled("jiedao")
    hits = gpd.sjoin(gpd.GeoDataFrame(geometry=points), jiedao[["name_zh", "geometry"]], predicate="within")
    return list(dict.fromkeys(str(n) for n in hits["name_zh"]))


def inspect_delivery(
    file: str | Path,
    *,
    as_layer: str,
    layer: str | None = None,
    encoding: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    matches: dict[str, str] | None = None,
    shown_name: str | None = None,
    samples: int = 5,
) -> dict[str, Any]:
    """What the 边界 page shows after an upload, for the user to confirm or correct: the layers,
    the columns with sample values (decoded, and the encoding judged), the CRS as read or the ones
    proposed by where the features land (with the 街道 they land in), and each feature's match.
    Never raises on the file's content: the first problem found is ``problem`` (naming the page's
    controls), and what could be read up to there is filled in."""
    path = Path(file)
    shown = shown_name or path.name
    bundled = _bundled(as_layer) if as_layer in ADOPTABLE else _bundled("jiedao")
    out: dict[str, Any] = {
        "file": shown,
        "as": as_layer,
        "layers": [],
        "layer": None,
        "encoding": None,
        "encodings": ["UTF-8", "GBK", "GB18030"],
        "columns": [],
        "name_col": None,
        "crs": {
            "read": None,
            "proposed": [],
            "others": [{"code": f"EPSG:{c}", "label": label} for c, label in CANDIDATES.items()],
        },
        "features": [],
        "choices": [{"id": str(i), "name_zh": str(n)} for i, n in zip(bundled["id"], bundled["name_zh"], strict=True)],
        "problem": None,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="hepinggis-inspect-") as work:
            delivery = open_delivery(path, Path(work), shown=shown)
            out["layers"] = [r.label for r in delivery.layers]
            ref = delivery.choose(layer, prefer=as_layer)
            out["layer"] = ref.label
            read = read_layer(ref, encoding=encoding)
        if read.encoding is not None:
            out["encoding"] = {"label": read.encoding.label, "note": read.encoding.note, "cpg": read.encoding.cpg}
        out["columns"] = [
            {"name": str(c), "samples": [str(v) for v in read.frame[c].head(samples)]} for c in read.frame.columns
        ]
        raw = gpd.GeoSeries(shapely.force_2d(read.geoms.values))
        likely = likely_crs(raw, _bundled("district"))
        out["crs"]["proposed"] = [
            {"code": f"EPSG:{c}", "label": CANDIDATES[c], "lands_in": _landing(raw, c)[:10]} for c in likely
        ]
        if read.crs:
            shown_crs = CRS.from_user_input(read.crs)
            code = shown_crs.to_epsg()
            out["crs"]["read"] = {"code": f"EPSG:{code}" if code else shown_crs.name, "label": shown_crs.name}
        column = _name_column(read.frame, name_col, bundled, as_layer)
        out["name_col"] = column
        names = _names(shown, read.frame, name_col, as_layer, bundled)
        crs_problem, shares, own, source_crs = None, None, None, None
        try:
            own, source_crs = _prepare(delivery, read, crs=crs)
            shares = _outside_shares(own.to_crs(4326), _bundled("district"))
        except AdoptError as exc:
            crs_problem = exc.page_text or str(exc)
        for k, name in enumerate(names):
            entry: dict[str, Any] = {"n": k + 1, "name": str(name), "id": None, "name_zh": None, "problem": None}
            try:
                share = [shares[k]] if shares is not None else None
                row = _match(shown, names.iloc[[k]], bundled, as_layer, outside=share, matches=matches, whole=False)
                entry["id"], entry["name_zh"] = str(bundled["id"].iloc[row[0]]), str(bundled["name_zh"].iloc[row[0]])
            except AdoptError as exc:
                entry["problem"] = exc.page_text or str(exc)
            out["features"].append(entry)
        if crs_problem is not None or own is None or source_crs is None:
            out["problem"] = crs_problem
            return out
        where = placement_problem(own, source_crs, _bundled("district"), _page_namer())
        if where is not None:
            out["problem"] = f"{shown}：{where}"
            return out
        _match(shown, names, bundled, as_layer, outside=shares, matches=matches)
    except AdoptError as exc:
        out["problem"] = exc.page_text or str(exc)
    return out
