"""``serve``: the web application (its extra is checked when the command runs, not at ``--help``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hepinggis._cli._common import Parser, Subparsers
from hepinggis._extras import require_extra

__all__ = ["add_serve_command"]


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


def add_serve_command(sub: Subparsers[Parser]) -> None:
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
