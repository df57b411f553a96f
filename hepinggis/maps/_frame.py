"""The frame every interactive map starts from: fitted to its bounds with room for the panels,
the basemap's tiles, full screen and measuring controls, and the title block with the credits of
everything it draws."""

from __future__ import annotations

import folium
import geopandas as gpd
from folium.plugins import Fullscreen, MeasureControl

from hepinggis.base._credits import PLAN_CREDIT_ZH, source_credit
from hepinggis.base._layer_source import boundary_credit
from hepinggis.base._style import PLAN_TITLE_ZH
from hepinggis.maps._leaflet import HtmlControl, esc, new_map, use_assets
from hepinggis.maps.basemaps import Basemap, basemap


def _bounds(frame: gpd.GeoDataFrame | gpd.GeoSeries, pad: float = 0.0) -> list[list[float]]:
    minx, miny, maxx, maxy = frame.total_bounds
    return [[miny - pad, minx - pad], [maxy + pad, maxx + pad]]


#: Room kept free for the panels on the right when a map is fitted (px; at most 45 % of the width).
_RIGHT_PANEL_PX = 345
_LEGEND_PX = 230


def _start(bounds: list[list[float]], name: str, key: str | None, *, right_px: int) -> tuple[folium.Map, Basemap]:
    bm = basemap(name, key=key)
    m = new_map(bounds, right_px=right_px, left_px=50)
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


def _title(m: folium.Map, subtitle: str, credit: str | None = None) -> None:
    """The title block: what the map shows, and the credits of everything it draws."""
    projects = f'<p class="hg-credit-projects">{esc(credit)}</p>' if credit else ""
    adopted = boundary_credit()
    if adopted:
        projects += f'<p class="hg-credit-boundaries">{esc(adopted)}</p>'

    html = (
        f'<div class="hg-north" title="上北下南">▲<br>N</div><p><b>{esc(subtitle)}</b></p>'
        f"<p>{esc(PLAN_CREDIT_ZH)}</p>{projects}<p style='color:#666'>{esc(source_credit())}</p>"
    )
    HtmlControl(html, position="bottomleft", css_class="hg-title", summary=esc(PLAN_TITLE_ZH)).add_to(m)
