"""Rooms a newcomer can find (issue 38, item 6): no function over 80 lines and no module over 500,
in every module of the package (the Alembic migrations aside: generated revisions, read in order).

A function's length is counted without its docstring (numpydoc docstrings are required and may be
long): from its ``def`` line (decorators aside) to its last line, less the lines of the docstring.
A module's length counts every line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hepinggis"
MAX_FUNCTION = 80
MAX_MODULE = 500

#: Globs under hepinggis/ held to the limits: every module.
CHECKED = ("**/*.py",)
#: Folders left out: the store's Alembic migrations.
EXCLUDED = ("migrations",)


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The lines of a function without its docstring."""
    length = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        length -= (first.end_lineno or first.lineno) - first.lineno + 1
    return length


def too_long(path: Path) -> list[str]:
    """The functions of ``path`` over `MAX_FUNCTION` lines without their docstring, and the module
    itself over `MAX_MODULE` lines."""
    text = path.read_text(encoding="utf-8")
    found = [f"{path.name}: {len(text.splitlines())} lines"] if len(text.splitlines()) > MAX_MODULE else []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = code_lines(node)
            if length > MAX_FUNCTION:
                found.append(f"{path.name}: {node.name} {length} lines")
    return found


def checked(pattern: str) -> list[Path]:
    """The modules under hepinggis/ matching ``pattern``, the excluded folders left out."""
    return sorted(p for p in PACKAGE.glob(pattern) if not set(p.relative_to(PACKAGE).parts) & set(EXCLUDED))


def test_the_check_counts(tmp_path: Path) -> None:
    """81 code lines fail, 80 with a long docstring pass; a long module fails on its every line."""
    long = tmp_path / "long.py"
    long.write_text("def f() -> None:\n" + "    x = 1\n" * MAX_FUNCTION + "\n" * MAX_MODULE, encoding="utf-8")
    assert too_long(long) == [f"long.py: {MAX_MODULE + MAX_FUNCTION + 1} lines", f"long.py: f {MAX_FUNCTION + 1} lines"]
    documented = tmp_path / "documented.py"
    docstring = '    """Summary.\n\n' + "    More words.\n" * 60 + '    """\n'
    documented.write_text("def g() -> None:\n" + docstring + "    x = 1\n" * (MAX_FUNCTION - 1), encoding="utf-8")
    assert too_long(documented) == []  # 80 code lines (the def line too), a 63-line docstring
    documented.write_text("def g() -> None:\n" + docstring + "    x = 1\n" * MAX_FUNCTION, encoding="utf-8")
    assert too_long(documented) == [f"documented.py: g {MAX_FUNCTION + 1} lines"]
    text = '"""A module docstring counts."""\n' + "x = 1\n" * MAX_MODULE
    (tmp_path / "docs.py").write_text(text, encoding="utf-8")
    assert too_long(tmp_path / "docs.py") == [f"docs.py: {MAX_MODULE + 1} lines"]


def test_the_whole_package_is_checked() -> None:
    """Every module is found, in every stage, and the migrations are left out."""
    paths = checked(CHECKED[0])
    assert len(paths) > 150
    assert {p.relative_to(PACKAGE).parts[0] for p in paths} >= {"base", "analysis", "plan", "io", "maps", "monitor"}
    assert PACKAGE / "web" / "app.py" in paths and PACKAGE / "briefing.py" in paths
    assert not [p for p in paths if "migrations" in p.parts]


@pytest.mark.parametrize("pattern", CHECKED)
def test_no_room_too_big(pattern: str) -> None:
    paths = checked(pattern)
    assert paths, pattern
    found = [line for path in paths for line in too_long(path)]
    assert not found, found
