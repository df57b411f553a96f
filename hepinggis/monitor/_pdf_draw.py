"""The monitoring report's pages (`hepinggis.monitor._pdf_sheet.Sheet`) written to an A4 PDF with
fpdf2: real text in the embedded CJK subset font (a reader can search and copy it), filled
rectangles, polylines and the locator map's outlines.

fpdf2 writes text as it is given, at the place it is given: the report's texts are wrapped by the
layout (`hepinggis.monitor._pdf_pages._wrap`), so no text is measured but to centre or right-align
one line (`placed`). Imported only where PDFs are drawn (fpdf2 is loaded with it), before the
second PDF writer is forked so that it starts with fpdf2 loaded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import fontTools.agl  # noqa: F401  (the glyph names fpdf2 reads: see _PRELOADED)
from fontTools.ttLib import getTableModule
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import PathPaintRule

from hepinggis.monitor._pdf_font import FAMILY, MISSING
from hepinggis.monitor._pdf_sheet import A4_PT, Line, Shape, Sheet, Text

__all__ = ["placed", "printable", "text_boxes", "write_pdf"]

#: The font tables fontTools loads the first time fpdf2 reads and cuts down a font, loaded with
#: this module instead: a second PDF writer forked from this process then starts with them.
_PRELOADED = [getTableModule(tag) for tag in ("OS/2", "cvt ", "fpgm", "gasp", "hhea", "loca", "prep", "vhea", "vmtx")]
#: Where the baseline of a text set ``va="center"`` lies below its anchor, in ems: the middle of
#: a line of Chinese in this font (as the status words always sat on their chips).
_CENTRE_DROP = 0.313
#: The dashes of a dashed line, in line widths (matplotlib's "--": 3.7 on, 1.6 off).
_DASH = (3.7, 1.6)


def placed(t: Text, width: float) -> tuple[float, float]:
    """The left end and baseline of ``t`` on the page, in points from the lower left corner, for
    a text ``width`` points wide."""
    x, y = t.x * A4_PT[0], t.y * A4_PT[1]
    if t.ha == "center":
        x -= width / 2
    elif t.ha == "right":
        x -= width
    if t.va == "center":
        y -= _CENTRE_DROP * t.size
    return x, y


def printable(text: str, cmap: dict[int, str] | set[int]) -> str:
    """``text`` as the font ``cmap`` can print it: a character it lacks becomes `MISSING` (□),
    a line or paragraph separator a space, an invisible modifier (a variation selector, a joiner)
    nothing — fpdf2 would leave a lacking character out without a trace."""
    if all(ord(c) in cmap for c in text):
        return text
    out = []
    for c in text:
        if ord(c) in cmap:
            out.append(c)
        elif unicodedata.category(c) in ("Zl", "Zp", "Zs"):
            out.append(" ")
        elif unicodedata.category(c) not in ("Mn", "Me", "Cf"):
            out.append(MISSING)
    return "".join(out)


def _cmap(font: Path) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(str(font), lazy=True).getBestCmap())


def _top(y: float) -> float:
    """A height from the page's bottom (the layout's) as fpdf2's distance from the top."""
    return A4_PT[1] - y


def _shape(shape: Shape) -> PaintedPath:
    path = PaintedPath()
    path.style.fill_color = shape.fill
    path.style.fill_opacity = shape.alpha
    path.style.stroke_color = shape.edge
    path.style.stroke_width = shape.width
    path.style.paint_rule = PathPaintRule.STROKE_FILL_NONZERO
    for ring in shape.rings:
        (x, y), *rest = ring
        path.move_to(x * A4_PT[0], _top(y * A4_PT[1]))
        for x, y in rest:
            path.line_to(x * A4_PT[0], _top(y * A4_PT[1]))
        path.close()
    return path


def _line(pdf: FPDF, line: Line) -> None:
    points = [(x * A4_PT[0], _top(y * A4_PT[1])) for x, y in line.points]
    pdf.set_draw_color(line.colour)
    pdf.set_line_width(line.width)
    if line.dashed:
        pdf.set_dash_pattern(dash=_DASH[0] * line.width, gap=_DASH[1] * line.width)
    if len(points) > 1:
        pdf.polyline(points)
    if line.dashed:
        pdf.set_dash_pattern()
    if line.dots:
        pdf.set_fill_color(line.colour)
        for x, y in points:
            pdf.circle(x, y, line.dots / 2, style="F")


def _page(pdf: FPDF, sheet: Sheet, cmap: set[int]) -> None:
    pdf.add_page()
    if sheet.shapes:
        with pdf.drawing_context() as context:
            for shape in sheet.shapes:
                context.add_item(_shape(shape), False)  # made here, used once: no copy
    for r in sheet.rects:
        pdf.set_fill_color(r.colour)
        pdf.rect(r.x * A4_PT[0], _top((r.y + r.h) * A4_PT[1]), r.w * A4_PT[0], r.h * A4_PT[1], style="F")
    for line in sheet.lines:
        _line(pdf, line)
    for t in sheet.texts:
        text = printable(t.text, cmap)
        if not text:
            continue
        pdf.set_font(FAMILY, size=t.size)
        pdf.set_text_color(t.colour)
        width = pdf.get_string_width(text) if t.ha != "left" else 0.0
        x, y = placed(t, width)
        pdf.text(x, _top(y), text)


def _document(font: Path) -> FPDF:
    pdf = FPDF(unit="pt", format=A4_PT)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title("规划实施监测")
    pdf.set_creator("hepinggis")
    pdf.add_font(FAMILY, fname=str(font))
    for added in pdf.fonts.values():
        # fpdf2 cuts the font down again to the glyphs this PDF prints; the glyphs are copied as
        # they are (the package's subset, `_pdf_font`, is already small), so their bounding boxes
        # need no recomputing — recomputing them decompiles and recompiles every glyph (most of
        # fpdf2's time). fpdf2 has no option for it: its fontTools font is told before saving.
        ttfont = getattr(added, "ttfont", None)
        if ttfont is not None:
            ttfont.recalcBBoxes = False
    return pdf


def write_pdf(sheets: Sequence[Sheet], path: Path, font: Path) -> Path:
    """Write ``sheets`` as the pages of the PDF ``path``, their texts in the TrueType ``font``
    (the subset made for the package, `hepinggis.monitor._pdf_font.subset_font`)."""
    pdf, cmap = _document(font), _cmap(font)
    for sheet in sheets:
        _page(pdf, sheet, cmap)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def text_boxes(sheet: Sheet, font: Path) -> list[tuple[Text, tuple[float, float, float, float]]]:
    """Each text of ``sheet`` with the box it takes on the page (left, bottom, right, top, in
    points from the lower left corner): its width in ``font`` and the font's ascent and descent,
    as it is drawn by `write_pdf`."""
    from fontTools.ttLib import TTFont

    face = TTFont(str(font), lazy=True)
    cmap, advances = face.getBestCmap(), face["hmtx"].metrics
    em = float(face["head"].unitsPerEm)
    ascent, descent = face["hhea"].ascent / em, -face["hhea"].descent / em
    notdef = advances[".notdef"][0]
    width: Callable[[str], float] = lambda s: sum(  # noqa: E731
        advances[cmap[ord(c)]][0] if ord(c) in cmap else notdef for c in s
    )
    out = []
    for t in sheet.texts:
        w = width(printable(t.text, cmap)) / em * t.size
        x, y = placed(t, w)
        out.append((t, (x, y - descent * t.size, x + w, y + ascent * t.size)))
    return out
