"""What one page of a printable monitoring report holds, before any PDF library sees it: texts
(each one line, placed at its baseline, left, centred or right), filled rectangles (status chips,
progress bars), polylines (trend lines) and filled outlines (the locator map). Coordinates are
fractions of the A4 page from its lower left corner, sizes in points.

Laid out by `hepinggis.monitor._pdf_pages`, drawn by `hepinggis.monitor._pdf_draw`; a test reads
the same objects to check that no two texts overlap and every word can be read on its colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["A4_PT", "Line", "Rect", "Shape", "Sheet", "Text", "texts"]

#: The A4 page in points (21.0 × 29.7 cm).
A4_PT = (21.0 / 2.54 * 72, 29.7 / 2.54 * 72)

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; ``(x, y)`` is its anchor: ``ha`` says which end (or its middle) is at
    ``x``, ``va`` whether ``y`` is its baseline or its middle."""

    x: float
    y: float
    text: str
    size: float
    colour: str = "#000000"
    ha: str = "left"
    va: str = "baseline"


@dataclass(frozen=True, slots=True)
class Rect:
    """A filled rectangle (no outline): lower left corner, width, height."""

    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass(frozen=True, slots=True)
class Line:
    """A polyline ``width`` points wide, dashed or solid, with round dots ``dots`` points across
    on its vertices (0: none)."""

    points: tuple[Point, ...]
    colour: str
    width: float
    dashed: bool = False
    dots: float = 0.0


@dataclass(frozen=True, slots=True)
class Shape:
    """A filled outline (its rings: the exterior, then holes), of ``alpha`` opacity, with an
    opaque edge ``width`` points wide."""

    rings: tuple[tuple[Point, ...], ...]
    fill: str
    alpha: float
    edge: str
    width: float


@dataclass(slots=True)
class Sheet:
    """One A4 page, drawn in this order: shapes, rectangles, lines, texts."""

    texts: list[Text] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        colour: str = "#000000",
        ha: str = "left",
        va: str = "baseline",
    ) -> None:
        """Add one line of text (see `Text`)."""
        self.texts.append(Text(x, y, text, size, colour, ha, va))


def texts(sheets: Iterable[Sheet]) -> set[str]:
    """The characters of every text of ``sheets``."""
    chars: set[str] = set()
    for sheet in sheets:
        for t in sheet.texts:
            chars.update(t.text)
    return chars
