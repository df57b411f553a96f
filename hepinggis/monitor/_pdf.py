"""The printable A4 monitoring reports written to PDF (the pages are laid out by
`hepinggis.monitor._pdf_pages`, drawn by fpdf2 in `hepinggis.monitor._pdf_draw`): every PDF of a
package embeds one small CJK font made once from the characters the package uses
(`hepinggis.monitor._pdf_font`), instead of subsetting the 5 MB font once per PDF.

On two cores (`pdfs_written` with ``workers=2``) a forked child lays the pages out, makes the font
and draws part of the PDFs while a process it forks in turn draws the rest, then writes what needs
neither maps nor folium (the workbook and the index, ``also``), and this process draws the maps.
No drawing library is imported until the pages are drawn, and matplotlib never.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Union

from hepinggis.monitor._forked import can_fork, forked

if TYPE_CHECKING:
    import pandas as pd

    from hepinggis.monitor._pdf_sheet import Sheet

__all__ = ["monitor_pdf", "pdfs_written", "write_pdfs"]

_FONT_FILE = "hg-monitor-cjk.ttf"
#: A report's pages, or what lays them out (called in the process that draws them).
Pages = Union["list[Sheet]", Callable[[], "list[Sheet]"]]


def _font(sheets: Sequence[Sheet], folder: Path) -> Path:
    """The CJK font cut down to the characters of ``sheets``
    (`hepinggis.monitor._pdf_font.subset_font`), written whole to ``folder``."""
    from hepinggis.monitor._pdf_font import subset_font
    from hepinggis.monitor._pdf_sheet import texts

    path = folder / _FONT_FILE
    part = path.with_name(path.name + ".part")
    part.write_bytes(subset_font(frozenset(texts(sheets))))
    os.replace(part, path)  # a process waiting for it never reads half a font
    return path


def _laid_out(pages: Pages) -> list[Sheet]:
    return pages() if callable(pages) else pages


def _save(jobs: Sequence[tuple[list[Sheet], Path, Path]]) -> None:
    """Each list of pages to its PDF (``(pages, pdf, font)``), in the subset font (`_font`)."""
    from hepinggis.monitor._pdf_draw import write_pdf

    for sheets, path, font in jobs:
        write_pdf(sheets, Path(path), font)


def _split(weights: Sequence[float], share: float) -> tuple[list[int], list[int]]:
    """The jobs (by index) for a second process — about ``share`` of the weight, largest first —
    and those left for this one, each in the given order."""
    total, taken = sum(weights), 0.0
    theirs: set[int] = set()
    for k in sorted(range(len(weights)), key=lambda k: -weights[k]):
        if taken + weights[k] <= share * total or not theirs:
            theirs.add(k)
            taken += weights[k]
    return [k for k in range(len(weights)) if k in theirs], [k for k in range(len(weights)) if k not in theirs]


def _drawn_by_two(
    jobs: Sequence[tuple[Pages, Path]],
    weights: Sequence[float],
    share: float,
    folder: Path,
    also: Callable[[], object] | None = None,
) -> None:
    """Lay out every page (the font needs all their characters), make the font, then write the
    PDFs: about ``share`` of them (by ``weights``, largest first) here and the rest in a forked
    process of this one, which starts with the pages and the font already made; then ``also``
    here."""
    import hepinggis.monitor._pdf_draw  # noqa: F401  (fpdf2 loaded once, before the second writer is forked)

    laid = [_laid_out(pages) for pages, _ in jobs]
    font = _font([s for sheets in laid for s in sheets], folder)
    here, there = _split(weights, share)
    first = [(laid[k], Path(jobs[k][1]), font) for k in here]
    second = [(laid[k], Path(jobs[k][1]), font) for k in there]
    if not second or not can_fork():
        _save(first + second)
    else:
        with forked(lambda: _save(second)):
            _save(first)
            if also is not None:
                also()
            return
    if also is not None:
        also()


@contextmanager
def pdfs_written(
    jobs: Sequence[tuple[Pages, Path]],
    *,
    workers: int = 1,
    share: float = 0.5,
    weights: Sequence[float] | None = None,
    also: Callable[[], object] | None = None,
) -> Iterator[None]:
    """Write each report's pages to its PDF by the end of the block, embedding one CJK font subset
    made once for all; the pages may be given as what lays them out (called where they are drawn).

    With ``workers=2`` a forked process (`hepinggis.monitor._forked`) — the only one to import
    the drawing library — lays out every page, makes the font and then writes about ``share`` of the PDFs
    (by ``weights``, e.g. each report's number of indicators; default: equal) while a process it
    forks writes the rest, all while the block runs: the caller's other work (the maps) goes on
    beside them on two cores. ``also`` is other work done on the PDFs' side (after them; in the
    forked process on two cores), such as the workbook: what needs neither the maps nor folium.
    With ``workers=1`` everything is done here after the block."""
    with tempfile.TemporaryDirectory(prefix="hg-font-") as tmp:
        if workers < 2 or len(jobs) < 2:
            yield
            laid = [(_laid_out(pages), Path(path)) for pages, path in jobs]
            font = _font([s for sheets, _ in laid for s in sheets], Path(tmp))
            _save([(sheets, path, font) for sheets, path in laid])
            if also is not None:
                also()
            return
        weighed = list(weights) if weights is not None else [1.0] * len(jobs)
        with forked(lambda: _drawn_by_two(jobs, weighed, share, Path(tmp), also)):
            yield


def write_pdfs(jobs: Sequence[tuple[Pages, Path]]) -> list[Path]:
    """Write each list of pages to its PDF, embedding one CJK font subset built once for all."""
    with pdfs_written(jobs):
        pass
    return [Path(path) for _, path in jobs]


def monitor_pdf(
    results: pd.DataFrame,
    zone_id: str,
    path: str | Path,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    credits: Sequence[str] = (),
) -> Path:
    """A printable A4 report for one zone (or ``"district"``), as many pages as its indicators
    take (see `pages`).

    Parameters
    ----------
    results : pandas.DataFrame
        `hepinggis.evaluate`'s table.
    zone_id : str
        A zone id or ``"district"``.
    path : str or Path
        The PDF to write.
    year : int, optional
        The year asked, for the title.
    values : pandas.DataFrame, optional
        The figures read (``ActualsResult.values``), for the trends.
    refused_rows : int, default 0
        How many rows the reading refused (said in the coverage line).
    credits : sequence of str
        The credit lines printed under the title.

    Returns
    -------
    Path
        ``path``, written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, hepinggis
    >>> results = hepinggis.evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"]))
    >>> pdf = monitor_pdf(results, "sanhaojie", pathlib.Path(tempfile.mkdtemp()) / "sanhaojie.pdf")
    >>> pdf.read_bytes()[:5]
    b'%PDF-'
    """
    from hepinggis.monitor._pdf_pages import pages

    sheets = pages(results, zone_id, year=year, values=values, refused_rows=refused_rows, credits=credits)
    return write_pdfs([(sheets, Path(path))])[0]
