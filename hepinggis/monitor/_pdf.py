"""The printable A4 monitoring reports written to PDF (the pages are laid out by
`hepinggis.monitor._pdf_pages`): every PDF of a package embeds one small CJK font made once from
the characters the package uses, instead of subsetting the 5 MB font once per PDF.

On two cores (`pdfs_written` with ``workers=2``) a forked child imports matplotlib, lays the pages
out, makes the font and draws half of the PDFs while a process it forks in turn draws the other
half, and this process writes the maps and the workbook — it never loads matplotlib. This module
imports matplotlib only where it draws.
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
    from matplotlib.figure import Figure

__all__ = ["monitor_pdf", "pdfs_written", "write_pdfs"]

_SUBSET_FAMILY = "HG Monitor CJK"
_FONT_FILE = "hg-monitor-cjk.ttf"
#: A report's pages, or what lays them out (called in the process that draws them).
Pages = Union["list[Figure]", Callable[[], "list[Figure]"]]

#: Font subsets made in this process, by the characters they hold (a server writes many packages,
#: mostly with the same characters): the subset font file's bytes.
_SUBSETS: dict[frozenset[str], bytes] = {}
_SUBSETS_KEPT = 8
#: Tables a PDF does not need (it draws glyphs one by one: no shaping), deleted before subsetting:
#: fontTools would otherwise decompile GSUB/GPOS of the whole CJK font first (most of the time).
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "FFTM", "morx", "kern")


def _subset_font(chars: frozenset[str]) -> bytes:
    """The CJK font cut down to ``chars`` (and printable ASCII), renamed `_SUBSET_FAMILY`; made
    once per process and character set."""
    if chars in _SUBSETS:
        return _SUBSETS[chars]
    from io import BytesIO

    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += list(_UNUSED_TABLES)
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.font_number = 0
    # as pyftsubset loads a font: tables read on use (the glyph names from the post table: cheaper
    # than making 50,000 names from the cmap)
    from hepinggis.maps.static import require_cjk_font

    font = subset.load_font(require_cjk_font(), options)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    subsetter = subset.Subsetter(options)
    printable = {chr(c) for c in range(0x20, 0x7F)}
    subsetter.populate(unicodes=sorted({ord(c) for c in chars | printable}))
    subsetter.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = _SUBSET_FAMILY
        elif rec.nameID == 6:
            rec.string = _SUBSET_FAMILY.replace(" ", "")
    out = BytesIO()
    font.save(out)
    _SUBSETS[chars] = out.getvalue()
    while len(_SUBSETS) > _SUBSETS_KEPT:
        del _SUBSETS[next(iter(_SUBSETS))]
    return _SUBSETS[chars]


def _register(path: Path) -> None:
    """Register the subset font file ``path`` with matplotlib under `_SUBSET_FAMILY`."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    manager.ttflist = [f for f in manager.ttflist if f.name != _SUBSET_FAMILY]  # an earlier run's, deleted
    manager.addfont(str(path))
    for cached in (getattr(manager, "_findfont_cached", None), getattr(font_manager, "_get_font", None)):
        if cached is not None and hasattr(cached, "cache_clear"):
            cached.cache_clear()


def _font(figs: Sequence[Figure], folder: Path) -> Path:
    """The CJK font cut down to the characters of ``figs`` (`_subset_font`), written whole to
    ``folder`` and registered with matplotlib under its own family name (`_SUBSET_FAMILY`)."""
    from hepinggis.monitor._pdf_pages import texts

    path = folder / _FONT_FILE
    part = path.with_name(path.name + ".part")
    part.write_bytes(_subset_font(frozenset(texts(figs))))
    os.replace(part, path)  # a process waiting for it never reads half a font
    _register(path)
    return path


def _laid_out(pages: Pages) -> list[Figure]:
    return pages() if callable(pages) else pages


def _save(jobs: Sequence[tuple[list[Figure], Path]]) -> None:
    """Each list of pages to its PDF, in the registered subset font (`_font`)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from hepinggis.maps.static import CJK_FONT

    rc = {
        "font.sans-serif": [_SUBSET_FAMILY, CJK_FONT, "DejaVu Sans"],
        "font.family": "sans-serif",
        "pdf.fonttype": 42,
        # matplotlib's PDF writer sizes its font subsets by *ps*.fonttype: at its default (3)
        # every 256 Chinese characters become another embedded copy of the font, each subset
        # by fontTools on its own; at 42 a PDF embeds the font once (same glyphs, same text)
        "ps.fonttype": 42,
    }
    with plt.rc_context(rc):  # type: ignore[arg-type]
        for figs, path in jobs:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with PdfPages(path, metadata={"Title": "规划实施监测", "Creator": "hepinggis"}) as pdf:
                for fig in figs:
                    pdf.savefig(fig)


def _close(figs: Sequence[Figure]) -> None:
    import matplotlib.pyplot as plt

    for fig in figs:
        plt.close(fig)


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


def _drawn_by_two(jobs: Sequence[tuple[Pages, Path]], weights: Sequence[float], share: float, folder: Path) -> None:
    """Lay out every page (the font needs all their characters), make the font, then write the
    PDFs: about ``share`` of them (by ``weights``, largest first) here and the rest in a forked
    process of this one, which starts with the pages and the font already made."""
    laid = [_laid_out(pages) for pages, _ in jobs]
    _font([f for figs in laid for f in figs], folder)
    here, there = _split(weights, share)
    first = [(laid[k], Path(jobs[k][1])) for k in here]
    second = [(laid[k], Path(jobs[k][1])) for k in there]
    if not second or not can_fork():
        _save(first + second)
        return
    with forked(lambda: _save(second)):
        _save(first)


@contextmanager
def pdfs_written(
    jobs: Sequence[tuple[Pages, Path]],
    *,
    workers: int = 1,
    share: float = 0.5,
    weights: Sequence[float] | None = None,
) -> Iterator[None]:
    """Write each report's pages to its PDF by the end of the block, embedding one CJK font subset
    made once for all; the pages may be given as what lays them out (called where they are drawn).

    With ``workers=2`` a forked process (`hepinggis.monitor._forked`) — the only one to import
    matplotlib — lays out every page, makes the font and then writes about ``share`` of the PDFs
    (by ``weights``, e.g. each report's number of indicators; default: equal) while a process it
    forks writes the rest, all while the block runs: the caller's other work (the maps) goes on
    beside them on two cores. With ``workers=1`` everything is done here after the block. The
    figures are closed."""
    given = [f for pages, _ in jobs if not callable(pages) for f in pages]  # closed whatever happens
    try:
        with tempfile.TemporaryDirectory(prefix="hg-font-") as tmp:
            if workers < 2 or len(jobs) < 2:
                yield
                laid = [(_laid_out(pages), Path(path)) for pages, path in jobs]
                try:
                    _font([f for figs, _ in laid for f in figs], Path(tmp))
                    _save(laid)
                finally:
                    _close([f for figs, _ in laid for f in figs])
                return
            weighed = list(weights) if weights is not None else [1.0] * len(jobs)
            with forked(lambda: _drawn_by_two(jobs, weighed, share, Path(tmp))):
                yield
    finally:
        if given:
            _close(given)


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

    figs = pages(results, zone_id, year=year, values=values, refused_rows=refused_rows, credits=credits)
    return write_pdfs([(figs, Path(path))])[0]
