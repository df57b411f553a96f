"""The CJK font of the monitoring PDFs, cut down once for all the PDFs of a package to the
characters they print (fontTools), so each PDF embeds a small font and fpdf2's own subset of it
per PDF is cheap.

The font is the static maps' (`hepinggis.maps.static.CJK_FONT`, WenQuanYi Micro Hei), found here
among the system's fonts without loading matplotlib (which `hepinggis.maps.static` imports): the
monitoring command never loads matplotlib.
"""

from __future__ import annotations

import functools
from io import BytesIO
from pathlib import Path

from hepinggis.errors import HepingGISError

__all__ = ["FAMILY", "cjk_font_file", "subset_font"]

#: The family name of the subset font inside the PDFs.
FAMILY = "HG Monitor CJK"
#: The static maps' CJK font (`hepinggis.maps._fonts.CJK_FONT`) and its file names.
_FONT_NAME = "WenQuanYi Micro Hei"
_FONT_FILES = ("wqy-microhei.ttc", "wqy-microhei.ttf")
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

#: Font subsets made in this process, by the characters they hold (a server writes many packages,
#: mostly with the same characters): the subset font file's bytes.
_SUBSETS: dict[frozenset[str], bytes] = {}
_SUBSETS_KEPT = 8
#: Tables a PDF does not need (it draws glyphs one by one: no shaping), deleted before subsetting:
#: fontTools would otherwise decompile GSUB/GPOS of the whole CJK font first (most of the time).
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "FFTM", "morx", "kern")


@functools.cache
def cjk_font_file() -> Path:
    """The CJK font file (WenQuanYi Micro Hei) among the system's fonts."""
    for folder in _FONT_DIRS:
        if not folder.is_dir():
            continue
        for name in _FONT_FILES:
            found = sorted(folder.rglob(name))
            if found:
                return found[0]
    raise HepingGISError(
        f"no CJK font {_FONT_NAME!r} found: Chinese text would print as boxes. Install it "
        "(Debian/Ubuntu: apt-get install fonts-wqy-microhei) and retry"
    )


def subset_font(chars: frozenset[str]) -> bytes:
    """The CJK font cut down to ``chars`` (and printable ASCII), renamed `FAMILY`, as the bytes
    of a TrueType file; made once per process and character set."""
    if chars in _SUBSETS:
        return _SUBSETS[chars]
    from fontTools import subset

    options = subset.Options()
    options.layout_features = []
    options.drop_tables += list(_UNUSED_TABLES)
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.font_number = 0
    # as pyftsubset loads a font: tables read on use (the glyph names from the post table: cheaper
    # than making 50,000 names from the cmap)
    font = subset.load_font(str(cjk_font_file()), options)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    subsetter = subset.Subsetter(options)
    printable = {chr(c) for c in range(0x20, 0x7F)}
    subsetter.populate(unicodes=sorted({ord(c) for c in chars | printable}))
    subsetter.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = FAMILY
        elif rec.nameID == 6:
            rec.string = FAMILY.replace(" ", "")
    out = BytesIO()
    font.save(out)
    _SUBSETS[chars] = out.getvalue()
    while len(_SUBSETS) > _SUBSETS_KEPT:
        del _SUBSETS[next(iter(_SUBSETS))]
    return _SUBSETS[chars]
