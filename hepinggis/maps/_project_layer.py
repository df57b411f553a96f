"""The projects of an interactive map, built for size: 0 to 50,000 projects in one compact block.

One element (`ProjectPoints`) carries every project as columns (delta-coded coordinates, names,
ids, and dictionary-coded category, status, year, investment, location, source) and makes the
Leaflet layers in the browser. Popups are built when opened, from that block. How the markers are
drawn is chosen by size:

* up to ``cluster_above`` (40): one SVG marker each, as always;
* above it: Leaflet.markercluster (every project stays reachable, in a cluster or as a marker;
  the map has a ``maxZoom``, which the plugin needs);
* above `CANVAS_ABOVE`: the circle markers are drawn on one canvas instead of one SVG path each.

Every project is clickable at any size: the circle markers (SVG or canvas) are in their own pane
above the zones, belt, sub-areas and density grid, and the canvas, which would otherwise take every
click over the map, takes pointer events only where a project is drawn; a click beside the projects
opens what lies beneath (the zone's popup). The density grid is not interactive at all.

The legend's category rows are check boxes that filter the markers. Where markers stop being
readable, `density_layer` adds a 500 m grid of project counts (shown from `GRID_SHOWN_ABOVE`,
hidden from street zoom on, classed with round bounds by `_classes`).

Every text in the block was HTML-escaped here, in Python; the browser only concatenates it. The
block reaches the page as a payload of `_leaflet` (never through a template engine).

Why not folium's MarkerCluster/FastMarkerCluster: the first renders one JS object and one popup
HTML string per marker (612 bytes per project, 72 s to write 50,000); the second takes a callback
whose text is template source, and neither filters by category or builds popups on demand.
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.colormap import linear
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from hepinggis.analysis.projects import SITED, category_order
from hepinggis.base._style import CATEGORY_ZH, STATUS_ZH
from hepinggis.base._texts import doc_title, location_zh
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.maps._classes import class_labels, nice_breaks
from hepinggis.maps._leaflet import STREET_ZOOM, GeoJsonOverlay, _Payloads, esc, to_js, use_assets
from hepinggis.maps._web import feature_collection

__all__ = [
    "CANVAS_ABOVE",
    "GRID_CELL_M",
    "GRID_SHOWN_ABOVE",
    "ProjectPoints",
    "density_layer",
    "project_block",
    "project_legend_rows",
]

#: Above this many projects the circle markers are drawn on one canvas (one SVG path each below).
CANVAS_ABOVE = 1000
#: Side of the density grid's cells (metres, in EPSG:4550).
GRID_CELL_M = 500.0
#: From this many projects on the density grid is shown when the map opens (else it is in the
#: layer control, switched off).
GRID_SHOWN_ABOVE = 10_000
#: Markers are loaded in chunks (the page stays responsive) above this many.
_CHUNKED_ABOVE = 1_000_000
#: Up to this many markers each gets its popup and tooltip bound when drawn; above, on first use.
_EAGER_BIND_MAX = 2000
_SCALE = 1_000_000  # coordinates in millionths of a degree (about 0.1 m)


def _coded(values: list[str]) -> dict[str, list[Any]]:
    """Dictionary coding: the distinct values once, and a small integer per row."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return {"c": codes.tolist(), "v": [str(u) for u in uniques]}


def _deltas(values: np.ndarray) -> list[int]:
    ints = np.round(values * _SCALE).astype(np.int64)
    return np.diff(ints, prepend=0).tolist() if len(ints) else []


