"""The lines of an import's report: each refused row with its field and reason, rows that could not
be split, warnings about imported rows, then one line per imported project, in row order."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis.io._import_report import Rejections, Report
from hepinggis.io._money import Amount
from hepinggis.io._tables import RawTable

__all__ = ["report_lines", "whole_report"]


def report_lines(
    raw: RawTable,
    rows: np.ndarray,
    ids: pd.Series,
    names: pd.Series,
    rej: Rejections,
    cleaned: dict[int, list[str]],
    money: list[Amount] | None,
    investment_col: str | None,
) -> Report:
    """The report's lines for rejected rows, rows that could not be split, and warnings."""
    ok = rej.ok
    report = Report(raw.row_label)
    for i in np.flatnonzero(~ok):
        report.add(
            int(rows[i]),
            ids.iloc[i] or None,
            names.iloc[i] or None,
            "rejected",
            "error",
            rej.field[i],
            rej.message[i] if isinstance(rej.message[i], str) else str(rej.message[i]),
        )
    for rownum, message in raw.bad_rows:
        report.add(rownum, None, None, "rejected", "error", None, message)
    for i in np.flatnonzero(ok):
        notes = [*cleaned.get(int(i), []), *([raw.row_notes[int(rows[i])]] if int(rows[i]) in raw.row_notes else [])]
        for message in notes:
            report.add(int(rows[i]), ids.iloc[i] or None, names.iloc[i] or None, "imported", "warning", None, message)
        if money is not None and money[i].level == "warning":
            report.add(
                int(rows[i]),
                ids.iloc[i] or None,
                names.iloc[i] or None,
                "imported",
                "warning",
                investment_col,
                money[i].note,
            )
    return report


def whole_report(report: Report, rows: np.ndarray, projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """The report's lines and one "imported" line per project (``rows``: their row numbers), by row,
    errors before warnings before notes."""
    imported = pd.DataFrame(
        {
            "row": rows,
            "id": projects["id"].to_numpy(),
            "name": projects["name"].to_numpy(),
            "outcome": "imported",
            "level": "",
            "field": None,
            "message": "",
        }
    )
    rep = pd.concat([report.frame(), imported], ignore_index=True)
    rep["_o"] = rep["level"].map({"error": 0, "warning": 1, "info": 2, "": 3})
    rep = rep.sort_values(["row", "_o"], kind="stable", na_position="first").drop(columns="_o")
    return rep.reset_index(drop=True)
