"""Importing planners' project lists without losing a row.

Every input record is either imported or rejected with its row number, the field and the reason;
rows that import but look wrong (outside the district, apparently in another datum) are warned
about. Nothing is dropped and no CRS is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from hepinggis.io._columns import COLUMN_NAMES, find_columns, looks_like_header
from hepinggis.io._money import Amount, header_unit, parse_amount
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.io._tables import ImportFileError, RawTable, read_raw
from hepinggis.io.coords import SUPPORTED_CRS, normalise_crs, to_wgs84
from hepinggis.maps._credits import credit_list
from hepinggis.plan.layers import load

__all__ = ["COLUMN_NAMES", "ImportFileError", "ImportResult", "read_projects"]

_OUTSIDE_M = 200.0  # tolerance before a point counts as outside the district


@dataclass
class ImportResult:
    """What `read_projects` returns: the imported projects and the row-by-row report."""

    projects: gpd.GeoDataFrame
    report: pd.DataFrame
    source: str
    encoding: str | None
    crs: str
    rows_in: int
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def rejected(self) -> pd.DataFrame:
        """The rejected rows: one line each, with row number, field and reason."""
        return self.report[self.report["outcome"] == "rejected"].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        """Warnings about imported rows (outside the district, probable other datum)."""
        return self.report[self.report["level"] == "warning"].reset_index(drop=True)

    @property
    def n_imported(self) -> int:
        return len(self.projects)

    @property
    def n_rejected(self) -> int:
        return int(self.report.loc[self.report["outcome"] == "rejected", "row"].nunique())

    @property
    def n_warned(self) -> int:
        return int(self.report.loc[self.report["level"] == "warning", "row"].nunique())

    def summary(self) -> str:
        enc = f", encoding {self.encoding}" if self.encoding else ""
        return (
            f"{self.source}: {self.rows_in} rows in ({self.crs}{enc}) → {self.n_imported} imported, "
            f"{self.n_rejected} rejected, {self.n_warned} imported with warnings"
        )

    def write_report(self, path: Path) -> None:
        """Write the report as CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX, by suffix; no
        cell is ever a formula (see `hepinggis._sheets`)."""
        path = Path(path)
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            write_workbook({"report": self.report}, path)
        else:
            write_csv(self.report, path)


class _Report:
    def __init__(self, label: str) -> None:
        self.rows: list[dict[str, object]] = []
        self.chunks: list[pd.DataFrame] = []
        self.label = label

    def add(
        self, row: int | None, rid: object, name: object, outcome: str, level: str, fieldname: str | None, message: str
    ) -> None:
        self.rows.append(
            {
                "row": row,
                "id": rid,
                "name": name,
                "outcome": outcome,
                "level": level,
                "field": fieldname,
                "message": message,
            }
        )

    def extend(self, frame: pd.DataFrame) -> None:
        self.chunks.append(frame)

    def frame(self) -> pd.DataFrame:
        cols = ["row", "id", "name", "outcome", "level", "field", "message"]
        parts = [pd.DataFrame(self.rows, columns=cols), *(c[cols] for c in self.chunks)]
        return pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)


def _check_coordinates(x: float, y: float, crs: str) -> tuple[str, str] | None:
    """(field, reason) when a coordinate pair cannot be in ``crs``; None when it may be."""
    if crs in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        if not -180 <= x <= 180 or not -90 <= y <= 90 or not (70 <= x <= 140 and 0 <= y <= 56):
            if 70 <= y <= 140 and 0 <= x <= 56:
                return "x", (
                    f"longitude {x:g} / latitude {y:g} look swapped (Heping is near 123.4°E, 41.8°N); "
                    "fix the columns or pass columns={'x': …, 'y': …}"
                )
            bad = "x" if not 70 <= x <= 140 else "y"
            value = x if bad == "x" else y
            return bad, f"{'longitude' if bad == 'x' else 'latitude'} {value:g} is out of range for China"
        return None
    if crs == "EPSG:4550":
        if 41_000_000 < x < 42_000_000:
            return "x", f"easting {x:.0f} carries the zone number 41: these look like EPSG:4529, not EPSG:4550"
        if not 0 < x < 1_000_000 or not 0 < y < 10_000_000:
            return "x" if not 0 < x < 1_000_000 else "y", f"({x:g}, {y:g}) is out of range for EPSG:4550"
        return None
    if crs == "EPSG:3857":
        if not abs(x) < 20_037_509 or not abs(y) < 20_048_967:
            return "x" if not abs(x) < 20_037_509 else "y", f"({x:g}, {y:g}) is out of range for EPSG:3857"
        return None
    if not 41_000_000 < x < 42_000_000:
        hint = ": this looks like EPSG:4550 (no zone prefix)" if 0 < x < 1_000_000 else ""
        return "x", f"easting {x:g} is out of range for EPSG:4529 (41 xxx xxx m){hint}"
    if not 0 < y < 10_000_000:
        return "y", f"northing {y:g} is out of range for EPSG:4529"
    return None


#: The geometry types a project may have.
_GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"})
#: Farther than this from the district (km) a row is refused: it cannot be a project of Heping.
FAR_KM = 50.0
_CENTRE = (123.40, 41.76)  # lon, lat of the district, for the distance and swap hints


def _km_from_heping(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) from the district's centre (haversine on the mean Earth radius)."""
    lo, la = np.radians(lon), np.radians(lat)
    c_lo, c_la = np.radians(_CENTRE[0]), np.radians(_CENTRE[1])
    h = np.sin((la - c_la) / 2) ** 2 + np.cos(la) * np.cos(c_la) * np.sin((lo - c_lo) / 2) ** 2
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def _place_checks(xs: np.ndarray, ys: np.ndarray, crs: str, fieldname: str, rej: _Rejections) -> None:
    """Refuse rows whose position is outside the valid range or far from Shenyang, with a hint:
    swapped longitude/latitude, metres given as degrees, or another ``--crs``."""
    idx = np.flatnonzero(rej.ok & np.isfinite(xs) & np.isfinite(ys))
    if idx.size == 0:
        return
    x, y = xs[idx], ys[idx]
    geographic = crs in ("wgs84", "gcj02", "bd09", "cgcs2000")
    in_range = (np.abs(x) <= 180) & (np.abs(y) <= 90) if geographic else np.ones(idx.size, dtype=bool)
    km = np.full(idx.size, np.inf)
    if in_range.any():
        with np.errstate(all="ignore"):
            lon, lat = to_wgs84(x[in_range], y[in_range], crs)
        km[in_range] = np.where(np.isfinite(lon) & np.isfinite(lat), _km_from_heping(lon, lat), np.inf)
    far = km > FAR_KM
    if not far.any():
        return
    messages = np.full(len(xs), "", dtype=object)
    for j in np.flatnonzero(far):
        messages[idx[j]] = _far_hint(float(x[j]), float(y[j]), crs, geographic, float(km[j]))
    mask = np.zeros(len(xs), dtype=bool)
    mask[idx[far]] = True
    rej.add(mask, fieldname, list(messages))


