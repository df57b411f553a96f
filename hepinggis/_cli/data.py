"""``import``, ``export``, ``db``: project lists and layers in and out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hepinggis._cli._common import (
    Deprecated,
    Parser,
    Subparsers,
    boundaries_option,
    import_options,
    import_projects,
    say,
)
from hepinggis.errors import UsageError

__all__ = ["add_data_commands"]


def _cmd_import(args: argparse.Namespace) -> int:
    import pandas as pd

    result = import_projects(args, args.file)
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
            say(issues.to_string(index=False))
    for line in written:
        say(line)
    return 1 if result.n_rejected else 0


def _export_projects(args: argparse.Namespace) -> Any:
    """The ``--projects`` list of an export (None without it), read with its own options."""
    from hepinggis.io.importer import read_projects

    if args.projects_crs and args.projects is None:
        raise UsageError("--crs is the coordinate system of --projects FILE; the output's is --to-crs")
    if args.projects is None:
        return None
    result = read_projects(
        args.projects,
        crs=args.projects_crs,
        encoding=args.projects_encoding,
        sheet=args.sheet,
        unit=args.unit,
        skip_hidden=args.skip_hidden,
    )
    print(result.summary())
    return result.projects


def _cmd_export(args: argparse.Namespace) -> int:
    from hepinggis.io.exchange import export

    projects = _export_projects(args)
    fmt = args.format or {".gpkg": "gpkg", ".xlsx": "xlsx"}.get(args.dest.suffix.lower(), "gpkg")
    names = args.names or None
    path = export(
        args.dest,
        fmt=fmt,
        names=names,
        to_crs=args.to_crs,
        encoding=args.encoding,
        projects=projects,
        name_col=args.name_col,
    )
    print(f"exported {'all layers' if not names else ', '.join(names)} as {fmt} to {path} (verified)")
    if args.qgis_project is not None:
        from hepinggis.base._catalogue import catalogue
        from hepinggis.base._qgis import write_qgis_project

        if fmt != "gpkg":
            raise UsageError("--qgis-project goes with a GeoPackage export")
        project = write_qgis_project(
            args.qgis_project,
            path,
            names or list(catalogue()),
            crs=args.to_crs,
            service=args.qgis_service,
            service_authcfg=args.qgis_authcfg,
        )
        print(f"QGIS project written to {project} (open it in QGIS; it refers to {path.name})")
    return 0


def _cmd_db(args: argparse.Namespace) -> int:
    from hepinggis.io.postgis import pull, push

    if args.action == "push":
        for name, n in push(args.dsn, names=args.names or None, schema=args.schema).items():
            print(f"{args.schema}.{name}: {n} rows")
    else:
        frames = pull(args.dsn, names=args.names or None, schema=args.schema)
        if args.out:
            _write_pulled(frames, args.out)
        for name, frame in frames.items():
            print(f"{args.schema}.{name}: {len(frame)} rows")
    return 0


def _write_pulled(frames: dict[str, Any], path: Path) -> None:
    for name, frame in frames.items():
        frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


def _layer_names_option(p: argparse.ArgumentParser, help_text: str) -> None:
    """``--layer NAME`` (repeat): a layer of the catalogue, by name; ``names=`` in Python."""
    p.add_argument("--layer", dest="names", action="append", default=[], metavar="NAME", help=help_text)


def _add_import(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser(
        "import",
        help="import a project list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile); exit 1 if any row was rejected",
    )
    p.add_argument("file", type=Path)
    import_options(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the imported projects, checked and atomically (.gpkg, .geojson, .shp, .kml, .xlsx or .csv)",
    )
    p.add_argument("--report", type=Path, default=None, help="write the row-by-row report (.csv or .xlsx)")
    p.set_defaults(func=_cmd_import)


def _add_export(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser(
        "export", help="export layers to GeoPackage, Shapefile, GeoJSON, KML or Excel (atomic, verified)"
    )
    p.add_argument("dest", type=Path, help="a .gpkg/.xlsx file, or a folder for shp/geojson/kml")
    p.add_argument("--format", choices=["gpkg", "shp", "geojson", "kml", "xlsx"], default=None)
    _layer_names_option(p, "a layer to export, by name (repeat; default: all; see hepinggis layers)")
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
    p.add_argument("--projects-crs", dest="projects_crs", action=Deprecated, new="--crs")
    p.add_argument("--projects-encoding", default=None, help="force the encoding of --projects")
    p.add_argument("--sheet", default=None, help="the sheet of --projects: its name, or its number from 1")
    p.add_argument("--unit", default=None, help="unit of --projects amounts whose cell states none (万元 …)")
    p.add_argument("--skip-hidden", action="store_true", help="skip rows of --projects that Excel hides")
    p.add_argument("--name-col", default=None, help="the column of --projects holding the names")
    boundaries_option(p)
    p.set_defaults(func=_cmd_export)


def add_data_commands(sub: Subparsers[Parser]) -> None:
    """import, export, db: project lists and layers in and out."""
    _add_import(sub)
    _add_export(sub)
    p = sub.add_parser("db", help="push the layers to PostGIS, or pull them back")
    p.add_argument("action", choices=["push", "pull"])
    p.add_argument("dsn", help="postgresql://user:password@host:port/database")
    p.add_argument("--schema", default="hepinggis")
    _layer_names_option(p, "a layer, by name (repeat; default: all)")
    p.add_argument("--out", type=Path, default=None, help="pull: also write the layers to this GeoPackage")
    p.set_defaults(func=_cmd_db)
