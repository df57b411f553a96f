"""The CJK font of the static maps and PDFs: found (or registered from the system's font folders),
made matplotlib's sans-serif, and its PDF subsets made once per process and glyph set."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager

from hepinggis.errors import HepingGISError

__all__ = ["CJK_FONT", "font_subsets_once", "require_cjk_font", "use_cjk_fonts"]

#: The CJK font of the static maps and PDFs: TrueType (glyf) outlines, so a PDF embeds it as the
#: CID TrueType font it declares and every reader, Adobe's included, opens it. (Noto Sans CJK is
#: CFF-outline OpenType: matplotlib would embed it as FontFile2 starting ``OTTO``, an invalid PDF.)
#: It has no bold face: titles stand out by size.
CJK_FONT = "WenQuanYi Micro Hei"
_FONT_FILES = {
    "WenQuanYi Micro Hei": "wqy-microhei*",
    "WenQuanYi Zen Hei": "wqy-zenhei*",
    "Noto Sans CJK SC": "NotoSansCJK*",
}
_FONT_DIRS = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts"]


def require_cjk_font(family: str = CJK_FONT) -> str:
    """Make sure matplotlib can draw Chinese with ``family``; return the font file's path."""
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold face": known, not news
    props = font_manager.FontProperties(family=family)
    try:
        return str(font_manager.findfont(props, fallback_to_default=False))
    except ValueError:
        pass
    pattern = _FONT_FILES.get(family, family.replace(" ", "") + "*")
    for folder in _FONT_DIRS:  # installed after matplotlib built its cache: register the files
        for path in folder.rglob(pattern) if folder.is_dir() else []:
            font_manager.fontManager.addfont(str(path))
    try:
        return str(font_manager.findfont(props, fallback_to_default=False))
    except ValueError as exc:
        raise HepingGISError(
            f"no CJK font {family!r} found: Chinese labels would print as boxes. Install it "
            "(Debian/Ubuntu: apt-get install fonts-wqy-microhei) and retry"
        ) from exc


def use_cjk_fonts() -> None:
    """The CJK font as matplotlib's sans-serif; SVG text as text, PDF fonts embedded as TrueType (42)."""
    require_cjk_font()
    matplotlib.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["pdf.fonttype"] = 42


#: Font subsets already made in this process: (font file, face, glyphs) -> (subset font file, glyph map).
_SUBSETS: dict[tuple[str, int, frozenset[int]], tuple[bytes, dict[Any, Any]]] = {}
_SUBSETS_KEPT = 16


@contextmanager
def font_subsets_once() -> Iterator[None]:
    """While a PDF is saved: each font subset made once per process and glyph set. matplotlib
    subsets the embedded TrueType fonts anew for every PDF, and for the CJK font that means
    decompiling all of its 30,000 glyphs (about a second); the overview's PDFs (document, A4, A3)
    hold the same text, so the second and third reuse the first's subset, byte for byte the same.
    matplotlib has no option for this: its subsetting function is wrapped for the duration (and
    left alone where it is not there as expected)."""
    try:
        from fontTools.ttLib import TTFont
        from matplotlib.backends import _backend_pdf_ps as pdf_ps

        original, results, as_file = pdf_ps.get_glyphs_subset, pdf_ps.SubsetResults, pdf_ps.font_as_file
    except (ImportError, AttributeError):
        yield
        return

    def subset_once(fontfile: Any, glyphs: Any) -> Any:
        glyphs = list(glyphs)
        key = (str(fontfile), int(getattr(fontfile, "face_index", 0)), frozenset(int(g) for g in glyphs))
        if key not in _SUBSETS:
            with original(fontfile, glyphs) as made:
                _SUBSETS[key] = (as_file(made.font).getvalue(), dict(made.glyph_index_map))
            while len(_SUBSETS) > _SUBSETS_KEPT:
                del _SUBSETS[next(iter(_SUBSETS))]
        data, index_map = _SUBSETS[key]
        font = TTFont(BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
        return results(font, dict(index_map))._as_cm()

    pdf_ps.get_glyphs_subset = subset_once
    try:
        yield
    finally:
        pdf_ps.get_glyphs_subset = original
