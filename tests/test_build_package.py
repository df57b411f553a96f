"""``hepinggis build`` as a planner runs it on a register: the package is whole (its manifest checks),
credits the list it draws, and is swapped in atomically — a kill at any moment leaves the old
package or the new one, never a mix."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from _chromium import Visit

from hepinggis.errors import HepingGISError
from hepinggis.io._staging import MANIFEST, staged_folder, verify_package
from hepinggis.io._synthetic import write_register


def _build(out: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hepinggis", "build", "--quiet", "--out", str(out), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _package(folder: Path, name: str, rows: int, seed: int) -> tuple[Path, Path]:
    """A synthetic register of ``rows`` projects (AMap coordinates) built into ``folder/maps``."""
    register = write_register(folder / name, rows, seed=seed)
    out = folder / "maps"
    proc = _build(out, "--projects", str(register), "--crs", "gcj02")
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err.decode()
    return out, register


@pytest.fixture(scope="module")
def package_300(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _package(tmp_path_factory.mktemp("pkg"), "和平区重点项目清单.csv", 300, seed=3)


def test_build_of_a_300_row_register_is_whole_and_credits_the_list(package_300: tuple[Path, Path]) -> None:
    out, register = package_300
    assert verify_package(out) == []
    files = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    assert {"index.html", "overview.html", "overview.pdf", "stats/hepinggis_stats.xlsx"} <= set(files)
    credit = f"项目：{register.name}（"
    for page in ["index.html", "overview.html", "zone_sanhaojie.html", "choropleth_projects.html"]:
        assert credit in (out / page).read_text(encoding="utf-8"), page
    assert "共 300 项" in (out / "index.html").read_text(encoding="utf-8")
    svg = (out / "overview.svg").read_text(encoding="utf-8")
    assert register.name in svg and "2022年政府工作报告" not in svg  # the static map's footer
    sheet = openpyxl.load_workbook(out / "stats" / "hepinggis_stats.xlsx")["sources"]
    assert any(register.name in str(c.value) for row in sheet.iter_rows() for c in row)


def test_the_import_report_and_the_workbook_are_in_the_bureaus_words(package_300: tuple[Path, Path]) -> None:
    """The forbidden-pattern scan of the pages (`hepinggis.base.messages.FORBIDDEN`) over the
    package's import_report.html and every text cell of its statistics workbook, but what the
    register's own cells hold (the users' text)."""
    import csv
    import html
    import re

    from hepinggis.base.messages import forbidden_spans

    out, register = package_300
    with register.open(encoding="gbk", newline="") as f:
        user = sorted({c for row in csv.reader(f) for c in row if c} | {register.name}, key=len, reverse=True)

    def clean(text: str) -> str:
        for t in user:
            text = text.replace(t, " ")
        return text

    page = html.unescape(re.sub(r"<[^>]+>", " ", (out / "import_report.html").read_text(encoding="utf-8")))
    assert "坐标按所选坐标系 高德/腾讯坐标（GCJ-02） 读取" in page  # the command line gave --crs gcj02
    assert forbidden_spans(clean(page)) == []
    book = openpyxl.load_workbook(out / "stats" / "hepinggis_stats.xlsx")
    texts = [s.title for s in book.worksheets]
    texts += [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type == "s"]
    assert any("高德/腾讯坐标（GCJ-02）" in t for t in texts)  # the import_report sheet, in the page's words
    assert forbidden_spans(clean("\n".join(texts))) == []


@pytest.fixture(scope="module")
def package_5000(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _package(tmp_path_factory.mktemp("pkg5000"), "全区项目登记册.csv", 5000, seed=5)


@pytest.mark.parametrize("size", [300, 5000])
@pytest.mark.parametrize("page", ["overview.html", "zone_sanhaojie.html"])
def test_built_maps_open_whole(browser: Any, request: pytest.FixtureRequest, size: int, page: str) -> None:
    out, register = request.getfixturevalue(f"package_{size}")
    v = Visit(browser, out / page, size=(1366, 768))
    v.page.wait_for_function("document.querySelector('[data-hg-projects-ready]') !== null", timeout=30_000)
    reachable = v.projects_reachable()
    assert reachable == size if page == "overview.html" else 0 < reachable < size
    assert v.count(".hg-legend") == 1 and v.page.locator(".hg-zone-label span").count() == 6
    assert register.name in v.page.locator(".hg-title").inner_text()
    assert v.external == []  # and no page error: the page_errors fixture


def _staged(folder: Path) -> list[Path]:
    return sorted(folder.glob(".maps.building-*"))


#: The moments a build is killed at, each a test of the folder beside the package: at once (before
#: anything is written), as the staged folder appears (products being written), and once the
#: staged package has its manifest (the swap is next). Watched, not waited for with sleeps: the
#: same moments on a quiet machine and on a loaded one.
_MOMENTS: dict[str, Callable[[Path], bool]] = {
    "at once": lambda folder: True,
    "staged folder made": lambda folder: bool(_staged(folder)),
    "manifest written": lambda folder: any((s / MANIFEST).is_file() for s in _staged(folder)),
}


def _wait_for(moment: Callable[[Path], bool], folder: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 600
    while not moment(folder) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_killed_build_leaves_the_old_package_or_the_new_one(bundled_package: Path, tmp_path: Path) -> None:
    out = Path(shutil.copytree(bundled_package, tmp_path / "maps"))  # the old package: the bundled one
    assert verify_package(out) == []
    old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["built"]
    register = write_register(tmp_path / "清单.csv", 41, seed=1)
    seen = set()
    for name, moment in _MOMENTS.items():
        proc = _build(out, "--projects", str(register), "--crs", "gcj02")
        _wait_for(moment, tmp_path, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert out.is_dir() and verify_package(out) == [], f"killed: {name}"
        seen.add(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["built"])
        (out / "index.html").read_text(encoding="utf-8")  # readable, whole
    assert old in seen  # killed at once: the old package, whole
    # the next build cleans what the kills left beside the folder and swaps in a whole package
    last = _build(out, "--projects", str(register), "--crs", "gcj02")
    _, err = last.communicate(timeout=600)
    assert last.returncode == 0, err.decode()
    assert verify_package(out) == [] and register.name in (out / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".maps.")] == []


def test_staging_never_replaces_a_folder_of_other_files(tmp_path: Path) -> None:
    mine = tmp_path / "我的文件夹"
    mine.mkdir()
    (mine / "报告.docx").write_bytes(b"not ours")
    with pytest.raises(HepingGISError, match="not a hepinggis package"), staged_folder(mine):
        pass
    assert (mine / "报告.docx").read_bytes() == b"not ours"


def test_a_failed_build_leaves_the_old_package_untouched(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    with staged_folder(out) as stage:
        (stage / "a.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_folder(out) as stage:
        (stage / "a.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("stopped half way")
    assert (out / "a.txt").read_text(encoding="utf-8") == "old" and verify_package(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_a_kill_between_the_two_renames_is_repaired(tmp_path: Path) -> None:
    """Where the system has no one-call swap, a kill between moving the old package away and moving
    the new one in leaves ``.pkg.old-*``: the next run puts it back before anything else."""
    out = tmp_path / "pkg"
    with staged_folder(out) as stage:
        (stage / "a.txt").write_text("old", encoding="utf-8")
    os.rename(out, tmp_path / ".pkg.old-x1")
    (tmp_path / ".pkg.building-x2").mkdir()
    with staged_folder(out, carry=("a.txt",)) as stage:
        assert (out / "a.txt").read_text(encoding="utf-8") == "old"  # restored first
        (stage / "b.txt").write_text("new", encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]
    assert (out / "b.txt").is_file() and verify_package(out) == []


def test_what_the_user_put_in_the_package_folder_survives_a_rebuild(tmp_path: Path) -> None:
    """``maps/own`` (the README's own-list package) and ``maps/monitor`` live inside ``maps``: a
    rebuild of ``maps`` carries over everything its manifest does not list."""
    out = tmp_path / "maps"
    with staged_folder(out) as stage:
        (stage / "index.html").write_text("v1", encoding="utf-8")
    (out / "own").mkdir()
    (out / "own" / "index.html").write_text("my list", encoding="utf-8")
    (out / "备注.txt").write_text("notes", encoding="utf-8")
    with staged_folder(out, carry=("monitor",)) as stage:
        (stage / "index.html").write_text("v2", encoding="utf-8")
    assert (out / "index.html").read_text(encoding="utf-8") == "v2"
    assert (out / "own" / "index.html").read_text(encoding="utf-8") == "my list"
    assert (out / "备注.txt").read_text(encoding="utf-8") == "notes"
    assert verify_package(out) == []
    (out / "index.html").write_text("tampered", encoding="utf-8")
    assert verify_package(out) == ["changed: index.html"]
