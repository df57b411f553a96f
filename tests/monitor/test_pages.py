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
from matplotlib.patches import Rectangle

from hepinggis.monitor._pdf_pages import pages
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


def test_labels_never_overlap_at_1366x768(browser: Any, package: tuple[Path, Path]) -> None:
    out, _ = package
    for page in sorted(out.glob("*.html")):
        if page.name == "index.html":
            continue
        v = Visit(browser, page, size=(1366, 768))
        v.page.wait_for_timeout(300)
        boxes = v.page.eval_on_selector_all(
            ".hg-mon-label span",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [r.left, r.top, r.right, r.bottom, e.textContent]; })",
        )
        assert len(boxes) == 6, page.name
        for a, b in itertools.combinations(boxes, 2):
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (page.name, a, b)
        assert v.errors == [] and v.external == [], page.name


def test_status_words_have_contrast_on_every_page(browser: Any, package: tuple[Path, Path]) -> None:
    for status in STATUS_COLORS:  # the palette itself
        assert contrast(STATUS_COLORS[status], STATUS_TEXT[status]) >= 4.5, status
    out, _ = package
    seen = set()
    for page in sorted(out.glob("*.html")):
        v = Visit(browser, page, wait_for="h1" if page.name == "index.html" else "path.hg-zone", size=(1366, 768))
        pairs = v.page.eval_on_selector_all(
            ".hg-status",
            "els => els.map(e => { const s = getComputedStyle(e);"
            " return [e.textContent, s.color, s.backgroundColor]; })",
        )
        assert pairs, page.name
        for word, fg, bg in pairs:
            ratio = contrast(_hex(fg), _hex(bg))
            assert ratio >= 4.5, (page.name, word, fg, bg, ratio)
            seen.add(word)
    assert {"待核实", "无数据", "定性目标"} <= seen


def _hex(css: str) -> str:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _rgb_hex(colour: Any) -> str:
    from matplotlib.colors import to_hex

    return to_hex(colour)


@pytest.fixture(scope="module")
def pdf_pages(package: tuple[Path, Path]) -> dict[str, list[Any]]:
    _, path = package
    actuals = read_actuals(path)
    results = evaluate(actuals, year=2023)
    targets = ["district", *sorted(set(results["target_id"]) - {"district"})]
    return {
        t: pages(results, t, year=2023, values=actuals.values, credits=["目标与原文：规划", "监测数据：x.csv"])
        for t in targets
        if (results["target_id"] == t).any()
    }


def test_pdf_texts_never_overlap_and_stay_on_the_page(pdf_pages: dict[str, list[Any]]) -> None:
    for target, figs in pdf_pages.items():
        for k, fig in enumerate(figs):
            renderer = fig.canvas.get_renderer()
            page = fig.bbox
            texts = [t for t in fig.texts if t.get_text().strip()]
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
            boxes += [("axes", ax.get_window_extent(renderer)) for ax in fig.axes]
            # progress bars (the grey track) and trend lines are drawn on the page, not in axes
            from matplotlib.lines import Line2D

            boxes += [
                ("axes", a.get_window_extent(renderer))
                for a in fig.artists
                if isinstance(a, Line2D) or (isinstance(a, Rectangle) and a.get_x() >= 0.6)  # bars right, chips left
            ]
            for name, box in boxes:
                assert page.x0 <= box.x0 and box.x1 <= page.x1 and box.y0 >= page.y0 and box.y1 <= page.y1, (
                    target,
                    k,
                    name,
                )
            for (na, a), (nb, b) in itertools.combinations(boxes, 2):
                if na == nb == "axes":
                    continue  # a bar and its trend are side by side by construction
                inter = a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5
                assert not inter, (target, k, na, nb)
            for t in texts:
                assert t.get_fontsize() >= 7, (target, t.get_text())


def test_pdf_status_words_have_contrast(pdf_pages: dict[str, list[Any]]) -> None:
    words = set(STATUS_ZH.values())
    for target, figs in pdf_pages.items():
        for fig in figs:
            renderer = fig.canvas.get_renderer()
            chips = [a for a in fig.artists if isinstance(a, Rectangle)]
            for t in fig.texts:
                if not t.get_text().strip():
                    continue
                box = t.get_window_extent(renderer)
                centre = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
                under = [c for c in chips if c.get_window_extent(renderer).contains(*centre)]
                background = _rgb_hex(under[0].get_facecolor()) if under else "#ffffff"
                ratio = contrast(_rgb_hex(t.get_color()), background)
                assert ratio >= 4.5, (target, t.get_text(), ratio)
                if t.get_text() in words:
                    assert under, (target, t.get_text())  # a status word always sits on its colour


def test_every_page_carries_the_plan_sentences_and_what_is_monitored(browser: Any, package: tuple[Path, Path]) -> None:
    out, path = package
    table = indicators()
    index = (out / "index.html").read_text(encoding="utf-8")
    for quote in table["quote"]:
        assert quote.replace("“", "&ldquo;") in index or _esc(quote) in index, quote
    for words in ("已监测（有数据并已判断）", "无数据", "定性目标（规划以文字表述，不设数值）", "待核实的数值"):
        assert words in index
    assert "疑似把 22% 写成 0.22" in index
    v = Visit(browser, out / "monitor_sanhaojie.html", size=(1366, 768))
    panel = v.page.inner_text(".hg-side")
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


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _pdf_text(path: Path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s", "", raw)


def test_numbers_are_rounded_to_their_unit_and_the_index_links_only_what_exists(
    browser: Any, package: tuple[Path, Path]
) -> None:
    out, _ = package
    index = (out / "index.html").read_text(encoding="utf-8")
    for href in re.findall(r'href="([^"]+)"', index):
        assert (out / href).is_file(), href
    assert "项目变化" not in index  # no project lists given: no such sheet, no such link
    for page in [*out.glob("*.html"), *out.glob("*.pdf")]:
        if page.suffix == ".pdf":
            body = _pdf_text(page)
        else:  # what a reader sees, panels included (built by script)
            v = Visit(browser, page, wait_for="h1" if page.name == "index.html" else "path.hg-zone")
            body = v.page.inner_text("body")
        assert not re.search(r"\d\.\d{3,}", body), (page.name, re.search(r".{20}\d\.\d{3,}.{5}", body))
        assert not re.search(r"20\d\d\.0年", body), page.name
        assert not re.search(r"\bnan\b|NaN|None", body), page.name


def test_hostile_notes_through_every_output(browser: Any, package: tuple[Path, Path]) -> None:
    import openpyxl

    out, path = package
    notes = set(read_actuals(path).values["note"])
    assert set(_hostile_strings()) <= notes  # 备注 kept byte for byte, no NFKC, no stripping
    assert not Path("/tmp/hepinggis-pwned").exists()
    for page in sorted(out.glob("*.html")):
        v = Visit(browser, page, wait_for="h1" if page.name == "index.html" else "path.hg-zone")
        assert v.errors == [] and v.external == [] and v.dialogs == [], page.name
    book = openpyxl.load_workbook(out / "monitoring.xlsx")
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert c.data_type != "f", (ws.title, c.coordinate)  # text, never a formula
    figures = pd.read_excel(out / "monitoring.xlsx", sheet_name="填报数据", dtype=str, keep_default_na=False)
    assert set(_hostile_strings()) <= set(figures["备注"]), "notes come back byte for byte from the workbook"
