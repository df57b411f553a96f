"""Interactive briefing maps (folium): overview, one per zone, choropleths; and offline HTML.

Every map is a `folium.Map`, so a notebook shows it inline. Every user string that reaches HTML
is escaped in Python first. On a GCJ-02 basemap (AMap/Gaode) every overlay is shifted to GCJ-02
so it lines up with the tiles; on the others it stays WGS 84.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
from branca.colormap import linear
from folium.plugins import Fullscreen, MeasureControl

from ._leaflet import (
    GeoJsonOverlay,
    HtmlControl,
    esc,
    inline_assets,
    label,
    new_map,
    notebook_assets,
    use_assets,
    write_page,
)
from ._strict import require_ids
from ._style import (
    AXIS_COLORS,
    BELT_COLOR,
    CATEGORY_ZH,
    DATA_DATE_ZH,
    LOCATION_ZH,
    PLAN_TITLE_ZH,
    SEGMENT_DASH,
    SOURCE_ZH,
    STATUS_ZH,
    ZONE_COLORS,
)
from ._web import feature_collection, marker_points, popup_table
from .assign import zone_shares
from .basemaps import Basemap, basemap
from .errors import HepingGISError
from .layers import layer_metadata, load
from .measure import geodesic_area, geodesic_length
from .projects import SITED, category_colors, category_order, prepare_projects

__all__ = ["choropleth_map", "notebook_assets", "overview_map", "save_html", "zone_map"]


def _bounds(frame: gpd.GeoDataFrame, pad: float = 0.004) -> list[list[float]]:
    minx, miny, maxx, maxy = frame.total_bounds
    return [[miny - pad, minx - pad], [maxy + pad, maxx + pad]]


def _start(bounds: list[list[float]], name: str, key: str | None) -> tuple[folium.Map, Basemap]:
    bm = basemap(name, key=key)
    m = new_map(bounds)
    for i, tiles in enumerate(bm.tiles):
        folium.TileLayer(
            tiles, name=f"{bm.title_zh}" if i == 0 else f"{bm.title_zh} 注记", overlay=i > 0, control=True
        ).add_to(m)
    fs = Fullscreen(position="topleft", title="全屏", title_cancel="退出全屏")
    use_assets(fs, "fullscreen_js", "fullscreen_css")
    fs.add_to(m)
    measure = MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    )
    use_assets(measure, "measure_js", "measure_css")
    measure.add_to(m)
    return m, bm


def _title(m: folium.Map, subtitle: str) -> None:
    html = (
        f'<div class="hg-north" title="上北下南">▲<br>N</div><h3>{esc(PLAN_TITLE_ZH)}</h3>'
        f"<p><b>{esc(subtitle)}</b></p><p>{esc(DATA_DATE_ZH)}</p><p style='color:#666'>{esc(SOURCE_ZH)}</p>"
    )
    HtmlControl(html, position="bottomleft", css_class="hg-title").add_to(m)


def _zone_layer(
    m: folium.Map | folium.FeatureGroup,
    zones: gpd.GeoDataFrame,
    gcj02: bool,
    *,
    highlight: str | None = None,
    fill: dict[str, str] | None = None,
    opacity: float = 0.4,
) -> None:
    areas = geodesic_area(zones)

    def props(row: Any) -> dict[str, Any]:
        color = (fill or ZONE_COLORS).get(row["id"], "#999999")
        faint = highlight is not None and row["id"] != highlight
        digitized = float(areas.loc[row.name])
        return {
            "_s": {
                "color": "#333333" if not faint else "#999999",
                "weight": 2 if not faint else 1,
                "fillColor": color,
                "fillOpacity": 0.12 if faint else opacity,
                "className": f"hg-zone hg-zone-{row['id']}",
            },
            "_t": esc(row["name_zh"]),
            "_p": popup_table(
                row["name_zh"],
                [
                    ("行政区域", row["jiedao_zh"]),
                    ("规划四至", row["sizhi_zh"]),
                    ("规划面积", f"{row['planned_area_km2']:g} km²"),
                    ("数字化面积", f"{digitized:.2f} km²（{(digitized / row['planned_area_km2'] - 1) * 100:+.1f}%）"),
                    ("边界精度", f"±{row['accuracy_m']:.0f} m"),
                    ("规划章节", row["plan_section"]),
                ],
            ),
        }

    group = folium.FeatureGroup(name="六区（功能区）", overlay=True, control=True)
    GeoJsonOverlay(feature_collection(zones, props, gcj02=gcj02)).add_to(group)
    group.add_to(m)


def _jiedao_layer(m: folium.Map, gcj02: bool) -> None:
    jiedao = load("jiedao")
    group = folium.FeatureGroup(name="街道（示意分界）", overlay=True, control=True, show=True)
    GeoJsonOverlay(
        feature_collection(
            jiedao,
            lambda r: {
                "_s": {"color": "#555555", "weight": 1, "dashArray": "4 4", "fill": False, "className": "hg-jiedao"},
                "_t": esc(r["name_zh"]),
            },
            gcj02=gcj02,
        )
    ).add_to(group)
    group.add_to(m)


def _belt_layer(m: folium.Map, gcj02: bool) -> None:
    belt = load("belt")
    lengths = geodesic_length(belt)

    def props(r: Any) -> dict[str, Any]:
        bank = r["kind"] == "bank"
        style = (
            {"color": BELT_COLOR, "weight": 3, "className": "hg-bank"}
            if bank
            else {
                "color": BELT_COLOR,
                "weight": 1,
                "fillColor": BELT_COLOR,
                "fillOpacity": 0.25,
                "className": "hg-belt",
            }
        )
        rows: list[tuple[str, object]] = [("范围", r["extent_zh"]), ("规划长度", f"{r['planned_length_km']:g} km")]
        if bank:
            rows.append(("数字化长度", f"{float(lengths.loc[r.name]):.2f} km"))
        return {"_s": style, "_t": esc(r["name_zh"]), "_p": popup_table(r["name_zh"], rows)}

    group = folium.FeatureGroup(name="一带（浑河文体旅生态发展带）", overlay=True, control=True)
    GeoJsonOverlay(feature_collection(belt, props, gcj02=gcj02)).add_to(group)
    group.add_to(m)


def _axes_layer(m: folium.Map, gcj02: bool) -> None:
    axes = load("axes")
    segments = axes[axes["kind"] == "segment"].copy()
    lengths = geodesic_length(segments)
    dash_index: dict[str, int] = {}

    def props(r: Any) -> dict[str, Any]:
        k = dash_index.setdefault(r["id"], len(dash_index) % len(SEGMENT_DASH))
        style: dict[str, Any] = {
            "color": AXIS_COLORS.get(r["axis_id"], "#333333"),
            "weight": 5,
            "opacity": 0.9,
            "className": "hg-axis",
        }
        if SEGMENT_DASH[k]:
            style["dashArray"] = SEGMENT_DASH[k]
        return {
            "_s": style,
            "_t": esc(r["name_zh"]),
            "_p": popup_table(
                r["name_zh"],
                [
                    ("范围", r["extent_zh"]),
                    ("定位", r["positioning_zh"]),
                    ("数字化长度", f"{float(lengths.loc[r.name]):.2f} km"),
                    ("精度", f"±{r['accuracy_m']:.0f} m"),
                ],
            ),
        }

    for axis_id in segments["axis_id"].unique():
        dash_index.clear()
        part = segments[segments["axis_id"] == axis_id]
        name = axes.loc[axes["id"] == axis_id, "name_zh"].iloc[0]
        group = folium.FeatureGroup(name=label(f"发展轴：{name}"), overlay=True, control=True)
        GeoJsonOverlay(feature_collection(part, props, gcj02=gcj02)).add_to(group)
        group.add_to(m)


def _location_text(r: Any) -> str:
    where = LOCATION_ZH.get(r["location_method"], r["location_method"])
    accuracy = "精度未知" if pd.isna(r["accuracy_m"]) else f"精度 ±{r['accuracy_m']:.0f} m"
    return f"{where}，{accuracy}"


def _project_props(r: Any, colors: dict[str, str]) -> dict[str, Any]:
    sited = r["location_method"] in SITED
    color = colors.get(str(r["category"]), "#333333")
    style = {
        "radius": 6 if sited else 7,
        "color": color if sited else "#333333",
        "weight": 1 if sited else 2,
        "fillColor": color,
        "fillOpacity": 0.9 if sited else 0.35,
        "className": "hg-project",
    }
    if not sited:
        style["dashArray"] = "3 2"
    return {
        "_s": style,
        "_t": f"{esc(r['name_zh'])}（{esc(STATUS_ZH.get(r['status'], r['status']))}）",
        "_p": popup_table(
            r["name_zh"],
            [
                ("类别", CATEGORY_ZH.get(r["category"], r["category"])),
                ("状态", STATUS_ZH.get(r["status"], r["status"])),
                ("年份", None if pd.isna(r["year"]) else int(r["year"])),
                ("投资", None if pd.isna(r["investment_cny"]) else f"{r['investment_cny'] / 1e8:g} 亿元"),
                ("位置", _location_text(r)),
                ("位置说明", r["method"]),
                ("来源", r["source_doc"]),
                ("原文", r["source_quote"]),
            ],
        ),
    }


def _projects_layer(
    m: folium.Map, projects: gpd.GeoDataFrame, colors: dict[str, str], gcj02: bool, cluster_above: int
) -> None:
    group = folium.FeatureGroup(name=f"项目（{len(projects)}）", overlay=True, control=True)
    shapes = projects[projects["location_method"].isin(["line", "footprint"]) & (projects.geom_type != "Point")]
    if len(shapes):
        GeoJsonOverlay(
            feature_collection(
                shapes,
                lambda r: {
                    "_s": {
                        "color": colors.get(str(r["category"]), "#333333"),
                        "weight": 4 if r["location_method"] == "line" else 2,
                        "opacity": 0.8,
                        "fillOpacity": 0.25,
                        "className": "hg-project-line" if r["location_method"] == "line" else "hg-project-area",
                    },
                    "_t": esc(r["name_zh"]),
                },
                gcj02=gcj02,
            )
        ).add_to(group)
    markers = projects.copy()
    markers["geometry"] = marker_points(projects.geometry)
    GeoJsonOverlay(
        feature_collection(markers, lambda r: _project_props(r, colors), gcj02=gcj02),
        cluster=len(markers) > cluster_above,
    ).add_to(group)
    group.add_to(m)


def _as_map_projects(projects: gpd.GeoDataFrame | None, name_col: str | None) -> gpd.GeoDataFrame:
    """The bundled projects, or the caller's (any CRS, validated and completed), in EPSG:4326."""
    frame = load("projects") if projects is None else projects
    return prepare_projects(frame, name_col=name_col).to_crs(4326)


