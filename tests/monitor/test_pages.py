"""The monitoring package as a reviewer reads it: the plan's sentence beside every verdict on every
page, what is monitored / has no data / is qualitative said, no two labels overlapping (measured in
Chromium at 1366×768 and in the PDFs' text boxes), every status word readable (contrast ≥ 4.5:1,
computed from the colours actually used), credits that name the plan and the figures' file and no
path, numbers rounded to their unit, and an index that links only what exists."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hepinggis.monitor._pdf_draw import text_boxes
from hepinggis.monitor._pdf_font import subset_font
from hepinggis.monitor._pdf_pages import pages
from hepinggis.monitor._pdf_sheet import A4_PT, texts
from hepinggis.monitor._words import STATUS_COLORS, STATUS_TEXT, STATUS_ZH, contrast
from hepinggis.monitor.evaluate import evaluate
from hepinggis.monitor.indicators import indicators, read_actuals
from hepinggis.monitor.package import monitor
from tests._chromium import Visit

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "notebooks" / "data" / "监测填报示例_2020-2023.csv"
HOSTILE = json.loads((REPO / "tests" / "data" / "hostile.json").read_text(encoding="utf-8"))


def _hostile_strings() -> list[str]:
    """Every string of the hostile corpus (each becomes one 备注)."""
    return [str(item["text"]) for item in HOSTILE["corpus"] if str(item["text"]).strip()]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("pages")
    figures = pd.read_csv(EXAMPLE, encoding="utf-8-sig", dtype=str)
    figures["备注"] = ""
    hostile = _hostile_strings()
    picked = figures.index[: len(hostile)]
    figures.loc[picked, "备注"] = hostile[: len(picked)]
    share = figures["指标编号"] == "nanshichang_retail_share"
    figures.loc[share & (figures["年份"] == "2023"), "数值"] = "0.22"  # among 20s: asked, not judged
    path = tmp / "2023年监测填报.csv"
    path.write_bytes(figures.to_csv(index=False).encode("utf-8-sig"))  # the corpus is not all GBK
    out = tmp / "monitor"
    monitor(path, out, year=2023)
    return out, path


@pytest.fixture(scope="module")
def seen(browser: Any, package: tuple[Path, Path]) -> dict[str, Visit]:
    """Each HTML page of the package opened once in Chromium at 1366×768 (maps drawn, panels built
    by script), read by the tests below, none of which changes a page: opening the nine pages again
    for each test cost ≈ 13 s of CPU. Each test ends with `_clean`."""
    out, _ = package
    return {
        page.name: Visit(
            browser, page, wait_for="h1" if page.name == "index.html" else "path.hg-zone", size=(1366, 768)
        )
        for page in sorted(out.glob("*.html"))
    }


def _clean(seen: dict[str, Visit]) -> None:
    """`Visit.assert_clean` on every page."""
    for v in seen.values():
        v.assert_clean()


def test_labels_never_overlap_at_1366x768(seen: dict[str, Visit]) -> None:
    assert len(seen) >= 9, sorted(seen)
    for name, v in seen.items():
        if name == "index.html":
            continue
        v.page.wait_for_timeout(300)
        boxes = v.page.eval_on_selector_all(
            ".hg-mon-label span",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom, e.textContent]; })",
        )
        assert len(boxes) == 6, name
        for a, b in itertools.combinations(boxes, 2):
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (name, a, b)
    _clean(seen)


def test_status_words_have_contrast_on_every_page(seen: dict[str, Visit]) -> None:
    for status in STATUS_COLORS:  # the palette itself
        assert contrast(STATUS_COLORS[status], STATUS_TEXT[status]) >= 4.5, status
    words = set()
    for name, v in seen.items():
        pairs = v.page.eval_on_selector_all(
            ".hg-status",
            "els => els.map(e => { const s = getComputedStyle(e);"
            " return [e.textContent, s.color, s.backgroundColor]; })",
        )
        assert pairs, name
        for word, fg, bg in pairs:
            ratio = contrast(_hex(fg), _hex(bg))
            assert ratio >= 4.5, (name, word, fg, bg, ratio)
            words.add(word)
    assert {"待核实", "无数据", "定性目标"} <= words
    _clean(seen)


def _hex(css: str) -> str:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.fixture(scope="module")
def pdf_pages(package: tuple[Path, Path]) -> dict[str, list[Any]]:
    """Each report's pages as laid out, with the subset font their PDFs embed (`font` fixture)."""
    _, path = package
    actuals = read_actuals(path)
    results = evaluate(actuals, year=2023)
    targets = ["district", *sorted(set(results["target_id"]) - {"district"})]
    return {
        t: pages(results, t, year=2023, values=actuals.values, credits=["目标与原文：规划", "监测数据：x.csv"])
        for t in targets
        if (results["target_id"] == t).any()
    }


