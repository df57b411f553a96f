"""``hepinggis monitor``: the annual monitoring package (规划实施监测评估) — maps, one-page PDFs and
a workbook of how far each zone and the district are from their 2025 targets, what the figures
cover, which rows were not read, and which projects changed.

The maps (folium, `hepinggis.monitor._maps`) and the PDFs (fpdf2, `hepinggis.monitor._pdf`) are
loaded only where they are drawn: on two cores the PDFs are laid out and drawn by a forked process,
which then writes the workbook and the index, while this one imports folium and writes the maps.
matplotlib is not loaded."""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from hepinggis.base._style import PLAN_TITLE_ZH
from hepinggis.errors import NoFiguresError
from hepinggis.io._sheets import write_workbook
from hepinggis.io._staging import note_in_manifest, staged_folder
from hepinggis.monitor._credits import credit_lines
from hepinggis.monitor._forked import can_fork
from hepinggis.monitor._layers import layer, read_once
from hepinggis.monitor._pdf import monitor_pdf, pdfs_written
from hepinggis.monitor._words import STATUS_COLORS, STATUS_ZH, target_name
from hepinggis.monitor._workbook import monitor_tables, sheet_names
from hepinggis.monitor.changes import project_changes
from hepinggis.monitor.evaluate import asked_year, check_year, evaluate
from hepinggis.monitor.indicators import ActualsResult, read_actuals

if TYPE_CHECKING:
    from hepinggis.io.importer import ImportResult
    from hepinggis.monitor._maps import monitor_map
    from hepinggis.monitor._pdf_sheet import Sheet

__all__ = ["STATUS_COLORS", "STATUS_ZH", "monitor", "monitor_map", "monitor_pdf"]


def __getattr__(name: str) -> Any:
    # the map is loaded on first use (PEP 562): folium is not needed before the maps are written
    if name == "monitor_map":
        from hepinggis.monitor._maps import monitor_map

        return monitor_map
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _pages(results: pd.DataFrame, zone_id: str, **common: Any) -> list[Sheet]:
    """One report's pages, laid out where they are drawn (`hepinggis.monitor._pdf_pages`)."""
    from hepinggis.monitor._pdf_pages import pages

    return pages(results, zone_id, **common)


def _changes(projects_by_year: Mapping[int, gpd.GeoDataFrame | ImportResult]) -> pd.DataFrame:
    from hepinggis.io.importer import ImportResult

    years = sorted(projects_by_year)
    parts = []
    for a, b in itertools.pairwise(years):
        old, new = projects_by_year[a], projects_by_year[b]
        old_frame = old.projects if isinstance(old, ImportResult) else old
        refused = new.rejected if isinstance(new, ImportResult) else None
        new_frame = new.projects if isinstance(new, ImportResult) else new
        part = project_changes(old_frame, new_frame, refused=refused)
        part.insert(0, "years", f"{a}→{b}")
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["years", "change"])


