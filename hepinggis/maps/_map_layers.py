"""The layers of the interactive maps, each returning the legend rows for exactly what it drew.

A legend is assembled from these rows (`legend`), so it never lists a layer the map does not show.
Every user string is escaped here or in `_web.popup_table` before it reaches a payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis.analysis.projects import marker_freedom
from hepinggis.base._credits import boundary_label
from hepinggis.base._style import (
    AXIS_COLORS,
    BELT_COLOR,
    SEGMENT_DASH,
    ZONE_COLORS,
    ZONE_FILL_OPACITY,
    ZONE_SHORT_ZH,
)
from hepinggis.base._texts import plan_source_zh
from hepinggis.base.coords import wgs84_to_gcj02
from hepinggis.base.measure import geodesic_area, geodesic_length
from hepinggis.maps._area_stats import AreaCounts, jiedao_rows, zone_rows
from hepinggis.maps._leaflet import GeoJsonOverlay, HtmlControl, esc, label
from hepinggis.maps._map_data import zone_of_markers
from hepinggis.maps._project_layer import (
    GRID_SHOWN_ABOVE,
    ProjectPoints,
    density_layer,
    project_block,
    project_legend_rows,
)
from hepinggis.maps._web import feature_collection, label_points, marker_points, popup_table
from hepinggis.plan.layers import load

__all__ = [
    "axes_layer",
    "belt_layer",
    "density_rows",
    "jiedao_layer",
    "legend",
    "projects_layer",
    "sub_areas_layer",
    "zone_labels",
    "zone_layer",
    "zone_of_markers",
]

Rows = list[str]


def _swatch(color: str, opacity: float = 1.0) -> str:
    return f'<i style="background:{color};opacity:{opacity:.2f}"></i>'


def zone_layer(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    gcj02: bool,
    *,
    highlight: str | None = None,
    fill: dict[str, str] | None = None,
    opacity: float = ZONE_FILL_OPACITY,
    counts: AreaCounts | None = None,
) -> Rows:
    """The six zones (one highlighted, the others faint, in a zone map); legend: one swatch each.
    With ``counts``, each popup gives the zone's projects and those of each of its 街道."""
    areas = geodesic_area(zones)

    def props(row: Any) -> dict[str, Any]:
        color = (fill or ZONE_COLORS).get(row["id"], "#999999")
        faint = highlight is not None and row["id"] != highlight
        digitized = float(areas.loc[row.name])
        return {
            "_s": {
                "color": "#333333" if not faint else "#888888",
                "weight": 2 if not faint else 1,
                "fillColor": color,
                "fillOpacity": 0.15 if faint else opacity,
                "className": f"hg-zone hg-zone-{row['id']}",
            },
            "_p": popup_table(
                row["name_zh"],
                [
                    ("行政区域", row["jiedao_zh"]),
                    ("规划四至", row["sizhi_zh"]),
                    ("规划面积", f"{row['planned_area_km2']:g} km²"),
                    ("数字化面积", f"{digitized:.2f} km²（{(digitized / row['planned_area_km2'] - 1) * 100:+.1f}%）"),
                    ("边界精度", f"±{row['accuracy_m']:.0f} m"),
                    *(zone_rows(counts, row["id"]) if counts is not None else []),
                    ("来源", plan_source_zh(row["plan_section"])),
                ],
            ),
        }

    group = folium.FeatureGroup(name="六区（功能区）", overlay=True, control=True)
    GeoJsonOverlay(feature_collection(zones, props, gcj02=gcj02)).add_to(group)
    group.add_to(m)
    if fill is not None:
        return []  # a choropleth's legend is its classes
    return [
        f"<p>{_swatch(ZONE_COLORS.get(z.id, '#999'), opacity if highlight in (None, z.id) else 0.3)}"
        f"{esc(z.name_zh)}</p>"
        for z in zones.itertuples()
    ]


