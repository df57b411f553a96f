"""What a static map sheet holds besides the map: the scale bar and north arrow, the legend, the
title and the credit lines; and matplotlib text made safe (`plain_text`) and drawn once (`quiet_redraws`)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from hepinggis.analysis.projects import SITED, category_order
from hepinggis.base._credits import PLAN_CREDIT_ZH, ListCredit, boundary_label, projects_credit, sources_line
from hepinggis.base._style import AXIS_COLORS, BELT_COLOR, CATEGORY_ZH, ZONE_COLORS, ZONE_FILL_OPACITY

__all__ = [
    "CRS_NOTE",
    "FURNITURE_Z",
    "MIN_FONT_PT",
    "draw_legend",
    "legend_handles",
    "north_arrow",
    "plain_text",
    "quiet_redraws",
    "scale_bar",
    "title_and_credits",
]

#: The smallest type on any static map, in points at the printed size.
MIN_FONT_PT = 7.0
#: The scale bar and north arrow are drawn above everything of the map (matplotlib zorder).
FURNITURE_Z = 15.0
CRS_NOTE = "坐标：CGCS2000 / 3度带高斯-克吕格 CM 123°E (EPSG:4550)"


def quiet_redraws(fig: Figure) -> None:
    """Stop the redraws geopandas asks for after every ``.plot`` (``plt.draw()``: on the Agg canvas
    a full draw of the figure, 25 of them per map); the figure is drawn once, when it is needed
    (label placement, saving). Only this figure's canvas is changed."""
    fig.canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]


def plain_text(text: str) -> str:
    """User text for matplotlib: ``$`` would start mathtext (and a lone one raises), so escape it."""
    return text.replace("$", r"\$")


def scale_bar(ax: Axes, length_m: float) -> None:
    """A scale bar of ``length_m`` metres at the map's lower left, black and white, with its length."""
    # matplotlib-scalebar is not a dependency; in a metric CRS a bar is two lines of code
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", lw=3, solid_capstyle="butt", zorder=FURNITURE_Z, gid="scale-bar")
    ax.text(
        x + length_m / 2,
        y + 0.012 * (y1 - y0),
        f"{length_m / 1000:g} km",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=FURNITURE_Z,
        gid="scale-bar",
        path_effects=[withStroke(linewidth=2.5, foreground="white")],  # readable over the hexagons
    )
    ax.plot([x, x + length_m / 2], [y, y], color="white", lw=1.2, solid_capstyle="butt", zorder=FURNITURE_Z + 0.1)


def north_arrow(ax: Axes) -> None:
    """The north arrow at the map's upper right (the maps are drawn north up, in EPSG:4550)."""
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5},
        path_effects=[withStroke(linewidth=2.5, foreground="white")],
        zorder=FURNITURE_Z,
        gid="north-arrow",
    )


def legend_handles(
    zones: gpd.GeoDataFrame, shown: gpd.GeoDataFrame, colors: dict[str, str], density_handles: list[Any] | None
) -> list[Any]:
    """The legend: zones, axes, belt, 街道 lines, then the density classes or the categories."""
    handles: list[Any] = [
        Patch(facecolor=ZONE_COLORS[z.id], alpha=ZONE_FILL_OPACITY, edgecolor="#333", label=z.name_zh)
        for z in zones.itertuples()
    ]
    handles += [
        Line2D([], [], color=c, lw=2.5, label=n)
        for n, c in (
            ("南京街城市驱动发展轴", AXIS_COLORS["nanjingjie_axis"]),
            ("三好街创新创业发展轴", AXIS_COLORS["sanhaojie_axis"]),
        )
    ]
    handles.append(Patch(facecolor=BELT_COLOR, alpha=0.3, label="浑河文体旅生态发展带"))
    handles.append(Line2D([], [], color="#444", lw=0.8, ls="--", label=boundary_label("jiedao", "街道界（示意）")))
    if density_handles is not None:
        return handles + density_handles
    for cat in category_order(shown["category"]):
        label = plain_text(f"项目：{CATEGORY_ZH.get(cat, cat)}")
        handles.append(Line2D([], [], marker="o", ls="", color=colors[cat], markeredgecolor="white", label=label))
    if (~shown["location_method"].isin(SITED)).any():
        handles.append(
            Line2D(
                [], [], marker="D", ls="", markerfacecolor="#bbb", markeredgecolor="#222", label="菱形：仅知所在范围"
            )
        )
    return handles


def draw_legend(fig: Figure, box: tuple[float, float, float, float], beside: bool, handles: list[Any]) -> None:
    """The legend in ``box`` (figure fractions), above the map: one column beside it, three below."""
    lax = fig.add_axes(box)
    lax.set_axis_off()
    lax.set_zorder(max(a.get_zorder() for a in fig.axes) + 1)  # above the map, whatever it holds
    lax.set_gid("legend")
    lax.legend(
        handles=handles,
        loc="upper left" if beside else "lower left",
        fontsize=7.5,
        framealpha=0.9,
        borderaxespad=0,
        frameon=False,
        ncol=1 if beside else 3,
        mode=None,
    )


def title_and_credits(
    fig: Figure, height: float, title: str, projects: gpd.GeoDataFrame, credit: ListCredit | None
) -> None:
    """The title on top and, at the foot, the plan's and the projects' credits, the sources and the CRS."""
    fig.text(0.5, 1 - 0.12 / height, title, ha="center", va="top", fontsize=13, fontweight="bold")
    fig.text(
        0.02,
        0.12 / height,
        f"{PLAN_CREDIT_ZH}；{projects_credit(projects, credit)}\n{sources_line()}\n{CRS_NOTE}",
        fontsize=MIN_FONT_PT,
        color="#444",
        va="bottom",
        wrap=True,
    )