@read_once()  # the zones are read once for all the maps, pages and sheets
def monitor(
    actuals: str | Path | ActualsResult,
    out_dir: str | Path = Path("maps") / "monitor",
    *,
    year: int | None = None,
    projects_by_year: Mapping[int, gpd.GeoDataFrame | ImportResult] | None = None,
    sheet: str | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """Write the monitoring package: ``index.html`` (what is monitored, has no data, is
    qualitative or asked about; every zone's verdicts beside the plan's sentences; the rows not
    read; project changes), an overview map of the share of indicators on track per zone, one
    monitoring map and one printable A4 PDF per zone and for the district, and ``monitoring.xlsx``
    (Chinese sheets: evaluation with the plan's sentence and the rule of each row, zone summary,
    targets, figures, reading report, coverage, credits, and the project changes between
    consecutive years when ``projects_by_year`` is given).

    ``year`` is the year asked (2021–2030; default: the latest year of 2021–2025 with a figure).
    A file with no figure at all is refused (`NoFiguresError`): an empty package would look like
    a monitoring. The package is written beside ``out_dir`` and swapped in when complete (a kill
    leaves the old package or the new one). The CJK font of the PDFs is subset once for all.

    ``workers=2`` draws the PDFs in a forked process beside the maps (default: where that is safe,
    `hepinggis.monitor._forked.can_fork`; ``1`` writes everything in this process). The files are
    the same either way.

    Parameters
    ----------
    actuals : str, Path or ActualsResult
        The yearly figures: a file `read_actuals` reads, or what it returned.
    out_dir : str or Path, default "maps/monitor"
        The package folder (new, empty or an earlier package).
    year : int, optional
        The year asked (see above).
    projects_by_year : mapping of int to GeoDataFrame or ImportResult, optional
        The project list of each year, for the changes between consecutive years.
    sheet : str, optional
        The sheet of ``actuals`` to read (as for `read_actuals`).
    workers : int, optional
        ``1`` writes everything in this process, ``2`` draws the PDFs beside the maps.

    Returns
    -------
    dict of str to Path
        Each file of the package (``index.html``, ``overview.html``, ``monitor_<zone>.html`` and
        ``.pdf``, ``monitoring.xlsx``) and where it was written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> figures = folder / "figures.csv"
    >>> _ = figures.write_text("指标编号,年份,数值\\nsanhaojie_high_tech_firms,2022,61\\n", encoding="utf-8")
    >>> written = monitor(figures, folder / "monitor", workers=1)
    >>> sorted(written)[:3], written["monitoring.xlsx"].is_file()
    (['index.html', 'monitor_beishichang.html', 'monitor_beishichang.pdf'], True)
    """
    check_year(year)
    result = actuals if isinstance(actuals, ActualsResult) else read_actuals(actuals, sheet=sheet)
    if result.values.empty:
        counts = result.report["outcome"].value_counts()
        raise NoFiguresError(
            f"{Path(result.source).name}：没有读入任何数值（{result.rows_in} 行中未读入 "
            f"{int(counts.get('rejected', 0))} 行、未填 {int(counts.get('blank', 0))} 行、"
            f"填报为无数据 {int(counts.get('no_data', 0))} 行）：请先填写“数值”栏"
        )
    when = year if year is not None else asked_year(result)
    results = evaluate(result, year=when)
    changes = _changes(projects_by_year) if projects_by_year else None
    credits = credit_lines(result.source, sheet=result.sheet, example=result.is_example)
    common: dict[str, Any] = {
        "year": when,
        "values": result.values,
        "refused_rows": len(result.rejected),
        "credits": credits,
    }
    written: dict[str, Path] = {}
    zones = layer("zones")
    targets = [("district", target_name("district")), *((str(z.id), str(z.name_zh)) for z in zones.itertuples())]
    if workers is None:
        workers = 2 if can_fork() else 1
    with staged_folder(out_dir) as out:
        jobs = [(functools.partial(_pages, results, tid, **common), out / f"monitor_{tid}.pdf") for tid, _ in targets]
        rows = results["target_id"].value_counts()
        weights = [2.0 + float(rows.get(tid, 0)) for tid, _ in targets]  # about the texts each report draws
        entries = _entries(targets, sheet_names(changes=changes is not None))
        index = functools.partial(_index, entries, results, result, when, changes, credits, out)
        book = functools.partial(_workbook, results, result, changes, credits, out / "monitoring.xlsx", index)
        # the PDFs, the workbook and the index written beside the maps on two cores
        with pdfs_written(jobs, workers=workers, weights=weights, also=book):
            from hepinggis.maps.interactive import save_html
            from hepinggis.monitor._maps import monitor_map

            written["overview.html"] = save_html(monitor_map(results, None, **common), out / "overview.html")
            for tid, _ in targets:
                html, pdf = f"monitor_{tid}.html", f"monitor_{tid}.pdf"
                written[html] = save_html(monitor_map(results, tid, **common), out / html)
                written[pdf] = out / pdf
        written["monitoring.xlsx"] = out / "monitoring.xlsx"
        if not all((out / h).is_file() for h, _ in entries):  # the index links only what exists
            index([(h, t) for h, t in entries if (out / h).is_file()])
    dest = Path(out_dir).absolute()
    written = {name: dest / name for name in [*written, "index.html"]}
    linked = _link_from_gallery(dest)
    # a briefing package around it stays verifiable: its gallery changed, this folder is its own
    note_in_manifest(dest.parent, rewritten=("index.html",) if linked else (), carried=(dest.name,))
    return written


def _entries(targets: list[tuple[str, str]], sheets: list[str]) -> list[tuple[str, str]]:
    """The files of the package and their titles, as the index lists them."""
    entries = [("overview.html", "总览图：各功能区达到进度的指标占比（有数据的指标中）")]
    for tid, name in targets:
        entries += [(f"monitor_{tid}.html", f"{name}（交互地图）"), (f"monitor_{tid}.pdf", f"{name}（A4 PDF）")]
    return [*entries, ("monitoring.xlsx", f"监测结果工作簿（{'、'.join(sheets)}）")]


def _index(
    planned: list[tuple[str, str]],
    results: pd.DataFrame,
    result: ActualsResult,
    when: int | None,
    changes: pd.DataFrame | None,
    credits: list[str],
    out: Path,
    entries: list[tuple[str, str]] | None = None,
) -> None:
    """``index.html``, linking ``entries`` (default: every file ``planned``)."""
    from hepinggis.monitor._index import index_html

    shown = planned if entries is None else entries
    (out / "index.html").write_text(index_html(shown, results, result, when, changes, credits), encoding="utf-8")


def _workbook(
    results: pd.DataFrame,
    result: ActualsResult,
    changes: pd.DataFrame | None,
    credits: list[str],
    path: Path,
    index: Callable[[], None],
) -> None:
    """``monitoring.xlsx`` (`monitor_tables`) and then ``index()``, written where the PDFs are
    (`pdfs_written`: beside the maps on two cores; the index needs no folium)."""
    write_workbook(monitor_tables(results, result, changes, credits), path)
    index()


def _link_from_gallery(out: Path) -> bool:
    """Add the package to the briefing gallery beside it (``hepinggis build``'s index.html), once;
    the gallery is rewritten atomically. Says whether it was rewritten."""
    from hepinggis.maps._leaflet import esc

    gallery = out.parent / "index.html"
    if not gallery.is_file():
        return False
    page = gallery.read_text(encoding="utf-8")
    href = f"{out.name}/index.html"
    if PLAN_TITLE_ZH not in page or f'href="{href}"' in page or "</ul>" not in page:
        return False
    item = f'<li><a href="{esc(href)}">规划实施监测</a> — 各功能区2025年目标的进度、逐区地图与PDF</li>\n</ul>'
    tmp = gallery.with_name(f".{gallery.name}.tmp")
    tmp.write_text(page.replace("</ul>", item, 1), encoding="utf-8")
    os.replace(tmp, gallery)
    return True
