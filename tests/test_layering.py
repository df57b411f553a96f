"""The layering that docs/architecture.md states, enforced on the source.

Every import of a hepinggis module is read from the syntax tree — at module level, inside
functions and under ``if TYPE_CHECKING`` alike, absolute and relative, and the modules named by a
constant string to ``importlib.import_module`` or ``__import__`` — and checked against the order of
the stages:

    base → analysis → plan → io → maps → monitor → products → web → the entry points at the top

The top-level foundations (``errors``, ``_paths``, ``_strict``, ``_workers``, ``_extras``) count as base; the
top-level product builders (``briefing`` with its pages ``_briefing_pages``, ``stats``: the briefing
package and the statistics, which the command line and the web app's workers both run) count as
"products"; the command line's private package of subcommands (``_cli``) belongs to the entry
points, with ``cli`` itself. A module may import its own stage and the stages before it, never one
after it; and no two modules may import each other, directly or around a longer loop.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hepinggis"

#: The stages in the order they may import each other; "" is the entry points at the top.
ORDER = ["base", "analysis", "plan", "io", "maps", "monitor", "products", "web", ""]
#: Top-level modules that are foundations (rank of base), not entry points.
FOUNDATIONS = {"errors", "_paths", "_strict", "_workers", "_extras"}
#: Top-level modules that build the products (rank "products"), below the web app that runs them.
PRODUCTS = {"briefing", "_briefing_pages", "stats"}
#: Sub-packages that belong to the entry points at the top (the command line's subcommands).
ENTRY_PACKAGES = {"_cli"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _exists(module: str, root: Path) -> bool:
    path = root.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every module of the package at ``root`` that ``path`` imports, anywhere in the file."""
    top = root.name
    name = _module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != top:
                continue
            # `from hepinggis.maps import interactive` imports a module; `… import overview_map` a name
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if _exists(sub, root) else module)
        elif isinstance(node, ast.Call) and _dynamic_import(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                named = first.value
                if named.startswith("."):  # import_module(".x", package=__name__'s package)
                    level = len(named) - len(named.lstrip("."))
                    base = package[: len(package) - level + 1]
                    named = ".".join(base + ([named.lstrip(".")] if named.lstrip(".") else []))
                if named.split(".")[0] == top:
                    found.add(named)
    return found


def _dynamic_import(func: ast.expr) -> bool:
    """``importlib.import_module(…)``, ``import_module(…)`` or ``__import__(…)``."""
    if isinstance(func, ast.Name):
        return func.id in {"import_module", "__import__"}
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def stage(module: str, root: Path = PACKAGE) -> str:
    """The stage of a dotted module name: its sub-package, "base" for the top-level foundations,
    "products" for briefing and stats, "" for the entry points (cli, the package itself)."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ENTRY_PACKAGES:
        return ""
    if len(parts) > 2 or (len(parts) == 2 and (root / parts[1]).is_dir()):
        return parts[1]
    if len(parts) == 2 and parts[1] in FOUNDATIONS:
        return "base"
    if len(parts) == 2 and parts[1] in PRODUCTS:
        return "products"
    return ""


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module → the package modules it imports (itself left out)."""
    return {_module_name(p, root): imports(p, root) - {_module_name(p, root)} for p in root.rglob("*.py")}


def upward(graph_: dict[str, set[str]], root: Path = PACKAGE) -> list[str]:
    """Every import of a later stage, as "importer (stage) -> imported (stage)"."""
    bad = []
    for module, targets in sorted(graph_.items()):
        here = ORDER.index(stage(module, root))
        for target in sorted(targets):
            if ORDER.index(stage(target, root)) > here:
                bad.append(f"{module} ({stage(module, root) or 'top'}) -> {target} ({stage(target, root) or 'top'})")
    return bad


def cycles(graph_: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph_.get(v, ())):
            if w not in graph_:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph_):
        if v not in index:
            visit(v)
    return found


GRAPH = graph()


def test_every_stage_is_placed_in_the_order() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} - ENTRY_PACKAGES
    assert packages <= set(ORDER), f"stages missing from ORDER: {packages - set(ORDER)}"
    assert {"base", "analysis", "plan", "io", "maps", "monitor", "web"} <= packages
    assert ORDER.index("monitor") < ORDER.index("web") < ORDER.index("")


def test_the_graph_sees_the_known_imports() -> None:
    """Sanity: function-level and module-level imports are both in the graph."""
    assert "hepinggis.base.measure" in GRAPH["hepinggis.analysis.assign"]
    assert "hepinggis.io.adopt" in GRAPH["hepinggis._cli.plan"]  # imported inside a function
    assert "hepinggis._cli.plan" in GRAPH["hepinggis.cli"]
    assert stage("hepinggis._cli.plan") == stage("hepinggis.cli") == ""
    assert "hepinggis.errors" in GRAPH["hepinggis.base.coords"]


