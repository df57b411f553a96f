"""The ``hepinggis`` command line: the one entry point; the subcommands live in `hepinggis._cli`."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from hepinggis._cli._common import Parser
from hepinggis._cli.data import add_data_commands
from hepinggis._cli.plan import add_plan_commands
from hepinggis._cli.products import add_product_commands
from hepinggis._cli.serve import add_serve_command
from hepinggis._extras import extra_of
from hepinggis.errors import HepingGISError, Terminated, UsageError

# Each command imports its stage inside its function: ``hepinggis --help`` and ``hepinggis CMD
# --help`` then start in well under half a second (no geopandas, pandas or GDAL on the way).

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="hepinggis", description="Heping District (和平区) plan layers, analysis and maps.")
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    add_plan_commands(sub)
    add_data_commands(sub)
    add_product_commands(sub)
    add_serve_command(sub)
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
        from hepinggis.base._layer_source import use_boundaries

        with use_boundaries(getattr(args, "boundaries", None)):
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
