"""The ``hepinggis`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from hepinggis._extras import extra_of, require_extra
from hepinggis._paths import REFERENCE_OUTLINE, data_dir, refuse_installed
from hepinggis.errors import HepingGISError, Terminated, UsageError

if TYPE_CHECKING:
    from hepinggis.io.importer import ImportResult

# Each command imports its stage inside its function: ``hepinggis --help`` and ``hepinggis CMD
# --help`` then start in well under half a second (no geopandas, pandas or GDAL on the way).

__all__ = ["main"]


def _cmd_layers(args: argparse.Namespace) -> int:
    from hepinggis.plan.layers import layers

    print(layers().to_string())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from hepinggis.plan.check import check

    if args.data is not None and not args.data.exists():
        raise HepingGISError(f"{args.data} does not exist; pass a folder of layers or a GeoPackage")
    report = check(args.data)
    print(report.to_text())
    return 0 if report.ok else 1


def _cmd_digitize(args: argparse.Namespace) -> int:
    from hepinggis.plan._digitize import digitize

    out: Path = args.out or data_dir()
    src: Path = args.src or (data_dir() / "src")
    refuse_installed(out, command="digitize")
    if args.lines is not None:  # lines.json in src is rewritten too
        refuse_installed(src, command="digitize")
    outline = args.reference / REFERENCE_OUTLINE if args.reference else out / "district.geojson"
    if not outline.is_file():
        print(
            f"hepinggis digitize: no outline at {outline}; pass --reference DIR holding {REFERENCE_OUTLINE}",
            file=sys.stderr,
        )
        return 2
    for name, path in digitize(out, src_dir=src, outline_file=outline, lines_file=args.lines).items():
        print(f"{name:15s} {path}")
    return 0


def _columns(pairs: list[str]) -> dict[str, str]:
    bad = [kv for kv in pairs if "=" not in kv]
    if bad:
        raise UsageError(f"--col takes ROLE=COLUMN, got {', '.join(bad)}")
    return dict(kv.split("=", 1) for kv in pairs)


def _import(args: argparse.Namespace, file: Path) -> ImportResult:
    from hepinggis.io.importer import read_projects

    result = read_projects(
        file,
        crs=args.crs,
        encoding=args.encoding,
        columns=_columns(args.col),
        sheet=args.sheet,
        layer=args.layer,
        header_row=args.header_row,
        unit=getattr(args, "unit", None),
        skip_hidden=getattr(args, "skip_hidden", False),
    )
    _say(result.summary())
    return result


def _say(text: str) -> None:
    """Print to stdout; a reader that went away (``… | head -1``) stops the printing, not the command."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)  # later prints (and the exit flush) go nowhere
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _cmd_import(args: argparse.Namespace) -> int:
    import pandas as pd

    result = _import(args, args.file)
    written = []  # files first: a closed stdout must not lose them
    if args.report:
        result.write_report(args.report)
        written.append(f"导入报告已写入 {args.report}")
    if args.out:
        from hepinggis.io._import_out import write_imported

        write_imported(result.projects, args.out)
        written.append(f"{result.n_imported} 个项目已写入 {args.out}")
    issues = result.report_zh(issues_only=True)
    if not issues.empty:
        with pd.option_context("display.width", 200, "display.max_colwidth", 140):
            _say(issues.to_string(index=False))
    for line in written:
        _say(line)
    return 1 if result.n_rejected else 0


def _own_projects(args: argparse.Namespace, where: str) -> ImportResult | None:
    """The user's list given by ``--projects`` (None without it), imported and summarised; rows
    rejected on import are said to be listed ``where``."""
    if args.projects is None:
        if args.crs or args.col or args.name_col:
            raise UsageError("--crs, --col and --name-col go with --projects FILE")
        return None
    result = _import(args, args.projects)
    if not result.n_imported:
        raise HepingGISError(f"{args.projects} 中没有一行能导入：见上方的导入报告")
    if result.n_rejected:
        print(f"未导入 {result.n_rejected} 行：见{where}", file=sys.stderr)
    return result


