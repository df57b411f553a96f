"""Rewrite references to moved hepinggis modules and exceptions across a tree.

Usage: ``python tools/apply_module_moves.py [TREE] [--moves tools/module_moves.json] [--check]``

``module_moves.json`` maps each old dotted module path to its new one (``"modules"``), each
exception that moved into `hepinggis.errors` to that module (``"names"``) and each moved test
file to its new path (``"paths"``, e.g. the node ids of slow tests in tests/conftest.py). In
every text file under TREE (``.py``, ``.md``, ``.ipynb``, ``.toml``, ``.cfg``, ``.txt``, ``.yml``,
``.rst`` and files without a suffix such as .ci/test-deps) this rewrites

- ``from OLD import a, b`` and ``from OLD.sub import …`` → the new path;
- ``from PARENT import leaf`` where ``PARENT.leaf`` moved → ``from NEWPARENT import leaf``;
- ``import OLD`` and every dotted reference ``OLD.NAME`` (also inside strings, e.g. the target
  of ``monkeypatch.setattr("hepinggis.maps._style.FOO", …)``) and the path ``hepinggis/…/old.py``;
- ``from hepinggis.X import SomeError, other`` where ``SomeError`` moved → a separate
  ``from hepinggis.errors import SomeError`` line (``ruff check --fix`` merges and sorts after).

It is idempotent (a second run changes nothing); ``--check`` only lists the files it would
change and exits 1 if there are any. A file holding the words ``apply_module_moves: leave this
file`` is left as it is. Written by hand because the rewrite is a few regular
expressions over text (strings and Markdown included), which codemod libraries do not cover.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

SUFFIXES = {"", ".py", ".md", ".ipynb", ".toml", ".cfg", ".txt", ".yml", ".yaml", ".rst"}
#: Folders never rewritten nor checked: version control, environments, and tools' caches (hypothesis keeps
#: the string constants of the code it tested in .hypothesis/, old module paths of tests included).
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "build",
    "dist",
}
HERE = Path(__file__).resolve()
SKIP_MARK = "apply_module_moves: " + "leave this file"
DEFAULT_MOVES = HERE.with_name("module_moves.json")

_FROM = re.compile(
    r"^(?P<indent>[ \t]*)from[ \t]+(?P<module>hepinggis(?:\.\w+)*)[ \t]+import[ \t]+"
    r"(?:\((?P<paren>[^)]*)\)|(?P<plain>[^\n#(]+?))(?P<comment>[ \t]*#[^\n]*)?$",
    re.MULTILINE,
)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace("\n", " ").replace("\\", " ").split(",") if n.strip()]


def _render(indent: str, module: str, names: list[str], comment: str) -> str:
    one = f"{indent}from {module} import {', '.join(names)}{comment}"
    if len(one) <= 120:
        return one
    body = "".join(f"{indent}    {n},\n" for n in names)
    return f"{indent}from {module} import ({comment}\n{body}{indent})"


def _split_imports(text: str, modules: dict[str, str], names: dict[str, str]) -> str:
    """Rewrite ``from … import`` statements whose module or some imported name moved."""

    def fix(match: re.Match[str]) -> str:
        indent, module = match["indent"], match["module"]
        comment = match["comment"] or ""
        imported = _names(match["paren"] if match["paren"] is not None else match["plain"])
        groups: dict[str, list[str]] = {}
        for item in imported:
            name = item.split(" as ")[0].strip()
            target = module
            if name in names and module != names[name]:
                target = names[name]
            elif f"{module}.{name}" in modules:  # `from hepinggis.io import coords`
                new = modules[f"{module}.{name}"]
                parent, _, leaf = new.rpartition(".")
                target = parent
                if leaf != name:
                    item = f"{leaf} as {item.split(' as ')[1].strip() if ' as ' in item else name}"
            groups.setdefault(target, []).append(item)
        if list(groups) == [module]:
            return match.group(0)
        lines = []
        for target, items in groups.items():
            lines.append(_render(indent, target, items, comment if target == module else ""))
        return "\n".join(lines)

    return _FROM.sub(fix, text)


def _dotted(text: str, modules: dict[str, str]) -> str:
    # each pattern matches its literal only: a text without it is skipped before any regular
    # expression is compiled or run (the check over the whole tree spent 6 s of CPU in re.sub)
    for old in sorted(modules, key=len, reverse=True):
        new = modules[old]
        if old in text:
            text = re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new, text)
        old_path, new_path = old.replace(".", "/"), new.replace(".", "/")
        if old_path in text:
            text = re.sub(rf"(?<![\w/.]){re.escape(old_path)}(?=\.py\b|/|\b)(?!\w)", new_path, text)
    return text


def _paths(text: str, paths: dict[str, str]) -> str:
    for old in sorted(paths, key=len, reverse=True):
        if old not in text:  # as in `_dotted`: no literal, no match
            continue
        text = re.sub(rf"(?<![\w/.]){re.escape(old)}(?!\w)", paths[old], text)
    return text


def rewrite(text: str, moves: dict[str, dict[str, str]]) -> str:
    """The text with every moved module path, file path and moved exception import rewritten."""
    modules, names = moves.get("modules", {}), moves.get("names", {})
    text = _split_imports(text, modules, names)
    return _paths(_dotted(text, modules), moves.get("paths", {}))


def files(tree: Path) -> list[Path]:
    """The text files under ``tree`` the rewrite reads (not this tool nor its table)."""
    found = []
    for path in sorted(tree.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(tree).parts):
            continue
        if path.suffix in SUFFIXES and path.is_file() and path.resolve() != HERE:
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", default=".", type=Path)
    parser.add_argument("--moves", type=Path, default=DEFAULT_MOVES)
    parser.add_argument("--check", action="store_true", help="list files that would change; exit 1 if any")
    args = parser.parse_args(argv)
    moves = json.loads(args.moves.read_text(encoding="utf-8"))
    changed = []
    for path in files(args.tree):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if SKIP_MARK in text:  # a file that names old paths on purpose (this tool's own tests)
            continue
        new = rewrite(text, moves)
        if new != text:
            changed.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(path)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
