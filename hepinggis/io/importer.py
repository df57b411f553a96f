"""Importing planners' project lists without losing a row.

Every input record is either imported or rejected with its row number, the field and the reason;
rows that import but look wrong (outside the district, apparently in another datum) are warned
about. Nothing is dropped and no CRS is guessed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis.base._credits import ListCredit
from hepinggis.base._renamed import renamed
from hepinggis.base.coords import normalise_crs
from hepinggis.base.messages import Said, crs_name, page_of
from hepinggis.errors import ImportFileError
from hepinggis.io._attributes import PROGRESS_MONEY, PROGRESS_TEXT, attributes, investment_unit
from hepinggis.io._attributes import progress_units as progress_units_of
from hepinggis.io._cells import text_cells, without_controls
from hepinggis.io._columns import COLUMN_NAMES, find_columns, leaf, looks_like_header, name_position
from hepinggis.io._import_crs import _file_crs_name, _tabular_crs
from hepinggis.io._import_report import ENCODING_PAGE, FIELD_PAGE, LEVEL_ZH, OUTCOME_ZH, REPORT_ZH, Rejections
from hepinggis.io._money import Amount
from hepinggis.io._outside import warn_outside
from hepinggis.io._positions import geometries, geometry_positions, xy_positions
from hepinggis.io._prepare import Prepared, prepare_rows
from hepinggis.io._report_lines import report_lines, whole_report
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.io._tables import RawTable, read_raw
from hepinggis.io._units import ColumnUnit

__all__ = ["COLUMN_NAMES", "ImportFileError", "ImportResult", "read_projects"]


@dataclass
class ImportResult:
    """What `read_projects` returns: the imported projects and the row-by-row report.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The rows imported, in EPSG:4326, with ``row`` (the row number the spreadsheet shows).
    report : pandas.DataFrame
        One line per row and finding: ``row``, ``id``, ``name``, ``outcome`` (``imported``,
        ``rejected``, ``skipped``), ``level`` (``warning`` or empty), ``field`` and ``message``
        (in Chinese).
    source : str
        The file read.
    encoding : str or None
        The text encoding detected (None for a workbook).
    crs : str
        The coordinate system the positions were read in (``wgs84``, ``gcj02`` …).
    rows_in : int
        The rows below the header.
    columns : dict of str to str
        Role (``name``, ``x``, ``y`` …) → the column that holds it.
    notes : list of str
        What was read about the file as a whole (Chinese).
    units : dict of str to ColumnUnit
        Amount column → the unit applied, and where it was read.
    title_lines : list of str
        The lines above the header.
    header_rows : list of int
        The header's rows, as the spreadsheet numbers them.
    sheet : str, optional
        The sheet read (None for a CSV).
    skipped_kinds : dict of int to str
        Row → kind of a row set aside (blank, total, section, footer, hidden, filtered).
    credit : ListCredit, optional
        The list's credit (file name, day imported), carried to every product that draws it.

    Attributes
    ----------
    rejected, warnings : pandas.DataFrame
        The report lines of the refused rows, and of the rows imported with a warning.
    n_imported, n_rejected, n_warned, n_skipped : int
        The counts of rows imported, refused, warned and set aside.

    Examples
    --------
    >>> import tempfile, pathlib, hepinggis
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "清单.csv"
    >>> _ = f.write_text("名称,经度,纬度\\n三好街项目,123.418,41.758\\n坏行,abc,41.7\\n", encoding="utf-8")
    >>> result = hepinggis.read_projects(f, crs="wgs84")
    >>> result.columns, result.n_imported, [int(row) for row in result.rejected["row"]]
    ({'name': '名称', 'x': '经度', 'y': '纬度'}, 1, [3])
    >>> result.credit.file
    '清单.csv'
    """

    projects: gpd.GeoDataFrame
    report: pd.DataFrame
    source: str
    encoding: str | None
    crs: str
    rows_in: int
    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was read about the file as a whole (Chinese)
    units: dict[str, ColumnUnit] = field(default_factory=dict)  # amount column → unit applied, and its source
    title_lines: list[str] = field(default_factory=list)  # the lines above the header
    header_rows: list[int] = field(default_factory=list)  # the header's rows, as the spreadsheet numbers them
    sheet: str | None = None
    skipped_kinds: dict[int, str] = field(default_factory=dict)  # row → kind of the row set aside
    #: The list's credit (file name, day imported), carried to every product that draws it.
    credit: ListCredit | None = None

    @property
    def skipped_by_kind(self) -> dict[str, int]:
        """Rows set aside, counted by kind (blank, total, section, footer, hidden, filtered)."""
        counts: dict[str, int] = {}
        for kind in self.skipped_kinds.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts

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

    @property
    def n_skipped(self) -> int:
        """Rows that are not projects (blank, 合计, section headings, 注; hidden with ``skip_hidden``)."""
        return int(self.report.loc[self.report["outcome"] == "skipped", "row"].nunique())

    def summary(self, *, words: str = "cli") -> str:
        """One Chinese line: rows in, imported, refused, set aside, warned. ``words="page"``: as the
        bureau reads it (in a package): the file by its name, the coordinate system and the
        encoding by their Chinese names, never a folder or a code."""
        page = words == "page"
        encoding = ENCODING_PAGE.get(str(self.encoding), str(self.encoding)) if page else self.encoding
        enc = f"，编码 {encoding}" if self.encoding else ""
        sheet = f"（工作表“{self.sheet}”）" if self.sheet else ""
        skipped = f"，非项目行 {self.n_skipped} 行" if self.n_skipped else ""
        source = Path(self.source).name if page else self.source
        crs = crs_name(self.crs) if page else self.crs
        return (
            f"{source}{sheet}：共 {self.rows_in} 行（坐标系 {crs}{enc}）→ 导入 {self.n_imported} 行，"
            f"未导入 {self.n_rejected} 行{skipped}，带警告导入 {self.n_warned} 行"
        )

    def report_zh(self, *, issues_only: bool = False, words: str = "cli") -> pd.DataFrame:
        """The report as a clerk reads it: Chinese headers, outcomes and levels (``issues_only``:
        without the plain "imported" lines). ``words="page"``: each message in the page's words
        (`hepinggis.base.messages.Said.page`: no command-line flag, coordinate systems by name) and
        the fields by their Chinese names, for what the bureau reads (the package)."""
        frame = self.report if not issues_only else self.report[self.report["level"] != ""]
        out = frame.assign(
            outcome=frame["outcome"].map(lambda v: OUTCOME_ZH.get(v, v)),
            level=frame["level"].map(lambda v: LEVEL_ZH.get(v, v)),
        )
        if words == "page":
            out = out.assign(
                message=out["message"].map(page_of),
                field=out["field"].map(lambda v: v if v is None else FIELD_PAGE.get(str(v), v)),
            )
        out["row"] = out["row"].astype("Int64")
        return out.rename(columns=REPORT_ZH).reset_index(drop=True)

    def write_report(self, path: Path) -> None:
        """Write the report in Chinese as CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX, by
        suffix, atomically; no cell is ever a formula (see `hepinggis.io._sheets`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f".{path.name}.{os.getpid()}.partial{path.suffix}")
        try:
            if path.suffix.lower() in {".xlsx", ".xlsm"}:
                write_workbook({"导入报告": self.report_zh()}, staged)
            else:
                write_csv(self.report_zh(), staged)
            os.replace(staged, path)  # the old report or the new one, never half of one
        finally:
            staged.unlink(missing_ok=True)


