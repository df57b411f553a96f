"""The clerk's corpus (tests/data/registers/clerk) through the importer: rows numbered as Excel shows
them in a CSV with line breaks inside cells, and hidden/filtered rows counted by kind."""

from __future__ import annotations

import json
from pathlib import Path

import hepinggis

CLERK = Path(__file__).resolve().parents[1] / "data" / "registers" / "clerk"


def _truth(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((CLERK / f"{name}.truth.json").read_text(encoding="utf-8"))


def test_csv_rows_with_line_breaks_in_cells_are_numbered_as_excel_shows_them() -> None:
    name = "科室清单_单元格换行_GBK.csv"
    truth = _truth(name)
    result = hepinggis.read_projects(CLERK / name, crs=truth["crs"])
    assert result.rows_in == truth["rows_in"] and result.n_imported == truth["imported"]
    assert sorted(str(int(r)) for r in result.rejected["row"]) == sorted(truth["refused"])
    assert sorted(result.projects["row"].tolist()) == [r for r in range(2, 42) if str(r) not in truth["refused"]]
    notes = result.projects.set_index("row")["备注"]
    assert "\n" in notes.loc[2]  # the cell keeps its line break, and is still one row


def test_hidden_and_filtered_rows_are_imported_with_a_note_or_skipped_by_kind() -> None:
    name = "科室清单_筛选隐藏公式.xlsx"
    truth = _truth(name)
    kept = hepinggis.read_projects(CLERK / name)
    assert kept.n_imported == truth["imported"] and kept.skipped_by_kind == {}
    hidden = [int(r) for r, v in truth["rows"].items() if v["hidden"]]
    warned = set(kept.warnings["row"].dropna().astype(int))
    assert set(hidden) <= warned
    skipped = hepinggis.read_projects(CLERK / name, skip_hidden=True)
    assert skipped.skipped_by_kind == truth["skipped_when_chosen"]
    assert skipped.n_imported + skipped.n_rejected + skipped.n_skipped == skipped.rows_in == truth["rows_in"]
    assert abs(float(kept.projects["investment_cny"].sum()) - truth["investment_cny"]) < 1e-3
