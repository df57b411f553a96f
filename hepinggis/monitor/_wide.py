"""A wide figures sheet (one row per indicator, the years as columns, as many offices keep them)
turned into the long form the reader reads (one row per indicator and year), keeping the row
numbers the spreadsheet shows.

The header is one row (``指标编号 | 指标 | 2020年 | 2021年 …``) or two (a merged title such as
``实际值`` above the years). A row's 填报口径 and 备注 apply to each of its years; a year column
left empty is a blank figure, reported as such like any other.
"""

from __future__ import annotations

import re
import unicodedata

from hepinggis.monitor._sheets import Cell, Grid

__all__ = ["LONG_HEADER", "to_long"]

#: The long header the wide sheet becomes (the reader's own column names).
LONG_HEADER = ("指标编号", "指标", "单位", "年份", "填报口径", "数值", "备注")
_ID = ("indicator_id", "指标编号", "编号", "id")
_ROLES = {
    "指标": ("indicator_zh", "指标", "指标名称"),
    "单位": ("unit", "单位", "计量单位"),
    "填报口径": ("entry", "填报口径", "口径"),
    "备注": ("note", "备注", "说明"),
}
_YEAR = re.compile(r"(20\d\d)\s*(?:年度?)?\s*(?:数值|实际值|完成值|值|基数|基期|[(（]基期[)）]|[(（]基数[)）])?")


def _norm(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip().lower() if value is not None else ""


def _year(value: object) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and 2000 <= value <= 2035 else None
    m = _YEAR.fullmatch(_norm(value))
    return int(m.group(1)) if m else None


def _years(cells: list[Cell]) -> dict[int, int]:
    """Column → year for the header cells that are years."""
    out = {k: y for k, c in enumerate(cells) if (y := _year(c.value)) is not None}
    return out if len(set(out.values())) == len(out) else {}


def to_long(grid: Grid) -> Grid | None:
    """The long form of a wide sheet, or None when ``grid`` is not one (a 年份 column, no
    指标编号 column, or fewer than two year columns)."""
    for k, (_, cells) in enumerate(grid.rows[:20]):
        texts = [_norm(c.value) for c in cells]
        id_col = next((i for i, t in enumerate(texts) if t in _ID), None)
        if id_col is None:
            continue
        if any(t in ("年份", "年度", "year") for t in texts):
            return None
        years, last_header = _years(cells), k
        if len(years) < 2 and k + 1 < len(grid.rows):  # a title row above the years
            years, last_header = _years(grid.rows[k + 1][1]), k + 1
        if len(years) < 2:
            return None
        roles = {
            name: next((i for i, t in enumerate(texts) if t in aliases and i not in years), None)
            for name, aliases in _ROLES.items()
        }
        return _long(grid, last_header, id_col, roles, years)
    return None


def _long(grid: Grid, header: int, id_col: int, roles: dict[str, int | None], years: dict[int, int]) -> Grid:
    def at(cells: list[Cell], col: int | None) -> Cell:
        return cells[col] if col is not None and col < len(cells) else Cell()

    rows: list[tuple[int, list[Cell]]] = [(grid.rows[header][0], [Cell(h) for h in LONG_HEADER])]
    for rownum, cells in grid.rows[header + 1 :]:
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
            rows.append((rownum, [Cell() for _ in LONG_HEADER]))
            continue
        for col, year in sorted(years.items(), key=lambda kv: kv[1]):
            rows.append(
                (
                    rownum,
                    [
                        at(cells, id_col),
                        at(cells, roles["指标"]),
                        at(cells, roles["单位"]),
                        Cell(year),
                        at(cells, roles["填报口径"]),
                        at(cells, col),
                        at(cells, roles["备注"]),
                    ],
                )
            )
    return Grid(rows, grid.sheet, grid.sheets, grid.encoding)
