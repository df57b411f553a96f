"""The monitoring PDFs' font subset kept between runs (issue 34, item 7): made once per set of
characters and font file, read back from the user's cache folder by a later run, remade when the
kept file is damaged, never kept when turned off, and the same font either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from hepinggis.monitor import _pdf_font

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
