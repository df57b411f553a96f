"""Static maps (PNG, SVG, PDF) for documents, drawn with matplotlib in EPSG:4550 (metres).

Chinese labels need a CJK font: "Noto Sans CJK SC" (Debian ``fonts-noto-cjk``) is looked up, and
registered from /usr/share/fonts if matplotlib's font cache predates its installation; without it
a clear error is raised instead of printing boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from hepinggis._strict import require_ids
from hepinggis.analysis.projects import SITED
from hepinggis.base._credits import ListCredit
from hepinggis.base._style import (
    AXIS_COLORS,
    BELT_COLOR,
    PLAN_TITLE_ZH,
    ZONE_COLORS,
    ZONE_FILL_OPACITY,
    ZONE_SHORT_ZH,
)
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import HepingGISError
from hepinggis.maps._classes import class_labels, nice_breaks
from hepinggis.maps._fonts import CJK_FONT, font_subsets_once, require_cjk_font, use_cjk_fonts
from hepinggis.maps._plan_shapes import add_shapes, plan_shapes
from hepinggis.maps._sheet_parts import (
    MIN_FONT_PT,
    draw_legend,
    legend_handles,
    north_arrow,
    quiet_redraws,
    scale_bar,
    title_and_credits,
)
from hepinggis.maps._sheet_parts import plain_text as plain_text  # where the monitor's PDFs import it
from hepinggis.maps._static_data import StaticData, static_data
from hepinggis.maps._web import label_points
from hepinggis.plan.layers import load

__all__ = [
    "CJK_FONT",
    "MIN_FONT_PT",
    "PAPER_CM",
    "Layout",
    "StaticData",
    "layout_of",
    "require_cjk_font",
    "static_data",
    "static_layout",
    "static_map",
    "static_maps",
]

#: Drawing order on the map (matplotlib zorder): zone and belt fills, then the density hexagons,
#: the 街道 lines, axes and banks (2), the zone outlines, the markers, and above everything
#: the scale bar and north arrow (`_sheet_parts.FURNITURE_Z`) and the zone names.
_Z_DENSITY = 1.5
_Z_OUTLINE = 3.0
_Z_MARKERS = 5.0


#: Options of ``savefig`` by file type. PNG: zlib level 3 instead of Pillow's 6, about a third less
#: processor time for the same pixels, the files a little smaller (the maps' flat colours compress
#: as well at level 3; the bundled package's seven PNGs 1,737,444 → 1,721,248 bytes).
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {".png": {"pil_kwargs": {"compress_level": 3}}}

#: Paper sizes in centimetres (portrait), and the default document figure (16 cm: A4's text width).
PAPER_CM: dict[str, tuple[float, float]] = {"A4": (21.0, 29.7), "A3": (29.7, 42.0)}
DOCUMENT_WIDTH_CM = 16.0
_CM = 1 / 2.54
_MARKER_PT = 7.0  # marker diameter in points
#: Above this many projects the markers shrink to `SMALL_MARKER_PT`; above `DENSITY_ABOVE` the map
#: shades project density (hexagons, classed, with the count in the legend) instead of markers.
SMALL_MARKERS_ABOVE = 300
SMALL_MARKER_PT = 3.5
DENSITY_ABOVE = 2000
DENSITY_CELL_M = 600.0


@dataclass
class Layout:
    """Where the static map put its text and markers (display pixels), for checking legibility."""

    figure: Figure
    label_boxes: list[Bbox] = field(default_factory=list)
    marker_boxes: list[Bbox] = field(default_factory=list)

    def smallest_font_pt(self) -> float:
        sizes = [t.get_fontsize() for t in self.figure.findobj(Text) if t.get_text().strip() and t.get_visible()]
        return float(min(sizes))


def _figure_size(paper: str | None, orientation: str, ratio: float) -> tuple[float, float, bool]:
    """(width, height) in inches and whether the legend goes beside the map (else below it)."""
    if paper is None:
        width = DOCUMENT_WIDTH_CM * _CM
        return width, min(max(width * ratio * 0.78, 3.5), 9.0) + 2.2, False
    if paper not in PAPER_CM:
        raise HepingGISError(f"paper must be one of {', '.join(PAPER_CM)}, not {paper!r}")
    if orientation not in ("portrait", "landscape"):
        raise HepingGISError(f"orientation must be 'portrait' or 'landscape', not {orientation!r}")
    w, h = PAPER_CM[paper]
    if orientation == "landscape":
        w, h = h, w
    return w * _CM, h * _CM, orientation == "landscape"


def _free(box: Bbox, others: np.ndarray) -> bool:
    """No overlap between ``box`` and any of ``others`` (rows x0, y0, x1, y1), vectorised so that
    labels place in bounded time among thousands of markers."""
    if len(others) == 0:
        return True
    return not bool(
        ((others[:, 0] < box.x1) & (others[:, 2] > box.x0) & (others[:, 1] < box.y1) & (others[:, 3] > box.y0)).any()
    )


def _extents(boxes: list[Bbox]) -> np.ndarray:
    return np.array([b.extents for b in boxes], dtype=float).reshape(-1, 4)


def _draw_density(ax: Axes, shown: gpd.GeoDataFrame, extent: tuple[float, float, float, float]) -> list[Any]:
    """Projects as density (hexagons about `DENSITY_CELL_M` across, classed by quantiles); returns
    the legend handles, which give the classes and the number of projects."""
    x, y = shown.geometry.x.to_numpy(), shown.geometry.y.to_numpy()
    gridsize = max(4, int((extent[2] - extent[0]) / DENSITY_CELL_M))
    box = (extent[0], extent[2], extent[1], extent[3])  # hexbin's order: xmin, xmax, ymin, ymax
    hb = ax.hexbin(
        x,
        y,
        gridsize=gridsize,
        mincnt=1,
        extent=box,
        linewidths=0.2,
        edgecolors="white",
        zorder=_Z_DENSITY,
        alpha=0.8,
    )
    hb.set_gid("density")
    counts = np.asarray(hb.get_array(), dtype=float)
    bins = nice_breaks(counts)  # round bounds: 1–10, 11–50 … (not "12–301 个/格")
    scale = plt.get_cmap("YlOrRd")
    palette = [scale(0.2 + 0.75 * i / max(1, len(bins) - 1)) for i in range(len(bins))]
    hb.set_cmap(ListedColormap(palette))
    hb.set_norm(BoundaryNorm([0.5, *(bins + 0.5)], len(bins)))
    handles: list[Any] = [
        Patch(facecolor=palette[i], edgecolor="white", label=f"项目密度 {text}")
        for i, text in enumerate(class_labels(bins))
    ]
    handles.append(
        Patch(facecolor="none", edgecolor="none", label=f"共 {len(shown)} 项（六边形格约 {DENSITY_CELL_M:.0f} m）")
    )
    return handles


def _place_labels(ax: Axes, items: list[tuple[str, float, float, float]], avoid: list[Bbox], size: float) -> list[Bbox]:
    """Put each (text, x, y, room) label at its point, or the nearest candidate around it (within
    ``room`` metres) whose box touches no marker and no label already placed; labels are drawn
    above everything, so they are never covered."""
    renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[Bbox] = []
    fixed = _extents(avoid)
    for text, x, y, room in items:
        artist = ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=size,
            fontweight="bold",
            zorder=20,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0},
        )
        steps = [(0.0, 0.0)] + [
            (r * np.cos(a), r * np.sin(a))
            for r in (room * 0.25, room * 0.5, room * 0.8)
            for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)
        ]
        for dx, dy in steps:
            artist.set_position((x + dx, y + dy))
            box = artist.get_window_extent(renderer).expanded(1.05, 1.1)
            if _free(box, np.vstack([fixed, _extents(placed)])):
                break
        placed.append(artist.get_window_extent(renderer))
    return placed


def _shown_markers(markers: gpd.GeoDataFrame, target: gpd.GeoDataFrame, zone_id: str | None) -> gpd.GeoDataFrame:
    """The markers drawn: all of them, those in the zone for a zone map."""
    return markers if zone_id is None else markers[markers.intersects(target.geometry.iloc[0])]


def _extent(target: gpd.GeoDataFrame, shown: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    frame = gpd.GeoSeries([*target.geometry, *shown.geometry], crs=MEASURE_CRS)
    minx, miny, maxx, maxy = frame.total_bounds
    pad = 0.05 * max(maxx - minx, maxy - miny)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _sheet(
    paper: str | None, orientation: str, extent: tuple[float, float, float, float], dpi: int
) -> tuple[Figure, Axes, tuple[float, float, float, float], float, bool]:
    """The figure and its regions in figure fractions: title on top, credit at the foot, the map,
    and the legend beside or below it. Returns (figure, map axes, legend box, height in inches,
    legend beside)."""
    ratio = (extent[3] - extent[1]) / (extent[2] - extent[0])
    width, height, beside = _figure_size(paper, orientation, ratio)
    fig = plt.figure(figsize=(width, height), dpi=dpi)
    quiet_redraws(fig)
    foot = 0.95 / height  # inches → fraction: three credit lines at 7 pt
    top = 1 - 0.45 / height
    if beside:
        ax = fig.add_axes((0.02, foot + 0.01, 0.70, top - foot - 0.02))
        legend_box = (0.73, foot + 0.01, 0.26, top - foot - 0.02)
    else:
        legend_h = 1.55 / height
        ax = fig.add_axes((0.02, foot + legend_h, 0.96, top - foot - legend_h - 0.01))
        legend_box = (0.02, foot, 0.96, legend_h)
    return fig, ax, legend_box, height, beside


def _draw_plan(ax: Axes, data: StaticData, zone_id: str | None) -> None:
    """Zones (the others faint on a zone map), 街道 lines, the belt and its banks, the axes. The
    zone outlines are drawn apart, above the density hexagons (`_Z_OUTLINE`). The shapes are made
    once per process (`plan_shapes`): each map only adds them."""
    shapes = plan_shapes(data)
    for z, zone in zip(data.zones.itertuples(), shapes.zones, strict=True):
        faint = zone_id is not None and z.id != zone_id
        add_shapes(ax, zone, ZONE_COLORS.get(z.id, "#999"), alpha=0.2 if faint else ZONE_FILL_OPACITY, lw=0)
    for outlines in add_shapes(ax, shapes.outlines, "#333", lw=0.8, zorder=_Z_OUTLINE):
        outlines.set_gid("zone-outlines")
    add_shapes(ax, shapes.jiedao, "#444", lw=0.6, ls="--")
    add_shapes(ax, shapes.belt, BELT_COLOR, alpha=0.3, lw=0)
    add_shapes(ax, shapes.banks, BELT_COLOR, lw=1.5)
    for color, segments in zip(AXIS_COLORS.values(), shapes.axes, strict=True):
        add_shapes(ax, segments, color, lw=2.5)


def _draw_projects(
    ax: Axes, shown: gpd.GeoDataFrame, colors: dict[str, str], extent: tuple[float, float, float, float]
) -> tuple[float, list[Any]]:
    """Markers by category (circles for sites, diamonds for extents; smaller above
    `SMALL_MARKERS_ABOVE`), or density shading above `DENSITY_ABOVE`. Returns the marker size in
    points and the density legend's handles."""
    marker_pt = _MARKER_PT if len(shown) <= SMALL_MARKERS_ABOVE else SMALL_MARKER_PT
    if len(shown) > DENSITY_ABOVE:
        return marker_pt, _draw_density(ax, shown, extent)
    ms = marker_pt**2
    lw = 0.8 if marker_pt == _MARKER_PT else 0.3
    for cat, group in shown.groupby("category"):
        sited = group["location_method"].isin(SITED).to_numpy()
        color = colors.get(str(cat), "#333")
        xy = shapely.get_coordinates(group.geometry.values)  # the markers are points
        x, y = xy[:, 0], xy[:, 1]
        if sited.any():  # as GeoSeries.plot draws points (scatter), without its per-call work
            ax.scatter(x[sited], y[sited], color=color, s=ms, marker="o", edgecolor="white", lw=lw, zorder=_Z_MARKERS)
        if (~sited).any():
            ax.scatter(
                x[~sited], y[~sited], color=color, s=ms * 0.8, marker="D", edgecolor="#222", lw=lw, zorder=_Z_MARKERS
            )
    return marker_pt, []