def zone_labels(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    texts: Mapping[str, str | Sequence[str]],
    gcj02: bool,
    *,
    class_name: str = "hg-zone-label",
    points: gpd.GeoSeries | None = None,
) -> None:
    """Permanent, non-interactive labels at each zone's pole of inaccessibility (never on its edge):
    ``texts[id]`` (one line, or several shown one under the other; the zone's short name where it
    has none), escaped. ``points`` are the label points where the caller has them already
    (`label_points` of ``zones``); ``class_name`` the CSS class the labels are styled by (the
    briefing maps' names, the monitoring maps' shares)."""
    where = label_points(zones.geometry) if points is None else points
    frame = gpd.GeoDataFrame({"id": zones["id"].to_numpy()}, geometry=where, crs=zones.crs, index=zones.index)

    def shown(r: Mapping[str, Any]) -> dict[str, Any]:
        text = texts.get(r["id"], ZONE_SHORT_ZH.get(r["id"], r["id"]))
        lines = [text] if isinstance(text, str) else list(text)
        return {"_label": "<br>".join(esc(t) for t in lines), "_s": {"className": class_name}}

    GeoJsonOverlay(feature_collection(frame, shown, gcj02=gcj02)).add_to(m)


def jiedao_layer(
    m: folium.Map,
    gcj02: bool,
    *,
    counts: AreaCounts | None = None,
    jiedao: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
) -> Rows:
    """The ten 街道 (schematic divides), named from zoom 14 on; legend: the dashed line. With
    ``counts``, hovering a 街道's line names it with its number of projects, and clicking it opens
    its popup (zone, projects, investment). ``jiedao`` and ``zones``: the layers already loaded."""
    jiedao = load("jiedao") if jiedao is None else jiedao
    zone_names = (load("zones") if zones is None else zones).set_index("id")["name_zh"]
    official = boundary_label("jiedao", "")
    shown = "街道（示意分界）" if official == "" else "街道（采用的官方边界）"

    def props(r: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "_s": {"color": "#444444", "weight": 1.5, "dashArray": "6 4", "fill": False, "className": "hg-jiedao"},
            "_t": esc(r["name_zh"]),
        }
        if counts is not None and r["id"] in counts.by_jiedao.index:
            n = int(counts.by_jiedao.loc[r["id"], "projects_any_share"])
            out["_t"] = esc(f"{r['name_zh']}：项目 {n} 个")
            zone = r.get("zone_id")
            out["_p"] = popup_table(
                r["name_zh"],
                [
                    ("所属功能区", zone_names.get(zone, zone) if isinstance(zone, str) else None),
                    *jiedao_rows(counts, r["id"]),
                    ("街道界", "示意分界" if official == "" else "采用的官方边界"),
                ],
            )
        return out

    group = folium.FeatureGroup(name=shown, overlay=True, control=True, show=True)
    GeoJsonOverlay(feature_collection(jiedao, props, gcj02=gcj02)).add_to(group)
    points = gpd.GeoDataFrame(
        {"name_zh": jiedao["name_zh"].to_numpy()}, geometry=label_points(jiedao.geometry), crs=jiedao.crs
    )
    GeoJsonOverlay(
        feature_collection(
            points, lambda r: {"_label": esc(r["name_zh"]), "_s": {"className": "hg-jd-label"}}, gcj02=gcj02
        )
    ).add_to(group)
    group.add_to(m)
    line = esc(boundary_label("jiedao", "街道界（示意，放大后显示街道名）"))
    return [f'<p><i class="dash" style="border-color:#444"></i>{line}</p>']


def belt_layer(m: folium.Map, gcj02: bool, *, belt: gpd.GeoDataFrame | None = None) -> Rows:
    """The 浑河 belt and its two banks (``belt``: the layer already loaded)."""
    belt = load("belt") if belt is None else belt
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
        rows.append(("来源", plan_source_zh(r["plan_section"])))
        return {"_s": style, "_t": esc(r["name_zh"]), "_p": popup_table(r["name_zh"], rows)}

    group = folium.FeatureGroup(name="一带（浑河文体旅生态发展带）", overlay=True, control=True)
    GeoJsonOverlay(feature_collection(belt, props, gcj02=gcj02)).add_to(group)
    group.add_to(m)
    return [
        f"<p>{_swatch(BELT_COLOR, 0.45)}浑河文体旅生态发展带</p>",
        f'<p><i class="line" style="border-color:{BELT_COLOR}"></i>浑河南岸、北岸</p>',
    ]