def _cmd_stats(args: argparse.Namespace) -> int:
    from hepinggis.stats import write_stats

    result = _own_projects(args, "统计工作簿的 import_report 工作表")
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
    from hepinggis.stats import area_summary

    print("\n".join(area_summary(None if result is None else result.projects, name_col=args.name_col)))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from hepinggis.briefing import build, progress_bar

    where = f" {args.out / 'import_report.html'} 及统计工作簿的 import_report 工作表"
    projects = _own_projects(args, where)
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


def _cmd_export(args: argparse.Namespace) -> int:
    from hepinggis.io.exchange import export
    from hepinggis.io.importer import read_projects

    if args.projects_crs and args.projects is None:
        raise UsageError("--crs is the coordinate system of --projects FILE; the output's is --to-crs")
    fmt = args.format or {".gpkg": "gpkg", ".xlsx": "xlsx"}.get(args.dest.suffix.lower(), "gpkg")
    projects = None
    if args.projects is not None:
        result = read_projects(
            args.projects,
            crs=args.projects_crs,
            encoding=args.projects_encoding,
            sheet=args.sheet,
            unit=args.unit,
            skip_hidden=args.skip_hidden,
        )
        print(result.summary())
        projects = result.projects
    path = export(
        args.dest,
        fmt=fmt,
        layers=args.layer or None,
        to_crs=args.to_crs,
        encoding=args.encoding,
        projects=projects,
        name_col=args.name_col,
    )
    print(f"exported {'all layers' if not args.layer else ', '.join(args.layer)} as {fmt} to {path} (verified)")
    if args.qgis_project is not None:
        from hepinggis.base._catalogue import catalogue
        from hepinggis.base._qgis import write_qgis_project

        if fmt != "gpkg":
            raise UsageError("--qgis-project goes with a GeoPackage export")
        project = write_qgis_project(
            args.qgis_project,
            path,
            args.layer or list(catalogue()),
            crs=args.to_crs,
            service=args.qgis_service,
            service_authcfg=args.qgis_authcfg,
        )
        print(f"QGIS project written to {project} (open it in QGIS; it refers to {path.name})")
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from hepinggis.io.postgis import pull, push

    if args.action == "push":
        for name, n in push(args.dsn, layers=args.layer or None, schema=args.schema).items():
            print(f"{args.schema}.{name}: {n} rows")
    else:
        frames = pull(args.dsn, layers=args.layer or None, schema=args.schema)
        if args.out:
            _write_pulled(frames, args.out)
        for name, frame in frames.items():
            print(f"{args.schema}.{name}: {len(frame)} rows")
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
        print(f"  第 {rec['row']} 行：{rec['field'] or ''} {rec['message']}")
    for rec in result.doubtful.to_dict("records"):  # read, but asked about: not judged until confirmed
        print(f"  第 {rec['row']} 行（待核实）：{rec['question']}")
    by_year = yearly_project_lists(args.projects_by_year, args.crs) if args.projects_by_year else None
    written = monitor(result, args.out, year=args.year, projects_by_year=by_year)
    print(f"{len(written)} files written to {args.out}; open {args.out / 'index.html'}")
    return 1 if len(result.rejected) else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    require_extra("server", feature="the web application")
    from hepinggis.web.serve import parse_size, production_options, serve

    serve(
        data=args.data,
        host=args.host,
        port=args.port,
        open_browser=args.open,
        max_upload=parse_size(args.max_upload),
        db=args.db,
        **production_options(args),
    )
    return 0


