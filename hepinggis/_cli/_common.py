"""What the subcommands share: the parser class, deprecated option names, the project-list options
and ``--boundaries``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from hepinggis.errors import HepingGISError, UsageError

if TYPE_CHECKING:
    from hepinggis.io.importer import ImportResult

__all__ = [
    "Deprecated",
    "Parser",
    "Subparsers",
    "boundaries_option",
    "import_options",
    "import_projects",
    "own_projects",
    "positive_int",
    "say",
]


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


#: argparse exports no public name for the object ``add_subparsers`` returns.
Subparsers = argparse._SubParsersAction


class Deprecated(argparse.Action):
    """An old option name, still accepted for one release: it says on stderr which name replaces it."""

    def __init__(self, *args: Any, new: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(*args, **kwargs)
        self.new = new

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        print(f"{parser.prog}: {option} is deprecated, use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def say(text: str) -> None:
    """Print to stdout; a reader that went away (``… | head -1``) stops the printing, not the command."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)  # later prints (and the exit flush) go nowhere
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _columns(pairs: list[str]) -> dict[str, str]:
    bad = [kv for kv in pairs if "=" not in kv]
    if bad:
        raise UsageError(f"--col takes ROLE=COLUMN, got {', '.join(bad)}")
    return dict(kv.split("=", 1) for kv in pairs)


def import_projects(args: argparse.Namespace, file: Path) -> ImportResult:
    """``file`` read with the project-list options of `import_options`, its summary printed."""
    from hepinggis.io.importer import read_projects

    result = read_projects(
        file,
        crs=args.crs,
        encoding=args.encoding,
        columns=_columns(args.col),
        sheet=args.sheet,
        table=args.table,
        header_row=args.header_row,
        unit=getattr(args, "unit", None),
        skip_hidden=getattr(args, "skip_hidden", False),
    )
    say(result.summary())
    return result


def own_projects(args: argparse.Namespace, where: str) -> ImportResult | None:
    """The user's list given by ``--projects`` (None without it), imported and summarised; rows
    rejected on import are said to be listed ``where``."""
    if args.projects is None:
        if args.crs or args.col or args.name_col:
            raise UsageError("--crs, --col and --name-col go with --projects FILE")
        return None
    result = import_projects(args, args.projects)
    if not result.n_imported:
        raise HepingGISError(f"{args.projects} 中没有一行能导入：见上方的导入报告")
    if result.n_rejected:
        print(f"未导入 {result.n_rejected} 行：见{where}", file=sys.stderr)
    return result


def import_options(p: argparse.ArgumentParser) -> None:
    """The options of reading a project list: ``--crs`` (the input's), ``--col``, ``--table`` …"""
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
    p.add_argument("--table", default=None, help="the table of a GeoPackage (needed where the file has several)")
    p.add_argument("--layer", dest="table", action=Deprecated, new="--table")
    p.add_argument(
        "--header-row",
        type=int,
        default=None,
        metavar="N",
        help="the row holding the column names, as the spreadsheet numbers it (default: found below any title)",
    )


def boundaries_option(p: argparse.ArgumentParser) -> None:
    """``--boundaries GPKG``: the adopted boundaries in use for the whole command."""
    p.add_argument(
        "--boundaries",
        type=Path,
        default=None,
        metavar="GPKG",
        help="a GeoPackage of adopted boundaries (hepinggis adopt): used wherever it holds a layer",
    )
    p.add_argument("--layers", dest="boundaries", type=Path, action=Deprecated, new="--boundaries")
