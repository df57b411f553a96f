"""``hepinggis monitor``: the annual monitoring package (规划实施监测评估) — maps, one-page PDFs and
a workbook of how far each zone and the district are from their 2025 targets, what the figures
cover, which rows were not read, and which projects changed."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from hepinggis.base._style import PLAN_TITLE_ZH, ZONE_SHORT_ZH
from hepinggis.errors import NoFiguresError
from hepinggis.io._sheets import write_workbook
from hepinggis.io._staging import note_in_manifest, staged_folder
from hepinggis.io.importer import ImportResult
from hepinggis.maps._leaflet import GeoJsonOverlay, HtmlControl, esc
from hepinggis.maps._map_layers import legend, zone_layer
from hepinggis.maps._web import feature_collection, label_points
from hepinggis.maps.interactive import _bounds, _start, _title, save_html
from hepinggis.monitor._credits import credit_lines
from hepinggis.monitor._forked import can_fork
from hepinggis.monitor._layers import layer, read_once
from hepinggis.monitor._pdf import monitor_pdf, pages, pdfs_written
from hepinggis.monitor._targets import coverage as coverage_words
from hepinggis.monitor._targets import indicator_record, not_monitored
from hepinggis.monitor._trend import trend, trend_svg
from hepinggis.monitor._words import (
    NO_DATA_COLOUR,
    STATUS_COLORS,
    STATUS_TEXT,
    STATUS_ZH,
    Coverage,
    figure_parts,
    fmt_pct,
    share_colour,
    target_name,
)
from hepinggis.monitor._workbook import monitor_tables
from hepinggis.monitor.changes import CHANGE_ZH, project_changes
from hepinggis.monitor.evaluate import JUDGED, asked_year, check_year, evaluate, zone_summary
from hepinggis.monitor.indicators import ActualsResult, read_actuals

__all__ = ["STATUS_COLORS", "STATUS_ZH", "monitor", "monitor_map", "monitor_pdf"]

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


def _chip(status: str) -> str:
    """The status word on its colour (contrast ≥ 4.5:1, see `STATUS_TEXT`)."""
    return (
        f'<span class="hg-status" style="background:{STATUS_COLORS[status]};color:{STATUS_TEXT[status]}">'
        f"{esc(STATUS_ZH[status])}</span>"
    )


def _figure_line(r: Mapping[str, Any]) -> str:
    """The figure judged, the requirement now and in 2025, the progress — rounded to the unit."""
    if r["status"] in ("qualitative", "no_data") or pd.isna(r["latest"]):
        return ""
    parts = figure_parts(r)
    if pd.notna(r["required"]) and pd.notna(r["progress_pct"]) and r["status"] in JUDGED:
        parts.append(f"进度 {fmt_pct(r['progress_pct'])}")
    return "；".join(parts)


def _plan_words(iid: str) -> tuple[str, str]:
    ind = indicator_record(iid)
    return str(ind["quote"]), str(ind["plan_section"])


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


def _labels(m: folium.Map, zones: gpd.GeoDataFrame, texts: dict[str, tuple[str, str]]) -> None:
    points = gpd.GeoDataFrame(
        {"id": zones["id"].to_numpy()}, geometry=label_points(zones.geometry), crs=zones.crs, index=zones.index
    )
    GeoJsonOverlay(
        feature_collection(
            points,
            lambda r: {
                "_label": "<br>".join(esc(t) for t in texts.get(r["id"], (str(r["id"]), ""))),
                "_s": {"className": "hg-mon-label"},
            },
            gcj02=False,
        )
    ).add_to(m)
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
    summary = zone_summary(results)
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


def _list(title: str, rows: pd.DataFrame, zones: gpd.GeoDataFrame) -> str:
    if rows.empty:
        return f"<p><b>{esc(title)}</b>：无</p>"
    items = "、".join(f"{target_name(str(r['target_id']), zones)}·{r['indicator_zh']}" for _, r in rows.iterrows())
    return f"<p><b>{esc(title)}（{len(rows)} 项）</b>：{esc(items)}</p>"


def _target_table(results: pd.DataFrame, tid: str) -> str:
    rows = []
    for rec in results[results["target_id"] == tid].to_dict("records"):
        r = {str(k): v for k, v in rec.items()}
        quote, section = _plan_words(str(r["indicator_id"]))
        said = [t for t in (_figure_line(r),) if t]
        if r.get("question"):
            said.append(f"待核实：{r['question']}")
        for key, label in (("rule_zh", "规则"), ("tool_note", "说明"), ("later", "规划期后"), ("note", "备注")):
            if r.get(key):
                said.append(f"{label}：{r[key]}")
        rows.append(
            f"<tr><td>{esc(r['indicator_zh'])}</td><td class='q'>“{esc(quote)}”<br><small>{esc(section)}</small></td>"
            f"<td>{esc(r['target_zh'])}</td><td>{_chip(str(r['status']))}</td>"
            f"<td>{'<br>'.join(esc(t) for t in said) or '—'}</td></tr>"
        )
    return (
        "<table class='ind'><tr><th>指标</th><th>规划原文</th><th>目标</th><th>状态</th><th>数值与判断</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _index_html(
    entries: list[tuple[str, str]],
    results: pd.DataFrame,
    actuals: ActualsResult,
    year: int | None,
    changes: pd.DataFrame | None,
    credits: list[str],
) -> str:
    zones = layer("zones")
    summary = zone_summary(results)
    coverage = Coverage(results, len(actuals.rejected))
    heads = ["功能区/轴/带/全区", "定量指标", "有数据", *[STATUS_ZH[s] for s in STATUS_ZH], "达到进度占比"]
    body = []
    for tid, rec in summary.iterrows():
        cells = [target_name(str(tid), zones), str(int(rec["quantitative"])), str(int(rec["with_data"]))]
        cells += [str(int(rec[s])) for s in STATUS_ZH]
        cells.append(fmt_pct(rec["on_track_pct"]) if rec["with_data"] else "无数据")
        colour = share_colour(rec["on_track_pct"])
        body.append(
            "<tr>"
            + "".join(f"<td>{esc(c)}</td>" for c in cells[:-1])
            + f'<td><i class="sw" style="background:{colour}"></i>{esc(cells[-1])}</td></tr>'
        )
    refused = actuals.rejected
    refused_rows = "".join(
        f"<tr><td>{esc(r['row'])}</td><td>{esc(r['indicator_id'] or '')}</td><td>{esc(r['field'] or '')}</td>"
        f"<td>{esc(r['message'])}</td></tr>"
        for r in refused.to_dict("records")
    )
    where = f"工作表“{actuals.sheet}”" if actuals.sheet else "CSV"
    refused_html = (
        f"<h2>未读入的行（{len(refused)}）</h2><p>行号为{esc(where)}中显示的行号。</p>"
        f"<table><tr><th>行号</th><th>指标编号</th><th>栏目</th><th>原因</th></tr>{refused_rows}</table>"
        if len(refused)
        else "<p>填报表各行均已读入。</p>"
    )
    doubts = results[results["question"].astype(str) != ""]
    doubt_html = ""
    if len(doubts):
        items = "".join(
            f"<li>{esc(target_name(str(r['target_id']), zones))}·{esc(r['indicator_zh'])}：{esc(r['question'])}</li>"
            for _, r in doubts.iterrows()
        )
        doubt_html = f"<h2>待核实的数值（{len(doubts)} 项）</h2><p>核实前不作判断。</p><ul>{items}</ul>"
    judged = results[results["status"].isin(["achieved_early", "on_track", "behind", "at_risk", "achieved", "missed"])]
    lists = (
        _list("已监测（有数据并已判断）", judged, zones)
        + _list("待核实", results[results["status"] == "to_confirm"], zones)
        + _list("缺基数，无法评估", results[results["status"] == "no_base"], zones)
        + _list("无数据", results[results["status"] == "no_data"], zones)
        + _list("定性目标（规划以文字表述，不设数值）", results[results["status"] == "qualitative"], zones)
        + f"<p>{esc(coverage_words())}</p><h3>未监测的规划目标</h3><ul>"
        + "".join(
            f"<li>{esc(n['plan_section'])}：“{esc(n['quote'])}”——{esc(n['reason'])}</li>" for n in not_monitored()
        )
        + "</ul>"
    )
    sections = "".join(
        f"<h3>{esc(target_name(str(tid), zones))}</h3>{_target_table(results, str(tid))}" for tid in summary.index
    )
    change_html = ""
    if changes is not None:
        counts = changes["change"].value_counts()
        items = "".join(f"<li>{esc(CHANGE_ZH.get(str(k), str(k)))}：{int(v)}</li>" for k, v in counts.items())
        change_html = f"<h2>项目变化</h2><ul>{items or '<li>无变化</li>'}</ul>"
    banner = "<p class='example'>示例数据，非真实统计：仅用于演示。</p>" if actuals.is_example else ""
    links = "\n".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in entries)
    when = f"{year}年" if year else "最新"
    credit_html = "".join(f"<p class='credit'>{esc(c)}</p>" for c in credits)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(when)}规划实施监测</title>
<style>body{{font:15px/1.6 "WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:1200px;
margin:2em auto;color:#222}}table{{border-collapse:collapse;margin:0.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 8px;vertical-align:top}}table.ind td.q{{max-width:320px}}
.hg-status{{display:inline-block;padding:0 5px;border-radius:3px;font-size:13px;white-space:nowrap}}
.sw{{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}}
.credit{{color:#444;margin:0}}.example{{background:#fff3cd;padding:4px 8px}}</style></head>
<body><h1>{esc(PLAN_TITLE_ZH)} · {esc(when)}规划实施监测</h1>{banner}
<p>读入 {len(actuals.values)} 项数值。{esc(coverage.text())}。</p>
<p>达到进度占比 = 有数据的指标中“提前达成、达到进度、已达成”的比例；待核实、无法评估、无数据的指标不计入，另列其数。</p>
<table><tr>{"".join(f"<th>{esc(h)}</th>" for h in heads)}</tr>{"".join(body)}</table>
<h2>监测范围</h2>{lists}
{doubt_html}{refused_html}{change_html}
<h2>逐项判断与规划原文</h2>{sections}
<h2>地图、PDF 与工作簿</h2><ul>{links}</ul>
<p style="color:#444">单文件 HTML，脚本已内嵌，可离线打开。</p>{credit_html}</body></html>
"""