def project_block(
    projects: gpd.GeoDataFrame,
    markers: np.ndarray,
    colors: dict[str, str],
    where: pd.Series,
) -> dict[str, Any]:
    """The compact data block of ``projects`` (a prepared table) drawn at ``markers`` (x, y arrays,
    already in the map's datum). ``where`` names each project's zone (for "仅知位于…内")."""
    cats = category_order(projects["category"])
    cat_of = {c: k for k, c in enumerate(cats)}
    status = [esc(STATUS_ZH.get(s, s)) for s in projects["status"].astype(str)]
    years = ["" if pd.isna(y) else str(int(y)) for y in projects["year"]]
    money = ["" if pd.isna(v) else esc(f"{v / 1e8:g} 亿元") for v in projects["investment_cny"]]
    methods = projects["location_method"].astype(str).to_numpy()
    acc = projects["accuracy_m"].to_numpy(dtype=float)
    zone = [None if pd.isna(z) else str(z) for z in where.reindex(projects.index)]
    locs = [esc(location_zh(m, a, z)) for m, a, z in zip(methods, acc, zone, strict=True)]
    return {
        "x": _deltas(markers[0]),
        "y": _deltas(markers[1]),
        "id": [esc(i) for i in projects["id"].astype(str)],
        "nm": [esc(n) for n in projects["name_zh"].astype(str)],
        "q": [esc(q) for q in projects["source_quote"].astype(str)],
        "c": [cat_of[str(c)] for c in projects["category"]],
        "cats": [esc(CATEGORY_ZH.get(c, c)) for c in cats],
        "col": [colors.get(c, "#333333") for c in cats],
        "k": np.isin(methods, SITED).astype(int).tolist(),
        "st": _coded(status),
        "yr": _coded(years),
        "inv": _coded(money),
        "loc": _coded(locs),
        "doc": _coded([esc(doc_title(d)) for d in projects["source_doc"]]),
        "en": _coded([esc(e) for e in projects["method"].astype(str)]),
    }


def project_legend_rows(projects: gpd.GeoDataFrame, colors: dict[str, str], layer_id: str) -> list[str]:
    """The legend rows of the projects: one check box per category (it filters the markers), with
    its count, then what the two marker shapes mean."""
    if projects.empty:
        return []
    counts = projects["category"].astype(str).value_counts()
    rows = [
        f'<label class="hg-filter"><input type="checkbox" checked data-hg-layer="{layer_id}" data-hg-cat="{k}">'
        f'<i class="dot" style="background:{colors.get(cat, "#333")}"></i>{esc(CATEGORY_ZH.get(cat, cat))}'
        f'<span class="hg-n">（{int(counts.get(cat, 0))}）</span></label>'
        for k, cat in enumerate(category_order(projects["category"]))
    ]
    sited = projects["location_method"].isin(SITED)
    if sited.any():
        rows.append('<p><i class="dot" style="background:#888"></i>圆点：有具体点位/线位</p>')
    if (~sited).any():
        rows.append('<p><i class="diamond" style="background:#bbb"></i>菱形：仅知所在范围（标于范围内）</p>')
    return rows


