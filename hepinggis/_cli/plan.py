"""``layers``, ``check``, ``digitize``, ``adopt``: the plan's layers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hepinggis._cli._common import Deprecated, Parser, Subparsers, positive_int
from hepinggis._paths import REFERENCE_OUTLINE, data_dir, refuse_installed
from hepinggis.errors import HepingGISError, UsageError

__all__ = ["add_plan_commands"]


def _cmd_layers(args: argparse.Namespace) -> int:
    from hepinggis.plan.layers import layers

    print(layers().to_string())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from hepinggis.plan.check import check

    if args.path is not None and args.data is not None:
        raise UsageError("give the layers to check once: hepinggis check DIR|GPKG")
    path: Path | None = args.path if args.path is not None else args.data
    if path is not None and not path.exists():
        raise HepingGISError(f"{path} does not exist; pass a folder of layers or a GeoPackage")
    report = check(path)
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
        table=args.table,
        encoding=args.encoding,
        accuracy_m=args.accuracy_m,
        matches=matches or None,
    )
    print(f"{args.as_layer}: {len(frame)} features of {args.file} adopted into {args.out}")
    for note in frame.attrs.get("notes", []):
        print(f"  注意：{note}")
    print(f"next: hepinggis check {args.out}; hepinggis build --boundaries {args.out}")
    return 0


def _add_check(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("check", help="validate the layers and compare them with the plan's figures")
    p.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=None,
        metavar="DIR|GPKG",
        help="a folder of layers (with layers.json) or a GeoPackage of adopted boundaries (default: the bundled data)",
    )
    for old in ("--layers", "--data"):  # the names until issue 38 (item 4)
        p.add_argument(old, dest="data", type=Path, default=None, action=Deprecated, new="hepinggis check DIR|GPKG")
    p.set_defaults(func=_cmd_check)


def _add_digitize(sub: Subparsers[Parser]) -> None:
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


def _add_adopt(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("adopt", help="adopt the bureau's own boundaries (zones, jiedao, district) into a GeoPackage")
    p.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="the delivery: Shapefile (or a zip of it), GeoPackage, FileGDB, KML/KMZ or GeoJSON of polygons",
    )
    p.add_argument("--as", dest="as_layer", default=None, choices=["zones", "jiedao", "district"])
    p.add_argument("--out", type=Path, required=True, help="the GeoPackage of adopted boundaries (added to or created)")
    p.add_argument("--name-col", default=None, help="the column holding the names, if not recognised")
    p.add_argument(
        "--crs", default=None, help="the file's CRS where it has no .prj (EPSG:4550, EPSG:4529, EPSG:4490 …)"
    )
    p.add_argument("--table", default=None, help="the table (layer) of a GeoPackage, FileGDB or zip with several")
    p.add_argument("--layer", dest="table", action=Deprecated, new="--table")
    p.add_argument("--encoding", default=None, help="attribute encoding (default: .cpg, else UTF-8/GBK detected)")
    p.add_argument(
        "--accuracy-m",
        type=float,
        default=1.0,
        help="the stated accuracy (m, default 1): gaps and overlaps no wider are closed, wider ones refused",
    )
    p.add_argument("--match", action="append", metavar="NAME=ID", help="match the feature NAME to the bundled ID")
    p.add_argument("--history", action="store_true", help="list the versions of --out (each adoption)")
    p.add_argument("--rollback", type=positive_int, metavar="N", help="put version N of --out back in force")
    p.set_defaults(func=_cmd_adopt)


def add_plan_commands(sub: Subparsers[Parser]) -> None:
    """layers, check, digitize, adopt: the plan's layers."""
    p = sub.add_parser("layers", help="list the layers of the catalogue")
    p.set_defaults(func=_cmd_layers)
    _add_check(sub)
    _add_digitize(sub)
    _add_adopt(sub)
