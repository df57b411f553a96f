"""Static maps (PNG, SVG, PDF) for documents, drawn with matplotlib in EPSG:4550 (metres).

Chinese labels need a CJK font: "Noto Sans CJK SC" (Debian ``fonts-noto-cjk``) is looked up, and
registered from /usr/share/fonts if matplotlib's font cache predates its installation; without it
a clear error is raised instead of printing boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._strict import require_ids
from ._style import (
    AXIS_COLORS,
    BELT_COLOR,
    CATEGORY_ZH,
    DATA_DATE_ZH,
    PLAN_TITLE_ZH,
    SOURCE_ZH,
    ZONE_COLORS,
    ZONE_SHORT_ZH,
)
from ._web import marker_points
from .errors import HepingGISError
from .layers import load
from .measure import MEASURE_CRS
from .projects import SITED, category_colors, category_order, prepare_projects

__all__ = ["CJK_FONT", "require_cjk_font", "static_map"]

CJK_FONT = "Noto Sans CJK SC"
_FONT_DIRS = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts"]


def require_cjk_font(family: str = CJK_FONT) -> str:
    """Make sure matplotlib can draw Chinese with ``family``; return the font file's path."""
    props = font_manager.FontProperties(family=family)
    try:
        return str(font_manager.findfont(props, fallback_to_default=False))
    except ValueError:
        pass
    for folder in _FONT_DIRS:  # installed after matplotlib built its cache: register the files
        for path in folder.rglob("NotoSansCJK*") if folder.is_dir() else []:
            font_manager.fontManager.addfont(str(path))
    try:
        return str(font_manager.findfont(props, fallback_to_default=False))
    except ValueError as exc:
        raise HepingGISError(
            f"no CJK font {family!r} found: Chinese labels would print as boxes. Install it "
            "(Debian/Ubuntu: apt-get install fonts-noto-cjk) and retry"
        ) from exc


def plain_text(text: str) -> str:
    """User text for matplotlib: ``$`` would start mathtext (and a lone one raises), so escape it."""
    return text.replace("$", r"\$")


def _scale_bar(ax: plt.Axes, length_m: float) -> None:
    # matplotlib-scalebar is not a dependency; in a metric CRS a bar is two lines of code
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="black", lw=3, solid_capstyle="butt")
    ax.text(x + length_m / 2, y + 0.012 * (y1 - y0), f"{length_m / 1000:g} km", ha="center", va="bottom", fontsize=8)


def _north(ax: plt.Axes) -> None:
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
    )