def _write_pulled(frames: dict[str, Any], path: Path) -> None:
    for name, frame in frames.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _import_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--crs",
        default=None,
        help="wgs84, gcj02 (AMap), bd09 (Baidu), cgcs2000, EPSG:4550, EPSG:4529 or EPSG:3857 (required for CSV/XLSX)",
    )
    p.add_argument("--encoding", default=None, help="force an encoding (default: detect UTF-8/BOM/GBK)")
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="name a column for a role (id, name, x, y, xy, category, status, nature, address, year, investment)",
    )
    p.add_argument("--sheet", default=None, help="workbook sheet: its name, or its number counted from 1 (--sheet 2)")
    p.add_argument("--unit", default=None, help="unit of amounts whose cell states none: 元, 万元 or 亿元")
    p.add_argument(
        "--skip-hidden", action="store_true", help="skip rows Excel hides or filters out (default: import, warn)"
    )
    p.add_argument("--layer", default=None, help="GeoPackage layer (needed where the file has several)")
    p.add_argument(
        "--header-row",
        type=int,
        default=None,
        metavar="N",
        help="the row holding the column names, as the spreadsheet numbers it (default: found below any title)",
    )


def _layers_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layers",
        type=Path,
        default=None,
        metavar="GPKG",
        help="a GeoPackage of adopted boundaries (hepinggis adopt): used wherever it holds a layer",
    )


