"""One page of docs per stage (docs/<stage>.md): it exists, architecture.md links it, it names
every exported function and class of its stage, and its examples run as doctests."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest
from test_docstrings import _DOCUMENTED_ELSEWHERE, EXPORTS
from test_layering import ORDER, stage

DOCS = Path(__file__).resolve().parents[1] / "docs"
STAGES = [s for s in ORDER if s]


def _exports_of(name: str) -> set[str]:
    """The exported callables whose module is in stage ``name`` (as the layering test ranks it)."""
    found = set()
    for param in EXPORTS:
        package, export = param.values
        home = getattr(importlib.import_module(str(package)), str(export)).__module__
        if stage(home) == name and export not in _DOCUMENTED_ELSEWHERE:
            found.add(str(export))
    return found


def test_the_stages_have_exports() -> None:
    """The ranking finds exports in the stages (an empty map would make the next test pass), and a
    name is found only where it is code: in backticks, alone or after its module."""
    assert {"projects_by_zone", "match_projects"} <= _exports_of("analysis")
    assert "build" in _exports_of("products") and "overview_map" in _exports_of("maps")


@pytest.mark.parametrize("name", STAGES)
def test_each_stage_has_its_page(name: str) -> None:
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"docs/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    assert f"({name}.md)" in (DOCS / "architecture.md").read_text(encoding="utf-8")
    unnamed = sorted(e for e in _exports_of(name) if not re.search(rf"`[\w.]*\b{e}\b", text))
    assert not unnamed, f"docs/{name}.md does not name: {unnamed}"


@pytest.mark.parametrize("name", STAGES)
def test_the_page_examples_run(name: str) -> None:
    result = doctest.testfile(
        str(DOCS / f"{name}.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        report=True,
    )
    assert result.failed == 0, f"docs/{name}.md: {result.failed} of {result.attempted} examples failed"
