"""Briefing-grade maps, checked as a planner would look at them: in headless Chromium at a 1366×768
laptop and a 390×844 phone, and the static maps at print size."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _chromium import Visit

import hepinggis
from hepinggis.base._style import ZONE_COLORS, ZONE_FILL_OPACITY
from hepinggis.maps import choropleth_map, overview_map, save_html, zone_map
from hepinggis.maps.static import MIN_FONT_PT, static_layout

ZONES = list(hepinggis.load("zones")["id"])
SIZES = [(1366, 768), (390, 844)]


def _rect(box: dict[str, float]) -> tuple[float, float, float, float]:
    return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _controls(v: Visit) -> list[tuple[str, tuple[float, float, float, float]]]:
    out = []
    for el in v.page.locator(".leaflet-control").all():
        box = el.bounding_box()
        if box and box["width"] > 0 and box["height"] > 0:
            out.append(((el.get_attribute("class") or "").split()[-1], _rect(box)))
    return out


def _maps(tmp: Path) -> dict[str, Path]:
    counts = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))["projects_any_share"]
    pages = {
        "overview": overview_map(basemap="none"),
        "choropleth": choropleth_map(counts, title="各功能区涉及项目数", unit="个", basemap="none"),
        **{f"zone_{z}": zone_map(z, basemap="none") for z in ZONES},
    }
    return {k: save_html(m, tmp / f"{k}.html") for k, m in pages.items()}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _maps(tmp_path_factory.mktemp("maps"))


@pytest.fixture(scope="module")
def at_desk(browser: Any, pages: dict[str, Path]) -> dict[str, Visit]:
    """Each map opened once at 1366×768 for the tests that only read it (none clicks, zooms or
    closes it), instead of once more for each of those tests. Each ends with `Visit.assert_clean`."""
    return {name: Visit(browser, path, size=(1366, 768)) for name, path in pages.items()}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_two_controls_overlap(
    browser: Any, pages: dict[str, Path], size: tuple[int, int], request: pytest.FixtureRequest
) -> None:
    shared: dict[str, Visit] = request.getfixturevalue("at_desk") if size == (1366, 768) else {}
    for name, path in pages.items():
        v = shared.get(name) or Visit(browser, path, size=size)
        controls = _controls(v)
        assert len(controls) >= 5, name
        for (ka, a), (kb, b) in itertools.combinations(controls, 2):
            assert not _overlap(a, b), f"{name} at {size}: {ka} overlaps {kb}"
        for _, (x0, y0, x1, y1) in controls:  # and every one is on screen
            assert x0 >= 0 and y0 >= 0 and x1 <= size[0] + 1 and y1 <= size[1] + 1, name
        v.assert_clean()
        if name not in shared:
            v.page.close()


def test_choropleth_colours_follow_the_legend_classes(browser: Any, tmp_path: Path) -> None:
    # values on class edges: 12 and 20 must take their own class's colour, not the next one's
    values = pd.Series(
        {"beishichang": 3, "nanshichang": 8, "taiyuanjie": 7, "sanhaojie": 10, "changbaidao": 12, "manrong": 20}
    )
    v = Visit(
        browser, save_html(choropleth_map(values, title="项目数", unit="个", k=5, basemap="none"), tmp_path / "c.html")
    )
    rows = v.page.locator(".hg-class").all()
    classes = [
        (
            float(r.get_attribute("data-lo")),
            float(r.get_attribute("data-hi")),
            r.get_attribute("data-closed-lo") == "1",
            r.get_attribute("data-color"),
            int(r.get_attribute("data-count")),
        )
        for r in rows
    ]
    assert len(classes) >= 3
    seen: dict[str, int] = {}
    for zid, value in values.items():
        fill = v.page.locator(f"path.hg-zone-{zid}").get_attribute("fill")
        mine = [c for c in classes if (c[0] < value or (c[2] and c[0] <= value)) and value <= c[1]]
        assert len(mine) == 1, (zid, value, classes)
        assert fill.lower() == mine[0][3].lower(), f"{zid}={value}: fill {fill} but its legend class is {mine[0][3]}"
        seen[mine[0][3]] = seen.get(mine[0][3], 0) + 1
    for lo, hi, _closed, color, count in classes:
        assert seen.get(color, 0) == count, f"legend row ({lo}, {hi}] says {count}"
    legend = v.page.locator(".hg-legend").inner_text()
    assert "区间含上限" in legend  # the class rule is stated
    assert v.errors == []


@pytest.mark.parametrize("zone_id", ZONES)
def test_zone_map_shows_everything_its_panel_lists(at_desk: dict[str, Visit], zone_id: str) -> None:
    v = at_desk[f"zone_{zone_id}"]
    listed = [el.get_attribute("data-id") for el in v.page.locator(".hg-side li.hg-listed").all()]
    outside = v.page.evaluate(
        """(ids) => {
        const map = Object.values(window).find(x => x && x.eachLayer && x.getBounds);
        const view = map.getBounds(); const found = {}; const out = [];
        map.eachLayer(l => {
            if (l.options && l.options.hgId !== undefined && l.getLatLng) { found[l.options.hgId] = l.getLatLng(); }
        });
        for (const id of ids) {
            if (!found[id]) { out.push(id + ' (no marker)'); } else if (!view.contains(found[id])) { out.push(id); }
        }
        return out;
    }""",
        listed,
    )
    assert outside == []
    label = v.page.locator(".hg-zone-label span").filter(
        has_text=hepinggis.load("zones").set_index("id").loc[zone_id, "name_zh"][:2]
    )
    assert label.count() >= 1 and label.first.is_visible()
    v.assert_clean()


def test_overview_fills_the_view_names_every_zone_and_no_label_overlaps(at_desk: dict[str, Visit]) -> None:
    v = at_desk["overview"]
    labels = v.page.locator(".hg-zone-label span").all()
    assert len(labels) == len(ZONES)
    boxes = []
    for el in labels:
        assert el.is_visible()
        box = _rect(el.bounding_box())
        assert box[0] >= 0 and box[2] <= 1366 and box[1] >= 0 and box[3] <= 768
        boxes.append(box)
    assert not any(_overlap(a, b) for a, b in itertools.combinations(boxes, 2))
    district = v.page.locator("path.hg-zone").all()
    _x0, ys0, _x1, ys1 = zip(*(_rect(p.bounding_box()) for p in district), strict=True)
    assert max(ys1) - min(ys0) > 0.85 * 768  # fractional zoom: the district fills the height
    # markers: every project has one, and no two sit on the same spot
    markers = v.page.locator(".hg-project").all()
    assert len(markers) == len(hepinggis.load("projects"))
    centres = [((b["x"] + b["width"] / 2), (b["y"] + b["height"] / 2)) for b in (m.bounding_box() for m in markers)]
    gaps = [np.hypot(a[0] - b[0], a[1] - b[1]) for a, b in itertools.combinations(centres, 2)]
    assert min(gaps) >= 6
    scale = v.page.locator(".leaflet-control-scale-line").all_inner_texts()
    assert len(scale) == 1 and scale[0].strip().endswith(("m", "km"))  # metric only
    v.assert_clean()


def test_popups_are_chinese_first_with_document_titles(browser: Any, pages: dict[str, Path]) -> None:
    v = Visit(browser, pages["overview"])
    texts = [t for t in v.popup_and_tooltip_texts() if "来源" in t and "类别" in t]
    assert len(texts) == len(hepinggis.load("projects"))
    for t in texts:
        assert ".txt" not in t
        where = next(line for line in t.splitlines() if line.startswith("位置"))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in where)


def test_legends_list_only_what_is_drawn(browser: Any, pages: dict[str, Path]) -> None:
    v = Visit(browser, pages["zone_sanhaojie"])
    legend = v.page.locator(".hg-legend").inner_text()
    if "发展轴" in legend:
        assert v.count("path.hg-axis") > 0
    if "浑河文体旅生态发展带" in legend:
        assert v.count("path.hg-belt") == 1
    if "发展重点片区" in legend:
        assert v.count(".hg-subarea") > 0
    c = Visit(browser, pages["choropleth"])
    assert "项目类别" not in c.page.locator(".hg-legend").inner_text() and c.count(".hg-project") == 0


def test_zone_palette_is_distinguishable_also_with_colour_blindness() -> None:
    import colorspacious  # a dev dependency: the simulator (Machado et al. 2009 CVD model, CAM02-UCS ΔE)

    def drawn(hex_colour: str) -> np.ndarray:
        rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return ZONE_FILL_OPACITY * rgb + (1 - ZONE_FILL_OPACITY)

    for cvd in (None, "deuteranomaly", "protanomaly", "tritanomaly"):
        seen = {}
        for zid, colour in ZONE_COLORS.items():
            c = drawn(colour)
            if cvd:
                c = np.clip(
                    colorspacious.cspace_convert(c, {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}, "sRGB1"),
                    0,
                    1,
                )
            seen[zid] = c
        for a, b in itertools.combinations(seen, 2):
            d = colorspacious.deltaE(seen[a], seen[b], input_space="sRGB1")
            assert d >= 10, f"{a} vs {b} under {cvd or 'normal vision'}: ΔE {d:.1f}"


@pytest.mark.parametrize(
    ("paper", "orientation"),
    [(None, "portrait"), ("A4", "portrait"), ("A4", "landscape"), ("A3", "portrait"), ("A3", "landscape")],
)
def test_static_maps_are_legible_at_print_size(paper: str | None, orientation: str) -> None:
    for zone_id in (None, "manrong"):
        layout = static_layout(zone_id=zone_id, paper=paper, orientation=orientation, dpi=72)
        try:
            assert layout.smallest_font_pt() >= MIN_FONT_PT
            assert layout.label_boxes
            for label in layout.label_boxes:
                assert not any(label.overlaps(m) for m in layout.marker_boxes), "a project marker covers a zone name"
            for a, b in itertools.combinations(layout.label_boxes, 2):
                assert not a.overlaps(b)
            if paper:
                w, h = layout.figure.get_size_inches() * 2.54
                expect = hepinggis.maps.static.PAPER_CM[paper]
                assert sorted((round(w, 1), round(h, 1))) == sorted(expect)
        finally:
            import matplotlib.pyplot as plt

            plt.close(layout.figure)