def _legend(
    m: folium.Map,
    projects: gpd.GeoDataFrame | None,
    zones: gpd.GeoDataFrame,
    colors: dict[str, str] | None = None,
    extra: str = "",
) -> None:
    parts = ["<h4>六区</h4>"]
    for z in zones.itertuples():
        parts.append(f'<p><i style="background:{ZONE_COLORS.get(z.id, "#999")}"></i>{esc(z.name_zh)}</p>')
    parts.append("<h4>两轴一带</h4>")
    for axis_id, color in AXIS_COLORS.items():
        label = {"nanjingjie_axis": "南京街城市驱动发展轴", "sanhaojie_axis": "三好街创新创业发展轴"}[axis_id]
        parts.append(f'<p><i class="line" style="border-color:{color}"></i>{esc(label)}</p>')
    parts.append(f'<p><i style="background:{BELT_COLOR};opacity:.5"></i>浑河文体旅生态发展带</p>')
    if projects is not None and len(projects):
        parts.append("<h4>项目类别</h4>")
        colors = colors or category_colors(projects["category"])
        for cat in category_order(projects["category"]):
            dot = f'<i class="dot" style="background:{colors.get(cat, "#333")}"></i>'
            parts.append(f"<p>{dot}{esc(CATEGORY_ZH.get(cat, cat))}</p>")
        parts.append(
            '<p><i class="dot" style="background:#888"></i>有点位/线位</p>'
            '<p><i class="ring" style="border:2px dashed #333"></i>仅知所在范围（标于范围内）</p>'
        )
    HtmlControl("".join(parts) + extra, position="bottomright", css_class="hg-legend").add_to(m)


