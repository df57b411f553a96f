"""Finding a register's header as a clerk reads it: one to three rows, group cells merged over
their columns (``投资情况（万元）`` over ``总投资`` and ``年度计划``), labels merged down over the
header rows (``开工时间``), titles and ``填报单位：…  单位：万元`` lines above it.

A column is named by the path of its header cells, top to bottom (``投资情况（万元）/总投资``).
The same is done for a CSV saved from such a sheet, where a merged cell's text stands in its first
column only and the cells it covered are blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Header", "find_header", "is_meta_line"]

#: Rows searched for the header at the top of a sheet (titles and 填报单位 lines above it).
SEARCH_ROWS = 30
#: A header has at most this many rows.
MAX_HEADER_ROWS = 3

Merge = tuple[int, int, int, int]  # r0, c0, r1, c1 inclusive, 0-based
_META = re.compile(r"^\s*[^：:，,]{1,10}[：:]")
_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?$")


def is_meta_line(text: str) -> bool:
    """``填报单位：…``, ``单位：万元``, ``制表人：…`` — a label and a colon, not a column name."""
    return bool(_META.match(text))


@dataclass
class Header:
    """The header found: its rows (indices into the rows given), the column names (paths), each
    column's labels top to bottom, and the text of the lines above it."""

    rows: list[int]
    paths: list[str]
    levels: list[list[str]]
    title_lines: list[str]
    title_rows: list[int]


class _Cells:
    """Texts of the top rows with merged ranges resolved: ``full`` (a merged cell's text in every
    cell it covers) and ``down`` (only down its own first column)."""

    def __init__(self, texts: Sequence[Sequence[str]], merges: Sequence[Merge]) -> None:
        self.texts = texts
        self.cover: dict[tuple[int, int], tuple[int, int]] = {}
        self.merges = [m for m in merges if m[0] < len(texts)]
        for r0, c0, r1, c1 in self.merges:
            for r in range(r0, min(r1, len(texts) - 1) + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        self.cover[(r, c)] = (r0, c0)

    def raw(self, r: int, c: int) -> str:
        row = self.texts[r]
        return row[c].strip() if c < len(row) else ""

    def full(self, r: int, c: int) -> str:
        at = self.cover.get((r, c))
        return self.raw(*at) if at else self.raw(r, c)

    def down(self, r: int, c: int) -> str:
        at = self.cover.get((r, c))
        return self.raw(*at) if at and at[1] == c else self.raw(r, c)

    def width(self, r: int) -> int:
        row = self.texts[r]
        last = max((c for c in range(len(row)) if self.full(r, c)), default=-1)
        return last + 1

    def crosses(self, upper: int, lower: int) -> bool:
        """Whether a merged range covers both rows (a label merged down over the header rows)."""
        return any(r0 <= upper and r1 >= lower for r0, _c0, r1, _c1 in self.merges)


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(" ", "")))


def _spans(cells: _Cells, upper: int, lower: int, width: int) -> bool:
    """Whether ``upper`` has a group cell over ``lower``: a column blank in ``upper`` (or covered by
    its merge) with a non-blank cell to its left, while ``lower`` names that column."""
    seen = False
    for c in range(width):
        if cells.raw(upper, c):
            seen = True
        elif seen and cells.raw(lower, c):
            return True
    return False


def _is_group_row(cells: _Cells, upper: int, lower: int) -> bool:
    """``upper`` is a header row above ``lower``: two or more labels, no numbers, no ``xx：`` line,
    and it either spans groups over ``lower`` or shares a merged-down label with it."""
    labels = [cells.raw(upper, c) for c in range(len(cells.texts[upper])) if cells.raw(upper, c)]
    if len(labels) < 2 or any(_numeric(t) or is_meta_line(t) for t in labels):
        return False
    width = max(cells.width(upper), cells.width(lower))
    return cells.crosses(upper, lower) or _spans(cells, upper, lower, width)


