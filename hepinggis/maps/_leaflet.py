"""Leaflet building blocks for folium maps that work offline: vendored assets, escaped content.

Why not folium's own GeoJson/Popup/legend: folium's Popup needs jQuery (and bootstrap), its JSON
escapes every Chinese character and keeps full precision, and branca's colormap legend loads d3
from a CDN. These elements embed compact GeoJSON, bind tooltips and popups whose HTML was escaped
in Python, and draw legends and panels as plain Leaflet controls. Assets are declared per
instance (never with folium's class-level ``add_js_link``).

User text never reaches a template engine. branca renders each element's macro and then turns the
output into a *new* Jinja template (``Element(script(...))``) that is rendered again when the page
is: anything in that output is template source, so a project called ``{{7*7}}`` would show ``49``
and ``{{ lipsum.__globals__… }}`` would run code. Our elements therefore put only an opaque token
(``__hg_payload_<hex>__``) into their templates; the text itself (GeoJSON, escaped HTML) is held on
the element and substituted into the finished page by `SafeFigure`, in one pass, after every
template has been rendered. Names that do go through folium's own elements (layer names in the
layer control) pass through `label`, which escapes HTML and turns braces into entities.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from hepinggis.errors import HepingGISError
from hepinggis.maps._escape import esc

__all__ = [
    "ASSETS",
    "PANEL_CSS",
    "STREET_ZOOM",
    "FitView",
    "GeoJsonOverlay",
    "HtmlControl",
    "MetricScale",
    "SafeFigure",
    "esc",
    "inline_assets",
    "label",
    "notebook_assets",
    "to_js",
    "use_assets",
]

_CDN = "https://cdn.jsdelivr.net/npm/"
#: asset name -> (CDN URL of the pinned version, vendored file in hepinggis/maps/_vendor)
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
.hg-panel{background:rgba(255,255,255,.95);padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.35);
font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222;
max-width:min(330px,44vw);overflow:auto;box-sizing:border-box}
.leaflet-top.leaflet-right .hg-panel{max-height:calc(52vh - 24px)}
.leaflet-bottom.leaflet-right .hg-panel{max-height:calc(44vh - 34px)}
.leaflet-bottom.leaflet-left .hg-panel{max-height:calc(40vh - 50px)}
.hg-panel summary{cursor:pointer;font-weight:bold;font-size:13px;list-style-position:inside}
.hg-panel h3{margin:0 0 4px;font-size:14px}.hg-panel h4{margin:6px 0 2px;font-size:12px}
.hg-panel p{margin:2px 0}
.hg-legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;border:1px solid #555}
.hg-legend i.dot{border-radius:50%;width:10px;border:1.5px solid #fff;box-shadow:0 0 0 1px #555}
.hg-legend i.diamond{width:9px;height:9px;transform:rotate(45deg);border:1.5px dashed #222;margin:0 7px 0 2px}
.hg-legend i.line{height:0;border-width:3px 0 0 0;border-style:solid}
.hg-legend i.dash{height:0;border-width:2px 0 0 0;border-style:dashed}
.hg-legend label.hg-filter{display:block;margin:2px 0;cursor:pointer}
.hg-legend label.hg-filter input{margin:0 4px 0 0;vertical-align:middle}.hg-legend .hg-n{color:#666}
.hg-north{font:bold 16px sans-serif;text-align:center;float:right;margin-left:8px}
.hg-pop table{border-collapse:collapse}.hg-pop td{padding:1px 4px;vertical-align:top}
.hg-pop td:first-child{color:#666;white-space:nowrap}.hg-pop .en{color:#888;font-size:11px}
.hg-label{width:0;height:0;border:0;background:none}
.hg-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;pointer-events:none;
font:bold 13px/1.2 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#111;
text-shadow:-1px -1px 0 #fff,1px -1px 0 #fff,-1px 1px 0 #fff,1px 1px 0 #fff,0 0 3px #fff}
.hg-jd-label span{font-size:11px;font-weight:normal;color:#333;transform:translate(-50%,70%)}
.hg-jd-label{display:none}.hg-zoom-close .hg-jd-label{display:block}
.hg-zoom-street path.hg-density{display:none}
.hg-extent{width:0;height:0;border:0;background:none}
.hg-extent i{position:absolute;left:-7px;top:-7px;width:12px;height:12px;transform:rotate(45deg);
border:2px dashed #222;box-sizing:content-box}
"""

#: The zoom range of every map (tile layers keep their own limits within it).
MIN_ZOOM, MAX_ZOOM = 8, 19

#: Zoom level from which the 街道 names are shown (closer views only, so they never crowd the zones').
JIEDAO_LABEL_ZOOM = 14
#: Street zoom: from here on the project density grid is hidden (single projects are what counts).
STREET_ZOOM = 15


