"""The ``hepinggis`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ._digitize import REFERENCE_OUTLINE, digitize
from ._paths import data_dir
from .check import check
from .errors import HepingGISError
from .layers import layers

__all__ = ["main"]


def _cmd_layers(args: argparse.Namespace) -> int:
    print(layers().to_string())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    report = check(args.data)
    print(report.to_text())
    return 0 if report.ok else 1


def _cmd_digitize(args: argparse.Namespace) -> int:
    out: Path = args.out or data_dir()
    src: Path = args.src or (data_dir() / "src")
    outline = args.reference / REFERENCE_OUTLINE if args.reference else out / "district.geojson"
    if not outline.is_file():
        print(
            f"hepinggis digitize: no outline at {outline}; pass --reference DIR holding {REFERENCE_OUTLINE}",
            file=sys.stderr,
        )
        return 2
    for name, path in digitize(out, src_dir=src, outline_file=outline).items():
        print(f"{name:15s} {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hepinggis", description="Heping District (和平区) plan layers, analysis and maps."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("layers", help="list the bundled layers")
    p.set_defaults(func=_cmd_layers)
    p = sub.add_parser("check", help="validate the layers and compare them with the plan's figures")
    p.add_argument(
        "--data", type=Path, default=None, help="folder with layers.json and the layers (default: the bundled data)"
    )
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
    p.set_defaults(func=_cmd_digitize)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except HepingGISError as exc:
        print(f"hepinggis {args.command}: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