def _is_sub_row(cells: _Cells, upper: int, lower: int, name_col: int | None) -> bool:
    """``lower`` continues the header ``upper`` (sub-labels under a group): text only, its name
    cell blank, and a merged label crossing into it or a label under a group's blank."""
    labels = [cells.raw(lower, c) for c in range(len(cells.texts[lower])) if cells.raw(lower, c)]
    if not labels or any(_numeric(t) or is_meta_line(t) for t in labels):
        return False
    if sum(1 for c in range(len(cells.texts[upper])) if cells.raw(upper, c)) < 2:
        return False  # a title above the table is not a group row
    if name_col is not None and cells.raw(lower, name_col):
        return False
    return cells.crosses(upper, lower) or _spans(cells, upper, lower, max(cells.width(upper), cells.width(lower)))


def find_header(
    texts: Sequence[Sequence[str]],
    merges: Sequence[Merge],
    *,
    accepts: Callable[[list[str]], bool],
    name_col: Callable[[list[str]], int | None],
    at: int | None = None,
) -> Header | None:
    """The header among the top rows of ``texts`` (cell texts, 0-based rows).

    ``accepts(labels)`` says whether a row of column labels is a register's header;
    ``name_col(labels)`` gives the name column's position. ``at`` forces the row holding the column
    names (group rows above it are still joined). None when no row is accepted."""
    top = texts[: max(SEARCH_ROWS, (at or 0) + MAX_HEADER_ROWS + 1)]
    cells = _Cells(top, merges)
    bottom: int | None = at
    if bottom is None:
        for r in range(min(len(top), SEARCH_ROWS)):
            if accepts([cells.down(r, c) for c in range(len(top[r]))]):
                bottom = r
                break
    if bottom is None or bottom >= len(top):
        return None
    rows = [bottom]
    while len(rows) < MAX_HEADER_ROWS and rows[0] > 0 and _is_group_row(cells, rows[0] - 1, rows[0]):
        rows.insert(0, rows[0] - 1)
    labels = [cells.down(bottom, c) for c in range(len(top[bottom]))]
    while len(rows) < MAX_HEADER_ROWS and rows[-1] + 1 < len(top):
        below = rows[-1] + 1
        if not _is_sub_row(cells, rows[-1], below, name_col(labels)):
            break
        rows.append(below)
    width = max(cells.width(r) for r in rows)
    levels = [_column_labels(cells, rows, c) for c in range(width)]
    paths = ["/".join(lv) if lv else f"第{c + 1}列" for c, lv in enumerate(levels)]
    title_rows = [r for r in range(rows[0]) if any(t.strip() for t in top[r])]
    titles = ["  ".join(dict.fromkeys(t.strip() for t in top[r] if t.strip())) for r in title_rows]
    return Header(rows, paths, levels, titles, title_rows)


def _column_labels(cells: _Cells, rows: list[int], c: int) -> list[str]:
    """A column's labels top to bottom: merged cells give their text to every cell they cover; in
    a file without merge information a group label in an upper row reaches right over the blank
    cells after it while the row below names columns there."""
    out: list[str] = []
    for k, r in enumerate(rows):
        text = cells.full(r, c)
        if not text and k < len(rows) - 1 and (r, c) not in cells.cover:
            text = _group_to_left(cells, r, rows[k + 1], c)
        if text and (not out or out[-1] != text):
            out.append(text)
    return out


def _group_to_left(cells: _Cells, r: int, below: int, c: int) -> str:
    """The group label reaching over column ``c`` from the left in row ``r`` of a file without
    merges: the nearest non-blank cell to the left, if every column from it to ``c`` is named in
    the row below (a label merged down has a blank under it, so it heads no group)."""
    for k in range(c - 1, -1, -1):
        if not cells.raw(below, k + 1):
            return ""
        if cells.full(r, k):
            return cells.full(r, k) if cells.raw(below, k) else ""
    return ""