def _label_zones(
    fig: Figure, ax: Axes, labelled: gpd.GeoDataFrame, shown: gpd.GeoDataFrame, marker_pt: float, density: bool
) -> tuple[list[Bbox], list[Bbox]]:
    """Zone names placed clear of the markers (in display pixels, after the map is drawn)."""
    ax.apply_aspect()  # the axes as drawn (equal aspect), without drawing the whole map twice
    to_px = ax.transData.transform
    r_px = marker_pt / 2 * fig.dpi / 72 * 1.4
    centres: Any = to_px(np.column_stack([shown.geometry.x, shown.geometry.y])) if len(shown) and not density else []
    marker_boxes = [Bbox.from_extents(x - r_px, y - r_px, x + r_px, y + r_px) for x, y in centres]
    items = []
    for z, pt in zip(labelled.itertuples(), label_points(labelled.geometry), strict=True):
        room = float(np.sqrt(z.geometry.area) / 3)
        items.append((ZONE_SHORT_ZH.get(z.id, z.name_zh), pt.x, pt.y, room))
    return _place_labels(ax, items, marker_boxes, 9.0), marker_boxes


def static_layout(
    *,
    zone_id: str | None = None,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    paper: str | None = None,
    orientation: str = "portrait",
    dpi: int = 200,
    credit: ListCredit | None = None,
) -> Layout:
    """Draw the overview (or one zone) and return the figure with where its labels and markers went.

    ``paper=None`` makes a 16 cm wide figure (A4's text width: it goes into a document at its own
    size); ``"A4"``/``"A3"`` with ``orientation`` fill the sheet. Type is never smaller than
    `MIN_FONT_PT` at that size, zone names are placed clear of the project markers and drawn above
    them, and the credit line stays at the foot of the sheet.
    """
    if zone_id is not None:
        require_ids(load("zones"), "id", [zone_id], "zones")
    data = static_data(projects, name_col=name_col, credit=credit)
    return layout_of(data, zone_id=zone_id, paper=paper, orientation=orientation, dpi=dpi)