def axes_layer(m: folium.Map, gcj02: bool, *, axes: gpd.GeoDataFrame | None = None) -> Rows:
    """Both axes, each segment dashed differently; legend: one row per segment drawn (``axes``: the
    layer already loaded)."""
    axes = load("axes") if axes is None else axes
    segments = axes[axes["kind"] == "segment"].copy()
    lengths = geodesic_length(segments)
    rows: Rows = []
    for axis_id in segments["axis_id"].unique():
        part = segments[segments["axis_id"] == axis_id]
        dashes = {sid: SEGMENT_DASH[k % len(SEGMENT_DASH)] for k, sid in enumerate(part["id"])}
        color = AXIS_COLORS.get(axis_id, "#333333")

        def props(r: Any, dashes: dict[str, str | None] = dashes, color: str = color) -> dict[str, Any]:
            style: dict[str, Any] = {"color": color, "weight": 5, "opacity": 0.9, "className": "hg-axis"}
            if dashes[r["id"]]:
                style["dashArray"] = dashes[r["id"]]
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
                        ("来源", plan_source_zh(r["plan_section"])),
                    ],
                ),
            }

        name = axes.loc[axes["id"] == axis_id, "name_zh"].iloc[0]
        group = folium.FeatureGroup(name=label(f"发展轴：{name}"), overlay=True, control=True)
        GeoJsonOverlay(feature_collection(part, props, gcj02=gcj02)).add_to(group)
        group.add_to(m)
        rows.append(f"<p><b>{esc(name)}</b></p>")
        for seg in part.itertuples():
            style = "dashed" if dashes[seg.id] else "solid"
            rows.append(
                f'<p><i class="line" style="border-color:{color};border-top-style:{style}"></i>{esc(seg.name_zh)}</p>'
            )
    return rows


def sub_areas_layer(m: folium.Map, subs: gpd.GeoDataFrame, gcj02: bool) -> Rows:
    if subs.empty:
        return []
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
                        ("位置", f"示意范围（±{r['accuracy_m']:.0f} m）"),
                        ("来源", plan_source_zh(r["plan_section"])),
                    ],
                    english=r["method"],
                ),
            },
            gcj02=gcj02,
        )
    ).add_to(group)
    group.add_to(m)
    return ['<p><i style="background:#fff;border:2px dashed #222"></i>发展重点片区（示意）</p>']


def projects_layer(
    m: folium.Map,
    projects: gpd.GeoDataFrame,
    colors: dict[str, str],
    gcj02: bool,
    cluster_above: int,
    where: pd.Series,
    *,
    points: list[Any] | None = None,
) -> Rows:
    """Projects: sites as filled circles, "somewhere in this area" as dashed diamonds (spread so that
    none hides another); lines and footprints drawn too. ``where`` names each project's zone.

    Built for any size (see `_project_layer`): one compact block, clustered above
    ``cluster_above``, on a canvas above `CANVAS_ABOVE`, the legend's categories as a filter.
    ``points``: the projects' markers (`marker_points`) where already placed."""
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
    if points is None:
        points = _markers(projects)
    xy = shapely.get_coordinates(np.asarray(points, dtype=object)) if points else np.empty((0, 2))
    x, y = xy[:, 0], xy[:, 1]
    shown_x, shown_y = wgs84_to_gcj02(x, y) if gcj02 and len(x) else (x, y)
    layer_id = f"{m.get_name()}-projects"
    block = project_block(projects, np.vstack([shown_x, shown_y]), colors, where)
    ProjectPoints(block, map_name=m.get_name(), layer_id=layer_id, cluster=len(projects) > cluster_above).add_to(group)
    group.add_to(m)
    return project_legend_rows(projects, colors, layer_id)


def _markers(projects: gpd.GeoDataFrame) -> list[Any]:
    movable, slack = marker_freedom(projects)
    return marker_points(projects.geometry, movable=movable, slack_m=slack)


def density_rows(
    m: folium.Map, projects: gpd.GeoDataFrame, gcj02: bool, cluster_above: int, *, points: list[Any] | None = None
) -> Rows:
    """The density grid where markers stop being readable (more than ``cluster_above`` projects);
    ``points``: the projects' markers where already placed."""
    if len(projects) <= cluster_above:
        return []
    xy = shapely.get_coordinates(np.asarray(_markers(projects) if points is None else points, dtype=object))
    return density_layer(m, xy[:, 0], xy[:, 1], gcj02=gcj02, shown=len(projects) > GRID_SHOWN_ABOVE)


def legend(m: folium.Map, sections: list[tuple[str, Rows]], *, extra: str = "") -> None:
    """One collapsible legend from the rows the layers returned (sections without rows are left out)."""
    body = "".join(f"<h4>{esc(title)}</h4>{''.join(rows)}" for title, rows in sections if rows) + extra
    HtmlControl(body, position="bottomright", css_class="hg-legend", summary="图例").add_to(m)
