"""``hepinggis build``: the briefing package — gallery, interactive maps, static maps and statistics."""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import as_completed
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from hepinggis._briefing_pages import _comparison_page, _gallery, _import_page
from hepinggis._workers import worker_pool
from hepinggis.analysis.overlap import overlap_analysis
from hepinggis.analysis.projects import prepare_projects
from hepinggis.base._credits import ListCredit, projects_credit
from hepinggis.io._staging import staged_folder
from hepinggis.maps._classes import load_classifier
from hepinggis.maps._map_data import MapData, map_data
from hepinggis.maps._static_data import static_data
from hepinggis.plan._compare import compare_boundaries
from hepinggis.plan.layers import load

if TYPE_CHECKING:  # folium and matplotlib are loaded by the workers that draw with them (`_tasks`)
    import folium

    from hepinggis.io.importer import ImportResult

__all__ = ["Progress", "build", "progress_bar"]

#: ``progress(done, total, label)``: how `build` reports its work, in the calling process: once
#: with ``done=0`` before the first product, then after each group of products is written, with the
#: number of products written so far, the number of products of the package and the file names
#: just written (``label``; empty at the start). ``done == total`` at the last call.
Progress = Callable[[int, int, str], object]


@contextlib.contextmanager
def progress_bar(*, desc: str = "hepinggis build") -> Iterator[Progress]:
    """A `Progress` callback that draws a tqdm bar on stderr (the command line's bar).

    Examples
    --------
    ``build("maps", progress=bar)`` inside the ``with`` feeds it; by hand (the bar goes to stderr):

    >>> with progress_bar() as bar:
    ...     bar(0, 2, "")
    ...     bar(2, 2, "overview.html, stats")
    """
    state: dict[str, tqdm] = {}

    def report(done: int, total: int, label: str) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="file")
        bar.update(done - bar.n)

    try:
        yield report
    finally:
        if "bar" in state:
            state["bar"].close()


#: The products of the build being run, for the worker processes (forked: they inherit it).
_TASKS: list[Callable[[], list[Path]]] = []


