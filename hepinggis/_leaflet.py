"""Leaflet building blocks for folium maps that work offline: vendored assets, escaped content.

Why not folium's own GeoJson/Popup/legend: folium's Popup needs jQuery (and bootstrap), its JSON
escapes every Chinese character and keeps full precision, and branca's colormap legend loads d3
from a CDN. These elements embed compact GeoJSON, bind tooltips and popups whose HTML was escaped
in Python, and draw legends and panels as plain Leaflet controls. Assets are declared per
instance (never with folium's class-level ``add_js_link``).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from .errors import HepingGISError

__all__ = ["ASSETS", "PANEL_CSS", "GeoJsonOverlay", "HtmlControl", "esc", "inline_assets", "to_js", "use_assets"]

_CDN = "https://cdn.jsdelivr.net/npm/"
#: asset name -> (CDN URL of the pinned version, vendored file in hepinggis/_vendor)
ASSETS: dict[str, tuple[str, str]] = {
    "leaflet_js": (_CDN + "leaflet@1.9.4/dist/leaflet.js", "leaflet.js"),
    "leaflet_css": (_CDN + "leaflet@1.9.4/dist/leaflet.css", "leaflet.css"),
    "cluster_js": (_CDN + "leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
    "cluster_css": (_CDN + "leaflet.markercluster@1.5.3/dist/MarkerCluster.css", "MarkerCluster.css"),
    "cluster_default_css": (
        _CDN + "leaflet.markercluster@1.5.3/dist/MarkerCluster.Default.css",
        "MarkerCluster.Default.css",
    ),
    "fullscreen_js": (_CDN + "leaflet.fullscreen@3.0.2/Control.FullScreen.js", "Control.FullScreen.js"),
    "fullscreen_css": (_CDN + "leaflet.fullscreen@3.0.2/Control.FullScreen.css", "Control.FullScreen.css"),
    "measure_js": (_CDN + "leaflet-measure@3.1.0/dist/leaflet-measure.cn.js", "leaflet-measure.cn.js"),
    "measure_css": (_CDN + "leaflet-measure@3.1.0/dist/leaflet-measure.css", "leaflet-measure.css"),
}

PANEL_CSS = """
.hg-panel{background:rgba(255,255,255,.94);padding:8px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);
font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222;max-width:330px}
.hg-panel h3{margin:0 0 4px;font-size:14px}.hg-panel h4{margin:6px 0 2px;font-size:12px}
.hg-panel p{margin:2px 0}.hg-side{max-height:52vh;overflow-y:auto}
.hg-legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;border:1px solid #555}
.hg-legend i.dot{border-radius:50%;width:10px}.hg-legend i.ring{border-radius:50%;width:10px;background:none!important}
.hg-legend i.line{height:0;border-width:2px 0 0 0;border-style:solid}
.hg-north{font:bold 16px sans-serif;text-align:center}
.hg-pop table{border-collapse:collapse}.hg-pop td{padding:1px 4px;vertical-align:top}
.hg-pop td:first-child{color:#666;white-space:nowrap}
"""


def esc(value: object) -> str:
    """HTML-escape any user value (None becomes an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def to_js(obj: Any) -> str:
    """JSON for embedding in a <script>: UTF-8 kept, and nothing can close the script element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def use_assets(element: Any, *names: str) -> None:
    """Declare the assets an element needs, on this instance only."""
    js = [(n, ASSETS[n][0]) for n in names if n.endswith("_js")]
    css = [(n, ASSETS[n][0]) for n in names if n.endswith("_css")]
    element.default_js = js
    element.default_css = css


class GeoJsonOverlay(JSCSSMixin, MacroElement):
    """A GeoJSON FeatureCollection drawn into its parent (a FeatureGroup or the map).

    Feature properties used: ``_s`` (Leaflet path options, incl. ``className``), ``_t`` (tooltip
    HTML, already escaped), ``_p`` (popup HTML, already escaped). Points become circle markers,
    clustered with Leaflet.markercluster when ``cluster`` is true.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var layer = L.geoJSON({{ this.data_js }}, {
                style: function (f) { return f.properties._s; },
                pointToLayer: function (f, ll) { return L.circleMarker(ll, f.properties._s); },
                onEachFeature: function (f, l) {
                    if (f.properties._t) { l.bindTooltip(f.properties._t, {sticky: true}); }
                    if (f.properties._p) { l.bindPopup(f.properties._p, {maxWidth: 380}); }
                }
            });
            {% if this.cluster %}
            var group = L.markerClusterGroup({maxClusterRadius: 35, showCoverageOnHover: false});
            layer.eachLayer(function (x) { group.addLayer(x); });
            group.addTo({{ this._parent.get_name() }});
            {% else %}
            layer.addTo({{ this._parent.get_name() }});
            {% endif %}
        })();
        {% endmacro %}
    """)

    def __init__(self, data: dict[str, Any], *, cluster: bool = False) -> None:
        super().__init__()
        self._name = "GeoJsonOverlay"
        self.data_js = to_js(data)
        self.cluster = cluster
        use_assets(self, *(("cluster_js", "cluster_css", "cluster_default_css") if cluster else ()))


class HtmlControl(JSCSSMixin, MacroElement):
    """A Leaflet control showing HTML that the caller has escaped (legend, title block, side panel)."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position_js }}});
            ctl.onAdd = function () {
                var d = L.DomUtil.create('div', {{ this.class_js }});
                d.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(d);
                L.DomEvent.disableScrollPropagation(d);
                return d;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str, *, position: str = "bottomright", css_class: str = "") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html_js = to_js(html_text)
        self.position_js = to_js(position)
        self.class_js = to_js(f"hg-panel {css_class}".strip())
        use_assets(self)

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if isinstance(figure, Figure) and "hg_panel_css" not in figure.header._children:
            figure.header.add_child(Element(f"<style>{PANEL_CSS}</style>"), name="hg_panel_css")
        return super().render(**kwargs)


def new_map(bounds: list[list[float]]) -> folium.Map:
    """A folium Map with only Leaflet as its assets (no jQuery, bootstrap or font CDNs)."""
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    use_assets(m, "leaflet_js", "leaflet_css")
    m.fit_bounds(bounds)
    return m


def _vendor(name: str) -> str:
    return resources.files("hepinggis").joinpath("_vendor", name).read_text(encoding="utf-8")


_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
_EXTERNAL = re.compile(r'(?:src|href)\s*=\s*["\'](https?:)?//', re.I)


def inline_assets(page: str) -> str:
    """Replace every vendored asset's <script src>/<link href> with its inlined content; raise if
    any other external src/href remains (an offline page must not need the network)."""
    by_url = {url: file for url, file in ASSETS.values()}

    def script(m: re.Match[str]) -> str:
        url = m.group(1)
        if url not in by_url:
            return m.group(0)
        content = _vendor(by_url[url]).replace("</script", "<\\/script")
        return f"<script>{content}</script>"

    def link(m: re.Match[str]) -> str:
        url = m.group(1)
        if url not in by_url:
            return m.group(0)
        return f"<style>{_vendor(by_url[url])}</style>"

    page = _SCRIPT.sub(script, page)
    page = _LINK.sub(link, page)
    leftover = _EXTERNAL.findall(page)
    if leftover:
        found = re.findall(r'(?:src|href)\s*=\s*["\']((?:https?:)?//[^"\']+)', page, re.I)
        raise HepingGISError(f"the page still loads {len(found)} external resource(s): {', '.join(found[:5])}")
    return page


def write_page(page: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