def layout_of(
    data: StaticData,
    *,
    zone_id: str | None = None,
    paper: str | None = None,
    orientation: str = "portrait",
    dpi: int = 200,
) -> Layout:
    """`static_layout` drawn from `StaticData` made once (``hepinggis build`` shares it)."""
    use_cjk_fonts()
    zones = data.zones
    if zone_id is not None:
        require_ids(zones, "id", [zone_id], "zones")
    projects, colors = data.projects, data.colors
    target = zones if zone_id is None else zones[zones["id"] == zone_id]
    shown = _shown_markers(data.markers, target, zone_id)
    extent = _extent(target, shown)
    fig, ax, legend_box, height, beside = _sheet(paper, orientation, extent, dpi)
    _draw_plan(ax, data, zone_id)
    marker_pt, density_handles = _draw_projects(ax, shown, colors, extent)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    scale_bar(ax, 2000 if extent[2] - extent[0] > 8000 else 500)
    north_arrow(ax)
    density = len(shown) > DENSITY_ABOVE
    label_boxes, marker_boxes = _label_zones(fig, ax, target, shown, marker_pt, density)
    draw_legend(fig, legend_box, beside, legend_handles(zones, shown, colors, density_handles if density else None))
    title = PLAN_TITLE_ZH if zone_id is None else f"{PLAN_TITLE_ZH}：{zones.set_index('id').loc[zone_id, 'name_zh']}"
    title_and_credits(fig, height, title, projects, data.credit)
    return Layout(fig, label_boxes, marker_boxes)


