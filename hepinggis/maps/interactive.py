"""Interactive briefing maps (folium): overview, one per zone, choropleths; and offline HTML.

Every map is a `folium.Map`, so a notebook shows it inline. Every user string that reaches HTML
is escaped in Python first. On a GCJ-02 basemap (AMap/Gaode) every overlay is shifted to GCJ-02
so it lines up with the tiles; on the others it stays WGS 84.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.colormap import linear

from hepinggis._strict import require_ids
from hepinggis.analysis.projects import SITED, marker_freedom
from hepinggis.base._credits import ListCredit, projects_credit
from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.base._texts import plan_source_zh
from hepinggis.base.measure import geodesic_area
from hepinggis.errors import HepingGISError
from hepinggis.maps._frame import _LEGEND_PX, _RIGHT_PANEL_PX, _bounds, _start, _title
from hepinggis.maps._leaflet import HtmlControl, esc, inline_assets, notebook_assets, write_page
from hepinggis.maps._map_data import MapData, map_data, zone_of_markers
from hepinggis.maps._map_layers import (
    axes_layer,
    belt_layer,
    density_rows,
    jiedao_layer,
    legend,
    projects_layer,
    sub_areas_layer,
    zone_labels,
    zone_layer,
)
from hepinggis.maps._web import marker_points
from hepinggis.plan.layers import layer_metadata, load

__all__ = [
    "MapData",
    "choropleth_map",
    "map_data",
    "notebook_assets",
    "overview_map",
    "overview_of",
    "save_html",
    "zone_map",
    "zone_map_of",
]


def overview_map(
    *,
    basemap: str = "osm",
    key: str | None = None,
    cluster_above: int = 40,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    credit: ListCredit | None = None,
) -> folium.Map:
    """The overview: zones (named), 街道, both axes with their segments, the belt and every project.

    The view is fitted to the district at a fractional zoom; the legend lists exactly the layers
    drawn; projects with a site are filled circles, those known only by their area are dashed
    diamonds, spread so that none hides another.

    Parameters
    ----------
    basemap : str
        ``osm`` (default), ``positron``, ``tianditu_vec``, ``tianditu_img``, ``gaode`` (GCJ-02: the
        overlays are shifted to match), ``gaode_satellite`` or ``none`` (no tiles: works offline).
    key : str, optional
        Tianditu key (else ``$HEPINGGIS_TIANDITU_KEY``).
    cluster_above : int
        Projects are clustered when there are more than this many.
    projects : geopandas.GeoDataFrame or ImportResult, optional
        Projects to show instead of the bundled layer: ``read_projects(…)`` (credited by its file
        and day) or its ``.projects``, or any GeoDataFrame of points/lines/polygons with a name
        column (completed by `hepinggis.projects.prepare_projects`; categories are free text, each
        with a stable colour).
    name_col : str, optional
        The column holding the names, where it is not one of the usual ones.
    credit : ListCredit, optional
        The list's credit (``ImportResult.credit``) where ``projects`` is a table.

    Returns
    -------
    folium.Map
        The map; `save_html` writes it as one page that opens offline.

    Examples
    --------
    >>> m = overview_map(basemap="none")
    >>> type(m).__name__
    'Map'
    """
    data = map_data(projects, name_col=name_col, credit=credit)
    return overview_of(data, basemap=basemap, key=key, cluster_above=cluster_above)


def overview_of(data: MapData, *, basemap: str = "osm", key: str | None = None, cluster_above: int = 40) -> folium.Map:
    """`overview_map` drawn from `MapData` made once (``hepinggis build`` shares it among its maps)."""
    zones, projects, counts = data.zones, data.projects, data.counts
    m, bm = _start(_bounds(data.district), basemap, key, right_px=_LEGEND_PX)
    gcj = bm.is_gcj02
    sections = [("六区", zone_layer(m, zones, gcj, counts=counts))]
    sections.append(("街道", jiedao_layer(m, gcj, counts=counts, jiedao=data.jiedao, zones=zones)))
    sections.append(("一带", belt_layer(m, gcj, belt=data.belt)))
    sections.append(("两轴", axes_layer(m, gcj, axes=data.axes)))
    colors = data.colors
    sections.append(("项目密度", density_rows(m, projects, gcj, cluster_above, points=data.markers)))
    filters = (
        "项目类别（勾选以筛选）",
        projects_layer(m, projects, colors, gcj, cluster_above, data.where, points=data.markers),
    )
    zone_labels(m, zones, {}, gcj)
    legend(m, [filters, *sections])  # the filter first: in view without scrolling on a laptop
    _title(m, "总览：功能区、发展轴、浑河带与项目", projects_credit(projects, data.credit))
    folium.LayerControl(position="topleft", collapsed=True).add_to(m)
    return m


#: A zone's side panel names at most this many projects (the map and the workbook hold them all).
PANEL_LIST_MAX = 100


def _zone_panel(
    row: Any, zone: gpd.GeoDataFrame, subs: gpd.GeoDataFrame, mine: gpd.GeoDataFrame, unplaced: list[str]
) -> str:
    digitized = float(geodesic_area(zone).iloc[0])
    panel = [
        f"<p>{esc(row['name_en'])}</p>",
        f"<h4>发展定位</h4><p>{esc(row['positioning_zh'])}</p>",
        f"<h4>区域范围</h4><p>行政区域：{esc(row['jiedao_zh'])}</p><p>规划四至：{esc(row['sizhi_zh'])}</p>",
        f"<h4>面积</h4><p>规划 {row['planned_area_km2']:g} km²；数字化 {digitized:.2f} km²"
        f"（{(digitized / row['planned_area_km2'] - 1) * 100:+.1f}%，边界精度 ±{row['accuracy_m']:.0f} m）</p>",
        f"<h4>2025年发展目标</h4><p>{esc(row['targets_2025_zh'])}</p>",
        f"<h4>发展重点（已标注 {len(subs)}）</h4><p>{esc('、'.join(subs['name_zh']))}</p>",
    ]
    if unplaced:
        panel.append(f"<p style='color:#666'>未能定位：{esc('、'.join(unplaced))}</p>")
    items = "".join(
        f'<li class="hg-listed" data-id="{esc(pid)}">{esc(name)}</li>'
        for pid, name in zip(mine["id"][:PANEL_LIST_MAX], mine["name_zh"][:PANEL_LIST_MAX], strict=True)
    )
    more = len(mine) - PANEL_LIST_MAX
    if more > 0:
        items += f"<li class='hg-more' style='color:#666'>另有 {more} 项：见地图（图例可按类别筛选）与统计表</li>"
    panel.append(f"<h4>项目（{len(mine)}）</h4><ul style='margin:2px 0;padding-left:18px'>{items}</ul>")
    panel.append(f"<p style='color:#666'>来源：{esc(plan_source_zh(row['plan_section']))}</p>")
    return "".join(panel)


def zone_map(
    zone_id: str,
    *,
    basemap: str = "osm",
    key: str | None = None,
    cluster_above: int = 40,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    credit: ListCredit | None = None,
) -> folium.Map:
    """One zone: its outline over the others, its sub-areas and projects, and a side panel with its
    定位, 四至, planned vs digitized area and 2025 targets from the plan.

    The view is fitted to the zone and everything its panel lists (projects reaching into the zone,
    sub-areas), clear of the side panel. ``projects``, ``name_col`` and ``credit`` work as in `overview_map`;
    colours follow the categories of the whole table, so they match the overview's.

    Parameters
    ----------
    zone_id : str
        The zone's id (``sanhaojie``, ``nanshichang`` …: ``hepinggis.load("zones")["id"]``).
    basemap, key, cluster_above, projects, name_col, credit
        As for `overview_map`.

    Returns
    -------
    folium.Map
        The zone's map; `save_html` writes it.

    Examples
    --------
    >>> m = zone_map("sanhaojie", basemap="none")
    >>> "三好街" in m.get_root().render()
    True
    """
    require_ids(load("zones"), "id", [zone_id], "zones")
    return zone_map_of(
        map_data(projects, name_col=name_col, credit=credit),
        zone_id,
        basemap=basemap,
        key=key,
        cluster_above=cluster_above,
    )


def zone_map_of(
    data: MapData, zone_id: str, *, basemap: str = "osm", key: str | None = None, cluster_above: int = 40
) -> folium.Map:
    """`zone_map` drawn from `MapData` made once (``hepinggis build`` shares it among its maps)."""
    zones = data.zones
    require_ids(zones, "id", [zone_id], "zones")
    zone = zones[zones["id"] == zone_id]
    row = zone.iloc[0]
    subs = data.sub_areas
    subs = subs[subs["zone_id"] == zone_id]
    projects = data.projects
    colors = data.colors
    shares = data.shares
    mine = projects[projects.index.isin(shares.loc[shares["zone_id"] == zone_id, "feature"])].copy()
    movable = ~mine["location_method"].isin(SITED).to_numpy()
    # a project known only by an extent that spans several zones is somewhere in it: on this zone's
    # map its marker goes into the part inside this zone
    inside = mine.geometry.intersection(zone.geometry.iloc[0])
    mine.loc[movable, "geometry"] = inside[movable]
    free, slack = marker_freedom(mine)
    markers = marker_points(mine.geometry, movable=free, slack_m=slack)
    listed = gpd.GeoSeries([*zone.geometry, *subs.geometry, *markers], crs=4326)
    counts = data.counts  # the whole list: every zone's popup
    m, bm = _start(_bounds(listed, pad=0.001), basemap, key, right_px=_RIGHT_PANEL_PX)
    gcj = bm.is_gcj02
    sections = [("六区", zone_layer(m, zones, gcj, highlight=zone_id, counts=counts))]
    sections.append(("街道", jiedao_layer(m, gcj, counts=counts, jiedao=data.jiedao, zones=zones)))
    sections.append(("一带", belt_layer(m, gcj, belt=data.belt)))
    sections.append(("两轴", axes_layer(m, gcj, axes=data.axes)))
    sections.append(("发展重点", sub_areas_layer(m, subs, gcj)))
    where = zone_of_markers(mine, zones)
    sections.append(("项目密度", density_rows(m, mine, gcj, cluster_above, points=markers)))
    sections.insert(
        0, ("项目类别（勾选以筛选）", projects_layer(m, mine, colors, gcj, cluster_above, where, points=markers))
    )
    zone_labels(m, zones, {}, gcj)
    unplaced = [u["name_zh"] for u in layer_metadata("sub_areas").get("unplaced", []) if u["zone_id"] == zone_id]
    HtmlControl(
        _zone_panel(row, zone, subs, mine, unplaced),
        position="topright",
        css_class="hg-side",
        summary=esc(row["name_zh"]),
    ).add_to(m)
    legend(m, sections)
    _title(m, f"功能区：{row['name_zh']}", projects_credit(projects, data.credit))
    folium.LayerControl(position="topleft", collapsed=True).add_to(m)
    return m


NO_DATA = "#cccccc"


def _classify(data: pd.Series, scheme: str, k: int) -> tuple[np.ndarray, pd.Series]:
    """Upper class bounds and each value's class (mapclassify's ``yb``: class i holds
    bins[i-1] < v <= bins[i], the first also its lower end). Fewer distinct values than ``k``
    give fewer classes; bins that mapclassify repeats are merged."""
    kk = max(1, min(k, int(data.nunique())))
    if kk == 1:
        return np.array([float(data.max())]), pd.Series(0, index=data.index)
    import mapclassify  # scipy behind it: 1-2 s of import, paid only by a choropleth

    try:
        with warnings.catch_warnings():  # "not enough unique values": fewer classes, handled below
            warnings.simplefilter("ignore", UserWarning)
            import mapclassify  # loaded on first use: it pulls in scipy.stats and scikit-learn (≈1 s)

            classifier = mapclassify.classify(data.to_numpy(), scheme=scheme, k=kk)
    except (ValueError, KeyError, AttributeError) as exc:
        raise HepingGISError(f"choropleth_map: mapclassify cannot classify with scheme {scheme!r}: {exc}") from exc
    bins = np.unique(np.asarray(classifier.bins, dtype=float))
    classes = np.searchsorted(bins, data.to_numpy(), side="left")  # v <= bins[i]: mapclassify's rule
    return bins, pd.Series(classes, index=data.index)


def _class_colors(n: int) -> list[str]:
    """``n`` sequential colours (ColorBrewer YlOrRd via branca), light to dark."""
    scale = linear.YlOrRd_09.scale(0, 1)  # type: ignore[attr-defined]
    if n == 1:
        return [str(scale.rgb_hex_str(0.55))]
    return [str(scale.rgb_hex_str(0.12 + 0.83 * i / (n - 1))) for i in range(n)]


def choropleth_map(
    values: pd.Series,
    *,
    title: str,
    unit: str = "",
    scheme: str = "Quantiles",
    k: int = 5,
    basemap: str = "osm",
    key: str | None = None,
    credit: str | None = None,
) -> folium.Map:
    """Zones coloured by a per-zone statistic (index: zone ids), classified with mapclassify.

    Parameters
    ----------
    values : pandas.Series
        One number per zone id; zones missing from it are drawn grey and listed as "无数据".
    title : str
        The statistic's name, shown in the legend and the popups (Chinese, e.g. ``项目数``).
    unit : str
        Its unit, after each figure (``个``, ``亿元`` …).
    scheme : str
        A mapclassify classifier name (``Quantiles``, ``NaturalBreaks``, ``EqualInterval`` …); ``k``
        is reduced to the number of distinct values when there are fewer.
    k : int
        The number of classes.
    basemap, key
        As for `overview_map` (``none``: no tiles, works offline).
    credit : str, optional
        A line crediting the data the values come from (e.g. `projects_credit` of a project list).

    Returns
    -------
    folium.Map
        The map; `save_html` writes it.

    Examples
    --------
    >>> import hepinggis
    >>> counts = hepinggis.projects_by_zone(hepinggis.load("projects"), hepinggis.load("zones"))["projects_any_share"]
    >>> m = choropleth_map(counts, title="项目数", basemap="none")
    >>> "项目数" in m.get_root().render()
    True
    """
    zones = load("zones")
    known = values.reindex(zones["id"])
    data = known.dropna().astype(float)
    if data.empty:
        raise HepingGISError("choropleth_map: no value for any zone id")
    bins, classes = _classify(data, scheme, k)
    palette = _class_colors(len(bins))
    fill = {zid: (palette[int(classes[zid])] if zid in data.index else NO_DATA) for zid in zones["id"]}
    m, bm = _start(_bounds(load("district")), basemap, key, right_px=_LEGEND_PX)
    zone_layer(m, zones, bm.is_gcj02, fill=fill, opacity=0.85)
    texts = {
        zid: f"{ZONE_SHORT_ZH.get(zid, zid)} {'无数据' if pd.isna(v) else f'{v:g}{unit}'}"
        for zid, v in zip(zones["id"], known, strict=True)
    }
    zone_labels(m, zones, texts, bm.is_gcj02)
    lows = [float(data.min()), *bins[:-1]]
    rows = [
        f'<p class="hg-class" data-color="{palette[i]}" data-count="{int((classes == i).sum())}" '
        f'data-lo="{float(lo)!r}" data-hi="{float(hi)!r}" data-closed-lo="{int(i == 0)}">'
        f'<i style="background:{palette[i]}"></i>{"[" if i == 0 else "("}{lo:g}, {hi:g}]{esc(unit)}'
        f"（{int((classes == i).sum())}）</p>"
        for i, (lo, hi) in enumerate(zip(lows, bins, strict=True))
    ]
    if known.isna().any():
        rows.append(f'<p><i style="background:{NO_DATA}"></i>无数据</p>')
    rule = "分级：mapclassify {}；区间含上限，“(”不含下限，首级“[”含下限；括号内为功能区数"
    HtmlControl(
        f"<p style='color:#666'>{esc(rule.format(scheme))}</p>" + "".join(rows),
        position="bottomright",
        css_class="hg-legend",
        summary=esc(title),
    ).add_to(m)
    _title(m, f"专题图：{title}", credit)
    return m


def save_html(m: folium.Map, path: str | Path, *, offline: bool = True) -> Path:
    """Write ``m`` as one HTML file; with ``offline=True`` Leaflet and every plugin are inlined from
    the vendored copies, so (with basemap ``none``) the page references no external URL at all.

    Parameters
    ----------
    m : folium.Map
        A map of this package (`overview_map`, `zone_map`, `choropleth_map` …) or any folium map.
    path : str or Path
        The HTML file to write (its folder is made if missing).
    offline : bool
        Inline Leaflet and the plugins (default); False leaves folium's links to a CDN.

    Returns
    -------
    Path
        ``path``, written.

    Raises
    ------
    HepingGISError
        ``offline=True`` and the page would still load something from the network.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = save_html(zone_map("sanhaojie", basemap="none"), pathlib.Path(tempfile.mkdtemp()) / "三好街.html")
    >>> text = page.read_text(encoding="utf-8")
    >>> "三好街" in text, "https://cdn" in text
    (True, False)
    """
    page = m.get_root().render()
    if offline:
        page = inline_assets(page)
    return write_page(page, Path(path))