def label(value: object) -> str:
    """Text for a folium-native option that ends up in a template (e.g. a layer name): HTML-escaped,
    with ``{`` and ``}`` as entities, so it is shown literally and can never be template syntax."""
    return esc(value).replace("{", "&#123;").replace("}", "&#125;")


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


_TOKEN = re.compile(r"__hg_payload_[0-9a-f]{32}__")


class _Payloads:
    """Holds an element's user-derived text outside its template (see the module docstring)."""

    _hg_payloads: dict[str, str]

    def _payload(self, text: str) -> str:
        """Keep ``text`` aside and return the token that stands for it in the template."""
        if not hasattr(self, "_hg_payloads"):
            self._hg_payloads = {}
        token = f"__hg_payload_{secrets.token_hex(16)}__"
        self._hg_payloads[token] = text
        return token

    def _require_safe_root(self: Any) -> None:
        if not isinstance(self.get_root(), SafeFigure):
            raise HepingGISError(
                f"{type(self).__name__} must be rendered in a map made by hepinggis (its figure is a "
                "SafeFigure, which fills in the text after the templates are rendered)"
            )


class GeoJsonOverlay(_Payloads, JSCSSMixin, MacroElement):
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
                pointToLayer: function (f, ll) {
                    var s = f.properties._s || {};
                    if (f.properties._label) {  // a permanent, non-interactive text label
                        return L.marker(ll, {interactive: false, keyboard: false, pane: 'hg-labels', icon: L.divIcon({
                            className: 'hg-label ' + (s.className || ''), iconSize: [0, 0],
                            html: '<span>' + f.properties._label + '</span>'})});
                    }
                    if (s.shape === 'diamond') {  // a project known only by the area it lies in
                        var icon = L.divIcon({className: 'hg-extent ' + (s.className || ''), iconSize: [0, 0],
                            html: '<i style="background:' + s.fillColor + ';border-color:' + s.color + '"></i>'});
                        return L.marker(ll, {icon: icon, riseOnHover: true});
                    }
                    return L.circleMarker(ll, s);
                },
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
        self.data_js = self._payload(to_js(data))
        self.cluster = cluster
        use_assets(self, *(("cluster_js", "cluster_css", "cluster_default_css") if cluster else ()))

    def render(self, **kwargs: Any) -> Any:
        self._require_safe_root()
        return super().render(**kwargs)


class HtmlControl(_Payloads, JSCSSMixin, MacroElement):
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
                var det = d.querySelector('details');
                if (det && window.innerWidth < 700) { det.open = false; }  // phones: folded until tapped
                L.DomEvent.disableClickPropagation(d);
                L.DomEvent.disableScrollPropagation(d);
                return d;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(
        self, html_text: str, *, position: str = "bottomright", css_class: str = "", summary: str | None = None
    ) -> None:
        super().__init__()
        self._name = "HtmlControl"
        if summary is not None:  # collapsible: open on a screen, folded on a phone
            html_text = f"<details open><summary>{summary}</summary>{html_text}</details>"
        self.html_js = self._payload(to_js(html_text))
        self.position_js = to_js(position)
        self.class_js = to_js(f"hg-panel {css_class}".strip())
        use_assets(self)

    def render(self, **kwargs: Any) -> Any:
        self._require_safe_root()
        figure = self.get_root()
        if isinstance(figure, Figure) and "hg_panel_css" not in figure.header._children:
            figure.header.add_child(Element(f"<style>{PANEL_CSS}</style>"), name="hg_panel_css")
        return super().render(**kwargs)


_NOTEBOOK = {"inline": True}


def notebook_assets(mode: str) -> None:
    """How maps shown inline in Jupyter load Leaflet: ``"inline"`` (default: the vendored copies are
    embedded, so the map renders on an intranet with no internet) or ``"cdn"`` (a smaller notebook
    that loads them from jsDelivr).

    Parameters
    ----------
    mode : {"inline", "cdn"}
        How the maps shown from now on load their scripts.

    Raises
    ------
    HepingGISError
        ``mode`` is neither.

    Examples
    --------
    >>> from hepinggis.maps import notebook_assets
    >>> notebook_assets("cdn")     # where the notebook's readers reach the internet
    >>> notebook_assets("inline")  # back to the default
    >>> notebook_assets("online")
    Traceback (most recent call last):
        ...
    hepinggis.errors.HepingGISError: notebook_assets: mode must be 'inline' or 'cdn', not 'online'
    """
    if mode not in ("inline", "cdn"):
        raise HepingGISError(f"notebook_assets: mode must be 'inline' or 'cdn', not {mode!r}")
    _NOTEBOOK["inline"] = mode == "inline"


def _elements(root: Any) -> Iterator[Any]:
    yield root
    for child in list(getattr(root, "_children", {}).values()):
        yield from _elements(child)