def _far_hint(x: float, y: float, crs: str, geographic: bool, km: float) -> str:
    where = f"坐标 ({x:g}, {y:g})"
    if geographic and abs(x) <= 90 and abs(y) <= 180 and _km_from_heping(np.array([y]), np.array([x]))[0] < FAR_KM:
        return f"{where} 经纬度可能颠倒：对调后才位于和平区附近，请检查经度、纬度两列（或 GeoJSON 的坐标顺序）"
    if geographic and (abs(x) > 180 or abs(y) > 90):
        return (
            f"{where} 超出经纬度范围，像是以米为单位的投影坐标：请用 --crs 给出坐标系"
            "（如 EPSG:4550、EPSG:4529 或 Web 墨卡托 EPSG:3857）"
        )
    return f"{where} 按 {crs} 距和平区约 {km:,.0f} km，不可能是本区项目：--crs 是否有误？"


def _file_crs_name(file_crs: str | None) -> str | None:
    if file_crs is None:
        return None
    crs = CRS.from_user_input(file_crs)
    if len(crs.axis_info) == 3 and hasattr(crs, "to_2d"):  # 3-D (e.g. EPSG:4979): the same datum in 2-D
        crs = crs.to_2d()
    epsg = crs.to_epsg()
    known = {4326: "wgs84", 4490: "cgcs2000", 4550: "EPSG:4550", 4529: "EPSG:4529", 3857: "EPSG:3857"}
    if epsg not in known:
        raise ImportFileError(
            f"the file's coordinate system ({crs.name}) is not one hepinggis reads: reproject it to one of "
            f"{', '.join(SUPPORTED_CRS)} (e.g. in QGIS), or pass --crs if the file's label is wrong"
        )
    return known[epsg]


