"""`build(progress=…)`: a callable is told (done, total, label) in the calling process, the
command line's tqdm bar goes through the same callback, ``False`` reports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepinggis.briefing import build, progress_bar


def test_the_bar_follows_the_callback(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(desc="hepinggis build") as report:
        report(0, 4, "")
        report(3, 4, "overview.png, overview.pdf, overview.svg")
        report(4, 4, "stats")
    err = capsys.readouterr().err
    assert "hepinggis build" in err and "4/4" in err
    with progress_bar() as report:  # never called: no bar at all
        pass
    assert capsys.readouterr().err == ""


def test_a_callback_sees_every_product_once(tmp_path: Path) -> None:
    """Two workers: the products end in any order, each is reported once, by the parent."""
    calls: list[tuple[int, int, str]] = []
    written = build(tmp_path / "maps", progress=lambda *call: calls.append(call), jobs=2)
    done, totals, labels = zip(*calls, strict=True)
    assert calls[0] == (0, totals[0], "")
    assert set(totals) == {totals[0]} and done[-1] == totals[0]
    assert list(done) == sorted(done) and len(set(done)) == len(done)  # strictly growing
    named = [n for label in labels[1:] for n in label.split(", ")]
    assert len(named) == len(set(named)) == totals[0]  # each product reported once
    # they are the products of the package (its gallery page is written after them)
    assert set(named) == set(written) - {"index.html"}