@pytest.fixture(scope="module")
def font(pdf_pages: dict[str, list[Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("font") / "subset.ttf"
    path.write_bytes(subset_font(frozenset(texts([s for sheets in pdf_pages.values() for s in sheets]))))
    return path


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def test_pdf_texts_never_overlap_and_stay_on_the_page(pdf_pages: dict[str, list[Any]], font: Path) -> None:
    """Every text's box as drawn (its width in the embedded font, the font's ascent and descent),
    the locator map, the progress bars and the trend lines: on the page, no two overlapping."""
    width, height = A4_PT
    for target, sheets in pdf_pages.items():
        for k, sheet in enumerate(sheets):
            boxes = [(t.text, box) for t, box in text_boxes(sheet, font) if t.text.strip()]
            shapes = [(x * width, y * height) for s in sheet.shapes for ring in s.rings for x, y in ring]
            if shapes:
                xs, ys = [p[0] for p in shapes], [p[1] for p in shapes]
                boxes.append(("graphic", (min(xs), min(ys), max(xs), max(ys))))
            # progress bars (the grey track) and trend lines; the status chips on the left hold their word
            boxes += [
                ("graphic", (r.x * width, r.y * height, (r.x + r.w) * width, (r.y + r.h) * height))
                for r in sheet.rects
                if r.x >= 0.6
            ]
            for line in sheet.lines:
                xs, ys = [p[0] * width for p in line.points], [p[1] * height for p in line.points]
                pad = max(line.width, line.dots) / 2
                boxes.append(("graphic", (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)))
            for name, box in boxes:
                assert box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height, (target, k, name)
            for (na, a), (nb, b) in itertools.combinations(boxes, 2):
                if na == nb == "graphic":
                    continue  # a bar and its trend are side by side by construction
                assert not _overlap(a, b), (target, k, na, nb)
            for t in sheet.texts:
                assert t.size >= 7, (target, t.text)


def test_pdf_status_words_have_contrast(pdf_pages: dict[str, list[Any]], font: Path) -> None:
    """Every text against what lies under its middle (a chip or the white page), in the colours
    the PDF is drawn with; a status word always sits on its colour."""
    words = set(STATUS_ZH.values())
    width, height = A4_PT
    for target, sheets in pdf_pages.items():
        for sheet in sheets:
            for t, box in text_boxes(sheet, font):
                if not t.text.strip():
                    continue
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                under = [
                    r
                    for r in sheet.rects
                    if r.x * width <= cx <= (r.x + r.w) * width and r.y * height <= cy <= (r.y + r.h) * height
                ]
                background = under[-1].colour if under else "#ffffff"
                ratio = contrast(t.colour, background)
                assert ratio >= 4.5, (target, t.text, ratio)
                if t.text in words:
                    assert under, (target, t.text)  # a status word always sits on its colour


def test_every_page_carries_the_plan_sentences_and_what_is_monitored(
    seen: dict[str, Visit], package: tuple[Path, Path]
) -> None:
    out, path = package
    table = indicators()
    index = (out / "index.html").read_text(encoding="utf-8")
    for quote in table["quote"]:
        assert quote.replace("“", "&ldquo;") in index or _esc(quote) in index, quote
    for words in ("已监测（有数据并已判断）", "无数据", "定性目标（规划以文字表述，不设数值）", "待核实的数值"):
        assert words in index
    assert "疑似把 22% 写成 0.22" in index
    panel = seen["monitor_sanhaojie.html"].page.inner_text(".hg-side")
    for quote in table.loc[table["target_id"] == "sanhaojie", "quote"]:
        assert quote in panel, quote
    text = _pdf_text(out / "monitor_nanshichang.pdf")
    for quote in table.loc[table["target_id"] == "nanshichang", "quote"]:
        assert re.sub(r"\s", "", quote) in text, quote
    assert "疑似把22%写成0.22" in text
    # credits: the plan and the figures' file by name, never a path
    for page in [*out.glob("*.html"), *out.glob("*.pdf")]:
        body = _pdf_text(page) if page.suffix == ".pdf" else page.read_text(encoding="utf-8")
        assert "geodata/src" not in body and str(path.parent) not in body, page.name
        assert re.sub(r"\s", "", path.name) in re.sub(r"\s", "", body) or page.suffix == ".html", page.name
    assert path.name in index and "十四个五年规划" in index
    _clean(seen)


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _pdf_text(path: Path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s", "", raw)


def test_numbers_are_rounded_to_their_unit_and_the_index_links_only_what_exists(
    seen: dict[str, Visit], package: tuple[Path, Path]
) -> None:
    out, _ = package
    index = (out / "index.html").read_text(encoding="utf-8")
    for href in re.findall(r'href="([^"]+)"', index):
        assert (out / href).is_file(), href
    assert "项目变化" not in index  # no project lists given: no such sheet, no such link
    for page in [*out.glob("*.html"), *out.glob("*.pdf")]:
        # what a reader sees: the PDF's text, the page with its panels (built by script)
        body = _pdf_text(page) if page.suffix == ".pdf" else seen[page.name].page.inner_text("body")
        assert not re.search(r"\d\.\d{3,}", body), (page.name, re.search(r".{20}\d\.\d{3,}.{5}", body))
        assert not re.search(r"20\d\d\.0年", body), page.name
        assert not re.search(r"\bnan\b|NaN|None", body), page.name
    _clean(seen)


def test_hostile_notes_through_every_output(seen: dict[str, Visit], package: tuple[Path, Path]) -> None:
    import openpyxl

    out, path = package
    notes = set(read_actuals(path).values["note"])
    assert set(_hostile_strings()) <= notes  # 备注 kept byte for byte, no NFKC, no stripping
    assert not Path("/tmp/hepinggis-pwned").exists()
    assert sorted(seen) == sorted(p.name for p in out.glob("*.html"))
    _clean(seen)  # every page, its notes drawn: no script ran, nothing was fetched, no dialog
    book = openpyxl.load_workbook(out / "monitoring.xlsx")
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert c.data_type != "f", (ws.title, c.coordinate)  # text, never a formula
    figures = pd.read_excel(out / "monitoring.xlsx", sheet_name="填报数据", dtype=str, keep_default_na=False)
    assert set(_hostile_strings()) <= set(figures["备注"]), "notes come back byte for byte from the workbook"