@renamed(layer="table")
def read_projects(
    path: str | Path,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    table: str | None = None,
    header_row: int | None = None,
    unit: str | None = None,
    skip_hidden: bool = False,
) -> ImportResult:
    """Read a project list (CSV, XLSX, XLS, ODS, GeoJSON, GeoPackage, Shapefile) into WGS 84, row by row.

    A register is read as Excel shows it: a header of one to three rows with group cells merged
    over their columns (a column is named by its path, ``投资情况（万元）/总投资``), titles and
    ``单位：万元`` lines above it, cells merged down filled in, 合计 rows, section headings and 注
    lines set aside and listed, hidden rows warned about.

    Parameters
    ----------
    path : str or Path
        The file. The workbook format is told by content (an .xlsx named .xls is read); CSV
        encodings are detected (UTF-8, UTF-8 with BOM, GBK/GB18030); a Shapefile without ``.cpg``
        has its ``.dbf`` encoding detected the same way.
    crs : str, optional
        The coordinates' system: ``"wgs84"``, ``"gcj02"`` (AMap/Gaode), ``"bd09"`` (Baidu),
        ``"cgcs2000"``, ``"EPSG:4550"``, ``"EPSG:4529"`` or ``"EPSG:3857"``. For CSV/XLSX it may be
        left out when the header says it (``位置（百度坐标）`` → BD-09; the report says so); for GIS
        files it defaults to the file's own CRS and overrides it when given.
    encoding : str, optional
        Force an encoding instead of detecting it.
    columns : mapping, optional
        Role → column (a header path such as ``投资情况（万元）/总投资``, or its last label when
        that is unique) for columns not recognised by name (roles: ``id``, ``name``, ``x``, ``y``,
        ``xy``, ``category``, ``status``, ``year``, ``investment`` …); see `COLUMN_NAMES`.
    sheet : str or int, optional
        The workbook sheet (a name; a string of digits is its number counted from 1; an int is
        0-based as in pandas).
    table : str, optional
        The layer (table) of a GeoPackage that holds several (``--table`` on the command line).
        ``layer=`` is its old name (deprecated, warns).
    header_row : int, optional
        The row holding the column names, numbered as the spreadsheet shows it (group rows above
        it still join the header). By default it is found below any title and 填报单位 lines.
    unit : str, optional
        The unit of amounts whose cell states none (``"万元"``, ``"亿元"``, ``"元"``), over what the
        header and the lines above it say.
    skip_hidden : bool
        Skip the rows Excel hides (hidden or filtered out) instead of importing them with a warning.

    Returns
    -------
    ImportResult
        ``projects`` (GeoDataFrame, EPSG:4326, with the source row number) and ``report`` (one line
        per rejection, warning, row that is not a project and file-level note, plus one per
        imported row); imported + rejected + not projects = rows in.

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
    raw, cols = _raw_table(path, columns, encoding=encoding, sheet=sheet, table=table, header_row=header_row)
    declared = normalise_crs(crs) if crs is not None else None
    if raw.geometry is None:
        return _read_table(path, raw, cols, declared, unit, skip_hidden=skip_hidden)
    return _read_features(path, raw, cols, declared, unit)


def _raw_table(
    path: Path,
    columns: Mapping[str, str] | None,
    *,
    encoding: str | None,
    sheet: str | int | None,
    table: str | None,
    header_row: int | None,
) -> tuple[RawTable, dict[str, str]]:
    """The file read as a table (its headers as strings), and the role of each column found."""
    raw = read_raw(
        path,
        encoding=encoding,
        sheet=sheet,
        layer=table,
        header_row=header_row,
        is_header=looks_like_header,
        name_col=name_position,
    )
    headers = [str(c) for c in raw.frame.columns]
    raw.frame.columns = headers
    return raw, find_columns(headers, columns)


def _read_table(
    path: Path, raw: RawTable, cols: dict[str, str], declared: str | None, unit: str | None, *, skip_hidden: bool
) -> ImportResult:
    """A spreadsheet or CSV: the rows prepared (set aside, merged cells filled), the CRS told, imported."""
    missing = [r for r in ("name", "x", "y") if r not in cols and not (r in "xy" and "xy" in cols)]
    if missing:
        where = f"（第 {'、'.join(map(str, raw.header_rows))} 行）" if raw.header_rows else ""
        raise ImportFileError(
            Said(
                "header_not_found",
                path=path,
                where=where,
                missing="、".join(_ROLE_WORDS[r] for r in missing),
                headers="、".join(raw.frame.columns),
            )
        )
    prepared = prepare_rows(raw, cols, skip_hidden=skip_hidden)
    source_crs = _tabular_crs(path, prepared, declared)
    return _import(path, prepared, source_crs, unit)


def _read_features(
    path: Path, raw: RawTable, cols: dict[str, str], declared: str | None, unit: str | None
) -> ImportResult:
    """A GIS file: its CRS (the one given, else the file's own; never guessed), imported."""
    try:
        file_crs = _file_crs_name(raw.file_crs) if declared is None else None
    except ImportFileError as exc:
        said = exc.args[0] if exc.args else ""
        raise ImportFileError(said.at(path) if isinstance(said, Said) else f"{path}: {exc}") from exc
    if declared is None and file_crs is None:
        raise ImportFileError(Said("crs_file_missing", path=path))
    source_crs = declared or file_crs or "wgs84"
    if "name" not in cols:
        raise ImportFileError(Said("name_column_missing", path=path, headers="、".join(raw.frame.columns)))
    return _import(path, Prepared(raw, cols), source_crs, unit)


_ROLE_WORDS = {"name": "项目名称", "x": "经度（X）", "y": "纬度（Y）"}


def _identity_checks(
    frame: pd.DataFrame, raw: RawTable, cols: dict[str, str], rows: np.ndarray, rej: Rejections
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Empty rows, missing names and repeated ids (naming both rows); returns names, ids and which
    rows have no geometry. 序号 is a row number, never an id: only a real id column is checked."""
    n = len(frame)
    names = text_cells(frame[cols["name"]])
    ids = text_cells(frame[cols["id"]]) if "id" in cols else pd.Series([""] * n, index=frame.index)
    no_geom = raw.geometry.isna().to_numpy() if raw.geometry is not None else np.ones(n, dtype=bool)
    empty = frame.astype(str).apply(lambda c: c.str.strip()).eq("").all(axis=1).to_numpy() & no_geom
    rej.add(empty, None, "空行（没有任何内容）")
    rej.add((names == "").to_numpy(), cols["name"], "缺少项目名称")
    if "id" in cols:
        dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
        if dup.any():
            firsts = ~ids.duplicated(keep="first").to_numpy()
            first = dict(zip(ids[firsts], rows[firsts], strict=True))
            unit = "行" if raw.row_label == "row" else "个要素"
            rej.add(
                dup,
                cols["id"],
                [
                    f"“{leaf(cols['id'])}”{v} 重复：第 {first[v]} {unit}和第 {r} {unit}相同，请改正其中一行"
                    if d
                    else ""
                    for v, d, r in zip(ids, dup, rows, strict=True)
                ],
            )
    return names, ids, no_geom


def _sheet_notes(prepared: Prepared) -> list[str]:
    raw = prepared.raw
    notes: list[str] = []
    if raw.sheet is not None and len(raw.sheets) > 1:
        notes.append(f"读取工作表“{raw.sheet}”（本文件共 {len(raw.sheets)} 个工作表：{'、'.join(raw.sheets)}）")
    if raw.header_rows:
        span = "、".join(map(str, raw.header_rows))
        notes.append(
            f"表头在第 {span} 行"
            + ("（多行表头，列名为各行表头的路径，如“分组/列名”）" if len(raw.header_rows) > 1 else "")
        )
    for line in raw.title_lines:
        notes.append(f"表头上方：{line}")
    return notes


def _import(path: Path, prepared: Prepared, source_crs: str, unit_text: str | None) -> ImportResult:
    raw, cols = prepared.raw, prepared.cols
    unit = investment_unit(prepared, unit_text) if raw.geometry is None or "investment" in cols else None
    frame, cleaned = without_controls(raw.frame)
    n = len(frame)
    rows = np.asarray(raw.row_numbers, dtype="int64")
    rej = Rejections(n)
    for r, (col, message) in prepared.refuse.items():
        rej.add(rows == r, col, message)
    names, ids, no_geom = _identity_checks(frame, raw, cols, rows, rej)
    if raw.geometry is None:
        frame, cols, xs, ys = xy_positions(frame, cols, source_crs, rej)
    else:
        xs, ys = geometry_positions(raw, rows, no_geom, source_crs, rej)
    progress_units = progress_units_of(prepared, unit_text)
    extras, money = attributes(frame, cols, rej, unit, progress_units)
    ok = rej.ok
    out = _projects_frame(raw, frame, cols, rows, ids, names, extras, money, source_crs, xs, ys, ok)
    projects = out[ok].reset_index(drop=True)
    report = report_lines(raw, rows, ids, names, rej, cleaned, money, cols.get("investment"))
    warn_outside(projects, raw.row_label, source_crs, xs[ok], ys[ok], report)
    for rownum, message in prepared.skipped:
        report.add(rownum, None, None, "skipped", "info", None, message)
    notes = [*_sheet_notes(prepared), *prepared.notes]
    for message in notes:
        report.add(None, None, None, "note", "info", None, message)
    return ImportResult(
        projects,
        whole_report(report, rows[ok], projects),
        str(path),
        raw.encoding,
        source_crs,
        n + len(raw.bad_rows) + len(prepared.skipped),
        cols,
        notes=notes,
        units={
            **({cols["investment"]: unit} if unit is not None and "investment" in cols else {}),
            **{cols[role]: u for role, u in progress_units.items()},  # 年度计划投资, 累计完成投资
        },
        title_lines=raw.title_lines,
        header_rows=raw.header_rows,
        sheet=raw.sheet,
        skipped_kinds=dict(prepared.skipped_kinds),
        credit=ListCredit.of(path),
    )


def _projects_frame(
    raw: RawTable,
    frame: pd.DataFrame,
    cols: dict[str, str],
    rows: np.ndarray,
    ids: pd.Series,
    names: pd.Series,
    extras: dict[str, object],
    money: list[Amount] | None,
    source_crs: str,
    xs: np.ndarray,
    ys: np.ndarray,
    ok: np.ndarray,
) -> gpd.GeoDataFrame:
    """Every row as a project (the refused ones too; the caller keeps ``ok``): the roles read, the
    other columns as typed, the coordinates as given and each investment cell beside its value."""
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
    # 序号 stays, as the clerk numbered the rows; the unit and progress columns stay under their own
    # headers too (as typed), beside the values read from them
    kept = {"serial", *PROGRESS_TEXT, *PROGRESS_MONEY}
    roles = {c for role, c in cols.items() if role not in kept}
    for col in frame.columns:
        if col not in roles and col not in out.columns and not col.startswith("__"):
            out[col] = frame[col].to_numpy()
    if raw.geometry is None:
        out["source_x"], out["source_y"] = xs, ys
    if money is not None:  # what each investment cell was read as, beside the value
        out["investment_text"] = text_cells(frame[cols["investment"]]).to_numpy()
        out["investment_approx"] = np.array([a.approx for a in money], dtype=bool)
        out["investment_read"] = np.array([a.note for a in money], dtype=object)
    return out