def overview_map(
    *,
    basemap: str = "osm",
    key: str | None = None,
    cluster_above: int = 40,
    projects: gpd.GeoDataFrame | None = None,
    name_col: str | None = None,
) -> folium.Map:
    """The overview: zones, 街道, both axes with their segments, the belt and every placed project.

    Parameters
    ----------
    basemap : str
        ``osm`` (default), ``positron``, ``tianditu_vec``, ``tianditu_img``, ``gaode`` (GCJ-02: the
        overlays are shifted to match), ``gaode_satellite`` or ``none`` (no tiles: works offline).
    key : str, optional
        Tianditu key (else ``$HEPINGGIS_TIANDITU_KEY``).
    cluster_above : int
        Projects are clustered when there are more than this many.
    projects : geopandas.GeoDataFrame, optional
        Projects to show instead of the bundled layer: ``read_projects(…).projects`` as it comes,
        or any GeoDataFrame of points/lines/polygons with a name column (completed by
        `hepinggis.projects.prepare_projects`; categories are free text, each with a stable colour).
    name_col : str, optional
        The column holding the names, where it is not one of the usual ones.

    Examples
    --------
    >>> m = overview_map(basemap="none")
    >>> type(m).__name__
    'Map'
    """
    zones = load("zones")
    m, bm = _start(_bounds(zones), basemap, key)
    gcj = bm.is_gcj02
    _zone_layer(m, zones, gcj)
    _jiedao_layer(m, gcj)
    _belt_layer(m, gcj)
    _axes_layer(m, gcj)
    projects = _as_map_projects(projects, name_col)
    colors = category_colors(projects["category"])
    _projects_layer(m, projects, colors, gcj, cluster_above)
    _legend(m, projects, zones, colors)
    _title(m, "总览：功能区、发展轴、浑河带与项目")
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    return m


