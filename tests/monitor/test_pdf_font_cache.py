"""The monitoring PDFs' font subset kept between runs (issue 34, item 7): made once per set of
characters and font file, read back from the user's cache folder by a later run, remade when the
kept file is damaged, never kept when turned off, and the same font either way. And a character
the font lacks (an emoji, a rare CJK extension character in a clerk's note) prints as □, never as a
silent gap."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from hepinggis.monitor import _pdf_font
from hepinggis.monitor._pdf_draw import write_pdf
from hepinggis.monitor._pdf_sheet import Sheet, texts

CHARS = frozenset("和平区规划实施监测达到进度")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("HEPINGGIS_FONT_CACHE", raising=False)
    monkeypatch.setattr(_pdf_font, "_SUBSETS", {})  # as a new process: nothing made yet
    return tmp_path / "hepinggis" / "fonts"


def _no_making(chars: frozenset[str]) -> bytes:
    raise AssertionError("the subset was made again instead of read from the cache")


def test_a_later_run_reads_the_kept_subset(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _pdf_font.subset_font(CHARS)
    kept = list(cache.glob("*.ttf"))
    assert len(kept) == 1 and kept[0].read_bytes() == made
    assert not list(cache.glob(".subset-*"))  # no temp file left
    monkeypatch.setattr(_pdf_font, "_SUBSETS", {})
    monkeypatch.setattr(_pdf_font, "_make_subset", _no_making)
    assert _pdf_font.subset_font(CHARS) == made
    with pytest.raises(AssertionError, match="made again"):  # other characters: another subset
        _pdf_font.subset_font(CHARS | {"滞"})


def test_a_damaged_kept_subset_is_made_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _pdf_font.subset_font(CHARS)
    (kept,) = cache.glob("*.ttf")
    kept.write_bytes(made[:500])  # cut short (as a full disk would)
    monkeypatch.setattr(_pdf_font, "_SUBSETS", {})
    assert _pdf_font.subset_font(CHARS) == made
    assert kept.read_bytes() == made


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEPINGGIS_FONT_CACHE", "0")
    data = _pdf_font.subset_font(CHARS)
    assert data[:4] == b"\x00\x01\x00\x00"
    assert not cache.exists()


def test_an_unwritable_cache_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(_pdf_font, "_SUBSETS", {})
    assert _pdf_font.subset_font(CHARS)[:4] == b"\x00\x01\x00\x00"


def test_characters_the_font_lacks_print_as_a_box(
    cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sheet = Sheet()
    sheet.text(0.1, 0.5, "备注：🏗️施工中🚧，𠀀𪚥见\u2028下行", size=9)
    font = tmp_path / "subset.ttf"
    font.write_bytes(_pdf_font.subset_font(frozenset(texts([sheet]))))
    with caplog.at_level(logging.WARNING):
        pdf = write_pdf([sheet], tmp_path / "note.pdf", font)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "备注：□施工中□，□□见 下行" in text
    assert not [r for r in caplog.records if "missing" in r.getMessage()]  # nothing left for fpdf2 to drop
