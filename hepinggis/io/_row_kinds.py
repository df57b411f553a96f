"""Rows of a register that are not projects: blank lines, 合计/小计/总计 rows, section headings
(``一、产业项目``, ``（二）城建项目``) and the 注/说明 lines below the table; and cells merged down
over data rows, filled down as Excel shows them.

Each such row is listed in the report as what it is; a section heading's text becomes the category
of the rows below it where the sheet has no category column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["RowKinds", "classify_rows", "fill_merged_down", "section_text"]

_NUM = "一二三四五六七八九十百零〇"
#: ``一、…``, ``二．…``, ``（一）…``, ``(三)…``, ``第一部分 …``
SECTION = re.compile(
    rf"^\s*(?:[{_NUM}]+\s*[、.．]|[（(]\s*[{_NUM}]+\s*[)）]|第[{_NUM}\d]+(?:部分|类|批|项)[、.．:：\s]?)\s*"
)
TOTAL = re.compile(r"^\s*(?:本页|全部|总|)\s*(?:合\s*计|小\s*计|总\s*计|共\s*计|累\s*计)\s*(?:[:：（(\s].*)?$")
FOOTER = re.compile(
    r"^\s*(?:注|说明|备注|附注|附注说明|填表说明|数据来源|资料来源|制表人?|填报人|审核人?|联系人|联系电话|负责人)\s*\d*\s*[:：、.．]"
)


def section_text(text: str) -> str:
    """A section heading without its numbering and count (``（二）城建项目（12项）`` → ``城建项目``)."""
    text = SECTION.sub("", text, count=1).strip()
    return re.sub(r"\s*[（(]\s*(?:共\s*)?\d+\s*(?:个|项)\s*[)）]\s*$", "", text).strip()


@dataclass
class RowKinds:
    """Per row position: what the row is (``""`` for a project row) and the report's words for it;
    the section (path of headings) each project row stands under."""

    kind: np.ndarray  # "", "blank", "total", "section", "footer"
    message: np.ndarray
    section: np.ndarray  # the innermost heading above the row, "" when none
    section_path: np.ndarray
    headings: list[str] = field(default_factory=list)


def _texts(frame: pd.DataFrame) -> pd.DataFrame:
    """Cell texts, stripped. Workbook cells were made plain by `_grid` (integral floats as int,
    dates as text), so ``str`` shows them as Excel does; blanks are ``""``."""
    return frame.astype(str).apply(lambda col: col.str.strip())


def classify_rows(frame: pd.DataFrame, cols: dict[str, str]) -> RowKinds:
    """Say which rows are not projects. A row with a position is always a project row unless it
    is a 合计 row; headings and footers are rows without one. Only rows that could be one of these
    are looked at one by one (a million-row CSV of projects costs a few vectorised passes)."""
    n = len(frame)
    kind = np.full(n, "", dtype=object)
    message = np.full(n, "", dtype=object)
    section = np.full(n, "", dtype=object)
    path = np.full(n, "", dtype=object)
    if n == 0 or len(frame.columns) == 0:
        return RowKinds(kind, message, section, path)
    texts = _texts(frame)
    values = texts.to_numpy(dtype=object)
    filled = values != ""
    counts = filled.sum(axis=1)
    first = pd.Series(values[np.arange(n), filled.argmax(axis=1)], dtype=object)
    pos_cols = [cols[r] for r in ("x", "y", "xy") if r in cols]
    placed = (texts[pos_cols] != "").all(axis=1).to_numpy() if pos_cols else np.zeros(n, dtype=bool)
    name = texts[cols["name"]] if "name" in cols else pd.Series([""] * n, dtype=object)
    total = first.str.match(TOTAL).to_numpy(dtype=bool) | name.str.match(TOTAL).to_numpy(dtype=bool)
    look = np.flatnonzero((counts == 0) | ~placed | total)
    heads: list[str] = []  # the headings in force, outermost first
    levels: list[int] = []
    events: list[tuple[int, str, str]] = []  # (row position, innermost heading, path) from there on
    in_footer = False
    last = -2
    for i in (int(k) for k in look):
        if i != last + 1:
            in_footer = False  # a project row came between
        last = i
        if counts[i] == 0:
            kind[i], message[i] = "blank", "空行，已略过"
            continue
        head = str(first.iat[i])
        distinct = len({v for v in values[i] if v})
        if total[i]:
            kind[i], message[i] = "total", f"合计行（“{head[:20]}”），不是项目，未计入"
            continue
        if not placed[i] and (FOOTER.match(head) or (in_footer and distinct <= 2)):
            in_footer = True  # lines after 注： (1. … 2. …) belong to it
            kind[i], message[i] = "footer", f"表尾注释（“{head[:30]}”），不是项目"
            continue
        in_footer = False
        if not placed[i] and SECTION.match(head) and distinct <= 3:
            level = 2 if re.match(r"^\s*[（(]", head) else (3 if head.lstrip().startswith("第") else 1)
            while levels and levels[-1] >= level:
                levels.pop()
                heads.pop()
            levels.append(level)
            heads.append(section_text(head) or head)
            kind[i], message[i] = "section", f"分部标题行（“{head[:30]}”），不是项目"
            events.append((int(i), heads[-1], "/".join(heads)))
    for k, (start, inner, whole) in enumerate(events):  # each heading reaches down to the next
        stop = events[k + 1][0] if k + 1 < len(events) else n
        section[start:stop], path[start:stop] = inner, whole
    section[kind != ""], path[kind != ""] = "", ""
    return RowKinds(kind, message, section, path, sorted({h for h in path if h}))


def fill_merged_down(
    frame: pd.DataFrame, rows: list[int], merged: list[tuple[str, int, int]], keep_first: set[str]
) -> tuple[pd.DataFrame, int, dict[int, str]]:
    """Fill each cell merged down over data rows into every row it covers, as Excel shows it;
    columns in ``keep_first`` (amounts: filling would count the money twice) keep the value on the
    first row only, and the other rows get a note. Returns the frame, the number of cells filled and
    notes per row number."""
    if not merged:
        return frame, 0, {}
    out = frame.copy()
    grid = out.to_numpy(dtype=object, copy=True)  # filled as an array, not cell by cell in the frame
    where = {r: k for k, r in enumerate(rows)}
    filled = 0
    notes: dict[int, str] = {}
    for col, first, last in merged:
        if first not in where or col not in out.columns:
            continue
        j = list(out.columns).index(col)
        value = grid[where[first], j]
        for r in range(first + 1, last + 1):
            if r not in where:
                continue
            if col in keep_first:
                notes[r] = f"“{col}”与第 {first} 行合并，金额只计入第 {first} 行"
            else:
                grid[where[r], j] = value
                filled += 1
    return pd.DataFrame(grid, columns=out.columns, dtype=object), filled, notes
