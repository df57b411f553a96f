"""``hepinggis.verify_package``: a build, then ``monitor`` into the same folder, still verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

import hepinggis
from hepinggis.cli import main
from hepinggis.io._staging import MANIFEST, note_in_manifest, staged_folder

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"


@pytest.mark.slow
def test_build_then_monitor_into_it_verifies(bundled_package_copy: Path) -> None:
    out = bundled_package_copy  # hepinggis.build's package (built once for the run, conftest), copied
    assert hepinggis.verify_package(out) == []
    assert main(["monitor", str(EXAMPLE), "--out", str(out / "monitor")]) == 0
    assert 'href="monitor/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    assert hepinggis.verify_package(out) == []
    assert hepinggis.verify_package(out / "monitor") == []
    (out / "overview.html").write_text("tampered", encoding="utf-8")  # anything else still shows
    assert hepinggis.verify_package(out) == ["changed: overview.html"]


def test_note_in_manifest_rehashes_only_what_it_is_told(tmp_path: Path) -> None:
    with staged_folder(tmp_path / "p") as stage:
        (stage / "index.html").write_text("<ul></ul>", encoding="utf-8")
        (stage / "a.txt").write_text("a", encoding="utf-8")
    pkg = tmp_path / "p"
    (pkg / "index.html").write_text("<ul><li>new</li></ul>", encoding="utf-8")
    (pkg / "a.txt").write_text("b", encoding="utf-8")
    (pkg / "sub").mkdir()
    (pkg / "sub" / "x.txt").write_text("x", encoding="utf-8")
    assert hepinggis.verify_package(pkg) == ["changed: a.txt", "changed: index.html", "extra: sub/x.txt"]
    assert note_in_manifest(pkg, rewritten=("index.html",), carried=("sub",))
    assert hepinggis.verify_package(pkg) == ["changed: a.txt"]
    assert not (pkg / f"{MANIFEST}.tmp").exists()
    assert not note_in_manifest(tmp_path, rewritten=("index.html",))  # no manifest: nothing done


def test_verify_package_is_documented() -> None:
    doc = hepinggis.verify_package.__doc__ or ""
    assert "Parameters" in doc and "Returns" in doc
