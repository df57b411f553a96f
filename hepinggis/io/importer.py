"""Importing planners' project lists without losing a row.

Every input record is either imported or rejected with its row number, the field and the reason;
rows that import but look wrong (outside the district, apparently in another datum) are warned
about. Nothing is dropped and no CRS is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from hepinggis.io._cells import amounts, number_cells, text_cells, without_controls
from hepinggis.io._columns import COLUMN_NAMES, find_columns, looks_like_header
from hepinggis.io._import_report import Rejections, Report
from hepinggis.io._money import Amount
from hepinggis.io._outside import warn_outside
from hepinggis.io._positions import geometries, geometry_positions, xy_positions
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.io._tables import ImportFileError, RawTable, read_raw
from hepinggis.io.coords import SUPPORTED_CRS, normalise_crs
from hepinggis.maps._credits import credit_list

__all__ = ["COLUMN_NAMES", "ImportFileError", "ImportResult", "read_projects"]


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
        cell is ever a formula (see `hepinggis.io._sheets`)."""
        path = Path(path)
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            write_workbook({"report": self.report}, path)
        else:
            write_csv(self.report, path)


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


def _identity_checks(
    frame: pd.DataFrame, raw: RawTable, cols: dict[str, str], rows: np.ndarray, rej: Rejections
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Empty rows, missing names and repeated ids (naming the first row); returns names, ids and
    which rows have no geometry."""
    n = len(frame)
    names = text_cells(frame[cols["name"]])
    ids = text_cells(frame[cols["id"]]) if "id" in cols else pd.Series([""] * n, index=frame.index)
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
    return names, ids, no_geom


def _attributes(
    frame: pd.DataFrame, cols: dict[str, str], rej: Rejections
) -> tuple[dict[str, object], list[Amount] | None]:
    """Category, status, nature, address, year (refused unless a whole year 1900–2100) and the
    investment read into 元."""
    extras: dict[str, object] = {}
    for role in ("category", "status", "nature", "address"):
        if role in cols or role in ("category", "status"):
            extras[role] = text_cells(frame[cols[role]]).replace("", None).to_numpy() if role in cols else None
    if "year" in cols:
        values, _blank, bad = number_cells(frame[cols["year"]])
        if bad.any():
            rej.add(bad, cols["year"], [f"{v!r} is not a number" for v in text_cells(frame[cols["year"]])])
        not_year = np.isfinite(values) & ~((values >= 1900) & (values <= 2100) & (np.mod(values, 1) == 0))
        rej.add(not_year, cols["year"], [f"{v:g} is not a year" for v in values])
        extras["year"] = pd.array(np.where(np.isfinite(values), values, np.nan), dtype="Int64")
    else:
        extras["year"] = None
    money = amounts(frame[cols["investment"]], cols["investment"]) if "investment" in cols else None
    extras["investment_cny"] = None if money is None else np.array([a.value for a in money], dtype=float)
    return extras, money


def _report(
    raw: RawTable,
    rows: np.ndarray,
    ids: pd.Series,
    names: pd.Series,
    rej: Rejections,
    cleaned: dict[int, list[str]],
    money: list[Amount] | None,
    investment_col: str | None,
) -> Report:
    """The report's lines for rejected rows, rows that could not be split, and warnings."""
    ok = rej.ok
    report = Report(raw.row_label)
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
        notes = [*cleaned.get(int(i), []), *([raw.row_notes[int(rows[i])]] if int(rows[i]) in raw.row_notes else [])]
        for message in notes:
            report.add(int(rows[i]), ids.iloc[i] or None, names.iloc[i] or None, "imported", "warning", None, message)
        if money is not None and money[i].level == "warning":
            report.add(
                int(rows[i]),
                ids.iloc[i] or None,
                names.iloc[i] or None,
                "imported",
                "warning",
                investment_col,
                money[i].note,
            )
    return report


def _import(path: Path, raw: RawTable, cols: dict[str, str], source_crs: str) -> ImportResult:
    frame, cleaned = without_controls(raw.frame)
    n = len(frame)
    rows = np.asarray(raw.row_numbers, dtype="int64")
    rej = Rejections(n)
    names, ids, no_geom = _identity_checks(frame, raw, cols, rows, rej)
    if raw.geometry is None:
        frame, cols, xs, ys = xy_positions(frame, cols, source_crs, rej)
    else:
        xs, ys = geometry_positions(raw, rows, no_geom, source_crs, rej)
    extras, money = _attributes(frame, cols, rej)
    ok = rej.ok
    out = gpd.GeoDataFrame(
        {
            raw.row_label: rows,
            "id": ids.replace("", None).to_numpy(),
            "name": names.replace("", None).to_numpy(),
            **extras,
            "source_crs": source_crs,
        },
        geometry=geometries(raw, xs, ys, ok, source_crs),
        crs="EPSG:4326",
    )
    for col in frame.columns:
        if col not in cols.values() and col not in out.columns and not col.startswith("__"):
            out[col] = frame[col].to_numpy()
    if raw.geometry is None:
        out["source_x"], out["source_y"] = xs, ys
    if money is not None:  # what each investment cell was read as, beside the value
        out["investment_text"] = text_cells(frame[cols["investment"]]).to_numpy()
        out["investment_approx"] = np.array([a.approx for a in money], dtype=bool)
        out["investment_read"] = np.array([a.note for a in money], dtype=object)
    projects = out[ok].reset_index(drop=True)
    report = _report(raw, rows, ids, names, rej, cleaned, money, cols.get("investment"))
    warn_outside(projects, raw.row_label, source_crs, xs[ok], ys[ok], report)
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