def static_map(
    path: str | Path,
    *,
    zone_id: str | None = None,
    dpi: int = 200,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    paper: str | None = None,
    orientation: str = "portrait",
    credit: ListCredit | None = None,
) -> Path:
    """Draw the overview (or one zone) to ``path``; the suffix picks PNG, SVG or PDF.

    ``projects`` (default: the bundled layer) may be ``read_projects(…)`` (credited by its file),
    its ``.projects`` (``credit`` then says where it came from) or any GeoDataFrame with a name
    column, as for `hepinggis.maps.overview_map`. ``paper`` (``"A4"``,
    ``"A3"``) and ``orientation`` lay the map out for printing at 100 %; without them the figure is
    16 cm wide, for documents. See `static_layout`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = static_map(pathlib.Path(tempfile.mkdtemp()) / "overview.png", dpi=60)
    >>> out.stat().st_size > 10_000
    True
    """
    path = Path(path)
    _check_suffix(path)
    if zone_id is not None:
        require_ids(load("zones"), "id", [zone_id], "zones")
    data = static_data(projects, name_col=name_col, credit=credit)
    return static_maps(data, [path], zone_id=zone_id, dpi=dpi, paper=paper, orientation=orientation)[0]


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in {".png", ".svg", ".pdf"}:
        raise HepingGISError(f"{path}: use .png, .svg or .pdf")


def static_maps(
    data: StaticData,
    paths: list[Path],
    *,
    zone_id: str | None = None,
    dpi: int = 200,
    paper: str | None = None,
    orientation: str = "portrait",
) -> list[Path]:
    """One map drawn once from ``data`` and saved to each of ``paths`` (PNG, SVG, PDF by suffix):
    the same figure `static_map` would draw for each of them, laid out once."""
    for path in paths:
        _check_suffix(path)
    layout = layout_of(data, zone_id=zone_id, paper=paper, orientation=orientation, dpi=dpi)
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            with font_subsets_once():
                layout.figure.savefig(path, dpi=dpi, **_SAVE_OPTIONS.get(path.suffix.lower(), {}))
    finally:
        plt.close(layout.figure)
    return paths
