"""``stats``, ``build``, ``monitor``: the products."""

from __future__ import annotations

import argparse
from pathlib import Path

from hepinggis._cli._common import Parser, Subparsers, boundaries_option, import_options, own_projects, positive_int
from hepinggis.errors import UsageError

__all__ = ["add_product_commands"]


def _cmd_stats(args: argparse.Namespace) -> int:
    from hepinggis.stats import area_summary, write_stats

    result = own_projects(args, "统计工作簿的 import_report 工作表")
    tables = write_stats(
        args.out,
        chinese=args.zh,
        distance_m=args.distance,
        projects=None if result is None else result.projects,
        name_col=args.name_col,
        import_report=None if result is None else result.report_zh(words="page"),
        credit=None if result is None else result.credit,
    )
    for name, path in tables.items():
        print(f"{name:22s} {path}")
    print("\n".join(area_summary(None if result is None else result.projects, name_col=args.name_col)))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from hepinggis.briefing import build, progress_bar

    where = f" {args.out / 'import_report.html'} 及统计工作簿的 import_report 工作表"
    projects = own_projects(args, where)
    with progress_bar() as bar:  # the tqdm bar, fed by build's progress callback
        written = build(
            args.out,
            basemap=args.basemap,
            key=args.key,
            offline=not args.online,
            progress=False if args.quiet else bar,
            projects=projects,
            name_col=args.name_col,
            jobs=args.jobs,
        )
    print(f"{len(written)} files written to {args.out}; open {args.out / 'index.html'}")
    return 0


def _cmd_monitor(args: argparse.Namespace) -> int:
    from hepinggis.monitor.changes import yearly_project_lists
    from hepinggis.monitor.indicators import read_actuals, write_template
    from hepinggis.monitor.package import monitor

    if args.template is not None:
        path = write_template(args.template)
        print(f"entry workbook written to {path}: fill in 数值 (and 备注), then run hepinggis monitor {path.name}")
        if args.actuals is None:
            return 0
    if args.actuals is None:
        raise UsageError("give the figures file (ACTUALS), or --template FILE.xlsx to make one")
    from hepinggis.monitor.evaluate import check_year

    check_year(args.year)  # before reading: a year outside 2021–2030 is refused at once
    result = read_actuals(args.actuals, encoding=args.encoding, sheet=args.sheet)
    print(result.summary())
    for rec in result.rejected.to_dict("records"):
        field = rec["field"] if isinstance(rec["field"], str) else ""  # none for a whole-row reason
        message = str(rec["message"])
        print(f"  第 {rec['row']} 行：{message if message.startswith(field) else f'{field} {message}'}")
    for rec in result.doubtful.to_dict("records"):  # read, but asked about: not judged until confirmed
        print(f"  第 {rec['row']} 行（待核实）：{rec['question']}")
    by_year = yearly_project_lists(args.projects_by_year, args.crs) if args.projects_by_year else None
    written = monitor(result, args.out, year=args.year, projects_by_year=by_year)
    print(f"{len(written)} files written to {args.out}; open {args.out / 'index.html'}")
    return 1 if len(result.rejected) else 0


def _add_stats(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("stats", help="write every analysis table to one Excel workbook and CSVs")
    p.add_argument("--out", type=Path, default=Path("maps") / "stats", help="output folder (default: maps/stats)")
    p.add_argument("--zh", action="store_true", help="Chinese column headers")
    p.add_argument("--distance", type=float, default=500.0, help="corridor half-width along the axes, metres")
    p.add_argument("--projects", type=Path, default=None, metavar="FILE", help="your own project list")
    import_options(p)
    p.add_argument("--name-col", default=None, help="the column holding the project names, if not recognised")
    boundaries_option(p)
    p.set_defaults(func=_cmd_stats)


def _add_build(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("build", help="build the briefing maps (gallery, interactive, static) and statistics")
    p.add_argument("--out", type=Path, default=Path("maps"), help="output folder (default: maps)")
    p.add_argument(
        "--basemap",
        default="none",
        help="none (offline, default), osm, positron, tianditu_vec, tianditu_img, gaode, gaode_satellite",
    )
    p.add_argument("--key", default=None, help="Tianditu key (else $HEPINGGIS_TIANDITU_KEY)")
    p.add_argument("--online", action="store_true", help="load Leaflet from the CDN instead of inlining it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="products written at once, in separate processes (default: one per core)",
    )
    p.add_argument(
        "--projects",
        type=Path,
        default=None,
        metavar="FILE",
        help="your own project list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) instead of the bundled one",
    )
    import_options(p)
    p.add_argument("--name-col", default=None, help="the column holding the project names, if not recognised")
    boundaries_option(p)
    p.set_defaults(func=_cmd_build)


def _add_monitor(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("monitor", help="annual plan monitoring: entry template, evaluation, maps, PDFs, workbook")
    p.add_argument(
        "actuals", type=Path, nargs="?", default=None, help="the yearly figures (XLSX from --template, or CSV)"
    )
    p.add_argument("--template", type=Path, default=None, metavar="FILE.xlsx", help="write the entry workbook")
    p.add_argument("--out", type=Path, default=Path("maps") / "monitor", help="output folder (default: maps/monitor)")
    p.add_argument("--year", type=int, default=None, help="evaluate as of this year (default: the latest with figures)")
    p.add_argument("--encoding", default=None, help="force the encoding of a CSV (default: detect UTF-8/GBK)")
    p.add_argument(
        "--sheet",
        default=None,
        help="the sheet of the figures (name or number from 1; default: the first with 指标编号)",
    )
    p.add_argument(
        "--projects-by-year", type=Path, default=None, metavar="DIR", help="yearly project lists (2023.csv …): changes"
    )
    p.add_argument("--crs", default=None, help="coordinate system of the yearly project lists (as for import)")
    boundaries_option(p)
    p.set_defaults(func=_cmd_monitor)


def add_product_commands(sub: Subparsers[Parser]) -> None:
    """stats, build, monitor: the products."""
    _add_stats(sub)
    _add_build(sub)
    _add_monitor(sub)
