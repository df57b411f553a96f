"""Every PDF the package writes opens in every reader: each embedded font's program matches the type
its dictionary declares (no CFF/``OTTO`` program in a ``FontFile2``, which Adobe Reader refuses), as
poppler's ``pdffonts`` reads them, and the Chinese text is still extractable (``pdftotext``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from hepinggis.maps.static import static_map

REPO = Path(__file__).resolve().parents[2]


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have {tool} (poppler-utils, installed by .ci/test-deps)")
        pytest.skip(f"no {tool} (apt-get install poppler-utils)")
    return path


def _font_programs(pdf: Path) -> list[bytes]:
    """The first bytes of every embedded FontFile2 program (decompressed), read from the PDF itself."""
    data = pdf.read_bytes()
    refs = {m.group(1) for m in re.finditer(rb"/FontFile2\s+(\d+)\s+0\s+R", data)}
    starts = []
    for ref in refs:
        obj = re.search(rb"\n" + ref + rb"\s+0\s+obj(.*?)stream\r?\n", data, re.S)
        assert obj is not None
        body = data[obj.end() : obj.end() + 64_000_000]
        raw = body[: body.index(b"endstream")]
        starts.append(zlib.decompress(raw)[:4] if b"FlateDecode" in obj.group(1) else raw[:4])
    return starts


def _check(pdf: Path) -> None:
    fonts = subprocess.run([_poppler("pdffonts"), str(pdf)], capture_output=True, text=True, check=True)
    assert "Mismatch" not in fonts.stderr, (pdf.name, fonts.stderr)
    kinds = [line[37:54].strip() for line in fonts.stdout.splitlines()[2:]]
    assert kinds and set(kinds) <= {"CID TrueType", "TrueType", "Type 3"}, (pdf.name, kinds)
    assert all(start in (b"\x00\x01\x00\x00", b"true") for start in _font_programs(pdf)), pdf.name  # glyf
    text = subprocess.run([_poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "和平区" in text.stdout or "功能区" in text.stdout, pdf.name


@pytest.mark.parametrize(
    ("paper", "orientation", "zone"),
    [(None, "portrait", None), ("A4", "portrait", None), ("A3", "landscape", None), (None, "portrait", "manrong")],
)
def test_static_map_pdfs_embed_truetype_fonts(
    bundled_package: Path, tmp_path: Path, paper: str | None, orientation: str, zone: str | None
):
    """The overview's PDFs as the package holds them (built once for the run, conftest: the same
    `static_map` drawing), a zone's drawn here."""
    name = _IN_PACKAGE.get((paper, orientation, zone))
    _check(
        bundled_package / name
        if name
        else static_map(tmp_path / "m.pdf", paper=paper, orientation=orientation, zone_id=zone)
    )


_IN_PACKAGE = {
    (None, "portrait", None): "overview.pdf",
    ("A4", "portrait", None): "overview_A4_portrait.pdf",
    ("A3", "landscape", None): "overview_A3_landscape.pdf",
}


def test_monitoring_pdfs_embed_truetype_fonts(monitor_example: Path) -> None:
    # `hepinggis monitor` of the example figures (exit 0), built once for the run (conftest)
    pdfs = sorted(monitor_example.rglob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        _check(pdf)