def read_projects(
    path: str | Path,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    header_row: int | None = None,
) -> ImportResult:
    """Read a project list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) into WGS 84, row by row.

    Parameters
    ----------
    path : str or Path
        The file. CSV encodings are detected (UTF-8, UTF-8 with BOM, GBK/GB18030); a Shapefile
        without ``.cpg`` has its ``.dbf`` encoding detected the same way.
    crs : str
        The coordinates' system: ``"wgs84"``, ``"gcj02"`` (AMap/Gaode), ``"bd09"`` (Baidu),
        ``"cgcs2000"``, ``"EPSG:4550"`` or ``"EPSG:4529"``. Required for CSV/XLSX; for GIS files it
        defaults to the file's own CRS and overrides it when given (e.g. GCJ-02 points labelled 4326).
    encoding : str, optional
        Force an encoding instead of detecting it.
    columns : mapping, optional
        Role → column for columns not recognised by name (roles: ``id``, ``name``, ``x``, ``y``,
        ``category``, ``status``, ``year``, ``investment``); see `COLUMN_NAMES`.
    sheet, layer : optional
        The XLSX sheet, or the GeoPackage layer (a GeoPackage with several layers needs it).
    header_row : int, optional
        The row holding the column names, numbered as the spreadsheet shows it. By default it is
        found: the first of the top rows that names the project and its coordinates (a title such as
        ``和平区2023年重点项目清单`` and blank rows above it are skipped).

    Returns
    -------
    ImportResult
        ``projects`` (GeoDataFrame, EPSG:4326, with the source row number) and ``report`` (one line
        per rejection or warning, plus one per imported row); imported + rejected = rows in.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hepinggis.coords import wgs84_to_gcj02
    >>> x, y = wgs84_to_gcj02(123.4180, 41.7580)
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> _ = f.write_text(f"名称,经度,纬度\\n三好街项目,{x:.7f},{y:.7f}\\n坏行,abc,41.7\\n", encoding="gbk")
    >>> result = read_projects(f, crs="gcj02")
    >>> result.n_imported, result.n_rejected, result.encoding
    (1, 1, 'gb18030')
    """
    path = Path(path)
    raw = read_raw(
        path, encoding=encoding, sheet=sheet, layer=layer, header_row=header_row, is_header=looks_like_header
    )
    headers = [str(c) for c in raw.frame.columns]
    raw.frame.columns = headers
    cols = find_columns(headers, columns)
    declared = normalise_crs(crs) if crs is not None else None
    if raw.geometry is None:
        if declared is None:
            raise ImportFileError(
                f"{path}: say which coordinate system the columns are in (crs='wgs84', 'gcj02', "
                "'bd09', 'cgcs2000', 'EPSG:4550' or 'EPSG:4529'); hepinggis does not guess"
            )
        missing = [r for r in ("name", "x", "y") if r not in cols and not (r in "xy" and "xy" in cols)]
        if missing:
            raise ImportFileError(
                f"{path}: no column found for {', '.join(missing)} (columns: {', '.join(headers)}); "
                "pass columns={'x': …, 'y': …, 'name': …}"
            )
        source_crs = declared
    else:
        try:
            file_crs = _file_crs_name(raw.file_crs) if declared is None else None
        except ImportFileError as exc:
            raise ImportFileError(f"{path}: {exc}") from exc
        if declared is None and file_crs is None:
            raise ImportFileError(f"{path}: the file has no CRS; pass crs=… (hepinggis does not guess)")
        source_crs = declared or file_crs or "wgs84"
        if "name" not in cols:
            raise ImportFileError(
                f"{path}: no name column found (columns: {', '.join(headers)}); pass columns={{'name': …}}"
            )
    return _import(path, raw, cols, source_crs)


