"""The CJK font of the monitoring PDFs, cut down once for all the PDFs of a package to the
characters they print (fontTools), so each PDF embeds a small font and fpdf2's own subset of it
per PDF is cheap.

Cutting the 5 MB font down takes a noticeable part of a package's time, and a bureau's packages
use nearly the same characters year after year: each subset is also kept in the user's cache folder
(``$XDG_CACHE_HOME/hepinggis/fonts`` or ``~/.cache/hepinggis/fonts``), by the font file (path,
size, modification time), the fontTools version and the characters; written atomically, read back
only if it is a TrueType file, remade otherwise; the newest 16 are kept. ``HEPINGGIS_FONT_CACHE=0``
turns it off. The first package written with a set of characters still pays for the subset.

The font is the static maps' (`hepinggis.maps.static.CJK_FONT`, WenQuanYi Micro Hei), found here
among the system's fonts without loading matplotlib (which `hepinggis.maps.static` imports): the
monitoring command never loads matplotlib.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from io import BytesIO
from pathlib import Path

from hepinggis.errors import HepingGISError

__all__ = ["FAMILY", "MISSING", "cjk_font_file", "font_cache_dir", "subset_font"]

#: The family name of the subset font inside the PDFs.
FAMILY = "HG Monitor CJK"
#: What a character the font cannot print (an emoji, a rare CJK extension character) is printed as,
#: in every subset: the box Chinese print uses for a character it cannot set (缺字), never a silent gap.
MISSING = "□"
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


def font_cache_dir() -> Path | None:
    """Where font subsets are kept between runs (None: not kept; `hepinggis.settings`'s
    ``font_cache``)."""
    from hepinggis.base.settings import settings

    return settings().font_cache


def _cache_file(chars: frozenset[str]) -> Path | None:
    folder = font_cache_dir()
    if folder is None:
        return None
    import fontTools

    font = cjk_font_file()
    stat = font.stat()
    key = "\n".join(
        [_CACHE_VERSION, str(font.resolve()), str(stat.st_size), str(stat.st_mtime_ns), fontTools.version, FAMILY]
    )
    digest = hashlib.sha256((key + "\n" + "".join(sorted(chars))).encode("utf-8", "surrogatepass"))
    return folder / f"{digest.hexdigest()}.ttf"


#: How many subsets the cache folder keeps (the newest).
_CACHE_KEPT = 16
#: Part of every cache key: a change of how subsets are made (options, names) makes new ones.
_CACHE_VERSION = "2"


def _from_cache(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if data[:4] == b"\x00\x01\x00\x00" and len(data) > 1024 else None


def _to_cache(path: Path | None, data: bytes) -> None:
    """Keep ``data`` at ``path`` (temp file + rename: a reader never sees half a font); a cache
    that cannot be written (a read-only home) is no error."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".subset-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        kept = sorted(path.parent.glob("*.ttf"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in kept[_CACHE_KEPT:]:  # the folder never grows past the newest few
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def subset_font(chars: frozenset[str]) -> bytes:
    """The CJK font cut down to ``chars`` (and printable ASCII), renamed `FAMILY`, as the bytes
    of a TrueType file; made once per process and character set, and kept in the user's cache
    folder for later runs (`font_cache_dir`)."""
    if chars not in _SUBSETS:
        cache = _cache_file(chars)
        data = _from_cache(cache)
        if data is None:
            data = _make_subset(chars)
            _to_cache(cache, data)
        _SUBSETS[chars] = data
        while len(_SUBSETS) > _SUBSETS_KEPT:
            del _SUBSETS[next(iter(_SUBSETS))]
    return _SUBSETS[chars]


def _make_subset(chars: frozenset[str]) -> bytes:
    """The subset `subset_font` gives, made with fontTools."""
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
    subsetter.populate(unicodes=sorted({ord(c) for c in chars | printable | {MISSING}}))
    subsetter.subset(font)
    for rec in font["name"].names:
        if rec.nameID in (1, 4, 16):
            rec.string = FAMILY
        elif rec.nameID == 6:
            rec.string = FAMILY.replace(" ", "")
    out = BytesIO()
    font.save(out)
    return out.getvalue()