class SafeFigure(Figure):
    """The page of a hepinggis map: renders the templates, then fills in the user-derived text that
    the elements kept out of them (one regex pass, so inserted text is never scanned again)."""

    def render(self, **kwargs: Any) -> str:
        page = super().render(**kwargs)
        payloads: dict[str, str] = {}
        for element in _elements(self):
            payloads.update(getattr(element, "_hg_payloads", {}))
        missing = set(_TOKEN.findall(page)) - payloads.keys()
        if missing:
            raise HepingGISError(f"internal: {len(missing)} map element(s) rendered without their text")
        return _TOKEN.sub(lambda m: payloads[m.group(0)], page)

    def _repr_html_(self, **kwargs: Any) -> str:
        """Jupyter: the page in an iframe, with Leaflet inlined unless ``notebook_assets("cdn")``."""
        page = self.render(**kwargs)
        if _NOTEBOOK["inline"]:
            page = inline_assets(page, strict=False)
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;padding-bottom:60%;">'
            f'<iframe srcdoc="{html.escape(page, quote=True)}" style="position:absolute;width:100%;height:100%;'
            'left:0;top:0;border:none !important;" allowfullscreen></iframe></div></div>'
        )


class FitView(MacroElement):
    """Fit the map to ``bounds`` on load, keeping clear of the panels: the right-hand padding is
    ``right_px`` but never more than ``right_share`` of the map's width (phones). Also marks the
    map container ``hg-zoom-close`` from `JIEDAO_LABEL_ZOOM` on, for the 街道 labels, and
    ``hg-zoom-street`` from `STREET_ZOOM` on, which hides the density grid. Numbers only:
    no user text reaches this template."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var size = map.getSize();
            var pane = map.createPane('hg-labels');  // names above the markers: never covered
            pane.style.zIndex = 640; pane.style.pointerEvents = 'none';
            var phone = window.innerWidth < 700;  // the panels start folded there: no room to keep
            map.fitBounds({{ this.bounds_js }}, {
                paddingTopLeft: [phone ? 12 : {{ this.left_px }}, 12],
                paddingBottomRight: [phone ? 12 : Math.min({{ this.right_px }}, size.x * {{ this.right_share }}), 12]
            });
            var mark = function () {
                var c = map.getContainer(), z = map.getZoom();
                if (z >= {{ this.label_zoom }}) { L.DomUtil.addClass(c, 'hg-zoom-close'); }
                else { L.DomUtil.removeClass(c, 'hg-zoom-close'); }
                if (z >= {{ this.street_zoom }}) { L.DomUtil.addClass(c, 'hg-zoom-street'); }
                else { L.DomUtil.removeClass(c, 'hg-zoom-street'); }
            };
            map.on('zoomend', mark); mark();
        })();
        {% endmacro %}
    """)

    def __init__(
        self, bounds: list[list[float]], *, left_px: int = 12, right_px: int = 12, right_share: float = 0.45
    ) -> None:
        super().__init__()
        self._name = "FitView"
        self.bounds_js = json.dumps([[float(v) for v in corner] for corner in bounds])
        self.left_px, self.right_px, self.right_share = int(left_px), int(right_px), float(right_share)
        self.label_zoom = JIEDAO_LABEL_ZOOM
        self.street_zoom = STREET_ZOOM


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's control_scale adds feet/miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


def new_map(bounds: list[list[float]], *, right_px: int = 12, left_px: int = 12) -> folium.Map:
    """A folium Map with only Leaflet as its assets (no jQuery, bootstrap or font CDNs), on a
    `SafeFigure`, fitted to ``bounds`` at a fractional zoom (quarter steps) so that the area fills
    the view, with a metric scale bar."""
    m = folium.Map(
        location=[(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2],
        zoom_start=12,
        tiles=None,
        control_scale=False,
        prefer_canvas=False,
        zoomSnap=0.25,
        zoomDelta=0.5,
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,  # Leaflet.markercluster needs it, and a map without tiles has none
    )
    use_assets(m, "leaflet_js", "leaflet_css")
    SafeFigure().add_child(m)
    MetricScale().add_to(m)
    FitView(bounds, left_px=left_px, right_px=right_px).add_to(m)
    return m


def _vendor(name: str) -> str:
    return resources.files("hepinggis.maps").joinpath("_vendor", name).read_text(encoding="utf-8")


_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
_EXTERNAL = re.compile(r'(?:src|href)\s*=\s*["\'](https?:)?//', re.I)


def inline_assets(page: str, *, strict: bool = True) -> str:
    """Replace every vendored asset's <script src>/<link href> with its inlined content; with
    ``strict``, raise if any other external src/href remains (an offline page must not need the
    network; tiles of a basemap are loaded by script and are not counted)."""
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
    if leftover and strict:
        found = re.findall(r'(?:src|href)\s*=\s*["\']((?:https?:)?//[^"\']+)', page, re.I)
        raise HepingGISError(f"the page still loads {len(found)} external resource(s): {', '.join(found[:5])}")
    return page


def write_page(page: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