def _cmd_adopt(args: argparse.Namespace) -> int:
    from hepinggis.io._adopt_history import history_lines, rollback
    from hepinggis.io.adopt import adopt

    if args.history:
        print("\n".join(history_lines(args.out)))
        return 0
    refuse_installed(args.out, command="adopt")
    if args.rollback is not None:
        entry = rollback(args.out, args.rollback)
        print(f"{args.out}: 第 {entry['n']} 版，{entry['changes'][0]}")
        return 0
    if args.file is None or args.as_layer is None:
        raise UsageError("adopt needs FILE and --as (or --history / --rollback N)")
    matches = dict(m.split("=", 1) for m in args.match or [] if "=" in m)
    frame = adopt(
        args.file,
        as_layer=args.as_layer,
        out=args.out,
        name_col=args.name_col,
        crs=args.crs,
        layer=args.layer,
        encoding=args.encoding,
        accuracy_m=args.accuracy_m,
        matches=matches or None,
    )
    print(f"{args.as_layer}: {len(frame)} features of {args.file} adopted into {args.out}")
    for note in frame.attrs.get("notes", []):
        print(f"  注意：{note}")
    print(f"next: hepinggis check --layers {args.out}; hepinggis build --layers {args.out}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


class _Deprecated(argparse.Action):
    """An old option name, still accepted: it says on stderr which name replaces it."""

    def __init__(self, *args: Any, new: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new = new

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        print(f"{parser.prog}: {option} is deprecated, use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _plan_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """layers, check, digitize, adopt: the plan's layers."""
    p = sub.add_parser("layers", help="list the bundled layers")
    p.set_defaults(func=_cmd_layers)
    p = sub.add_parser("check", help="validate the layers and compare them with the plan's figures")
    p.add_argument(
        "--layers",
        dest="data",
        type=Path,
        default=None,
        metavar="DIR|GPKG",
        help="a folder of layers (with layers.json) or a GeoPackage of adopted boundaries (default: the bundled data)",
    )
    p.add_argument("--data", dest="data", type=Path, action=_Deprecated, new="--layers", help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser("digitize", help="rebuild the layers from geodata/src and the district outline")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: the bundled geodata)")
    p.add_argument("--src", type=Path, default=None, help="digitizing sources (default: geodata/src)")
    p.add_argument(
        "--reference",
        type=Path,
        default=None,
        help=f"folder holding {REFERENCE_OUTLINE} (default: use the committed district.geojson)",
    )
    p.add_argument(
        "--lines",
        type=Path,
        default=None,
        help="a boundary_lines layer edited in QGIS (GeoPackage from hepinggis export, or GeoJSON): its inner "
        "lines replace those of lines.json (rewritten) and every layer is rebuilt from them",
    )
    p.set_defaults(func=_cmd_digitize)
    p = sub.add_parser("adopt", help="adopt the bureau's own boundaries (zones, jiedao, district) into a GeoPackage")
    p.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="the delivery: Shapefile (or a zip of it), GeoPackage, FileGDB, KML/KMZ or GeoJSON of polygons",
    )
    p.add_argument("--as", dest="as_layer", default=None, choices=["zones", "jiedao", "district"])
    p.add_argument("--out", type=Path, required=True, help="the GeoPackage of adopted layers (added to or created)")
    p.add_argument("--name-col", default=None, help="the column holding the names, if not recognised")
    p.add_argument(
        "--crs", default=None, help="the file's CRS where it has no .prj (EPSG:4550, EPSG:4529, EPSG:4490 …)"
    )
    p.add_argument("--layer", default=None, help="the table of a GeoPackage with several")
    p.add_argument("--encoding", default=None, help="attribute encoding (default: .cpg, else UTF-8/GBK detected)")
    p.add_argument(
        "--accuracy-m",
        type=float,
        default=1.0,
        help="the stated accuracy (m, default 1): gaps and overlaps no wider are closed, wider ones refused",
    )
    p.add_argument("--match", action="append", metavar="NAME=ID", help="match the feature NAME to the bundled ID")
    p.add_argument("--history", action="store_true", help="list the versions of --out (each adoption)")
    p.add_argument("--rollback", type=_positive_int, metavar="N", help="put version N of --out back in force")
    p.set_defaults(func=_cmd_adopt)


def _data_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """import, export, db: project lists and layers in and out."""
    p = sub.add_parser(
        "import",
        help="import a project list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile); exit 1 if any row was rejected",
    )
    p.add_argument("file", type=Path)
    _import_options(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the imported projects, checked and atomically (.gpkg, .geojson, .shp, .kml, .xlsx or .csv)",
    )
    p.add_argument("--report", type=Path, default=None, help="write the row-by-row report (.csv or .xlsx)")
    p.set_defaults(func=_cmd_import)
    p = sub.add_parser(
        "export", help="export layers to GeoPackage, Shapefile, GeoJSON, KML or Excel (atomic, verified)"
    )
    p.add_argument("dest", type=Path, help="a .gpkg/.xlsx file, or a folder for shp/geojson/kml")
    p.add_argument("--format", choices=["gpkg", "shp", "geojson", "kml", "xlsx"], default=None)
    p.add_argument("--layer", action="append", default=[], help="a layer to export (repeat; default: all)")
    p.add_argument(
        "--to-crs", default="EPSG:4326", choices=["EPSG:4326", "EPSG:4550", "EPSG:4529"], help="the output's CRS"
    )
    p.add_argument("--encoding", default="UTF-8", choices=["UTF-8", "GBK"], help="Shapefile text encoding")
    p.add_argument("--projects", type=Path, default=None, metavar="FILE", help="export your own project list")
    p.add_argument(
        "--qgis-project", type=Path, default=None, metavar="FILE.qgz", help="also write a QGIS project with the layers"
    )
    p.add_argument(
        "--qgis-service",
        default=None,
        metavar="URL",
        help="the QGIS project reads the plan's layers live from this `hepinggis serve` /ogc address",
    )
    p.add_argument(
        "--qgis-authcfg",
        default=None,
        metavar="ID",
        help="the live layers log in with this QGIS authentication configuration (7 characters; docs/ogc.md)",
    )
    p.add_argument(
        "--crs", dest="projects_crs", default=None, help="the coordinate system of --projects (as for import)"
    )
    p.add_argument("--projects-crs", dest="projects_crs", action=_Deprecated, new="--crs", help=argparse.SUPPRESS)
    p.add_argument("--projects-encoding", default=None, help="force the encoding of --projects")
    p.add_argument("--sheet", default=None, help="the sheet of --projects: its name, or its number from 1")
    p.add_argument("--unit", default=None, help="unit of --projects amounts whose cell states none (万元 …)")
    p.add_argument("--skip-hidden", action="store_true", help="skip rows of --projects that Excel hides")
    p.add_argument("--name-col", default=None, help="the column of --projects holding the names")
    _layers_option(p)
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("db", help="push the layers to PostGIS, or pull them back")
    p.add_argument("action", choices=["push", "pull"])
    p.add_argument("dsn", help="postgresql://user:password@host:port/database")
    p.add_argument("--schema", default="hepinggis")
    p.add_argument("--layer", action="append", default=[], help="a layer (repeat; default: all)")
    p.add_argument("--out", type=Path, default=None, help="pull: also write the layers to this GeoPackage")
    p.set_defaults(func=_cmd_db)


def _product_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    """stats, build, monitor: the products."""
    p = sub.add_parser("stats", help="write every analysis table to one Excel workbook and CSVs")
    p.add_argument("--out", type=Path, default=Path("maps") / "stats", help="output folder (default: maps/stats)")
    p.add_argument("--zh", action="store_true", help="Chinese column headers")
    p.add_argument("--distance", type=float, default=500.0, help="corridor half-width along the axes, metres")
    p.add_argument("--projects", type=Path, default=None, metavar="FILE", help="your own project list")
    _import_options(p)
    p.add_argument("--name-col", default=None, help="the column holding the project names, if not recognised")
    _layers_option(p)
    p.set_defaults(func=_cmd_stats)
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
        type=_positive_int,
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
    _import_options(p)
    p.add_argument("--name-col", default=None, help="the column holding the project names, if not recognised")
    _layers_option(p)
    p.set_defaults(func=_cmd_build)
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
    _layers_option(p)
    p.set_defaults(func=_cmd_monitor)


def _serve_command(sub: argparse._SubParsersAction[_Parser]) -> None:
    """serve: the web application."""
    p = sub.add_parser("serve", help="the web application (项目清单, 简报包, 规划监测, 边界) in a browser")
    p.add_argument(
        "--data", type=Path, default=Path("hepinggis-data"), help="the store's folder (default ./hepinggis-data)"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open the browser on the start page")
    p.add_argument("--max-upload", default="50MB", help="largest upload accepted (default 50MB)")
    p.add_argument("--db", default=None, help="database URL (default: SQLite in --data)")
    from hepinggis.web.serve import add_production_options  # TLS, host names, proxies (issue 33)

    add_production_options(p)
    p.set_defaults(func=_cmd_serve)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hepinggis", description="Heping District (和平区) plan layers, analysis and maps.")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _plan_commands(sub)
    _data_commands(sub)
    _product_commands(sub)
    _serve_command(sub)
    from hepinggis.web._cli_server import add_server_commands

    add_server_commands(sub)
    return parser


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "(no message)"


def _describe(exc: BaseException) -> tuple[str, int]:
    """What to tell the user about ``exc`` in one line, and the exit code."""
    if isinstance(exc, UsageError):
        return str(exc), 2
    if isinstance(exc, HepingGISError):
        return str(exc), 1
    if isinstance(exc, ModuleNotFoundError) and (extra := extra_of(exc, feature="this command")):
        return extra, 1
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", 1
    import pyogrio

    if isinstance(exc, pyogrio.errors.DataSourceError | pyogrio.errors.DataLayerError):
        return f"GDAL cannot open or write the file: {exc}", 1
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        SQLAlchemyError = ()  # type: ignore[assignment,misc]
    if isinstance(exc, SQLAlchemyError):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return f"database error: {detail}", 1
    return f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every error ends in one line on stderr and a non-zero exit code."""
    args = _parser().parse_args(argv)
    if not args.debug:  # library warnings would break the one-line rule; what matters is in the report
        warnings.simplefilter("ignore")
    try:
        from hepinggis.base._layer_source import use_layers

        with use_layers(getattr(args, "layers", None)):
            code: int = args.func(args)
    except (KeyboardInterrupt, Terminated) as exc:
        # stopped by SIGINT/SIGTERM: the command's own cleanup has run (workers killed, half-written
        # folders removed); leave at once, skipping the interpreter's orderly shutdown (joining
        # the pool's threads, atexit hooks), which can take seconds on a busy machine
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"hepinggis {args.command}: {stopped}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(143 if isinstance(exc, Terminated) else 130)
    except Exception as exc:
        if args.debug:
            raise
        message, code = _describe(exc)
        print(f"hepinggis {args.command}: {_one_line(message)}", file=sys.stderr)
        return code
    return code


if __name__ == "__main__":
    raise SystemExit(main())
