"""The CSV reader's fast paths give what the slow ones give: lines split by `str.split` where the
csv module is not needed (`_tables._records`, compared with itself when every line goes through
the csv module), rows as wide as the header taken as they are (`_tables._sheet_table`) and text
columns searched for control characters in one pass (`_cells.without_controls`, compared with a
cell-by-cell reading) — on hostile and odd lines, and a whole CSV read both ways."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hepinggis.io import _tables
from hepinggis.io._cells import _CONTROL, without_controls
from hepinggis.io.importer import read_projects

_CORPUS = json.loads((Path(__file__).parents[1] / "data" / "hostile.json").read_text("utf-8"))["corpus"]
HOSTILE = [h["text"] for h in _CORPUS]


def _records_reference(lines: list[str], sep: str) -> tuple[list, list, dict]:
    """`_tables._records` with its fast paths off: every line through ``csv.reader``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_tables, "_quoted", lambda line: True)
        return _tables._records(lines, sep)


def _outcome(fn: Callable[..., object], *args: object) -> object:
    """What ``fn(*args)`` gives: its result, or the csv module's error (type and text)."""
    try:
        return fn(*args)
    except csv.Error as exc:
        return ("csv.Error", str(exc))


PIECES = [",", ",", ",", "\t", " ", "a", "中文", "１２３．５", "123.45", "\x00", "\x1b", "", "\u2028"]
PIECES += [h for h in HOSTILE if '"' not in h]
QUOTED = ['"', '""', '"x,y"', '"a""b"', '3"', *(h for h in HOSTILE if '"' in h)]  # now and then: most lines are plain


def _odd_lines(rng: random.Random, n: int) -> list[str]:
    lines = []
    for _ in range(n):
        pieces = [rng.choice(QUOTED if rng.random() < 0.01 else PIECES) for _ in range(rng.randrange(0, 12))]
        lines.append("".join(pieces))
    return lines


@pytest.mark.parametrize("sep", [",", "\t"])
def test_records_as_the_csv_module_splits_them(sep: str) -> None:
    split = 0
    for seed in range(200):
        lines = _odd_lines(random.Random(seed), 60)
        if seed % 4 == 0:  # files with no quote at all take the whole-file path
            lines = [line.replace('"', "") for line in lines]
        got = _outcome(_tables._records, lines, sep)
        assert got == _outcome(_records_reference, lines, sep), seed
        split += isinstance(got[0], list)
    assert split == 200  # every file split: a quote inside an unquoted cell is text, never the csv module's error


def test_records_of_a_carriage_return_inside_a_line() -> None:
    for lines in (["名称,经度", "a\rb,1"], ["名称,经度", 'a,"b\rc"', "d,1"]):
        assert _outcome(_tables._records, lines, ",") == _outcome(_records_reference, lines, ",")


def test_records_of_a_field_over_the_csv_limit() -> None:
    long = "x" * (csv.field_size_limit() + 1)
    lines = ["名称,经度", f"{long},1"]
    assert _outcome(_tables._records, lines, ",") == _outcome(_records_reference, lines, ",")
    assert _outcome(_tables._records, lines, ",")[0] == "csv.Error"


def test_records_plain_and_quoted_lines_mixed() -> None:
    lines = ["名称,备注", 'a,"一,二"', "b,c,d", "", 'e,"跨', '行"', "f,g"]
    got = _tables._records(lines, ",")
    assert got == _records_reference(lines, ",")
    assert got[0][-1] == (6, ["f", "g"]) and got[2][7] == 6


