"""tools/apply_module_moves.py rewrites old module paths (after the layering move) in code, strings,
docs and test ids; it is idempotent and this tree holds no old path any more."""

# apply_module_moves: leave this file (it names old module paths on purpose)

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "apply_module_moves.py"
MOVES = json.loads((ROOT / "tools" / "module_moves.json").read_text(encoding="utf-8"))

_spec = importlib.util.spec_from_file_location("apply_module_moves", TOOL)
assert _spec and _spec.loader
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

CASES = [
    ("from hepinggis.analysis.measure import MEASURE_CRS\n", "from hepinggis.base.measure import MEASURE_CRS\n"),
    ("import hepinggis.maps._style as style\n", "import hepinggis.base._style as style\n"),
    (
        "from hepinggis.io import coords, postgis\n",
        "from hepinggis.base import coords\nfrom hepinggis.io import postgis\n",
    ),
    ("from hepinggis.plan import adopt\n", "from hepinggis.io import adopt\n"),
    (
        "def f():\n    from hepinggis.io._tables import ImportFileError, read_raw  # why\n",
        "def f():\n    from hepinggis.errors import ImportFileError\n"
        "    from hepinggis.io._tables import read_raw  # why\n",
    ),
    (
        "from hepinggis.plan.adopt import (\n    AdoptError,\n    adopt,\n)\n",
        "from hepinggis.errors import AdoptError\nfrom hepinggis.io.adopt import adopt\n",
    ),
    (
        'monkeypatch.setattr("hepinggis.maps._style.ZONE_COLORS", {})\n',
        'monkeypatch.setattr("hepinggis.base._style.ZONE_COLORS", {})\n',
    ),
    (
        "see `hepinggis/maps/_qgis.py` and hepinggis.plan._catalogue.\n",
        "see `hepinggis/base/_qgis.py` and hepinggis.base._catalogue.\n",
    ),
    ('"tests/plan/test_adopt.py::test_x",\n', '"tests/io/test_adopt.py::test_x",\n'),
    # left alone: the public alias, a longer name that only starts like an old one, errors itself
    ("import hepinggis.coords\nhepinggis.io.coordsystem\n", "import hepinggis.coords\nhepinggis.io.coordsystem\n"),
    ("from hepinggis.errors import ImportFileError\n", "from hepinggis.errors import ImportFileError\n"),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_rewrite(before: str, after: str) -> None:
    assert tool.rewrite(before, MOVES) == after
    assert tool.rewrite(after, MOVES) == after  # idempotent


def test_every_old_module_maps_to_an_existing_module() -> None:
    for old, new in MOVES["modules"].items():
        path = ROOT.joinpath(*new.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), new
        assert not ROOT.joinpath(*old.split(".")).with_suffix(".py").exists(), old
    for old, new in MOVES["paths"].items():
        assert (ROOT / new).is_file() and not (ROOT / old).exists()
    errors = importlib.import_module("hepinggis.errors")
    assert all(hasattr(errors, name) for name in MOVES["names"])


def test_the_tool_changes_a_tree_and_then_nothing(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "a.py").write_text("from hepinggis.io.coords import normalise_crs\n", encoding="utf-8")
    (tree / "docs.md").write_text("Styles live in `hepinggis.maps._style`.\n", encoding="utf-8")
    run = [sys.executable, str(TOOL), str(tree)]
    first = subprocess.run(run, capture_output=True, text=True, check=True)
    assert len(first.stdout.splitlines()) == 2
    assert (tree / "pkg" / "a.py").read_text(encoding="utf-8") == "from hepinggis.base.coords import normalise_crs\n"
    check = subprocess.run([*run, "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and check.stdout == ""


def test_this_tree_names_no_old_module() -> None:
    done = subprocess.run(
        [sys.executable, str(TOOL), str(ROOT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"old module paths in:\n{done.stdout}"


def test_tool_caches_are_neither_checked_nor_rewritten(tmp_path: Path) -> None:
    """hypothesis keeps the string constants of the code it tested in .hypothesis/ (old module paths of
    these tests included): a test run that made it beside the checkout failed the check above."""
    tree = tmp_path / "tree"
    old = "from hepinggis.io.coords import normalise_crs\n"
    for cache in (".hypothesis/constants", ".pytest_cache/v"):
        (tree / cache).mkdir(parents=True)
        (tree / cache / "x").write_text(old, encoding="utf-8")
    (tree / "a.py").write_text(old, encoding="utf-8")
    check = subprocess.run([sys.executable, str(TOOL), str(tree), "--check"], capture_output=True, text=True)
    assert check.returncode == 1 and check.stdout.split() == [str(tree / "a.py")]
    subprocess.run([sys.executable, str(TOOL), str(tree)], capture_output=True, text=True, check=True)
    assert (tree / ".hypothesis/constants/x").read_text(encoding="utf-8") == old
