"""Merging the fixed refused rows *into* the version they were refused from.

The refused-rows workbook (``/api/registers/{id}/report?format=xlsx``) gives every refused row as
the file had it, with 原行号 (its row in the register) and 拒绝原因 in front. A clerk fixes the rows
in Excel and uploads the workbook again; `merge_fixed` makes the next version of the register: the
version's projects and the fixed rows, each under its original row number, and the report with
those refusals resolved. A row still wrong stays refused (the fixed file's own report says why).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from hepinggis.errors import ImportFileError
from hepinggis.io.importer import ImportResult

__all__ = ["FIXED_ROW_COLUMN", "merge_fixed"]

#: The column of the refused-rows workbook that holds each row's number in the register.
FIXED_ROW_COLUMN = "原行号"
_REASON_COLUMN = "拒绝原因"


def _original_rows(values: pd.Series, label: str) -> list[int]:
    rows = pd.to_numeric(values, errors="coerce")
    if rows.isna().any():
        raise ImportFileError(f"{label}：“{FIXED_ROW_COLUMN}”列有空白或不是数字的行，无法并入原清单")
    return [int(v) for v in rows]


def merge_fixed(base: ImportResult, fixed: ImportResult) -> ImportResult:
    """The version ``base`` with the rows of ``fixed`` (its refused rows, fixed) merged in.

    Parameters
    ----------
    base : ImportResult
        The version whose rows were refused.
    fixed : ImportResult
        The fixed rows, read from the refused-rows workbook (it has the 原行号 column).

    Returns
    -------
    ImportResult
        Projects of ``base`` and the fixed rows under their original row numbers; the report of
        ``base`` without the refusals now resolved, plus the fixed rows' lines (a row refused
        again stays refused). Rows in = rows of ``base``.

    Raises
    ------
    ImportFileError
        ``fixed`` has no 原行号 column, or a row number that was not refused in ``base``.
    """
    label = fixed.source
    if FIXED_ROW_COLUMN not in fixed.projects.columns and len(fixed.projects):
        raise ImportFileError(f"{label}：没有“{FIXED_ROW_COLUMN}”列：请上传从“下载被拒绝的行”得到并改好的表格")
    refused_rows = set(int(r) for r in base.rejected["row"].dropna())
    projects = fixed.projects.copy()
    new_rows = _original_rows(projects[FIXED_ROW_COLUMN], label) if len(projects) else []
    stray = sorted(set(new_rows) - refused_rows)
    if stray:
        raise ImportFileError(
            f"{label}：原行号 {'、'.join(map(str, stray[:10]))} 在原清单中没有被拒绝，不能并入（只并入改好的被拒绝行）"
        )
    # the fixed file's own row numbers → the register's rows, for the report too
    own_to_original = dict(zip(projects["row"].astype(int), new_rows, strict=True)) if len(projects) else {}
    projects["row"] = new_rows
    projects = projects.drop(columns=[c for c in (FIXED_ROW_COLUMN, _REASON_COLUMN) if c in projects.columns])
    merged = pd.concat([base.projects, projects], ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry=base.projects.geometry.name, crs=base.projects.crs)
    merged = merged.sort_values("row", kind="stable").reset_index(drop=True)
    resolved = set(new_rows)
    report = base.report[~(base.report["row"].isin(resolved) & (base.report["outcome"] == "rejected"))]
    lines = fixed.report[fixed.report["row"].notna() & (fixed.report["outcome"] != "skipped")].copy()
    lines["row"] = [own_to_original.get(int(r), r) for r in lines["row"]]
    lines = lines[lines["row"].isin(resolved)]  # a row refused again stays refused in ``base``'s words
    report = pd.concat([report, lines], ignore_index=True).sort_values("row", kind="stable", na_position="first")
    notes = [*base.notes, f"并入改好的被拒绝行：{len(resolved)} 行（来自 {label}）"]
    return dataclasses.replace(base, projects=merged, report=report.reset_index(drop=True), notes=notes)