class ProjectPoints(_Payloads, JSCSSMixin, MacroElement):
    """The project markers of one map, from a `project_block` (see the module docstring)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var D = {{ this.data_js }}, map = {{ this.map_name }}, parent = {{ this._parent.get_name() }};
            var n = D.id.length, lat = new Array(n), lon = new Array(n), x = 0, y = 0, i;
            for (i = 0; i < n; i++) { x += D.x[i]; y += D.y[i]; lon[i] = x / 1e6; lat[i] = y / 1e6; }
            var val = function (k, i) { var f = D[k]; return f.v[f.c[i]]; };
            var ROWS = [['类别', function (i) { return D.cats[D.c[i]]; }], ['状态', 'st'], ['年份', 'yr'],
                        ['投资', 'inv'], ['位置', 'loc'], ['来源', 'doc'], ['原文', function (i) { return D.q[i]; }]];
            var popup = function (layer) {
                var i = layer.options.hgIdx, h = '<div class="hg-pop"><b>' + D.nm[i] + '</b><table>';
                ROWS.forEach(function (r) {
                    var v = typeof r[1] === 'string' ? val(r[1], i) : r[1](i);
                    if (v !== '') { h += '<tr><td>' + r[0] + '</td><td>' + v + '</td></tr>'; }
                });
                h += '</table>';
                var en = val('en', i);
                if (en !== '') { h += '<p class="en">' + en + '</p>'; }
                return h + '</div>';
            };
            var tip = function (layer) { var i = layer.options.hgIdx; return D.nm[i] + '（' + val('st', i) + '）'; };
            // the projects' own pane, above the zones, belt, sub-areas and density grid (overlay pane,
            // z-index 400) and below the clusters and diamonds (marker pane, 600): a project is never
            // under a polygon, whatever was added or toggled last
            var pane = map.getPane('hg-projects');
            if (!pane) {
                pane = map.createPane('hg-projects');
                pane.style.zIndex = 450;
                pane.style.pointerEvents = 'none';
            }
            var canvas = {{ this.canvas_js }};
            var renderer = canvas ? L.canvas({padding: 0.5, pane: 'hg-projects'}) : L.svg({pane: 'hg-projects'});
            var layers = new Array(n), byCat = D.cats.map(function () { return []; });
            for (i = 0; i < n; i++) {
                var color = D.col[D.c[i]], l;
                if (D.k[i]) {
                    l = L.circleMarker([lat[i], lon[i]], {radius: {{ this.radius }}, color: '#ffffff', weight: 1.5,
                        fillColor: color, fillOpacity: 0.95, className: 'hg-project hg-site', renderer: renderer,
                        hgIdx: i, hgId: D.id[i]});
                } else {
                    l = L.marker([lat[i], lon[i]], {riseOnHover: true, hgIdx: i, hgId: D.id[i], icon: L.divIcon({
                        className: 'hg-extent hg-project hg-extent-marker', iconSize: [0, 0],
                        html: '<i style="background:' + color + ';border-color:#222222"></i>'})});
                }
                if (n <= {{ this.eager_bind }}) {
                    l.bindPopup(popup, {maxWidth: 380}).bindTooltip(tip, {sticky: true});
                }
                layers[i] = l; byCat[D.c[i]].push(l);
            }
            var target = parent;
            var ready = function () { map.getContainer().setAttribute('data-hg-projects-ready', String(n)); };
            if ({{ this.cluster_js }}) {
                target = L.markerClusterGroup({maxClusterRadius: 40, showCoverageOnHover: false,
                    spiderfyOnMaxZoom: true, chunkedLoading: n > {{ this.chunked_above }},
                    chunkProgress: function (done, total) { if (done === total) { ready(); } }});
                if (!map.hasLayer(parent)) { parent.addTo(map); }  // cluster once, with the map's zoom range
                target.addTo(parent);
                target.on('mouseover click', function (e) {  // many markers: tooltip and popup made when first needed
                    var l = e.layer;
                    if (!l || !l.options || l.options.hgIdx === undefined) { return; }
                    if (!l.getTooltip()) {
                        l.bindTooltip(tip, {sticky: true});
                        if (e.type === 'mouseover') { l.openTooltip(e.latlng); }
                    }
                    if (e.type === 'click' && !l.getPopup()) { l.bindPopup(popup, {maxWidth: 380}).openPopup(); }
                });
                target.addLayers(layers);
                if (n <= {{ this.chunked_above }}) { ready(); }
            } else {
                layers.forEach(function (l) { parent.addLayer(l); });
                ready();
            }
            if (canvas) {
                // A canvas catches every pointer event over its whole area. Here it takes them only
                // where a project is drawn (Leaflet's own hit test of its draw list, as in Leaflet
                // 1.9.4's Canvas renderer, vendored), so a click beside the projects still opens the
                // zone, belt or sub-area beneath; an event aimed beneath a project goes to the canvas.
                var over = function (e) {
                    if (!renderer._map || map._animatingZoom) { return false; }
                    var p = map.mouseEventToLayerPoint(e);
                    for (var o = renderer._drawFirst; o; o = o.next) {
                        if (o.layer.options.interactive && o.layer._containsPoint(p)) { return true; }
                    }
                    return false;
                };
                var below = function (t) {  // the map or a layer beneath the projects: no control, popup, marker
                    return t === map.getContainer() || t === map.getPane('mapPane') || pane.contains(t) ||
                        map.getPane('overlayPane').contains(t) || map.getPane('tilePane').contains(t);
                };
                var route = function (e) {
                    var c = renderer._container;
                    if (!c || e.hgRouted) { return; }
                    var hit = below(e.target) && over(e);
                    c.style.pointerEvents = hit ? 'auto' : '';
                    if (hit && e.target !== c) {
                        e.stopPropagation();
                        var copy = new MouseEvent(e.type, e);
                        copy.hgRouted = true;
                        c.dispatchEvent(copy);
                    }
                };
                ['mousemove', 'mousedown', 'mouseup', 'click', 'dblclick', 'contextmenu'].forEach(function (t) {
                    map.getContainer().addEventListener(t, route, true);
                });
            }
            map.getContainer().addEventListener('change', function (e) {  // the legend's category filter
                var t = e.target;
                if (!t || !t.dataset || t.dataset.hgLayer !== {{ this.layer_js }}) { return; }
                var group = byCat[Number(t.dataset.hgCat)] || [];
                if (target !== parent) {
                    if (t.checked) { target.addLayers(group); } else { target.removeLayers(group); }
                } else {
                    group.forEach(function (l) {
                        if (t.checked) { parent.addLayer(l); } else { parent.removeLayer(l); }
                    });
                }
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, block: dict[str, Any], *, map_name: str, layer_id: str, cluster: bool) -> None:
        super().__init__()
        self._name = "ProjectPoints"
        n = len(block["id"])
        self.data_js = self._payload(to_js(block))
        self.map_name = map_name
        self.layer_js = to_js(layer_id)
        self.cluster_js = "true" if cluster else "false"
        self.canvas_js = "true" if n > CANVAS_ABOVE else "false"
        self.radius = 7 if n <= CANVAS_ABOVE else 5
        self.eager_bind = _EAGER_BIND_MAX
        self.chunked_above = _CHUNKED_ABOVE
        use_assets(self, *(("cluster_js", "cluster_css", "cluster_default_css") if cluster else ()))

    def render(self, **kwargs: Any) -> Any:
        self._require_safe_root()
        return super().render(**kwargs)


def density_layer(
    m: folium.Map, x: np.ndarray, y: np.ndarray, *, gcj02: bool, shown: bool, cell_m: float = GRID_CELL_M
) -> list[str]:
    """Projects per grid cell (``cell_m`` squares in EPSG:4550), classed by quantiles; ``x``/``y`` are
    the markers' WGS 84 coordinates. Returns the legend rows."""
    if len(x) == 0:
        return []
    metric = gpd.GeoSeries(shapely.points(x, y), crs=4326).to_crs(MEASURE_CRS)
    ix = np.floor(metric.x.to_numpy() / cell_m).astype(np.int64)
    iy = np.floor(metric.y.to_numpy() / cell_m).astype(np.int64)
    cells, counts = np.unique(np.column_stack([ix, iy]), axis=0, return_counts=True)
    boxes = shapely.box(
        cells[:, 0] * cell_m, cells[:, 1] * cell_m, (cells[:, 0] + 1) * cell_m, (cells[:, 1] + 1) * cell_m
    )
    grid = gpd.GeoDataFrame({"n": counts}, geometry=boxes, crs=MEASURE_CRS).to_crs(4326)
    bins = nice_breaks(counts)
    classes = np.searchsorted(bins, counts, side="left")
    scale = linear.YlOrRd_09.scale(0, 1)  # type: ignore[attr-defined]
    palette = [str(scale.rgb_hex_str(0.15 + 0.8 * i / max(1, len(bins) - 1))) for i in range(len(bins))]
    grid["cls"] = classes
    group = folium.FeatureGroup(name=f"项目密度（{cell_m:.0f} m 网格）", overlay=True, control=True, show=shown)
    GeoJsonOverlay(
        feature_collection(
            grid,
            lambda r: {
                "_s": {  # not interactive: a click or hover goes through to the zone beneath
                    "color": "#ffffff",
                    "weight": 0.5,
                    "fillColor": palette[int(r["cls"])],
                    "fillOpacity": 0.5,
                    "className": "hg-density",
                    "interactive": False,
                },
            },
            gcj02=gcj02,
        )
    ).add_to(group)
    group.add_to(m)
    rows = [
        f'<p class="hg-density-class"><i style="background:{palette[i]};opacity:.8"></i>{esc(text)}</p>'
        for i, text in enumerate(class_labels(bins))
    ]
    state = "" if shown else "（默认关闭，可在图层控制中打开）"
    return [
        f"<p style='color:#666'>{cell_m:.0f} m 网格内项目数，按分位数取整分级{state}；"
        f"放大到 {STREET_ZOOM} 级及以上时隐藏</p>",
        *rows,
    ]
