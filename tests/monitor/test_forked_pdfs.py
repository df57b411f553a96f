"""The package written faster (issue 34, item 7) is the same package: the PDFs drawn by a forked
process beside the maps read exactly as those drawn in one process (every page's text, the
workbook's cells, the index, the maps), and against a package written before the speed work (its
PDF texts and workbook kept in tests/data/monitor_golden); a failing child is one line and leaves
the old package; a failing parent, or a killed command, leaves no process behind."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import hepinggis.monitor._pdf as pdf_module
import hepinggis.monitor.package as package
from hepinggis.errors import HepingGISError
from hepinggis.monitor._forked import can_fork
from hepinggis.monitor.indicators import read_actuals

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"
GOLDEN = REPO / "tests" / "data" / "monitor_golden"


def _compare() -> Any:
    spec = importlib.util.spec_from_file_location("compare_monitor", REPO / "benchmarks" / "compare_monitor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _own_children() -> set[int]:
    """This process's children, alive or not yet reaped (other tests' servers in this worker too)."""
    out: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):
            out |= {int(pid) for pid in (task / "children").read_text().split()}
    return out


def _no_children(before: set[int]) -> bool:
    """No child of this process but those it had before the test (a server of another test in
    the same worker is not the package's)."""
    return _own_children() <= before


def test_pdfs_drawn_beside_the_maps_are_the_same_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _own_children()
    forks = []
    original = pdf_module.forked

    def spy(work: Any) -> Any:
        forks.append(os.getpid())
        return original(work)

    monkeypatch.setattr(pdf_module, "forked", spy)
    actuals = read_actuals(EXAMPLE)
    package.monitor(actuals, tmp_path / "one", year=2023, workers=1)
    assert forks == []
    package.monitor(actuals, tmp_path / "two", year=2023, workers=2)
    assert forks == [os.getpid()]  # a child drew part of the PDFs
    assert _compare().differences(tmp_path / "one", tmp_path / "two") == []
    assert _no_children(before)


def test_the_package_reads_as_before_the_speed_work(tmp_path: Path) -> None:
    """The PDFs' texts page by page and the workbook's cells, against a package written with the
    code before the speed work (commit 5d61cf0; regenerate with `python
    tests/data/monitor_golden/make.py` only when a change of wording is meant)."""
    compare = _compare()
    out = tmp_path / "pkg"
    package.monitor(read_actuals(EXAMPLE), out, year=2023)
    kept = json.loads((GOLDEN / "example_2023.json").read_text(encoding="utf-8"))
    for name, pages in kept["pdfs"].items():
        assert compare.pdf_pages(out / name) == pages, name
    book = compare.workbook_values(out / "monitoring.xlsx")
    assert list(book) == list(kept["workbook"])
    for sheet, rows in kept["workbook"].items():  # an empty text is an empty cell (XlsxWriter writes it so)
        assert [[None if v == "" else v for v in r] for r in book[sheet]] == [
            [None if v == "" else v for v in r] for r in rows
        ], sheet


def test_a_failing_child_is_one_line_and_the_old_package_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    children = _own_children()
    out = tmp_path / "pkg"
    package.monitor(read_actuals(EXAMPLE), out, year=2023, workers=1)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    parent, save = os.getpid(), pdf_module._save

    def failing(jobs: Any) -> None:
        if os.getpid() != parent:
            raise OSError("磁盘已满\n第二行不应出现")
        save(jobs)

    monkeypatch.setattr(pdf_module, "_save", failing)
    with pytest.raises(HepingGISError) as caught:
        package.monitor(read_actuals(EXAMPLE), out, year=2022, workers=2)
    assert str(caught.value) == "磁盘已满"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg.")]  # no half-built folder
    assert _no_children(children)


def test_a_failing_parent_kills_its_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The maps fail (this process draws them; the workbook is now written beside the PDFs)."""
    import hepinggis.monitor._maps as maps

    before = _own_children()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("地图写入失败")

    monkeypatch.setattr(maps, "monitor_map", broken)
    with pytest.raises(RuntimeError, match="地图写入失败"):
        package.monitor(read_actuals(EXAMPLE), tmp_path / "pkg", year=2023, workers=2)
    assert _no_children(before)
    assert not (tmp_path / "pkg").exists()


def test_a_failing_workbook_beside_the_pdfs_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _own_children()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("工作簿写入失败\n第二行不应出现")

    monkeypatch.setattr(package, "write_workbook", broken)
    with pytest.raises(HepingGISError) as caught:
        package.monitor(read_actuals(EXAMPLE), tmp_path / "pkg", year=2023, workers=2)
    assert str(caught.value) == "工作簿写入失败"
    assert _no_children(before)
    assert not (tmp_path / "pkg").exists()


def test_the_index_names_the_workbook_sheets_written(tmp_path: Path) -> None:
    import pandas as pd

    from hepinggis.monitor._workbook import monitor_tables, sheet_names
    from hepinggis.monitor.evaluate import evaluate

    actuals = read_actuals(EXAMPLE)
    results = evaluate(actuals, year=2023)
    changes = pd.DataFrame(columns=["years", "change"])
    assert list(monitor_tables(results, actuals, None)) == sheet_names(changes=False)
    assert list(monitor_tables(results, actuals, changes)) == sheet_names(changes=True)


def test_no_fork_beside_other_threads() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        other.join()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_monitor(tmp_path: Path) -> subprocess.Popen[bytes]:
    """``hepinggis monitor`` on the example, started as its own process (stdout discarded, stderr
    kept)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = str(tmp_path / "m")
    cmd = [sys.executable, "-m", "hepinggis.cli", "monitor", str(EXAMPLE), "--year", "2023", "--out", out]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _writers(proc: subprocess.Popen[bytes]) -> list[int]:
    """The command's forked PDF writer(s), once it has one."""
    deadline, kids = time.monotonic() + 120, []
    while time.monotonic() < deadline and proc.poll() is None and not kids:
        kids = _children(proc.pid)
        time.sleep(0.01)
    assert kids, "the command never forked its PDF writer"
    return kids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_command_leaves_no_process(tmp_path: Path) -> None:
    proc = _start_monitor(tmp_path)
    try:
        kids = _writers(proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.05)
        assert not [k for k in kids if _alive(k)], "the PDF writer outlived the command"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_command_killed_while_both_pdf_writers_run_leaves_no_process(tmp_path: Path) -> None:
    """The PDF writer forks a second one (the other half of the PDFs): a command killed while
    both run leaves neither."""
    proc = _start_monitor(tmp_path)
    try:
        deadline, family = time.monotonic() + 180, []
        while time.monotonic() < deadline and proc.poll() is None:
            kids = _children(proc.pid)
            grandkids = [g for k in kids for g in _children(k)]
            if grandkids:
                family = kids + grandkids
                break
            time.sleep(0.01)
        assert family, "the PDF writer never forked its second writer"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in family):
            time.sleep(0.05)
        assert not [k for k in family if _alive(k)], "a PDF writer outlived the command"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_terminated_command_leaves_no_process_and_no_half_package(tmp_path: Path) -> None:
    """SIGTERM (a service stopped, ``kill``) while the PDF writer runs: the command says so in one
    line and exits 143, no writer is left, and neither the package nor its staging folder is left
    half-written (SIGTERM used to kill at once, leaving the hidden staging folder behind)."""
    proc = _start_monitor(tmp_path)
    try:
        kids = _writers(proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143 and err.decode().strip() == "hepinggis monitor: terminated"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.05)
        assert not [k for k in kids if _alive(k)], "the PDF writer outlived the command"
        assert sorted(p.name for p in tmp_path.iterdir()) == []  # no package, no staging folder
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
