"""Shared fixtures: copies of the bundled data that a test may break, and the reference folder."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import _schedule
import pytest
from _chromium import OPENED, launch

from hepinggis._paths import data_dir

REPO = Path(__file__).resolve().parent.parent
# Python's own caches written, as Python does unless told not to: where PYTHONDONTWRITEBYTECODE is set
# (this workplace's machines set it), every server, job worker and command the tests start compiled
# hepinggis from source again (0.5–1 s of CPU per server start, ~100 starts a run) and every xdist
# worker rewrote the asserts of every test module. The caches go to __pycache__/ (ignored by git).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# the tests' accounts and servers hash passwords with argon2's cheapest parameters: a test-only
# setting, honoured inside a pytest run only (hepinggis/web/auth/_passwords.py, tests/web/test_cheap_hashes.py)
os.environ.setdefault("HEPINGGIS_TEST_CHEAP_HASHES", "1")
# and their servers' warm parents import the stack without running a small job of each kind
# (hepinggis/web/jobs/_jobs.py `WARM_ENV`); the tests of warming (test_job_lanes.py) ask for "full"
os.environ.setdefault("HEPINGGIS_WARM_UP", "imports")


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


@pytest.fixture(scope="session")
def _chromium_process() -> Iterator[Any]:
    """One headless Chromium per test process (xdist worker): starting it costs a second or more."""
    yield from launch()


@pytest.fixture(scope="module")
def browser(_chromium_process: Any) -> Iterator[Any]:
    """Headless Debian Chromium (Playwright) for a test module, skipped outside CI without it: the
    worker's one Chromium, with what the module opened (pages, contexts) closed when it ends, as if
    it had its own."""
    yield _chromium_process
    for context in list(_chromium_process.contexts):
        context.close()


@pytest.fixture(autouse=True)
def page_errors() -> Iterator[None]:
    """Every browser test fails on any page error or console error of any page it opened."""
    OPENED.clear()
    yield
    errors = [f"{v.path.name}: {e}" for v in OPENED for e in v.errors]
    OPENED.clear()
    assert errors == [], f"page or console errors: {errors}"


#: Tests that take more than a few seconds (measured with ``python -m pytest -n 2 --durations=60``
#: on the shared 2-core machine), marked ``slow`` here in one place: ``-m "not slow"`` is the quick
#: loop; CI runs them all. A node id prefix marks every parameter of that test.
SLOW = (
    "tests/test_build_package.py::test_build_of_a_300_row_register_is_whole_and_credits_the_list",
    "tests/test_build_package.py::test_built_maps_open_whole",
    "tests/test_build_package.py::test_a_killed_build_leaves_the_old_package_or_the_new_one",
    "tests/io/test_adopt.py::test_adopt_check_build_on_the_official_zones",
    "tests/io/test_adopt.py::test_cli_adopt_errors_are_one_line",
    "tests/monitor/test_readme_monitor.py::test_readme_monitor_commands_run_as_written",
    "tests/monitor/test_monitor.py::test_monitor_package_is_swapped_in_whole",
    "tests/monitor/test_monitor.py::test_monitor_with_projects_by_year_lists_refused_rows_as_refused",
    "tests/monitor/test_monitor.py::test_monitor_package_tells_the_truth_about_its_data",
    "tests/monitor/test_monitor.py::test_hostile_notes_through_every_monitoring_output",
    "tests/monitor/test_monitor.py::test_the_example_figures_say_they_are_an_example",
    "tests/maps/test_maps.py::test_build_writes_the_gallery",
    "tests/maps/test_maps.py::test_static_maps_in_three_formats",
    "tests/maps/test_pdf_fonts.py::test_monitoring_pdfs_embed_truetype_fonts",
    "tests/maps/test_cartography.py::test_no_two_controls_overlap",
    "tests/test_own_data.py::test_readme_commands_run_as_written",
    "tests/test_own_data.py::test_readme_python_runs_as_written",
    "tests/test_notebooks.py::test_notebook_executes",
    "tests/test_notebooks.py::test_map_in_a_notebook_renders_offline",
    "tests/io/test_registers.py::test_import_out_refuses_unknown_types_and_folders",
    "tests/io/test_registers.py::test_import_out_writes_every_format_whole",
    "tests/io/test_export.py::test_round_trip",
    "tests/test_cli_errors.py::test_installed_command_prints_no_traceback",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Only one test process at a time (xdist workers share the run's temporary root)."""
    with lock.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # no POSIX locks: each worker builds its own copy (see `built_once`)
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Path:
    """``make(folder)`` run once per test run, whatever the number of xdist workers, for fixtures
    that only read what it writes: the first worker to ask makes it under the run's temporary root
    (shared by the workers, removed with the run's other temporary folders), the others wait for it
    and read it. A test that changes what it gets must copy it first (`shutil.copytree`).

    Examples
    --------
    A session fixture: ``return built_once(tmp_path_factory, "bundled-package", lambda f: build(f))``.
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the run's, not the worker's
    folder, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with _exclusive(root / f"shared-{name}.lock"):
        if not done.exists():
            if folder.exists():  # a worker died while making it
                shutil.rmtree(folder)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def bundled_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package of the bundled layers and projects (`hepinggis.build`), built once per test run
    for tests that read it: copy it (`bundled_package_copy`) to change it. Its ``written.json``
    (beside it) holds what `build` returned, as paths relative to the package."""

    def make(folder: Path) -> None:
        from hepinggis.briefing import build

        written = build(folder / "maps", progress=False)
        relative = {name: str(path.relative_to(folder / "maps")) for name, path in written.items()}
        (folder / "written.json").write_text(json.dumps(relative, ensure_ascii=False), encoding="utf-8")

    return built_once(tmp_path_factory, "bundled-package", make) / "maps"


@pytest.fixture
def bundled_package_copy(bundled_package: Path, tmp_path: Path) -> Path:
    """A copy of `bundled_package` of the test's own (``tmp_path/maps``), to change at will."""
    return Path(shutil.copytree(bundled_package, tmp_path / "maps"))


#: The README's example monitoring figures.
EXAMPLE_FIGURES = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


@pytest.fixture(scope="session")
def monitor_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``hepinggis monitor EXAMPLE_FIGURES --out …`` (exit 0), built once per test run for tests
    that read it: copy it to change it."""

    def make(folder: Path) -> None:
        from hepinggis.cli import main

        assert main(["monitor", str(EXAMPLE_FIGURES), "--out", str(folder / "monitor")]) == 0

    return built_once(tmp_path_factory, "monitor-example", make) / "monitor"


# -- how `-n auto` spreads the tests over its workers (tests/_schedule.py) -----------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    return _schedule.auto_workers()


def pytest_configure(config: pytest.Config) -> None:
    _schedule.configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    _schedule.configure_node(node)