def static_map(
    path: str | Path,
    *,
    zone_id: str | None = None,
    dpi: int = 200,
    projects: gpd.GeoDataFrame | None = None,
    name_col: str | None = None,
) -> Path:
    """Draw the overview (or one zone) to ``path``; the suffix picks PNG, SVG or PDF.

    ``projects`` (default: the bundled layer) may be ``read_projects(…).projects`` as it comes or
    any GeoDataFrame with a name column, as for `hepinggis.maps.overview_map`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = static_map(pathlib.Path(tempfile.mkdtemp()) / "overview.png", dpi=60)
    >>> out.stat().st_size > 10_000
    True
    """
    path = Path(path)
    if path.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise HepingGISError(f"{path}: use .png, .svg or .pdf")
    require_cjk_font()
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["svg.fonttype"] = "none"
    plt.rcParams["pdf.fonttype"] = 42
    zones = load("zones").to_crs(MEASURE_CRS)
    if zone_id is not None:
        require_ids(zones, "id", [zone_id], "zones")
    jiedao = load("jiedao").to_crs(MEASURE_CRS)
    belt = load("belt").to_crs(MEASURE_CRS)
    axes_layer = load("axes").to_crs(MEASURE_CRS)
    projects = prepare_projects(load("projects") if projects is None else projects, name_col=name_col)
    colors = category_colors(projects["category"])
    markers = gpd.GeoDataFrame(
        projects.drop(columns="geometry"), geometry=marker_points(projects.geometry), crs=projects.crs
    ).to_crs(MEASURE_CRS)
    target = zones if zone_id is None else zones[zones["id"] == zone_id]
    minx, miny, maxx, maxy = target.total_bounds
    pad = 0.06 * max(maxx - minx, maxy - miny)
    extent = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    ratio = (extent[3] - extent[1]) / (extent[2] - extent[0])
    # the map fills the figure: its height follows the extent's shape; the legend sits beside it
    fig, ax = plt.subplots(figsize=(8.5, min(max(7.0 * ratio, 4.0), 11.0) + 0.8))
    for z in zones.itertuples():
        faint = zone_id is not None and z.id != zone_id
        gpd.GeoSeries([z.geometry], crs=MEASURE_CRS).plot(
            ax=ax, color=ZONE_COLORS.get(z.id, "#999"), alpha=0.15 if faint else 0.55, edgecolor="#333", lw=0.8
        )
    jiedao.boundary.plot(ax=ax, color="#555", lw=0.5, ls="--")
    belt[belt["kind"] == "belt"].plot(ax=ax, color=BELT_COLOR, alpha=0.3, lw=0)
    belt[belt["kind"] == "bank"].plot(ax=ax, color=BELT_COLOR, lw=1.5)
    for axis_id, color in AXIS_COLORS.items():
        axes_layer[(axes_layer["kind"] == "segment") & (axes_layer["axis_id"] == axis_id)].plot(
            ax=ax, color=color, lw=2.5
        )
    for z in zones.itertuples():
        if zone_id is None or z.id == zone_id:
            p = z.geometry.representative_point()
            ax.annotate(
                ZONE_SHORT_ZH.get(z.id, z.name_zh),
                (p.x, p.y),
                ha="center",
                fontsize=9,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0},
            )
    shown = markers if zone_id is None else markers[markers.intersects(zones.set_index("id").loc[zone_id].geometry)]
    for cat, group in shown.groupby("category"):
        sited = group["location_method"].isin(SITED)
        color = colors.get(str(cat), "#333")
        if sited.any():
            group[sited].plot(ax=ax, color=color, markersize=36, edgecolor="black", lw=0.5, zorder=5)
        if (~sited).any():
            group[~sited].plot(ax=ax, facecolor="none", edgecolor=color, markersize=36, lw=1.5, zorder=5)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    span = ax.get_xlim()[1] - ax.get_xlim()[0]
    _scale_bar(ax, 2000 if span > 8000 else 500)
    _north(ax)
    handles: list[Any] = [
        Patch(facecolor=ZONE_COLORS[z.id], alpha=0.55, edgecolor="#333", label=z.name_zh) for z in zones.itertuples()
    ]
    handles += [
        Line2D([], [], color=c, lw=2.5, label=n)
        for n, c in (
            ("南京街城市驱动发展轴", AXIS_COLORS["nanjingjie_axis"]),
            ("三好街创新创业发展轴", AXIS_COLORS["sanhaojie_axis"]),
        )
    ]
    handles.append(Patch(facecolor=BELT_COLOR, alpha=0.3, label="浑河文体旅生态发展带"))
    for cat in category_order(shown["category"]):
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                color=colors[cat],
                markeredgecolor="black",
                label=plain_text(f"项目：{CATEGORY_ZH.get(cat, cat)}"),
            )
        )
    handles.append(
        Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="#333", label="空心：仅知所在范围")
    )
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, framealpha=0.9, borderaxespad=0
    )
    title = PLAN_TITLE_ZH if zone_id is None else f"{PLAN_TITLE_ZH}：{zones.set_index('id').loc[zone_id, 'name_zh']}"
    ax.set_title(title, fontsize=14, fontweight="bold")
    fig.text(
        0.02,
        0.015,
        f"{DATA_DATE_ZH}\n{SOURCE_ZH}\n坐标：CGCS2000 / 3度带高斯-克吕格 CM 123°E (EPSG:4550)",
        fontsize=6,
        color="#444",
        va="bottom",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path
