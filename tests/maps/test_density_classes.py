"""Static maps at density (issue 23, item 9): the hexagons lie under the north arrow, the scale bar
and the legend, the zone outlines above them, and the classes have round bounds (1–10, 11–50 …,
never "12–301 个/格"); the interactive maps' density grid is classed the same way."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.lines import Line2D

from hepinggis.io._synthetic import synthetic_projects
from hepinggis.maps import overview_map
from hepinggis.maps._classes import class_labels, nice_breaks, nice_number
from hepinggis.maps.static import DENSITY_ABOVE, static_layout

ROUND = {m * 10**e for e in range(6) for m in (1, 2, 3, 5)}


def _projects(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    frame = synthetic_projects(n, seed=seed)
    return frame.rename(columns={"项目名称": "name", "项目类型": "category", "建设状态": "status"})


@pytest.mark.parametrize(
    ("value", "expected"), [(0.4, 1), (1, 1), (2.4, 2), (4, 5), (12, 10), (40, 50), (250, 300), (301, 300), (740, 1000)]
)
def test_nice_number_is_the_nearest_of_1_2_3_5(value: float, expected: int) -> None:
    assert nice_number(value) == expected


def test_breaks_are_round_and_every_count_has_a_class() -> None:
    rng = np.random.default_rng(1)
    counts = np.ceil(rng.pareto(1.2, 800) * 6 + 1)  # skewed, as project counts per cell are
    bins = nice_breaks(counts)
    assert bins[-1] == counts.max() and 2 <= len(bins) <= 5
    assert set(bins[:-1].astype(int)) <= ROUND and list(bins) == sorted(set(bins))
    classes = np.searchsorted(bins, counts, side="left")
    assert classes.min() == 0 and classes.max() == len(bins) - 1
    labels = class_labels(bins)
    assert labels[0] == f"1–{int(bins[0])} 个/格" and labels[-1] == f"超过 {int(bins[-2])} 个/格"
    assert nice_breaks(np.array([3.0, 3.0])).tolist() == [3.0] and class_labels(np.array([3.0])) == ["1–3 个/格"]


def _round_labels(labels: list[str]) -> None:
    """``1–10``, ``11–50`` …, ``超过 300``: every upper bound round, every lower one the last + 1."""
    assert labels, "no density classes"
    uppers = [int(m.group(1)) for t in labels if (m := re.search(r"(?:–|超过 )(\d+) 个/格", t))]
    assert len(uppers) == len(labels) and set(uppers) <= ROUND, labels
    lowers = [int(m.group(1)) for t in labels if (m := re.search(r"(\d+)–", t))]
    assert lowers == [1, *[u + 1 for u in uppers[: len(lowers) - 1]]], labels


def test_static_density_hexagons_lie_under_the_furniture_and_the_zone_outlines() -> None:
    layout = static_layout(projects=_projects(DENSITY_ABOVE + 500), dpi=80)
    fig = layout.figure
    ax = fig.axes[0]
    hexes = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_gid() == "density"]
    outlines = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "zone-outlines"]
    assert len(hexes) == 1 and len(outlines) == 1
    z = hexes[0].get_zorder()
    assert outlines[0].get_zorder() > z
    furniture = [a for a in ax.get_children() if a.get_gid() in ("scale-bar", "north-arrow")]
    assert len(furniture) == 3 and all(a.get_zorder() > z for a in furniture)
    legend_ax = next(a for a in fig.axes if a.get_gid() == "legend")
    assert legend_ax.get_zorder() > ax.get_zorder()
    # and as drawn: the black scale bar is black on the rendered figure, hexagons or not
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    bar = next(a for a in furniture if isinstance(a, Line2D))
    (x0, y0), (x1, _) = ax.transData.transform(np.column_stack(bar.get_data()))
    px, py = int(x0 + 0.8 * (x1 - x0)), int(pixels.shape[0] - y0)  # the black half of the bar
    assert pixels[py, px, :3].max() < 60
    texts = [t.get_text() for t in legend_ax.get_legend().get_texts() if "个/格" in t.get_text()]
    _round_labels([t.removeprefix("项目密度 ") for t in texts])


def test_interactive_density_grid_has_round_classes() -> None:
    page = overview_map(basemap="none", projects=_projects(5000)).get_root().render()
    rows = re.findall(r'<p class=\\?"hg-density-class\\?">.*?<\\?/i>(.*?)<\\?/p>', page)  # in a JSON string
    _round_labels(rows)
    assert "默认关闭" in page  # below 10,000 projects the grid starts switched off