def _changes(projects_by_year: Mapping[int, gpd.GeoDataFrame | ImportResult]) -> pd.DataFrame:
    years = sorted(projects_by_year)
    parts = []
    for a, b in itertools.pairwise(years):
        old, new = projects_by_year[a], projects_by_year[b]
        old_frame = old.projects if isinstance(old, ImportResult) else old
        refused = new.rejected if isinstance(new, ImportResult) else None
        new_frame = new.projects if isinstance(new, ImportResult) else new
        part = project_changes(old_frame, new_frame, refused=refused)
        part.insert(0, "years", f"{a}→{b}")
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["years", "change"])


@read_once()  # the zones are read once for all the maps, pages and sheets
def monitor(
    actuals: str | Path | ActualsResult,
    out_dir: str | Path = Path("maps") / "monitor",
    *,
    year: int | None = None,
    projects_by_year: Mapping[int, gpd.GeoDataFrame | ImportResult] | None = None,
    sheet: str | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """Write the monitoring package: ``index.html`` (what is monitored, has no data, is
    qualitative or asked about; every zone's verdicts beside the plan's sentences; the rows not
    read; project changes), an overview map of the share of indicators on track per zone, one
    monitoring map and one printable A4 PDF per zone and for the district, and ``monitoring.xlsx``
    (Chinese sheets: evaluation with the plan's sentence and the rule of each row, zone summary,
    targets, figures, reading report, coverage, credits, and the project changes between
    consecutive years when ``projects_by_year`` is given).

    ``year`` is the year asked (2021–2030; default: the latest year of 2021–2025 with a figure).
    A file with no figure at all is refused (`NoFiguresError`): an empty package would look like
    a monitoring. The package is written beside ``out_dir`` and swapped in when complete (a kill
    leaves the old package or the new one). The CJK font of the PDFs is subset once for all.

    ``workers=2`` draws the PDFs in a forked process beside the maps (default: where that is safe,
    `hepinggis.monitor._forked.can_fork`; ``1`` writes everything in this process). The files are
    the same either way.

    Parameters
    ----------
    actuals : str, Path or ActualsResult
        The yearly figures: a file `read_actuals` reads, or what it returned.
    out_dir : str or Path, default "maps/monitor"
        The package folder (new, empty or an earlier package).
    year : int, optional
        The year asked (see above).
    projects_by_year : mapping of int to GeoDataFrame or ImportResult, optional
        The project list of each year, for the changes between consecutive years.
    sheet : str, optional
        The sheet of ``actuals`` to read (as for `read_actuals`).
    workers : int, optional
        ``1`` writes everything in this process, ``2`` draws the PDFs beside the maps.

    Returns
    -------
    dict of str to Path
        Each file of the package (``index.html``, ``overview.html``, ``monitor_<zone>.html`` and
        ``.pdf``, ``monitoring.xlsx``) and where it was written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> figures = folder / "figures.csv"
    >>> _ = figures.write_text("指标编号,年份,数值\\nsanhaojie_high_tech_firms,2022,61\\n", encoding="utf-8")
    >>> written = monitor(figures, folder / "monitor", workers=1)
    >>> sorted(written)[:3], written["monitoring.xlsx"].is_file()
    (['index.html', 'monitor_beishichang.html', 'monitor_beishichang.pdf'], True)
    """
    check_year(year)
    result = actuals if isinstance(actuals, ActualsResult) else read_actuals(actuals, sheet=sheet)
    if result.values.empty:
        counts = result.report["outcome"].value_counts()
        raise NoFiguresError(
            f"{Path(result.source).name}：没有读入任何数值（{result.rows_in} 行中未读入 "
            f"{int(counts.get('rejected', 0))} 行、未填 {int(counts.get('blank', 0))} 行、"
            f"填报为无数据 {int(counts.get('no_data', 0))} 行）：请先填写“数值”栏"
        )
    when = year if year is not None else asked_year(result)
    results = evaluate(result, year=when)
    changes = _changes(projects_by_year) if projects_by_year else None
    credits = credit_lines(result.source, sheet=result.sheet, example=result.is_example)
    common: dict[str, Any] = {
        "year": when,
        "values": result.values,
        "refused_rows": len(result.rejected),
        "credits": credits,
    }
    written: dict[str, Path] = {}
    entries: list[tuple[str, str]] = []
    zones = layer("zones")
    targets = [("district", target_name("district")), *((str(z.id), str(z.name_zh)) for z in zones.itertuples())]
    if workers is None:
        workers = 2 if can_fork() else 1
    with staged_folder(out_dir) as out:
        jobs = [(pages(results, tid, **common), out / f"monitor_{tid}.pdf") for tid, _ in targets]
        with pdfs_written(jobs, workers=workers):  # the PDFs drawn beside the maps on two cores
            written["overview.html"] = save_html(monitor_map(results, None, **common), out / "overview.html")
            entries.append(("overview.html", "总览图：各功能区达到进度的指标占比（有数据的指标中）"))
            for tid, name in targets:
                html, pdf = f"monitor_{tid}.html", f"monitor_{tid}.pdf"
                written[html] = save_html(monitor_map(results, tid, **common), out / html)
                written[pdf] = out / pdf
                entries += [(html, f"{name}（交互地图）"), (pdf, f"{name}（A4 PDF）")]
            tables = monitor_tables(results, result, changes, credits)
            written["monitoring.xlsx"] = write_workbook(tables, out / "monitoring.xlsx")
            entries.append(("monitoring.xlsx", f"监测结果工作簿（{'、'.join(tables)}）"))
        entries = [(h, t) for h, t in entries if (out / h).is_file()]  # the index links only what exists
        (out / "index.html").write_text(_index_html(entries, results, result, when, changes, credits), encoding="utf-8")
    dest = Path(out_dir).absolute()
    written = {name: dest / name for name in [*written, "index.html"]}
    linked = _link_from_gallery(dest)
    # a briefing package around it stays verifiable: its gallery changed, this folder is its own
    note_in_manifest(dest.parent, rewritten=("index.html",) if linked else (), carried=(dest.name,))
    return written


def _link_from_gallery(out: Path) -> bool:
    """Add the package to the briefing gallery beside it (``hepinggis build``'s index.html), once;
    the gallery is rewritten atomically. Says whether it was rewritten."""
    gallery = out.parent / "index.html"
    if not gallery.is_file():
        return False
    page = gallery.read_text(encoding="utf-8")
    href = f"{out.name}/index.html"
    if PLAN_TITLE_ZH not in page or f'href="{href}"' in page or "</ul>" not in page:
        return False
    item = f'<li><a href="{esc(href)}">规划实施监测</a> — 各功能区2025年目标的进度、逐区地图与PDF</li>\n</ul>'
    tmp = gallery.with_name(f".{gallery.name}.tmp")
    tmp.write_text(page.replace("</ul>", item, 1), encoding="utf-8")
    os.replace(tmp, gallery)
    return True