def _text(series: pd.Series, *, nfkc: bool = False) -> pd.Series:
    """Cells as strings with surrounding blanks stripped, otherwise exactly as written; with ``nfkc``
    (for numbers and coordinates only) full-width digits and signs (１２３．５) are normalised."""
    out = series.astype(str).str.strip()
    if nfkc:
        wide = ~out.map(str.isascii)
        if wide.any():
            out[wide] = out[wide].map(lambda v: unicodedata.normalize("NFKC", v).strip())
    return out.where(~series.isna(), "")


def _numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, blank, garbage): parsed floats, blank cells, cells that are not finite numbers."""
    text = _text(series, nfkc=True)
    blank = (text == "").to_numpy()
    values = pd.to_numeric(text.where(~blank, None), errors="coerce").to_numpy(dtype="float64")
    garbage = ~blank & ~np.isfinite(values)
    return values, blank, garbage


class _Rejections:
    """The first reason each row is rejected for (later checks do not overwrite earlier ones)."""

    def __init__(self, n: int) -> None:
        self.field = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)
        self.ok = np.ones(n, dtype=bool)

    def add(self, mask: np.ndarray, fieldname: str | None, message: str | list[str]) -> None:
        take = mask & self.ok
        if isinstance(message, str):
            self.message[take] = message
        else:
            self.message[take] = np.asarray(message, dtype=object)[take]
        self.field[take] = fieldname
        self.ok &= ~take


def _coordinate_checks(xs: np.ndarray, ys: np.ndarray, crs: str, cols: dict[str, str], rej: _Rejections) -> None:
    candidates = np.flatnonzero(rej.ok & np.isfinite(xs) & np.isfinite(ys))
    if crs in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        fine = (xs >= 70) & (xs <= 140) & (ys >= 0) & (ys <= 56)
    elif crs == "EPSG:4550":
        fine = (xs > 0) & (xs < 1_000_000) & (ys > 0) & (ys < 10_000_000)
    elif crs == "EPSG:3857":
        fine = (np.abs(xs) < 20_037_509) & (np.abs(ys) < 20_048_967)
    else:
        fine = (xs > 41_000_000) & (xs < 42_000_000) & (ys > 0) & (ys < 10_000_000)
    for i in candidates[~fine[candidates]]:  # only the bad rows pay for a message
        problem = _check_coordinates(float(xs[i]), float(ys[i]), crs)
        if problem:
            mask = np.zeros(len(xs), dtype=bool)
            mask[i] = True
            rej.add(mask, cols[problem[0]], problem[1])


def _import(path: Path, raw: RawTable, cols: dict[str, str], source_crs: str) -> ImportResult:
    frame, cleaned = _without_controls(raw.frame)
    n = len(frame)
    rows = np.asarray(raw.row_numbers, dtype="int64")
    rej = _Rejections(n)
    names = _text(frame[cols["name"]])
    ids = _text(frame[cols["id"]]) if "id" in cols else pd.Series([""] * n, index=frame.index)
    no_geom = raw.geometry.isna().to_numpy() if raw.geometry is not None else np.ones(n, dtype=bool)
    empty = frame.astype(str).apply(lambda c: c.str.strip()).eq("").all(axis=1).to_numpy() & no_geom
    rej.add(empty, None, "the row is empty")
    rej.add((names == "").to_numpy(), cols["name"], "the name is missing")
    if "id" in cols:
        dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
        if dup.any():
            firsts = ~ids.duplicated(keep="first").to_numpy()
            first = dict(zip(ids[firsts], rows[firsts], strict=True))
            rej.add(
                dup,
                cols["id"],
                [
                    f"duplicate id {v!r} (first used on {raw.row_label} {first[v]})" if d else ""
                    for v, d in zip(ids, dup, strict=True)
                ],
            )
    xs = np.full(n, np.nan)
    ys = np.full(n, np.nan)
    if raw.geometry is None and "xy" in cols:
        parts = _text(frame[cols["xy"]], nfkc=True).str.split(r"[,，;；\s]+", regex=True)
        two = parts.map(len) == 2
        blank = _text(frame[cols["xy"]]) == ""
        rej.add(
            (~two & ~blank).to_numpy(),
            cols["xy"],
            [f"{v!r} is not 'longitude,latitude'" for v in _text(frame[cols["xy"]])],
        )
        frame = frame.assign(
            **{
                "__x": parts.map(lambda p: p[0] if len(p) == 2 else ""),
                "__y": parts.map(lambda p: p[1] if len(p) == 2 else ""),
            }
        )
        cols = {**cols, "x": "__x", "y": "__y"}
    if raw.geometry is None:
        xs, x_blank, x_bad = _numbers(frame[cols["x"]])
        ys, y_blank, y_bad = _numbers(frame[cols["y"]])
        for bad, col in ((x_bad, cols["x"]), (y_bad, cols["y"])):
            if bad.any():
                rej.add(bad, col, [f"{v!r} is not a number" for v in _text(frame[col])])
        rej.add(x_blank, cols["x"], "the coordinate is missing")
        rej.add(y_blank, cols["y"], "the coordinate is missing")
        _coordinate_checks(xs, ys, source_crs, cols, rej)
        _place_checks(xs, ys, source_crs, cols["x"], rej)
    else:
        geoms = raw.geometry
        kinds = geoms.geom_type.to_numpy(dtype=object)
        unsupported = ~no_geom & ~geoms.is_empty.to_numpy() & ~np.isin(kinds, list(_GEOMETRY_TYPES))
        rej.add(
            unsupported,
            "geometry",
            [f"几何类型 {k} 不受支持：请拆分为点、线或面（Point/LineString/Polygon 及其 Multi 类型）" for k in kinds],
        )
        rej.add(no_geom | geoms.is_empty.to_numpy(), "geometry", "the geometry is empty")
        has_z = np.asarray(shapely.has_z(geoms.values), dtype=bool) & rej.ok
        if has_z.any():  # heights play no part here: dropped, and said so on each row
            geoms = gpd.GeoSeries(np.where(has_z, shapely.force_2d(geoms.values), geoms.values), crs=geoms.crs)
            raw.geometry = geoms
            for i in np.flatnonzero(has_z):
                raw.row_notes[int(rows[i])] = "已去掉 Z 坐标（高程），只保留平面位置"
        invalid = ~geoms.is_valid.to_numpy() & rej.ok
        if invalid.any():
            rej.add(
                invalid,
                "geometry",
                [f"the geometry is invalid: {shapely.is_valid_reason(g)}" if g is not None else "" for g in geoms],
            )
        is_point = (geoms.geom_type == "Point").to_numpy() & rej.ok
        xs[is_point] = shapely.get_x(geoms.values[is_point])
        ys[is_point] = shapely.get_y(geoms.values[is_point])
        bounds = np.full((n, 4), np.nan)
        usable = rej.ok & ~no_geom
        bounds[usable] = shapely.bounds(geoms.values[usable])
        _place_checks((bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, source_crs, "geometry", rej)
    extras: dict[str, object] = {}
    for role in ("category", "status", "nature", "address"):
        if role in cols or role in ("category", "status"):
            extras[role] = _text(frame[cols[role]]).replace("", None).to_numpy() if role in cols else None
    if "year" in cols:
        values, _blank, bad = _numbers(frame[cols["year"]])
        if bad.any():
            rej.add(bad, cols["year"], [f"{v!r} is not a number" for v in _text(frame[cols["year"]])])
        not_year = np.isfinite(values) & ~((values >= 1900) & (values <= 2100) & (np.mod(values, 1) == 0))
        rej.add(not_year, cols["year"], [f"{v:g} is not a year" for v in values])
        extras["year"] = pd.array(np.where(np.isfinite(values), values, np.nan), dtype="Int64")
    else:
        extras["year"] = None
    amounts = _amounts(frame[cols["investment"]], cols["investment"]) if "investment" in cols else None
    extras["investment_cny"] = None if amounts is None else np.array([a.value for a in amounts], dtype=float)
    ok = rej.ok
    out = gpd.GeoDataFrame(
        {
            raw.row_label: rows,
            "id": ids.replace("", None).to_numpy(),
            "name": names.replace("", None).to_numpy(),
            **extras,
            "source_crs": source_crs,
        },
        geometry=_geometries(raw, xs, ys, ok, source_crs),
        crs="EPSG:4326",
    )
    for col in frame.columns:
        if col not in cols.values() and col not in out.columns and not col.startswith("__"):
            out[col] = frame[col].to_numpy()
    if raw.geometry is None:
        out["source_x"], out["source_y"] = xs, ys
    if amounts is not None:  # what each investment cell was read as, beside the value
        out["investment_text"] = _text(frame[cols["investment"]]).to_numpy()
        out["investment_approx"] = np.array([a.approx for a in amounts], dtype=bool)
        out["investment_read"] = np.array([a.note for a in amounts], dtype=object)
    projects = out[ok].reset_index(drop=True)
    report = _Report(raw.row_label)
    for i in np.flatnonzero(~ok):
        report.add(
            int(rows[i]),
            ids.iloc[i] or None,
            names.iloc[i] or None,
            "rejected",
            "error",
            rej.field[i],
            str(rej.message[i]),
        )
    for rownum, message in raw.bad_rows:
        report.add(rownum, None, None, "rejected", "error", None, message)
    for i in np.flatnonzero(ok):
        for message in [
            *cleaned.get(int(i), []),
            *([raw.row_notes[int(rows[i])]] if int(rows[i]) in raw.row_notes else []),
        ]:
            report.add(int(rows[i]), ids.iloc[i] or None, names.iloc[i] or None, "imported", "warning", None, message)
    if amounts is not None:
        for i in np.flatnonzero(ok):
            if amounts[i].level == "warning":
                report.add(
                    int(rows[i]),
                    ids.iloc[i] or None,
                    names.iloc[i] or None,
                    "imported",
                    "warning",
                    cols["investment"],
                    amounts[i].note,
                )
    _warn(projects, raw.row_label, source_crs, xs[ok], ys[ok], report)
    imported = pd.DataFrame(
        {
            "row": rows[ok],
            "id": projects["id"].to_numpy(),
            "name": projects["name"].to_numpy(),
            "outcome": "imported",
            "level": "",
            "field": None,
            "message": "",
        }
    )
    rep = pd.concat([report.frame(), imported], ignore_index=True)
    rep["_o"] = rep["level"].map({"error": 0, "warning": 1, "": 2})
    rep = rep.sort_values(["row", "_o"], kind="stable", na_position="last").drop(columns="_o")
    credit_list(projects, path)
    return ImportResult(
        projects, rep.reset_index(drop=True), str(path), raw.encoding, source_crs, n + len(raw.bad_rows), cols
    )


#: Characters that are not text: C0/C1 controls (tab, line feed and carriage return excepted),
#: which make SVG/XML invalid and workbooks unreadable.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _without_controls(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The frame with control characters removed from every text cell, and per row position the
    warnings saying from which columns."""
    out = frame.copy()
    notes: dict[int, list[str]] = {}
    for col in out.columns:
        values = out[col]
        is_text = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not is_text.any():
            continue
        text = values[is_text].astype(str)
        hit = text.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
        if not hit.any():
            continue
        positions = np.flatnonzero(is_text)[hit]
        fixed = values.to_numpy(dtype=object).copy()
        fixed[positions] = text[hit].str.replace(_CONTROL, "", regex=True).to_numpy()
        out[col] = fixed
        for i in positions:
            notes.setdefault(int(i), []).append(f"已删除“{col}”中的控制字符（如 ESC、NUL），其余文字保留")
    return out, notes