def _run_task(k: int) -> list[Path]:
    return _TASKS[k]()


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """While workers are forked and run: the objects this process has made kept out of the garbage
    collector's passes (``gc.freeze``), so that a forked worker's collections neither walk them nor
    write their headers, which would copy the pages it shares with this process (the bundled
    package: 6 % fewer page faults in the workers, measured); they are collected again after."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(
    tasks: list[_Task], jobs: int | None, progress: Progress | None, early: _Early | None = None
) -> list[list[Path]]:
    """Run every task, in ``jobs`` forked processes where the system can fork (the tasks are
    closures: a forked worker inherits them and the data they share, computed once before the
    fork; nothing is pickled but the index and the paths). Tasks start in the order given: the
    longest first, so that no core is left with a long one at the end. ``progress`` is called
    here, in the calling process, as each task ends (see `Progress`). ``early`` is a task already
    running (`_start_early`): it is waited for, and counted in the progress, with the others; its
    paths come last."""
    extra = [] if early is None else [early]
    n = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    total, done = sum(len(names) for _, names in [*tasks, *extra]), 0

    def finished(names: list[str]) -> None:
        nonlocal done
        done += len(names)
        if progress is not None:
            progress(done, total, ", ".join(names))

    if progress is not None:
        progress(0, total, "")
    if n == 1 or "fork" not in multiprocessing.get_all_start_methods():
        out = []
        for task, names in tasks:
            out.append(task())
            finished(names)
        for wait, names in extra:
            out.append(wait())
            finished(names)
        return out
    _TASKS[:] = [task for task, _ in tasks]
    try:
        # workers die with this process, however it is stopped (see hepinggis._workers)
        with _frozen(), worker_pool(n, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = {pool.submit(_run_task, k): tasks[k][1] for k in range(len(tasks))}
            for future in as_completed(futures):
                future.result()
                finished(futures[future])
            out = [f.result() for f in futures]
        for wait, names in extra:
            out.append(wait())
            finished(names)
        return out
    finally:
        _TASKS.clear()


@contextlib.contextmanager
def _start_early(task: _Task, jobs: int | None) -> Iterator[_Early]:
    """Start ``task`` now, in a forked process of its own, while this process computes the maps'
    inputs (a core would otherwise wait); yield (a function returning its paths, its file names).
    With ``jobs=1`` or without fork, the function runs the task when called."""
    fn, names = task
    if jobs == 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield fn, names
        return
    _TASKS[:] = [fn]
    try:  # the worker is forked by submit (fork context: at once), inheriting _TASKS as it is now
        with _frozen(), worker_pool(1, mp_context=multiprocessing.get_context("fork")) as pool:
            future = pool.submit(_run_task, 0)
            _TASKS.clear()
            yield future.result, names
    finally:
        _TASKS.clear()


def build(
    out_dir: str | Path = "maps",
    *,
    basemap: str = "none",
    key: str | None = None,
    offline: bool = True,
    progress: bool | Progress = True,
    projects: gpd.GeoDataFrame | ImportResult | None = None,
    name_col: str | None = None,
    jobs: int | None = None,
    credit: ListCredit | None = None,
) -> dict[str, Path]:
    """Build every briefing product into ``out_dir`` and return the written paths.

    ``jobs`` products are written at once, in separate processes (default: one per core; ``1``
    writes them one after the other in this process).

    ``basemap="none"`` (the default) makes maps that work with no network at all; pass ``"osm"``,
    ``"tianditu_vec"`` … for tiles (the scripts stay inlined when ``offline`` is true).

    ``projects`` replaces the bundled projects everywhere (maps, static maps, workbook): a
    GeoDataFrame (``read_projects(…).projects`` as it comes, or any frame with a name column,
    ``name_col`` naming it if needed), or the whole `ImportResult` — then the rows rejected on
    import, and the warnings, are listed in ``import_report.html`` and in the workbook's
    ``import_report`` sheet.

    The package is written beside ``out_dir`` and swapped in when complete (see `_staging`): a
    kill leaves the old package or the new one, never a mix; ``out_dir/monitor`` (written by
    ``hepinggis monitor``) is carried over. ``out_dir`` must be new, empty or an earlier package.

    Parameters
    ----------
    out_dir : str or Path
        The package folder (default ``maps``).
    basemap : str
        ``"none"`` (no tiles, fully offline) or a basemap name of `hepinggis.maps.basemaps`.
    key : str, optional
        The basemap's key, where its tiles need one (天地图).
    offline : bool
        Inline the map scripts (default), so that the pages open without a network.
    progress : bool or callable
        ``True`` (default): a tqdm bar on stderr (`progress_bar`); ``False``: nothing; or a
        callable ``progress(done, total, label)``, called in this process once with ``done=0``,
        then as products are written (see `Progress`); the web app moves its job's progress with it.
    projects : GeoDataFrame or ImportResult, optional
        The projects to draw instead of the bundled ones (see above).
    name_col : str, optional
        The name column of a ``projects`` frame that has no ``name``.
    jobs : int, optional
        How many products are written at once (default one per core).
    credit : ListCredit, optional
        Where a ``projects`` table came from (an `ImportResult` brings its own ``credit``).

    Returns
    -------
    dict of str to Path
        Each product (``overview.html``, ``stats``, ``index.html`` …) and where it was written.

    Examples
    --------
    A package of the bundled layers, its progress recorded (about a minute, hence skipped here):

    >>> import hepinggis
    >>> calls = []
    >>> written = hepinggis.build("maps", progress=lambda *call: calls.append(call))  # doctest: +SKIP
    >>> calls[0][0], calls[-1][0] == calls[-1][1]  # doctest: +SKIP
    (0, True)

    A folder of other files is never replaced (this one runs):

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "notes.txt").write_text("mine", encoding="utf-8")
    >>> hepinggis.build(folder, progress=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    hepinggis.errors.HepingGISError: ... holds files that are not a hepinggis package; give a new or empty folder ...
    >>> (folder / "notes.txt").read_text(encoding="utf-8")
    'mine'
    """
    dest = Path(out_dir)
    from hepinggis.maps.basemaps import basemap as named_basemap

    named_basemap(basemap, key=key)  # an unknown name or a missing key said before anything is drawn
    with contextlib.ExitStack() as stack:
        report: Progress | None = None
        if progress is True:
            report = stack.enter_context(progress_bar())
        elif callable(progress):
            report = progress
        with staged_folder(dest, carry=("monitor",)) as out:
            written = _write_package(out, basemap, key, offline, report, projects, name_col, jobs, credit)
            return {name: dest.absolute() / path.relative_to(out) for name, path in written.items()}


#: Above this many projects every interactive map draws a density grid classed by mapclassify
#: (`hepinggis.maps.overview_map`'s ``cluster_above``), and so does every worker of the build.
_DENSITY_ABOVE = 40
#: Above this many projects the workbook's CSV files are written beside it, in a process of their own.
_CSV_APART_ABOVE = 5000
#: Files written together (one drawing saved in three formats; both choropleths) and how.
_Task = tuple[Callable[[], list[Path]], list[str]]
#: A task started early (`_start_early`): a function returning its paths, and its file names.
_Early = tuple[Callable[[], list[Path]], list[str]]
#: A product's gallery entry: (title, note).
_Entry = tuple[str, str]


def _gallery_entries(zones: gpd.GeoDataFrame) -> dict[str, _Entry | None]:
    """Each file's gallery entry (title, note), in gallery order: the overview, each zone, the
    choropleths and the workbook."""
    entries: dict[str, _Entry | None] = {
        "overview.html": ("总览图（交互）", "六区、街道、两轴、浑河带与项目"),
        "overview.png": ("总览图（PNG）", "用于文档"),
        "overview.pdf": ("总览图（PDF）", "矢量，可打印"),
        "overview.svg": ("总览图（SVG）", "矢量，可编辑"),
        "overview_A4_portrait.pdf": ("总览图（A4 竖版 PDF）", "按 100% 打印，文字不小于 7 磅"),
        "overview_A3_landscape.pdf": ("总览图（A3 横版 PDF）", "按 100% 打印，文字不小于 7 磅"),
    }
    for z in zones.itertuples():
        zid, name = str(z.id), str(z.name_zh)
        entries[f"zone_{zid}.html"] = (f"{name}（交互）", "功能区、发展重点、项目与规划要点")
        entries[f"zone_{zid}.png"] = (f"{name}（PNG）", "用于文档")
    entries["choropleth_projects.html"] = ("专题图：项目数", "mapclassify 分级")
    entries["choropleth_belt_share.html"] = ("专题图：浑河带占比", "mapclassify 分级")
    entries["stats"] = ("统计表（Excel）", "面积、重叠、各功能区与各街道项目数、轴线与浑河带")
    return entries


def _tasks(
    out: Path,
    basemap: str,
    key: str | None,
    offline: bool,
    mine: gpd.GeoDataFrame,
    credit: ListCredit | None = None,
    data: MapData | None = None,
) -> tuple[list[_Task], dict[str, _Entry | None]]:
    """The products of a package but the workbook (`_stats_task`): the tasks that write them,
    longest first, and each file's gallery entry (the workbook's too), in gallery order.

    The maps' inputs (layers, projects, counts, shares, markers) are read and computed once, here,
    before any worker is forked: every map draws from them instead of computing them again
    (``data``: the interactive maps' inputs, begun by the caller). matplotlib is loaded here (both
    workers draw static maps); folium is not: the worker that draws the interactive maps loads it,
    and one that draws only static maps never does."""
    data = data if data is not None else map_data(mine, credit=credit)
    data.warm()
    points = data.markers if mine.crs == data.projects.crs else None  # the same markers, found once
    sheet = static_data(mine, credit=credit, markers=points)
    if len(mine) > _DENSITY_ABOVE:  # every map classes a density grid: mapclassify imported once, here
        load_classifier()
    # matplotlib once, here, while the workbook's process (`_start_early`) keeps the other core busy:
    # both workers draw static maps, and would each load it (folium is loaded by the one that draws with it)
    importlib.import_module("hepinggis.maps.static")
    zones = data.zones
    entries = _gallery_entries(zones)
    zone_ids = [str(z) for z in zones["id"]]

    def html(name: str, m: folium.Map) -> Path:
        from hepinggis.maps.interactive import save_html

        return save_html(m, out / name, offline=offline)

    def choropleths() -> list[Path]:  # together: mapclassify (and scipy) imported by one worker
        from hepinggis.maps.interactive import choropleth_map

        counts = data.counts.by_zone["projects_any_share"]
        belt = data.belt
        share = overlap_analysis(zones, {"belt": belt[belt["kind"] == "belt"]}).set_index("id")["belt_pc"]
        note = projects_credit(mine, credit)
        return [
            html(
                "choropleth_projects.html",
                choropleth_map(counts, title="各功能区涉及项目数", unit="个", basemap=basemap, key=key, credit=note),
            ),
            html(
                "choropleth_belt_share.html",
                choropleth_map(share.round(1), title="浑河带占功能区面积比例", unit="%", basemap=basemap, key=key),
            ),
        ]

    def sheets(
        paths: list[Path], *, zone_id: str | None = None, paper: str | None = None, orientation: str = "portrait"
    ) -> list[Path]:
        from hepinggis.maps.static import static_maps

        return static_maps(sheet, paths, zone_id=zone_id, paper=paper, orientation=orientation)

    def interactive_maps() -> list[Path]:  # together: folium loaded by one worker, which drew the choropleths
        from hepinggis.maps.interactive import overview_of, zone_map_of

        written = [html("overview.html", overview_of(data, basemap=basemap, key=key))]
        for zid in zone_ids:
            written.append(html(f"zone_{zid}.html", zone_map_of(data, zid, basemap=basemap, key=key)))
        return written

    def overview_sheets() -> list[Path]:  # together: the three PDFs hold the same text, its fonts subset once
        return [
            *sheets([out / "overview.png", out / "overview.pdf", out / "overview.svg"]),
            *sheets([out / "overview_A3_landscape.pdf"], paper="A3", orientation="landscape"),
            *sheets([out / "overview_A4_portrait.pdf"], paper="A4"),
        ]

    sheet_names = [f"overview.{kind}" for kind in ("png", "pdf", "svg")]
    sheet_names += ["overview_A3_landscape.pdf", "overview_A4_portrait.pdf"]
    tasks: list[_Task] = [  # longest first; the interactive maps after the choropleths (folium loaded once)
        (overview_sheets, sheet_names),
        (choropleths, ["choropleth_projects.html", "choropleth_belt_share.html"]),
        (interactive_maps, ["overview.html", *(f"zone_{zid}.html" for zid in zone_ids)]),
    ]
    tasks += [(functools.partial(sheets, [out / f"zone_{z}.png"], zone_id=z), [f"zone_{z}.png"]) for z in zone_ids]
    return tasks, entries


def _stats_task(
    out: Path,
    mine: gpd.GeoDataFrame,
    report: pd.DataFrame | None,
    credit: ListCredit | None = None,
    data: MapData | None = None,
    jobs: int | None = None,
) -> _Task:
    """The statistics workbook: it starts before the maps' other inputs are computed. With ``data``
    its per-zone and per-街道 tables and the projects' zone shares are the maps' (computed once).
    Above `_CSV_APART_ABOVE` projects its CSV files are written by a process of their own (forked
    by this task's) while the workbook is written: XlsxWriter's million cells are the build's
    longest single piece of work at 50,000 projects."""
    counts, shares = (data.counts, _shares_by_id(data)) if data is not None else (None, None)

    @contextlib.contextmanager
    def apart(csvs: Callable[[], list[Path]]) -> Iterator[Callable[[], list[Path]]]:
        with _start_early((csvs, []), jobs) as (written, _):
            yield written

    def stats() -> list[Path]:
        from hepinggis.stats import _write_stats

        written = _write_stats(
            out / "stats",
            chinese=True,
            projects=mine,
            import_report=report,
            credit=credit,
            counts=counts,
            shares=shares,
            apart=apart if len(mine) > _CSV_APART_ABOVE else None,
        )
        return [written["workbook"]]

    return stats, ["stats"]


def _shares_by_id(data: MapData) -> pd.DataFrame:
    """`MapData.shares` with each project named by its id: `zone_shares` of the projects indexed
    by id, as the workbook has it (the same rows in the same order; ids are unique)."""
    shares = data.shares
    ids = pd.Index(data.projects["id"])[data.projects.index.get_indexer(shares["feature"])]
    return shares.assign(feature=ids)


def _write_package(
    out: Path,
    basemap: str,
    key: str | None,
    offline: bool,
    progress: Progress | None,
    projects: gpd.GeoDataFrame | ImportResult | None,
    name_col: str | None,
    jobs: int | None = None,
    credit: ListCredit | None = None,
) -> dict[str, Path]:
    """Every product of `build`, written into the (staged) folder ``out``."""
    result = None
    if projects is not None and not isinstance(projects, gpd.GeoDataFrame):
        from hepinggis.io.importer import ImportResult  # loaded already by whoever read the list

        result = projects if isinstance(projects, ImportResult) else None
    credit = credit or (result.credit if result is not None else None)
    frame = result.projects if result is not None else projects
    if frame is None:
        mine = load("projects")
    else:
        source = Path(result.source).name if result is not None else None
        mine = prepare_projects(frame, name_col=name_col, source=source)
    projects_note = projects_credit(mine, credit)
    report = result.report_zh(words="page") if result is not None else None  # the workbook is the bureau's
    done: dict[str, Path] = {}
    # the counts per zone and 街道 and the zone shares first: the workbook's tables are the maps'
    data = map_data(mine, credit=credit)
    with _start_early(_stats_task(out, mine, report, credit, data, jobs), jobs) as early:
        tasks, gallery = _tasks(out, basemap, key, offline, mine, credit, data)
        for (_, names), paths in zip([*tasks, early], _run(tasks, jobs, progress, early), strict=True):
            done.update(zip(names, paths, strict=True))
    written: dict[str, Path] = {}
    entries: list[tuple[str, str, str]] = []
    for name, entry in gallery.items():  # in gallery order, whatever order the tasks ran in
        written[name] = done[name]
        if entry:
            entries.append((str(done[name].relative_to(out)), *entry))
    if result is not None:
        written["import_report.html"] = _import_page(out, result)
        entries.insert(
            0,
            (
                "import_report.html",
                "导入报告",
                f"拒绝 {result.n_rejected} 行、警告 {result.n_warned} 行（逐行列出）",
            ),
        )
    comparison = compare_boundaries(mine)
    if comparison:
        written["comparison.html"] = _comparison_page(out, comparison)
        moved = len(comparison["projects_changing_area"])
        entries.insert(0, ("comparison.html", "官方边界与随包边界对比", f"面积差异、最大偏移，{moved} 个项目改变所属"))
    if (out / "monitor" / "index.html").is_file():  # hepinggis monitor wrote its package here
        entries.append(("monitor/index.html", "规划实施监测", "各功能区2025年目标的进度、逐区地图与PDF"))
    written["index.html"] = _gallery(out, entries, basemap, offline, projects_note, credit.subset if credit else None)
    return written
