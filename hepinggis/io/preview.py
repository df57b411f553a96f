"""A register as the importer sees it, before importing: the header rows found, the column names
(paths of the header cells), the role and unit read for each column, the first rows as Excel shows
them, and the coordinate system stated or — when none is — the one that puts most rows inside the
district, unless another puts nearly as many (`hepinggis.io._crs_hint.near_tie`): then none is
proposed, both are named (``crs_tied``) and the clerk chooses. For a page where a clerk confirms
the mapping before the import (``read_projects(…, columns=…, crs=…, unit=…)`` applies it);
``header_signature`` lets a confirmed mapping be remembered for the next register with the same
header.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError
from hepinggis.io._columns import _ROLE_OF, COLUMN_NAMES, _key, find_columns, leaf, looks_like_header, name_position
from hepinggis.io._crs_hint import crs_from_text, metres_hint, near_tie, propose_crs
from hepinggis.io._grid import cell_text
from hepinggis.io._prepare import frame_positions
from hepinggis.io._row_kinds import fill_merged_down
from hepinggis.io._tables import RawTable, read_raw
from hepinggis.io._units import column_unit, units_stated

__all__ = ["PREVIEW_ROLES", "RegisterPreview", "header_signature", "preview_register"]

#: The roles a preview names (others are shown as None).
PREVIEW_ROLES = (
    "id",
    "name",
    "x",
    "y",
    "category",
    "status",
    "year",
    "investment",
    # the progress columns of a living register (issue 31): named in the preview as the import reads them
    "owner",
    "planned_start",
    "actual_start",
    "planned_end",
    "progress_text",
    "annual_plan",
    "completed_investment",
)


@dataclass
class RegisterPreview:
    """What `preview_register` found; see the module docstring.

    Parameters
    ----------
    sheet : str or None
        The sheet shown (None for a CSV).
    sheets : list of str
        Every sheet of the workbook.
    header_rows : list of int
        The header's rows, as the spreadsheet numbers them.
    title_lines : list of str
        The lines above the header.
    columns : list of dict
        Per column: ``index``, ``letter`` (A, B …), ``name`` (the header path), ``role`` the
        importer would give it, ``unit`` and ``unit_source``.
    rows : list of list of str
        The first rows below the header, each cell as Excel shows it.
    row_numbers : list of int
        Their row numbers in the spreadsheet.
    crs_proposed : str or None
        The coordinate system stated or proposed; None when none can be told apart.
    crs_reason : str
        Why (a Chinese sentence for the clerk).
    crs_counts : dict of str to int
        Per candidate coordinate system, the rows it puts inside the district.
    crs_tied : list of str
        The candidates that cannot be told apart (then none is proposed).
    header_signature : str
        `header_signature` of the column names (a confirmed mapping is remembered by it).
    hidden : dict of int to str
        Row → ``隐藏`` / ``筛选``: every row Excel hides.
    uncalculated : dict of int to list of str
        Row → the formula columns with no stored value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "清单.csv"
    >>> _ = f.write_text("项目名称,经度,纬度\\n三好街项目,123.418,41.758\\n", encoding="utf-8")
    >>> preview = preview_register(f)
    >>> [(c["letter"], c["role"]) for c in preview.columns]
    [('A', 'name'), ('B', 'x'), ('C', 'y')]
    >>> preview.row_numbers, preview.crs_tied
    ([2], ['wgs84', 'gcj02', 'bd09'])
    """

    sheet: str | None
    sheets: list[str]
    header_rows: list[int]
    title_lines: list[str]
    columns: list[dict[str, object]]
    rows: list[list[str]]
    row_numbers: list[int]
    crs_proposed: str | None
    crs_reason: str
    crs_counts: dict[str, int] = field(default_factory=dict)
    crs_tied: list[str] = field(default_factory=list)  # candidates that cannot be told apart (none proposed)
    header_signature: str = ""
    hidden: dict[int, str] = field(default_factory=dict)  # row → "隐藏" / "筛选", every row Excel hides
    uncalculated: dict[int, list[str]] = field(default_factory=dict)  # row → formula columns with no value


def _letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def header_signature(paths: list[str]) -> str:
    """sha256 of the normalised header paths (NFKC, no blanks, lower case), one per line."""
    norm = ["".join(unicodedata.normalize("NFKC", p).split()).lower() for p in paths]
    return hashlib.sha256("\n".join(norm).encode("utf-8")).hexdigest()


def _roles(headers: list[str]) -> dict[str, str]:
    """Role → column as the importer would find them; where names are ambiguous, each column's
    own role (the clerk resolves the clash on the page)."""
    try:
        return find_columns(headers, None)
    except ImportFileError:
        found: dict[str, str] = {}
        for h in headers:
            role = _ROLE_OF.get(_key(leaf(h)))
            if role and role not in found:
                found[role] = h
        return found


def preview_register(
    path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None, max_rows: int = 20
) -> RegisterPreview:
    """Read ``path`` far enough to show how it would be imported (see `RegisterPreview`).

    Parameters
    ----------
    path : str or Path
        A CSV/XLSX/XLS/ODS register.
    sheet, header_row : optional
        As for `hepinggis.io.importer.read_projects`.
    max_rows : int
        How many rows below the header to return, as Excel displays them.

    Returns
    -------
    RegisterPreview
        The header, the columns with their roles, the first rows and the coordinate system proposed.

    Raises
    ------
    ImportFileError
        When the file cannot be read (one Chinese line, as the import would say).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "清单.xlsx"
    >>> import pandas as pd
    >>> pd.DataFrame({"项目名称": ["三好街项目"], "X": [41_590_000.0], "Y": [4_623_000.0]}).to_excel(f, index=False)
    >>> preview = preview_register(f)
    >>> preview.sheets, preview.header_rows, preview.rows
    (['Sheet1'], [1], [['三好街项目', '41590000', '4623000']])
    """
    path = Path(path)
    raw = read_raw(path, sheet=sheet, header_row=header_row, is_header=looks_like_header, name_col=name_position)
    if raw.geometry is not None:
        raise ImportFileError(f"{path}: 是 GIS 文件，其坐标系与列由文件本身给出，无需预览表头")
    headers = [str(c) for c in raw.frame.columns]
    raw.frame.columns = headers
    cols = _roles(headers)
    role_of = {col: role for role, col in cols.items() if role in PREVIEW_ROLES}
    columns = _column_entries(raw, headers, role_of)
    keep = {cols["investment"]} if "investment" in cols else set()
    frame, _filled, _notes = fill_merged_down(raw.frame, raw.row_numbers, raw.merged_down, keep)
    shown = frame.head(max_rows)
    rows = [[cell_text(v).strip() for v in rec] for rec in shown.itertuples(index=False, name=None)]
    proposed, reason, counts, tied = _crs(raw.levels, headers, raw.title_lines, cols, frame)
    return RegisterPreview(
        sheet=raw.sheet,
        sheets=list(raw.sheets),
        header_rows=list(raw.header_rows),
        title_lines=list(raw.title_lines),
        columns=columns,
        rows=rows,
        row_numbers=[int(r) for r in raw.row_numbers[: len(rows)]],
        crs_proposed=proposed,
        crs_reason=reason,
        crs_counts=counts,
        crs_tied=tied,
        header_signature=header_signature(headers),
        hidden={int(r): str(w) for r, w in raw.hidden.items()},
        uncalculated={int(r): list(c) for r, c in raw.uncalculated.items()},
    )


def _column_entries(raw: RawTable, headers: list[str], role_of: dict[str, str]) -> list[dict[str, object]]:
    """Each column as the preview shows it: letter, name, role and the unit read (and where)."""
    all_labels = [label for lv in raw.levels for label in lv] or headers
    columns: list[dict[str, object]] = []
    for k, name in enumerate(headers):
        levels = raw.levels[k] if k < len(raw.levels) else [name]
        role = role_of.get(name)
        unit: str | None = None
        source: str | None = None
        if role == "investment" or units_stated(levels, []):
            try:
                found = column_unit(levels, raw.title_lines, explicit=None, all_labels=all_labels)
            except ImportFileError as exc:
                found = None
                source = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            if found is not None and found.factor is not None:
                unit, source = found.name, found.source
        columns.append(
            {"index": k, "letter": _letter(k), "name": name, "role": role, "unit": unit, "unit_source": source}
        )
    return columns


def _crs(
    levels: list[list[str]], headers: list[str], title_lines: list[str], cols: dict[str, str], frame: pd.DataFrame
) -> tuple[str | None, str, dict[str, int], list[str]]:
    """The CRS the file states (and why), else the candidate putting most rows inside the district
    — or none, with the candidates that cannot be told apart."""
    if not (("x" in cols and "y" in cols) or "xy" in cols):
        return None, "未找到坐标列（经度/纬度），无法判断坐标系", {}, []
    xs, ys = frame_positions(frame, cols)
    _best, counts = propose_crs(xs, ys)
    labels: list[str] = []
    for role in ("x", "y", "xy"):
        if role in cols:
            k = headers.index(cols[role])
            labels += levels[k] if k < len(levels) else [cols[role]]
    hint = crs_from_text([*labels, *title_lines])
    n = int((np.isfinite(xs) & np.isfinite(ys)).sum())
    if hint is not None:
        chosen = metres_hint(hint[0], xs)
        return chosen, Said("crs_stated", text=hint[1], crs=chosen), counts, []
    best = max(counts, key=lambda c: counts[c]) if counts else None
    if best is None or counts[best] == 0:
        return None, f"表中未注明坐标系，按各候选坐标系试算，{n} 行中没有一行落在和平区内：请检查坐标", counts, []
    tied = near_tie(counts, n)
    if tied:  # nothing proposed, nothing preselected: the clerk chooses between them
        ks = "、".join(str(counts[c]) for c in tied)
        return None, Said("crs_near_tie", tied=tied, n=n, ks=ks), counts, tied
    return best, Said("crs_best", crs=best, n=n, k=counts[best]), counts, []


assert set(PREVIEW_ROLES) <= set(COLUMN_NAMES)
