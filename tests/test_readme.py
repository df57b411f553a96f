"""Every Python block of the README runs as written (offline, in a folder laid out like the clone),
and the command line's renamed options still take their old names."""

from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import pytest

from hepinggis.cli import _parser

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
#: ```python blocks with the comment before them naming the test that runs them (``tests/…``)
BLOCKS = list(re.finditer(r"(?:<!-- (?P<note>[^>]*)-->\s*)?```python\n(?P<code>.*?)```", README, re.S))


def test_readme_has_python_blocks_and_each_is_run_somewhere() -> None:
    assert len(BLOCKS) >= 2
    for block in BLOCKS:
        note = block.group("note") or ""
        if "tests/" in note:
            test_file = REPO / re.search(r"tests/\S+\.py", note).group(0)  # type: ignore[union-attr]
            assert test_file.is_file() and "```python" not in test_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("k", [i for i, b in enumerate(BLOCKS) if "tests/" not in (b.group("note") or "")])
def test_readme_python_block_runs(k: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "notebooks" / "data"
    shutil.copytree(REPO / "notebooks" / "data", sample)
    monkeypatch.chdir(tmp_path)
    code = BLOCKS[k].group("code")
    with warnings.catch_warnings():  # as `python -W error::FutureWarning`: no deprecated name in the README
        warnings.simplefilter("error", FutureWarning)
        exec(compile(code, f"README python block {k}", "exec"), {})
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "notebooks" not in p.parts]
    assert all(p.relative_to(tmp_path).parts[0] in {"out", "maps"} for p in written), written


@pytest.mark.parametrize(
    ("old", "new", "dest", "value"),
    [
        (["check", "--layers", "a.gpkg"], "hepinggis check DIR|GPKG", "data", Path("a.gpkg")),
        (["check", "--data", "a.gpkg"], "hepinggis check DIR|GPKG", "data", Path("a.gpkg")),
        (["build", "--layers", "a.gpkg"], "--boundaries", "boundaries", Path("a.gpkg")),
        (["export", "x.gpkg", "--layers", "a.gpkg"], "--boundaries", "boundaries", Path("a.gpkg")),
        (["import", "p.gpkg", "--layer", "项目"], "--table", "table", "项目"),
        (["adopt", "z.gpkg", "--out", "b.gpkg", "--layer", "功能区"], "--table", "table", "功能区"),
    ],
)
def test_renamed_options_still_take_their_old_names(
    old: list[str], new: str, dest: str, value: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 38 (item 4): each old flag still works for one release, with one line on stderr naming the new."""
    args = _parser().parse_args(old)
    assert getattr(args, dest) == value
    assert capsys.readouterr().err.strip() == f"hepinggis {old[0]}: {old[-2]} is deprecated, use {new}"


def test_check_takes_the_layers_to_check_as_its_argument(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["check", "a.gpkg"])
    assert (args.path, args.data) == (Path("a.gpkg"), None)
    assert capsys.readouterr().err == ""


def test_each_cli_word_means_one_thing(capsys: pytest.CaptureFixture[str]) -> None:
    """``--layer NAME`` is a layer of the catalogue (export, db), ``--table`` a table of an input file,
    ``--boundaries`` a GeoPackage of adopted boundaries: no deprecation line for the new names."""
    export = _parser().parse_args(["export", "x.gpkg", "--layer", "zones", "--layer", "jiedao", "--boundaries", "b"])
    assert (export.names, export.boundaries) == (["zones", "jiedao"], Path("b"))
    db = _parser().parse_args(["db", "push", "postgresql://x/y", "--layer", "zones"])
    assert db.names == ["zones"]
    build = _parser().parse_args(["build", "--projects", "p.gpkg", "--table", "项目", "--boundaries", "b"])
    assert (build.table, build.boundaries) == ("项目", Path("b"))
    assert capsys.readouterr().err == ""


def test_export_crs_is_the_lists_and_projects_crs_an_alias(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["export", "x.gpkg", "--projects", "p.csv", "--crs", "gcj02", "--to-crs", "EPSG:4550"])
    assert (args.projects_crs, args.to_crs) == ("gcj02", "EPSG:4550")
    old = _parser().parse_args(["export", "x.gpkg", "--projects", "p.csv", "--projects-crs", "gcj02"])
    assert (old.projects_crs, old.to_crs) == ("gcj02", "EPSG:4326")
    assert "--projects-crs is deprecated, use --crs" in capsys.readouterr().err


def _commands() -> dict[str, list[str]]:
    """Every command of the command line, with its sub-commands (``users add`` …)."""
    import argparse

    found: dict[str, list[str]] = {}
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                found[name] = [n for a in nested for n in a.choices]
    return found


def test_the_readme_command_table_names_every_command() -> None:
    table = README.split("| command | what it does |", 1)[1].split("\n\n", 1)[0]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `hepinggis (\w[\w-]*).*$", table, re.M)}
    missing = {c for c in _commands() if c not in rows}
    assert not missing, f"commands missing from the README's command table: {sorted(missing)}"
    for command, subs in _commands().items():
        for sub in subs:
            assert sub in rows[command], f"hepinggis {command} {sub} is not in its README row"
