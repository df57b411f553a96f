"""Nothing in the tree uses a deprecated name (issue 38, item 4): the README's command lines parse
without a deprecation line, and the command line run as ``python -W error::FutureWarning`` (with
``--debug``, so a warning would end in a traceback) uses the library's new keywords only."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hepinggis.cli import _parser

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
#: every ``hepinggis …`` line of the README's shell blocks, without its comment
COMMANDS = [
    line.split("  #", 1)[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, re.S)
    for line in block.splitlines()
    if line.startswith("hepinggis ")
]


def test_the_readme_has_command_lines() -> None:
    assert len(COMMANDS) >= 12
    assert any("--boundaries" in c for c in COMMANDS) and any(c.startswith("hepinggis check ") for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_uses_no_deprecated_flag(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    _parser().parse_args(shlex.split(line)[1:])
    assert "deprecated" not in capsys.readouterr().err


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-W", "error::FutureWarning", "-m", "hepinggis", "--debug", *argv]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_commands_that_took_renamed_keywords_run_with_future_warnings_as_errors(tmp_path: Path) -> None:
    """export (names, to_crs, boundaries), adopt (path, table), check, import (table) and the
    boundaries in use: each goes through a renamed keyword of the library."""
    done = _run("export", "zones.gpkg", "--layer", "zones", "--to-crs", "EPSG:4550", cwd=tmp_path)
    assert done.returncode == 0 and "FutureWarning" not in done.stderr, done.stderr
    done = _run("export", "delivery.gpkg", "--layer", "zones", "--layer", "jiedao", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _run(
        "adopt", "delivery.gpkg", "--as", "zones", "--table", "zones", "--name-col", "name_zh", "--out", "b.gpkg",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "--boundaries b.gpkg" in done.stdout, done.stdout + done.stderr
    done = _run("check", "b.gpkg", cwd=tmp_path)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
    done = _run("export", "again.gpkg", "--layer", "zones", "--boundaries", "b.gpkg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = _run("import", "delivery.gpkg", "--table", "jiedao", "--crs", "wgs84", cwd=tmp_path)
    assert "Traceback" not in done.stderr and "deprecated" not in done.stderr, done.stderr


def _renamed_keywords() -> dict[str, set[str]]:
    """Function name → its old keyword names, from every `renamed` public function."""
    import importlib
    import inspect

    found: dict[str, set[str]] = {}
    for module_name in ["hepinggis", "hepinggis.postgis"]:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.ismodule(obj) and hasattr(obj, "__renamed__"):
                found.setdefault(name, set()).update(obj.__renamed__)
    return found


def _code_of(block: str) -> str:
    """A Markdown Python block as code: a doctest-style block gives its ``>>>``/``...`` lines."""
    if ">>> " not in block:
        return block
    return "\n".join(line[4:] for line in block.splitlines() if line.startswith((">>> ", "... ")))


def _sources() -> dict[str, str]:
    """Every Python source of the tree: the package, tests, tools, benchmarks, the notebooks' code
    cells and the README's and docs' Python blocks."""
    import json

    texts = {
        str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
        for folder in ("hepinggis", "tests", "tools", "benchmarks")
        for p in (REPO / folder).rglob("*.py")
    }
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        lines = [line for c in code for line in c.splitlines() if line[:1] not in "%!"]  # no IPython magics
        texts[str(nb.relative_to(REPO))] = "\n".join(lines)
    for md in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        blocks = re.findall(r"```python\n(.*?)```", md.read_text(encoding="utf-8"), re.S)
        texts[str(md.relative_to(REPO))] = "\n".join(_code_of(block) for block in blocks)
    return texts


def old_names_used(source: str, renamed: dict[str, set[str]]) -> list[int]:
    """Lines calling a renamed function with an old keyword, or ``use_layers``, outside a
    ``with pytest.warns(…)`` block (where a test checks the old name on purpose)."""
    import ast

    tree = ast.parse(source)
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any("warns" in ast.unparse(item.context_expr) for item in node.items):
            allowed.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno in allowed:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "use_layers" or {k.arg for k in node.keywords} & renamed.get(name, set()):
            bad.append(node.lineno)
    return bad


def test_the_check_finds_an_old_name() -> None:
    renamed = {"load": {"layers"}, "export": {"layers", "crs"}}
    assert old_names_used("import hepinggis\nhepinggis.load('zones', layers=p)\n", renamed) == [2]
    assert old_names_used("from hepinggis import use_layers\nwith use_layers(p):\n    pass\n", renamed) == [2]
    assert old_names_used("export(d, crs='EPSG:4550')\n", renamed) == [1]
    assert old_names_used("with pytest.warns(FutureWarning):\n    export(d, crs='EPSG:4550')\n", renamed) == []
    assert old_names_used("load('zones', boundaries=p)\nexport(d, names=['zones'])\n", renamed) == []


def test_nothing_in_the_tree_uses_an_old_name() -> None:
    renamed = _renamed_keywords()
    assert {"load", "export", "read_projects", "adopt", "geodesic_area", "check"} <= set(renamed)
    sources = {p: t for p, t in _sources().items() if p != "tests/base/test_renamed.py"}  # old names on purpose
    used = {path: lines for path, text in sources.items() if (lines := old_names_used(text, renamed))}
    assert used == {}, f"old names in use (path: lines): {used}"
