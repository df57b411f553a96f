"""The sheet-level steps before a register's rows are checked one by one: cells merged down filled
in, rows that are not projects (blank, 合计, headings, 注) set aside and listed, rows Excel hides
warned about or skipped, formulas never calculated refused per cell, and section headings made the
category where the sheet has none."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hepinggis.base.messages import Said
from hepinggis.io._grid import FORMULA_NOT_CALCULATED
from hepinggis.io._row_kinds import classify_rows, fill_merged_down
from hepinggis.io._tables import RawTable

__all__ = ["KEY_ROLES", "Prepared", "frame_positions", "prepare_rows"]

#: Roles without which a row is not imported: an uncalculated formula there refuses the row.
KEY_ROLES = ("id", "name", "x", "y", "xy")
HIDDEN_ZH = {"隐藏": "Excel 中此行被隐藏", "筛选": "Excel 中此行被筛选隐藏（自动筛选）"}
#: The kind of a row set aside for each of `HIDDEN_ZH`'s (the API counts skipped rows by kind).
HIDDEN_KIND = {"隐藏": "hidden", "筛选": "filtered"}


@dataclass
class Prepared:
    """The project rows (``raw`` narrowed to them), the rows set aside as (row, message), file-level
    notes, per row the formula cells that refuse it, and the columns (with a category from the
    section headings where there was none)."""

    raw: RawTable
    cols: dict[str, str]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refuse: dict[int, tuple[str, str]] = field(default_factory=dict)  # row → (column, message)
    counts: dict[str, int] = field(default_factory=dict)
    skipped_kinds: dict[int, str] = field(default_factory=dict)  # row → blank, total, section, footer, hidden, filtered


def prepare_rows(raw: RawTable, cols: dict[str, str], *, skip_hidden: bool) -> Prepared:
    """Narrow ``raw`` to its project rows (see the module's docstring)."""
    notes: list[str] = []
    keep_first = {cols["investment"]} if "investment" in cols else set()
    frame, filled, merge_notes = fill_merged_down(raw.frame, raw.row_numbers, raw.merged_down, keep_first)
    if filled:
        notes.append(f"数据区有合并单元格：已按 Excel 所示向下填充 {filled} 个单元格")
    kinds = classify_rows(frame, cols)
    rows = np.asarray(raw.row_numbers, dtype="int64")
    skip = kinds.kind != ""
    skipped = [(int(rows[i]), str(kinds.message[i])) for i in np.flatnonzero(skip)]
    skipped_kinds = {int(rows[i]): str(kinds.kind[i]) for i in np.flatnonzero(skip)}
    counts = {k: int((kinds.kind == k).sum()) for k in ("blank", "total", "section", "footer")}
    row_notes = dict(raw.row_notes)
    for r, text in merge_notes.items():
        row_notes[r] = _joined(row_notes.get(r), text)
    hidden_rows = 0
    for i in np.flatnonzero(~skip):
        why = raw.hidden.get(int(rows[i]))
        if why is None:
            continue
        hidden_rows += 1
        if skip_hidden:
            skip[i] = True
            skipped.append((int(rows[i]), Said("hidden_skipped", why=HIDDEN_ZH[why])))
            skipped_kinds[int(rows[i])] = HIDDEN_KIND[why]
        else:
            r = int(rows[i])
            row_notes[r] = _joined(row_notes.get(r), Said("hidden_imported", why=HIDDEN_ZH[why]))
    counts["hidden"] = hidden_rows
    if hidden_rows:
        done = "已跳过" if skip_hidden else "仍已导入（每行有警告）"
        notes.append(f"Excel 中隐藏或筛选掉的项目行 {hidden_rows} 行：{done}")
    refuse: dict[int, tuple[str, str]] = {}
    key_cols = {cols[r] for r in KEY_ROLES if r in cols}
    for r, columns in raw.uncalculated.items():
        for col in columns:
            if col in key_cols and r not in refuse:
                refuse[r] = (col, f"“{col}”{FORMULA_NOT_CALCULATED}")
            elif col not in key_cols:
                text = f"“{col}”{FORMULA_NOT_CALCULATED}" + ("（按缺失处理）" if col in keep_first else "")
                row_notes[r] = _joined(row_notes.get(r), text)
    keep = ~skip
    frame = frame.loc[keep].reset_index(drop=True)
    cols = dict(cols)
    if kinds.headings:
        frame["section"] = kinds.section_path[keep]
        if "category" not in cols:
            frame["__section_category"] = kinds.section[keep]
            cols["category"] = "__section_category"
            notes.append(
                f"表中没有“项目类型”列：以分部标题（{'、'.join(dict.fromkeys(kinds.section[kinds.section != '']))}）"
                "作为其下各行的项目类别"
            )
    for kind, word in (
        ("total", "合计/小计行"),
        ("section", "分部标题行"),
        ("footer", "表尾注释行"),
        ("blank", "空行"),
    ):
        if counts[kind]:
            notes.append(f"{word} {counts[kind]} 行：不是项目，未计入（逐行列在报告中）")
    kept = set(rows[keep].tolist())
    narrowed = RawTable(
        frame,
        [int(r) for r in rows[keep]],
        raw.row_label,
        raw.encoding,
        bad_rows=raw.bad_rows,
        header_row=raw.header_row,
        row_notes={r: t for r, t in row_notes.items() if r in kept},
    )
    for name in ("header_rows", "levels", "title_lines", "hidden", "uncalculated", "sheet", "sheets"):
        setattr(narrowed, name, getattr(raw, name))
    return Prepared(narrowed, cols, sorted(skipped), notes, refuse, counts, skipped_kinds)


def _joined(first: str | None, then: str) -> str:
    """Two notes on one row, each kept in its audience's words (`Said`)."""
    return then if first is None else Said("joined", first=first, then=then)


def frame_positions(frame: pd.DataFrame, cols: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The numbers in the position columns (NaN where not a number), for guessing a CRS."""
    from hepinggis.io._cells import number_cells, text_cells

    if "x" in cols and "y" in cols:
        return number_cells(frame[cols["x"]])[0], number_cells(frame[cols["y"]])[0]
    parts = text_cells(frame[cols["xy"]], nfkc=True).str.split(r"[,，;；\s]+", regex=True)
    xs = pd.to_numeric(parts.map(lambda p: p[0] if len(p) == 2 else ""), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(parts.map(lambda p: p[1] if len(p) == 2 else ""), errors="coerce").to_numpy(dtype=float)
    return xs, ys
