"""Shared fixtures: copies of the bundled data that a test may break, and the reference folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hepinggis._paths import data_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled geodata folder."""
    dest = tmp_path / "geodata"
    shutil.copytree(data_dir(), dest)
    return dest


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The shared reference geodata (../shared/reference beside the checkout, or $HEPINGGIS_REFERENCE).

    CI always has it; a developer without it gets a skip that says so, never a silent pass.
    """
    path = Path(os.environ.get("HEPINGGIS_REFERENCE", REPO.parent / "shared" / "reference"))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared reference data at {path}")
        pytest.skip(f"shared reference data not found at {path} (set HEPINGGIS_REFERENCE)")
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The seed documents (../shared/seeds), with the same rule as `reference_dir`."""
    path = Path(os.environ.get("HEPINGGIS_SEEDS", REPO.parent / "shared" / "seeds"))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the seed documents at {path}")
        pytest.skip(f"seed documents not found at {path} (set HEPINGGIS_SEEDS)")
    return path