def _amounts(series: pd.Series, header: str) -> list[Amount]:
    """Every investment cell read into 元 (see `_money`), with the header's unit where the cell has none."""
    unit = header_unit(header)
    return [parse_amount(v, unit) for v in series]


def _geometries(raw: RawTable, xs: np.ndarray, ys: np.ndarray, ok: np.ndarray, crs: str) -> gpd.GeoSeries:
    out = np.full(len(xs), None, dtype=object)
    if raw.geometry is None:
        lon, lat = to_wgs84(xs[ok], ys[ok], crs)  # vectorised over all good rows at once
        out[ok] = shapely.points(lon, lat)
        return gpd.GeoSeries(out, crs=4326)
    for i in np.flatnonzero(ok):
        g = raw.geometry.iloc[i]
        out[i] = shapely.transform(g, lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1], crs)))
    return gpd.GeoSeries(out, crs=4326)


def _warn(projects: gpd.GeoDataFrame, label: str, crs: str, xs: np.ndarray, ys: np.ndarray, report: _Report) -> None:
    """Warn about imported rows outside the district, and say when another datum would put them inside.

    Containment is tested with a prepared polygon over coordinate arrays (shapely.contains_xy), and
    distances are computed only for the few rows outside, so a million rows cost about a second.
    """
    if projects.empty:
        return
    district = load("district").to_crs("EPSG:4550").geometry.iloc[0]
    zone = district.buffer(_OUTSIDE_M)
    shapely.prepare(zone)
    geoms = projects.geometry.to_crs("EPSG:4550")
    is_point = (geoms.geom_type == "Point").to_numpy()
    outside = np.zeros(len(projects), dtype=bool)
    outside[is_point] = ~shapely.contains_xy(
        zone, shapely.get_x(geoms.values[is_point]), shapely.get_y(geoms.values[is_point])
    )
    outside[~is_point] = ~shapely.intersects(zone, geoms.values[~is_point])
    idx = np.flatnonzero(outside)
    if idx.size == 0:
        return
    dist = shapely.distance(district, geoms.values[idx])
    geographic = crs in ("wgs84", "gcj02", "bd09", "cgcs2000")
    alternatives = [c for c in ("wgs84", "gcj02", "bd09") if c != crs] if geographic else []
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4550", always_xy=True)
    inside_alt: dict[str, np.ndarray] = {}
    finite = np.isfinite(xs[idx]) & np.isfinite(ys[idx])
    for alt in alternatives:
        inside = np.zeros(idx.size, dtype=bool)
        if finite.any():
            lon, lat = to_wgs84(xs[idx][finite], ys[idx][finite], alt)
            mx, my = to_m.transform(lon, lat)
            inside[finite] = shapely.contains_xy(zone, mx, my)
        inside_alt[alt] = inside
    messages = np.asarray(
        [f"outside Heping District ({d / 1000:.2f} km from its edge) as {crs.upper()}" for d in dist], dtype=object
    )
    for alt, inside in reversed(list(inside_alt.items())):  # the first alternative that fits wins
        messages[inside] = [
            f"{m}; it would fall inside if the coordinates were {alt.upper()} — check the datum"
            for m in messages[inside]
        ]
    report.extend(
        pd.DataFrame(
            {
                "row": projects[label].to_numpy()[idx],
                "id": projects["id"].to_numpy()[idx],
                "name": projects["name"].to_numpy()[idx],
                "outcome": "imported",
                "level": "warning",
                "field": "geometry",
                "message": messages,
            }
        )
    )
    if idx.size >= max(2, len(projects) // 2):
        for alt, inside in inside_alt.items():
            if inside.sum() >= 0.8 * idx.size:
                report.add(
                    None,
                    None,
                    None,
                    "imported",
                    "warning",
                    "crs",
                    f"{idx.size} of {len(projects)} rows fall outside the district as {crs.upper()} but "
                    f"{int(inside.sum())} of them would fall inside as {alt.upper()}: the file is probably "
                    f"{alt.upper()}",
                )