def test_imports_follow_the_order() -> None:
    assert not upward(GRAPH), "imports of a later stage:\n" + "\n".join(upward(GRAPH))


def test_the_base_imports_only_the_base() -> None:
    outside = {m: sorted(t for t in ts if stage(t) != "base") for m, ts in GRAPH.items() if stage(m) == "base"}
    assert not {m: t for m, t in outside.items() if t}


def test_no_import_cycle() -> None:
    assert not cycles(GRAPH), f"import cycles: {cycles(GRAPH)}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "hepinggis"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return root


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    from hepinggis.maps import static\n",  # function level, module named
        "from hepinggis.maps.static import draw\n",  # a name from a module
        "import hepinggis.maps.static\n",
        "from ..maps import static\n",  # relative
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..maps.static import draw\n",
        "from hepinggis.cli import main\n",  # an entry point
        "import importlib\ndef f():\n    return importlib.import_module('hepinggis.maps.static')\n",
        "from importlib import import_module\nx = import_module('..maps.static', __package__)\n",
        "def f():\n    return __import__('hepinggis.cli')\n",
        "from hepinggis._cli.plan import add\n",  # the command line's subcommands: entry points too
    ],
)
def test_the_checker_catches_an_upward_import(tmp_path: Path, source: str) -> None:
    root = _tree(
        tmp_path,
        {
            "base/measure.py": source,
            "maps/static.py": "def draw(): ...\n",
            "cli.py": "def main(): ...\n",
            "_cli/plan.py": "def add(): ...\n",
        },
    )
    bad = upward(graph(root), root)
    assert len(bad) == 1, bad
    assert bad[0].startswith("hepinggis.base.measure (base) -> hepinggis.")


def test_the_checker_accepts_a_downward_import_and_foundations(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "base/measure.py": "from hepinggis.errors import E\nfrom hepinggis import _paths\n",
            "errors.py": "class E(Exception): ...\n",
            "_paths.py": "",
            "maps/static.py": "from ..base.measure import x\nfrom hepinggis.io import reader\n",
            "io/reader.py": "",
        },
    )
    assert upward(graph(root), root) == []


def test_the_checker_catches_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "monitor/a.py": "from hepinggis.monitor.b import g\ndef f(): ...\n",
            "monitor/b.py": "def g():\n    from hepinggis.monitor.a import f\n",
            "monitor/c.py": "from hepinggis.monitor import a\n",
        },
    )
    assert cycles(graph(root)) == [["hepinggis.monitor.a", "hepinggis.monitor.b"]]


def test_every_module_imports_on_its_own() -> None:
    """Each module imports first, with no other hepinggis module loaded: no import order hides a
    cycle. One interpreter; the package's modules are dropped from ``sys.modules`` between tries."""
    # not __main__ (it runs the CLI) nor alembic's migration scripts (alembic runs them, with its
    # `context` set up; they are not imported)
    modules = sorted(m for m in GRAPH if not m.endswith("__main__") and ".migrations" not in m)
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'hepinggis' or m.startswith('hepinggis.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        print(name, type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "", done.stdout


def test_the_docs_state_this_order() -> None:
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    stages = " → ".join(s if s != "products" else "products (briefing, stats)" for s in ORDER if s)
    assert f"{stages} → entry points" in text


def test_the_docs_name_every_module() -> None:
    """docs/architecture.md names every module of the package (by its file name), so a newcomer
    finds each one there; migration scripts are Alembic's, named by their folder."""
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    sections = _stage_sections(text)
    unnamed = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        stage = path.relative_to(PACKAGE).parts[0] if path.parent != PACKAGE else ""
        # a module of a room inside a stage (web/jobs/_work.py) is named in that room's part
        room = path.parent.name if len(path.relative_to(PACKAGE).parts) > 2 else stage
        if (f"`{path.name}`" if stage else path.name) not in sections.get(room, ""):
            unnamed.append(str(path.relative_to(PACKAGE.parent)))
    assert not unnamed, f"modules docs/architecture.md does not name in their stage's section: {unnamed}"


def _stage_sections(text: str) -> dict[str, str]:
    """The part of docs/architecture.md about each sub-package (from its ``**name/**`` to the next
    one; a module is named there in backticks, so monitor/'s ``_credits.py`` is not base/'s), and
    under "" the drawing of the tree that opens the page, where the top-level modules stand."""
    marks = list(re.finditer(r"\*\*(\w+)/\*\*", text))
    sections = {"": text.split("```")[1]}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        sections[mark.group(1)] = sections.get(mark.group(1), "") + text[mark.start() : end]
    return sections
