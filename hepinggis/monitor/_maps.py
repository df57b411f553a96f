"""The monitoring maps (`monitor_map`): zones coloured by the share of their indicators on track,
labelled without overlaps, and a panel of each indicator of the zone shown — the status word on its
colour, the plan's sentence, the figure judged, the rule and the trend. Loaded by
`hepinggis.monitor.package` only where the maps are written (folium is not needed before)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.maps._frame import _bounds, _start, _title
from hepinggis.maps._leaflet import HtmlControl, esc
from hepinggis.maps._map_layers import legend, zone_labels, zone_layer
from hepinggis.maps._web import label_points
from hepinggis.monitor._credits import credit_lines
from hepinggis.monitor._html_parts import _chip, _figure_line, _plan_words
from hepinggis.monitor._layers import layer, memo
from hepinggis.monitor._trend import trend, trend_svg
from hepinggis.monitor._words import (
    NO_DATA_COLOUR,
    STATUS_COLORS,
    Coverage,
    fmt_pct,
    share_colour,
    target_name,
)
from hepinggis.monitor.evaluate import JUDGED, evaluate, zone_summary  # noqa: F401  (evaluate: the example)

__all__ = ["monitor_map"]

_CSS = (
    ".hg-ind{margin:4px 0 10px;border-top:1px solid #ddd;padding-top:4px}.hg-ind .name{font-weight:bold}"
    ".hg-ind .meta{color:#333}.hg-ind .quote{color:#222;background:#f5f5f5;padding:1px 4px}"
    ".hg-ind .ask{color:#6a1b9a;font-weight:bold}"
    ".hg-bar{height:8px;background:#eee;border-radius:4px;overflow:hidden;margin:2px 0}"
    ".hg-bar span{display:block;height:100%}"
    ".hg-status{display:inline-block;padding:0 5px;border-radius:3px;font-size:12px}"
    ".hg-side{max-height:70vh;overflow:auto;max-width:360px}"
    ".hg-mon-label span{background:#fff;border:1px solid #555;border-radius:3px;padding:1px 4px;font-size:12px;"
    "line-height:1.3;color:#222;text-align:center}"
)


def _indicator_html(r: Mapping[str, Any], sparkline: str) -> str:
    status = str(r["status"])
    quote, section = _plan_words(str(r["indicator_id"]))
    lines: list[tuple[str, str]] = [("quote", f"规划原文：“{quote}”（{section}）"), ("meta", f"目标：{r['target_zh']}")]
    pct = r["progress_pct"]
    bar = ""
    if status in JUDGED and isinstance(pct, float) and not math.isnan(pct):  # 待核实: no progress shown
        width = min(max(pct, 0.0), 100.0)
        bar = f'<div class="hg-bar"><span style="width:{width:.0f}%;background:{STATUS_COLORS[status]}"></span></div>'
    figure = _figure_line(r)
    if figure:
        lines.append(("meta", figure))
    if r.get("question"):
        lines.append(("ask", f"待核实：{r['question']}"))
    if r.get("rule_zh"):
        lines.append(("meta", f"规则：{r['rule_zh']}"))
    if r.get("later"):
        lines.append(("meta", f"规划期后：{r['later']}"))
    if r.get("tool_note"):
        lines.append(("meta", f"说明：{r['tool_note']}"))
    if r.get("note"):
        lines.append(("meta", f"备注：{r['note']}"))
    meta = "".join(f"<div class='{c}'>{esc(t)}</div>" for c, t in lines)
    return (
        f'<div class="hg-ind"><div class="name">{_chip(status)} {esc(r["indicator_zh"])}</div>'
        f"{bar}{sparkline}{meta}</div>"
    )


def _share_label(zid: str, row: pd.Series | None) -> tuple[str, str]:
    short = ZONE_SHORT_ZH.get(zid, zid)
    if row is None or not row["quantitative"]:
        return short, "无定量指标"
    if not row["with_data"]:
        return short, "无数据"
    good = int(row["achieved_early"] + row["on_track"] + row["achieved"])
    return short, f"{fmt_pct(row['on_track_pct'])}（{good}/{int(row['with_data'])}项）"


class _LabelPlacer(MacroElement):
    """Moves a zone label down below any label it would overlap (greedy, in page order), after
    the map is drawn and after every zoom: no two labels overlap at any window size. Static
    script: no user text reaches it."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            function place() {
                var spans = Array.prototype.slice.call(document.querySelectorAll('.hg-mon-label span'));
                spans.forEach(function (s) { s.style.marginTop = '0px'; });
                var boxes = [];
                spans.forEach(function (s) {
                    var r = s.getBoundingClientRect(), dy = 0, moved = true, guard = 0;
                    while (moved && guard++ < 60) {
                        moved = false;
                        for (var i = 0; i < boxes.length; i++) {
                            var b = boxes[i];
                            if (r.left < b.right + 2 && r.right > b.left - 2 && r.top + dy < b.bottom + 2 &&
                                r.bottom + dy > b.top - 2) { dy = b.bottom + 3 - r.top; moved = true; }
                        }
                    }
                    s.style.marginTop = dy + 'px';
                    boxes.push({left: r.left, right: r.right, top: r.top + dy, bottom: r.bottom + dy});
                });
            }
            map.whenReady(function () { setTimeout(place, 0); });
            map.on('zoomend viewreset resize', place);
            window.hgPlaceLabels = place;
        })();
        {% endmacro %}
    """)


def _summary(results: pd.DataFrame) -> pd.DataFrame:
    """`zone_summary` of ``results``, counted once per package for its nine maps."""
    kept, summary = memo(("zone summary", id(results)), lambda: (results, zone_summary(results)))
    return summary if kept is results else zone_summary(results)  # another frame now has that id


def _labels(m: folium.Map, zones: gpd.GeoDataFrame, texts: dict[str, tuple[str, str]]) -> None:
    # the zones' label points found once per package (the zones are read once per package)
    where = memo(("zone label points",), lambda: label_points(zones.geometry))
    zone_labels(m, zones, texts, False, class_name="hg-mon-label", points=where)
    _LabelPlacer().add_to(m)


def monitor_map(
    results: pd.DataFrame,
    zone_id: str | None = None,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    credits: list[str] | None = None,
) -> folium.Map:
    """A monitoring map: zones coloured by the share of their indicators on track among those with
    data (the status palette; grey: no data), labelled with that share (labels never overlap);
    with ``zone_id`` (a zone or ``"district"``) that zone highlighted and a panel listing each of
    its indicators — the status word on its colour, the plan's own sentence, the target with its
    unit, the figure judged and the requirement, the questions to the clerk, the rule and the
    trend. The title says the year, what is monitored and the credits (`credit_lines`). Every
    figure and note is escaped (notes are free text).

    Parameters
    ----------
    results : pandas.DataFrame
        `evaluate`'s table.
    zone_id : str, optional
        The zone (or ``"district"``) highlighted with its panel; None draws the overview alone.
    year : int, optional
        The year asked, for the title.
    values : pandas.DataFrame, optional
        The figures read (``ActualsResult.values``), for the trends.
    refused_rows : int, default 0
        How many rows the reading refused (said in the panel's coverage line).
    credits : list of str, optional
        The credit lines (default `credit_lines` of the plan).

    Returns
    -------
    folium.Map
        The map; `hepinggis.maps.save_html` writes it.

    Examples
    --------
    >>> import pandas as pd
    >>> r = evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"]))
    >>> "无数据" in monitor_map(r, "sanhaojie").get_root().render()
    True
    """
    zones = layer("zones")
    summary = _summary(results)
    share = summary["on_track_pct"].reindex(zones["id"])
    fill = {str(zid): share_colour(v) for zid, v in share.items()}
    shown = zones if zone_id in (None, "district") else zones[zones["id"] == zone_id]
    m, _ = _start(_bounds(layer("district") if zone_id in (None, "district") else shown), "none", None, right_px=370)
    zone_layer(
        m, zones, False, highlight=zone_id if zone_id not in (None, "district") else None, fill=fill, opacity=0.7
    )
    rows = {str(t): summary.loc[t] for t in summary.index}
    _labels(m, zones, {str(z): _share_label(str(z), rows.get(str(z))) for z in zones["id"]})
    when = f"{year}年" if year else "最新"
    name = "各功能区" if zone_id is None else target_name(zone_id, zones)
    coverage = Coverage(results if zone_id is None else results[results["target_id"] == zone_id], refused_rows)
    if zone_id is not None:
        mine = results[results["target_id"] == zone_id]
        figures = values if values is not None else pd.DataFrame(columns=["indicator_id", "year", "value"])
        body = f"<p>{esc(when)}度监测 · {esc(coverage.text())}</p>" + "".join(
            _indicator_html(r, _sparkline(figures, r))
            for r in ({str(k): v for k, v in rec.items()} for rec in mine.to_dict("records"))
        )
        HtmlControl(f"<style>{_CSS}</style>{body}", position="topright", css_class="hg-side", summary=esc(name)).add_to(
            m
        )
    else:
        HtmlControl(f"<style>{_CSS}</style>", position="topright").add_to(m)
    statuses = [f"<p>{_chip(s)}</p>" for s in STATUS_COLORS]
    shares = [
        f'<p><i style="background:{share_colour(v)}"></i>{lab}</p>'
        for v, lab in ((90, "≥ 80%"), (60, "50–80%"), (20, "< 50%"))
    ]
    legend(
        m,
        [
            ("指标状态", statuses),
            (
                "功能区：有数据的指标中达到进度的占比",
                [*shares, f'<p><i style="background:{NO_DATA_COLOUR}"></i>无数据</p>'],
            ),
        ],
    )
    credit = "；".join([coverage.text(), *(credits or credit_lines(None))])
    _title(m, f"{when}规划实施监测 · {name}", credit)
    return m


def _sparkline(values: pd.DataFrame, r: Mapping[str, Any]) -> str:
    if r["status"] in ("qualitative",) or not len(values):
        return ""
    series = trend(values, str(r["indicator_id"]), last_year=int(r["year"]) if pd.notna(r["year"]) else None)
    return trend_svg(series, colour=STATUS_COLORS[str(r["status"])])
