"""A stand-in for ``hepinggis.io.preview`` (helper "reg" adds it) used only while that module is
missing: the sheet's first rows as the importer reads them, each column's role, and the
coordinate system that puts most rows inside the district. Same contract as the real one."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RegisterPreview", "preview_register"]

_CANDIDATES = ("wgs84", "gcj02", "bd09", "EPSG:4550", "EPSG:4529")
_UNIT = re.compile(r"[（(]\s*(亿元|万元|千元|元)\s*[)）]")


@dataclass
class RegisterPreview:
    sheet: str | None
    sheets: list[str]
    header_rows: list[int]
    title_lines: list[str]
    columns: list[dict[str, Any]]
    rows: list[list[str]]
    row_numbers: list[int]
    crs_proposed: str | None
    crs_reason: str
    crs_counts: dict[str, int] = field(default_factory=dict)
    header_signature: str = ""


def _letter(k: int) -> str:
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def header_signature(headers: list[str]) -> str:
    """The same header (whitespace aside) gives the same signature, whatever the rows."""
    key = "\x1f".join("".join(str(h).split()) for h in headers)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _numbers(values: list[Any]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        with contextlib.suppress(ValueError):
            out[i] = float(str(v).replace(",", "").strip())
    return out


def propose_crs(xs: np.ndarray, ys: np.ndarray) -> tuple[str | None, str, dict[str, int]]:
    """Try every candidate system on the rows' coordinates and count the points that fall inside
    the district; the winner, why, and the counts."""
    from shapely import contains_xy

    from hepinggis.base.coords import to_wgs84
    from hepinggis.plan.layers import load

    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return None, "没有可读的坐标，无法推荐坐标系", {}
    district = load("district").geometry.union_all()
    counts: dict[str, int] = {}
    for crs in _CANDIDATES:
        try:
            lon, lat = to_wgs84(xs[ok], ys[ok], crs)
        except Exception:
            counts[crs] = 0
            continue
        good = np.isfinite(lon) & np.isfinite(lat)
        counts[crs] = int(contains_xy(district, np.asarray(lon)[good], np.asarray(lat)[good]).sum())
    best = max(counts, key=lambda c: counts[c])
    n = int(ok.sum())
    if counts[best] == 0:
        return None, f"{n} 行坐标在任何候选坐标系下都不在和平区内，请检查坐标列", counts
    ties = [c for c in counts if counts[c] == counts[best] and c != best]
    reason = f"按 {best} 有 {counts[best]}/{n} 行落在和平区内"
    if ties:
        reason += f"（{'、'.join(ties)} 同样多，请确认）"
    return best, reason, counts


def preview_register(
    path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None, max_rows: int = 20
) -> RegisterPreview:
    """The first ``max_rows`` rows of a register as the importer reads them, with the header rows,
    each column's role and unit, and the proposed coordinate system (over every row)."""
    from hepinggis.io._columns import find_columns, looks_like_header
    from hepinggis.io._tables import read_raw

    path = Path(path)
    sheets: list[str] = []
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        import pandas as pd

        with pd.ExcelFile(path) as book:
            sheets = [str(s) for s in book.sheet_names]
        if sheet is None and sheets:
            sheet = sheets[0]
    raw = read_raw(path, sheet=sheet, header_row=header_row, is_header=looks_like_header)
    headers = [str(c) for c in raw.frame.columns]
    roles = find_columns(headers, None)
    by_col = {col: role for role, col in roles.items()}
    head = raw.header_row or 1
    titles = _title_lines(path, sheet, head, raw.encoding)
    columns = []
    for k, h in enumerate(headers):
        m = _UNIT.search(h)
        role = by_col.get(h)
        columns.append(
            {
                "index": k,
                "letter": _letter(k),
                "name": h,
                "role": role,
                "unit": m.group(1) if m and role == "investment" else None,
                "unit_source": "表头" if m and role == "investment" else None,
            }
        )
    frame = raw.frame
    rows = [["" if v is None else str(v) for v in r] for r in frame.head(max_rows).itertuples(index=False)]
    crs, reason = None, "没有找到经度/纬度列"
    counts: dict[str, int] = {}
    if "x" in roles and "y" in roles:
        crs, reason, counts = propose_crs(_numbers(list(frame[roles["x"]])), _numbers(list(frame[roles["y"]])))
    return RegisterPreview(
        sheet=None if sheet is None else str(sheet),
        sheets=sheets,
        header_rows=[head],
        title_lines=titles,
        columns=columns,
        rows=rows,
        row_numbers=[int(n) for n in raw.row_numbers[:max_rows]],
        crs_proposed=crs,
        crs_reason=reason,
        crs_counts=counts,
        header_signature=header_signature(headers),
    )


def _title_lines(path: Path, sheet: str | int | None, header_row: int, encoding: str | None) -> list[str]:
    """The non-blank lines above the header (the sheet's title, 单位 lines), as text."""
    if header_row <= 1:
        return []
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        text = path.read_bytes()[: 1 << 16].decode(encoding or "utf-8", errors="replace")
        lines = list(csv.reader(io.StringIO(text)))[: header_row - 1]
    else:
        import pandas as pd

        grid = pd.read_excel(path, sheet_name=sheet or 0, header=None, nrows=header_row - 1, dtype=object)
        lines = [["" if pd.isna(v) else str(v) for v in r] for r in grid.itertuples(index=False)]
    out = [" ".join(c for c in cells if str(c).strip()) for cells in lines]
    return [line for line in out if line]