def zone_map(
    zone_id: str,
    *,
    basemap: str = "osm",
    key: str | None = None,
    cluster_above: int = 40,
    projects: gpd.GeoDataFrame | None = None,
    name_col: str | None = None,
) -> folium.Map:
    """One zone: its outline over the others, its sub-areas and projects, and a side panel with its
    定位, 四至, planned vs digitized area and 2025 targets from the plan.

    ``projects`` and ``name_col`` work as in `overview_map`; colours follow the categories of the
    whole table, so they match the overview's.

    Examples
    --------
    >>> m = zone_map("sanhaojie", basemap="none")
    >>> "三好街" in m.get_root().render()
    True
    """
    zones = load("zones")
    require_ids(zones, "id", [zone_id], "zones")
    zone = zones[zones["id"] == zone_id]
    row = zone.iloc[0]
    m, bm = _start(_bounds(zone, pad=0.002), basemap, key)
    gcj = bm.is_gcj02
    _zone_layer(m, zones, gcj, highlight=zone_id)
    subs = load("sub_areas")
    subs = subs[subs["zone_id"] == zone_id]
    if len(subs):
        group = folium.FeatureGroup(name="发展重点片区", overlay=True, control=True)
        GeoJsonOverlay(
            feature_collection(
                subs,
                lambda r: {
                    "_s": {
                        "color": "#222222",
                        "weight": 2,
                        "dashArray": "6 3",
                        "fillColor": "#ffffff",
                        "fillOpacity": 0.25,
                        "radius": 7,
                        "className": "hg-subarea",
                    },
                    "_t": esc(r["name_zh"]),
                    "_p": popup_table(
                        r["name_zh"],
                        [
                            ("规划原文", r["description_zh"]),
                            ("位置说明", r["method"]),
                            ("精度", f"±{r['accuracy_m']:.0f} m"),
                        ],
                    ),
                },
                gcj02=gcj,
            )
        ).add_to(group)
        group.add_to(m)
    projects = _as_map_projects(projects, name_col)
    colors = category_colors(projects["category"])
    shares = zone_shares(projects, zones)
    mine = projects[projects.index.isin(shares.loc[shares["zone_id"] == zone_id, "feature"])]
    _projects_layer(m, mine, colors, gcj, cluster_above)
    digitized = float(geodesic_area(zone).iloc[0])
    unplaced = layer_metadata("sub_areas").get("unplaced", [])
    unplaced_names = [u["name_zh"] for u in unplaced if u["zone_id"] == zone_id]
    panel = [
        f"<h3>{esc(row['name_zh'])}</h3><p>{esc(row['name_en'])}</p>",
        f"<h4>发展定位</h4><p>{esc(row['positioning_zh'])}</p>",
        f"<h4>区域范围</h4><p>行政区域：{esc(row['jiedao_zh'])}</p><p>规划四至：{esc(row['sizhi_zh'])}</p>",
        f"<h4>面积</h4><p>规划 {row['planned_area_km2']:g} km²；数字化 {digitized:.2f} km²"
        f"（{(digitized / row['planned_area_km2'] - 1) * 100:+.1f}%，边界精度 ±{row['accuracy_m']:.0f} m）</p>",
        f"<h4>2025年发展目标</h4><p>{esc(row['targets_2025_zh'])}</p>",
        f"<h4>发展重点（已标注 {len(subs)}）</h4><p>{esc('、'.join(subs['name_zh']))}</p>",
    ]
    if unplaced_names:
        panel.append(f"<p style='color:#666'>未能定位：{esc('、'.join(unplaced_names))}</p>")
    panel.append(f"<h4>项目（{len(mine)}）</h4><p>{esc('、'.join(mine['name_zh']))}</p>")
    panel.append(f"<p style='color:#666'>来源：{esc(row['plan_section'])}</p>")
    HtmlControl("".join(panel), position="topright", css_class="hg-side").add_to(m)
    _legend(m, mine, zones, colors)
    _title(m, f"功能区：{row['name_zh']}")
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
    try:
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
) -> folium.Map:
    """Zones coloured by a per-zone statistic (index: zone ids), classified with mapclassify.

    Parameters
    ----------
    values : pandas.Series
        One number per zone id; zones missing from it are drawn grey and listed as "无数据".
    scheme : str
        A mapclassify classifier name (``Quantiles``, ``NaturalBreaks``, ``EqualInterval`` …); ``k``
        is reduced to the number of distinct values when there are fewer.

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
    m, bm = _start(_bounds(zones), basemap, key)
    _zone_layer(
        m,
        zones.assign(
            name_zh=[
                f"{n}：{'无数据' if pd.isna(v) else f'{v:g}{unit}'}"
                for n, v in zip(zones["name_zh"], known, strict=True)
            ]
        ),
        bm.is_gcj02,
        fill=fill,
        opacity=0.8,
    )
    lows = [float(data.min()), *bins[:-1]]
    rows = [
        f'<p class="hg-class" data-color="{palette[i]}" data-count="{int((classes == i).sum())}">'
        f'<i style="background:{palette[i]}"></i>{"[" if i == 0 else "("}{lo:g}, {hi:g}]{esc(unit)}'
        f"（{int((classes == i).sum())}）</p>"
        for i, (lo, hi) in enumerate(zip(lows, bins, strict=True))
    ]
    if known.isna().any():
        rows.append(f'<p><i style="background:{NO_DATA}"></i>无数据</p>')
    rule = "分级：mapclassify {}；区间含上限，“(”不含下限，首级“[”含下限；括号内为功能区数"
    HtmlControl(
        f"<h4>{esc(title)}</h4><p style='color:#666'>{esc(rule.format(scheme))}</p>" + "".join(rows),
        position="bottomright",
        css_class="hg-legend",
    ).add_to(m)
    _title(m, f"专题图：{title}")
    return m


def save_html(m: folium.Map, path: str | Path, *, offline: bool = True) -> Path:
    """Write ``m`` as one HTML file; with ``offline=True`` Leaflet and every plugin are inlined from
    the vendored copies, so (with basemap ``none``) the page references no external URL at all.

    Raises
    ------
    HepingGISError
        ``offline=True`` and the page would still load something from the network.
    """
    page = m.get_root().render()
    if offline:
        page = inline_assets(page)
    return write_page(page, Path(path))