def _without_controls_reference(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Cell by cell: each text cell with a control character loses it, and its row is noted."""
    out = frame.copy()
    notes: dict[int, list[str]] = {}
    for col in frame.columns:
        cells = list(frame[col])
        hits = [k for k, v in enumerate(cells) if isinstance(v, str) and _CONTROL.search(v)]
        for k in hits:
            cells[k] = _CONTROL.sub("", cells[k])
            notes.setdefault(k, []).append(f"已删除“{col}”中的控制字符（如 ESC、NUL），其余文字保留")
        if hits:
            out[col] = np.array(cells, dtype=object)
    return out, notes


@pytest.mark.parametrize("seed", range(20))
def test_without_controls_as_cell_by_cell(seed: int) -> None:
    rng = random.Random(seed)
    cells = [*PIECES, *HOSTILE, "\n", "a\nb", "\x7f", "\x9f", "\x85"]
    columns = {}
    for c in range(4):
        kind = rng.randrange(3)
        if kind == 0:  # all text
            columns[f"c{c}"] = ["".join(rng.choice(cells) for _ in range(3)) for _ in range(30)]
        elif kind == 1:  # text, numbers and gaps (a workbook's cells)
            columns[f"c{c}"] = [rng.choice(["t\x1bx", "ok", 1.5, 2, None, np.nan]) for _ in range(30)]
        else:  # text without a control character
            columns[f"c{c}"] = [rng.choice(["甲", "乙 丙", "a\nb", ""]) for _ in range(30)]
    frame = pd.DataFrame(columns, dtype=object)
    got, notes = without_controls(frame)
    want, want_notes = _without_controls_reference(frame)
    pd.testing.assert_frame_equal(got, want)
    assert notes == want_notes


def test_a_csv_read_with_and_without_the_fast_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A register of plain, quoted, too wide, narrow and hostile rows: the same projects and report
    when every line goes through the csv module and every row through the slow path."""
    rows = ["项目名称,经度,纬度,备注"]
    rng = random.Random(7)
    for k in range(300):
        x, y = 123.40 + rng.random() * 0.04, 41.74 + rng.random() * 0.04
        note = rng.choice(['"含,逗号"', "普通", "", "x\x1by", '"多""引号"', *[h.replace('"', "") for h in HOSTILE]])
        line = f"项目{k},{x:.6f},{y:.6f},{note}"
        if k % 37 == 0:
            line += ",多出来的"
        if k % 41 == 0:
            line = f"项目{k},{x:.6f}"
        rows.append(line)
    path = tmp_path / "清单.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fast = read_projects(path, crs="wgs84")
    monkeypatch.setattr(_tables, "_quoted", lambda line: True)  # every line through the csv module
    slow = read_projects(path, crs="wgs84")
    pd.testing.assert_frame_equal(fast.report, slow.report)
    pd.testing.assert_frame_equal(pd.DataFrame(fast.projects), pd.DataFrame(slow.projects))
    assert fast.n_rejected == slow.n_rejected > 0 and fast.n_imported == slow.n_imported > 250


def test_the_crs_given_is_said_once_with_or_without_a_stated_one(tmp_path: Path) -> None:
    """A CRS given for a header that states none is said in the report without the coordinates
    being read for it (they are read once, for the positions); one the header states is weighed."""
    plain = tmp_path / "plain.csv"
    plain.write_text("名称,经度,纬度\n甲,123.41,41.76\n", encoding="utf-8")
    notes = [str(m) for m in read_projects(plain, crs="gcj02").report["message"] if "坐标" in str(m)]
    assert notes == ["坐标按指定的 --crs gcj02（GCJ-02（高德、腾讯））读取"]
    stated = tmp_path / "stated.csv"
    stated.write_text("名称,经度（百度坐标）,纬度（百度坐标）\n甲,123.42,41.77\n", encoding="utf-8")
    notes = [str(m) for m in read_projects(stated, crs="wgs84").report["message"] if "百度" in str(m)]
    assert len(notes) == 1 and "wgs84" in notes[0]


def test_a_quote_inside_an_unquoted_cell_is_text_and_never_joins_the_next_row(tmp_path: Path) -> None:
    """``ab"c`` then ``d"e``: each quote is text of its own cell (as Excel writes and reads it); the
    two rows were once joined into one record that the csv module refused with an English error."""
    path = tmp_path / "quotes.csv"
    path.write_text('项目名称,经度,纬度\nab"c,123.40,41.78\nd"e,123.41,41.79\n"开,123.42,41.79\n', encoding="utf-8")
    result = read_projects(path, crs="EPSG:4326")
    assert list(result.projects["name"]) == ['ab"c', 'd"e']
    refused = result.report[result.report["outcome"] == "rejected"]
    assert list(refused["row"]) == [4] and "引号未闭合" in refused["message"].iloc[0]
