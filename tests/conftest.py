"""Shared fixtures: copies of the bundled data that a test may break, and the reference folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _chromium import OPENED, launch

from hepinggis._paths import data_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled geodata folder."""
    dest = tmp_path / "geodata"
    shutil.copytree(data_dir(), dest)
    return dest


def _shared(env: str, name: str) -> Path:
    """A folder of ../shared beside the checkout (or $env). CI always has it; a developer without it
    gets a skip that says so, never a silent pass."""
    path = Path(os.environ.get(env, REPO.parent / "shared" / name))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared {name} at {path}")
        pytest.skip(f"shared {name} not found at {path} (set {env})")
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference geodata (../shared/reference, or $HEPINGGIS_REFERENCE)."""
    return _shared("HEPINGGIS_REFERENCE", "reference")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed documents (../shared/seeds, or $HEPINGGIS_SEEDS)."""
    return _shared("HEPINGGIS_SEEDS", "seeds")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (Playwright), one per test module; skips outside CI without it."""
    yield from launch()


@pytest.fixture(autouse=True)
def page_errors() -> Iterator[None]:
    """Every browser test fails on any page error or console error of any page it opened."""
    OPENED.clear()
    yield
    errors = [f"{v.path.name}: {e}" for v in OPENED for e in v.errors]
    OPENED.clear()
    assert errors == [], f"page or console errors: {errors}"
