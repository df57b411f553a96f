"""`hepinggis build` at 50,000 projects writes the workbook's CSV files in a process of their own
while the workbook is written: the files are the same as when one process writes them all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hepinggis import briefing
from hepinggis.plan.layers import load
from hepinggis.stats import _write_stats


def test_the_csv_files_written_apart_are_those_written_in_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = load("projects")
    started: list[Any] = []
    start_early = briefing._start_early

    def spy(task: Any, jobs: int | None) -> Any:
        started.append(task)
        return start_early(task, jobs)

    monkeypatch.setattr(briefing, "_CSV_APART_ABOVE", 0)  # the bundled 31 projects count as many
    monkeypatch.setattr(briefing, "_start_early", spy)
    task, names = briefing._stats_task(tmp_path / "apart", mine, None, jobs=2)
    assert names == ["stats"]
    [workbook] = task()
    assert len(started) == 1  # the CSV files were handed to a process of their own

    whole = _write_stats(tmp_path / "whole", chinese=True, projects=mine)
    csvs = sorted(p.name for p in (tmp_path / "apart" / "stats").glob("*.csv"))
    assert csvs == sorted(p.name for p in whole.values() if p.suffix == ".csv") and len(csvs) > 5
    for name in csvs:
        assert (tmp_path / "apart" / "stats" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    apart_sheets = pd.read_excel(workbook, sheet_name=None, engine="openpyxl")
    whole_sheets = pd.read_excel(whole["workbook"], sheet_name=None, engine="openpyxl")
    assert list(apart_sheets) == list(whole_sheets)
    for sheet, frame in whole_sheets.items():
        pd.testing.assert_frame_equal(apart_sheets[sheet], frame)


def test_few_projects_write_their_csv_files_in_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setattr(briefing, "_start_early", lambda task, jobs: started.append(task))
    task, _ = briefing._stats_task(tmp_path, load("projects"), None, jobs=2)
    [workbook] = task()
    assert workbook.is_file() and started == []
