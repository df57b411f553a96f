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

from hepinggis.io._sheets import write_workbook
from hepinggis.io._staging import note_in_manifest, staged_folder
from hepinggis.io.importer import ImportResult
from hepinggis.maps._leaflet import HtmlControl, esc
from hepinggis.maps._map_layers import legend, zone_labels, zone_layer
from hepinggis.maps._style import PLAN_TITLE_ZH, ZONE_SHORT_ZH
from hepinggis.maps.interactive import _bounds, _start, _title, save_html
from hepinggis.monitor._pdf import monitor_pdf
from hepinggis.monitor._trend import trend, trend_svg
from hepinggis.monitor._words import (
    NO_DATA_COLOUR,
    STATUS_COLORS,
    STATUS_ZH,
    Coverage,
    fmt,
    fmt_year,
    share_colour,
    target_name,
)
from hepinggis.monitor._workbook import monitor_tables
from hepinggis.monitor.changes import CHANGE_ZH, project_changes
from hepinggis.monitor.evaluate import evaluate, zone_summary
from hepinggis.monitor.indicators import ActualsResult, read_actuals
from hepinggis.plan.layers import load

__all__ = ["STATUS_COLORS", "STATUS_ZH", "monitor", "monitor_map", "monitor_pdf"]

_BAR_CSS = (
    ".hg-ind{margin:4px 0 8px}.hg-ind .name{font-weight:bold}.hg-ind .meta{color:#555}"
    ".hg-bar{height:8px;background:#eee;border-radius:4px;overflow:hidden;margin:2px 0}"
    ".hg-bar span{display:block;height:100%}"
    ".hg-status{display:inline-block;padding:0 5px;border-radius:3px;color:#fff;font-size:11px}"
    ".hg-status.light{color:#222}.hg-side{max-height:70vh;overflow:auto;max-width:340px}"
)


def _pct(value: object) -> str:
    """A percentage, whole ("52%"); "—" when there is none (never "nan%" or "—%")."""
    text = fmt(value)
    return "—" if text == "—" else f"{float(value):.0f}%"  # type: ignore[arg-type]


def _chip(status: str) -> str:
    light = " light" if status in ("no_data", "qualitative", "behind") else ""
    return f'<span class="hg-status{light}" style="background:{STATUS_COLORS[status]}">{esc(STATUS_ZH[status])}</span>'


def _indicator_html(r: Mapping[str, Any], sparkline: str) -> str:
    status = str(r["status"])
    unit = r["unit"]
    lines: list[str] = []
    pct = r["progress_pct"]
    bar = ""
    if isinstance(pct, float) and not math.isnan(pct):
        width = min(max(pct, 0.0), 100.0)
        bar = f'<div class="hg-bar"><span style="width:{width:.0f}%;background:{STATUS_COLORS[status]}"></span></div>'
    if status not in ("qualitative", "no_data"):
        lines.append(f"{fmt_year(r['latest_year'])}年：{fmt(r['latest'], unit)}（{r['aggregation']}）")
        lines.append(
            f"应达 {fmt(r['required'], unit)}；{fmt_year(r['target_year'])}年需 {fmt(r['final_required'], unit)}；"
            f"进度 {_pct(pct)}"
        )
    if r.get("rule_zh"):
        lines.append(f"规则：{r['rule_zh']}")
    if r.get("later"):
        lines.append(f"规划期后：{r['later']}")
    if r.get("tool_note"):
        lines.append(f"说明：{r['tool_note']}")
    if r.get("note"):
        lines.append(f"备注：{r['note']}")
    meta = "".join(f"<div class='meta'>{esc(t)}</div>" for t in lines)
    return (
        f'<div class="hg-ind"><div class="name">{esc(r["indicator_zh"])} {_chip(status)}</div>'
        f"{bar}{sparkline}{meta}</div>"
    )


def _share_label(zid: str, row: pd.Series | None) -> str:
    short = ZONE_SHORT_ZH.get(zid, zid)
    if row is None or not row["quantitative"]:
        return f"{short} 无定量指标"
    if not row["with_data"]:
        return f"{short} 无数据（{int(row['quantitative'])} 项均无数值）"
    good = int(row["achieved_early"] + row["on_track"] + row["achieved"])
    return f"{short} {row['on_track_pct']:.0f}%（达到进度 {good}/{int(row['with_data'])} 项）"


def monitor_map(
    results: pd.DataFrame,
    zone_id: str | None = None,
    *,
    year: int | None = None,
    values: pd.DataFrame | None = None,
    refused_rows: int = 0,
    source: str | None = None,
    example: bool = False,
) -> folium.Map:
    """A monitoring map: zones coloured by the share of their indicators on track among those with
    data (the status palette; grey: no data), labelled with that share and its count; with
    ``zone_id`` (a zone or ``"district"``) that zone highlighted and a panel listing each of its
    indicators — status, figure, requirement, progress bar, the rule applied and the trend (from
    ``values``, the figures read). The title says the year, the figures' source, their coverage
    and the rows not read. Every figure and note is escaped (notes are free text).

    Examples
    --------
    >>> import pandas as pd
    >>> r = evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"]))
    >>> "无数据" in monitor_map(r, "sanhaojie").get_root().render()
    True
    """
    zones = load("zones")
    summary = zone_summary(results)
    share = summary["on_track_pct"].reindex(zones["id"])
    fill = {str(zid): share_colour(v) for zid, v in share.items()}
    shown = zones if zone_id in (None, "district") else zones[zones["id"] == zone_id]
    m, _ = _start(_bounds(load("district") if zone_id in (None, "district") else shown), "none", None, right_px=350)
    zone_layer(
        m, zones, False, highlight=zone_id if zone_id not in (None, "district") else None, fill=fill, opacity=0.7
    )
    rows = {str(t): summary.loc[t] for t in summary.index}
    zone_labels(m, zones, {str(z): _share_label(str(z), rows.get(str(z))) for z in zones["id"]}, False)
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
        HtmlControl(
            f"<style>{_BAR_CSS}</style>{body}", position="topright", css_class="hg-side", summary=esc(name)
        ).add_to(m)
    statuses = [f'<p><i style="background:{c}"></i>{esc(STATUS_ZH[s])}</p>' for s, c in STATUS_COLORS.items()]
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
    credit = f"监测数据：{source or '—'}{'（示例数据，非真实统计）' if example else ''}；{coverage.text()}"
    _title(m, f"{when}规划实施监测 · {name}", credit)
    return m


def _sparkline(values: pd.DataFrame, r: Mapping[str, Any]) -> str:
    if r["status"] in ("qualitative",) or not len(values):
        return ""
    series = trend(values, str(r["indicator_id"]), last_year=int(r["year"]) if pd.notna(r["year"]) else None)
    return trend_svg(series, colour=STATUS_COLORS[str(r["status"])])


def _index_html(
    entries: list[tuple[str, str]],
    results: pd.DataFrame,
    actuals: ActualsResult,
    year: int | None,
    changes: pd.DataFrame | None,
) -> str:
    zones = load("zones")
    summary = zone_summary(results)
    coverage = Coverage(results, len(actuals.rejected))
    heads = ["功能区/轴/带/全区", "编号", "定量指标", "有数据", *[STATUS_ZH[s] for s in STATUS_ZH], "达到进度占比"]
    body = []
    for tid, rec in summary.iterrows():
        cells = [target_name(str(tid), zones), str(tid), str(int(rec["quantitative"])), str(int(rec["with_data"]))]
        cells += [str(int(rec[s])) for s in STATUS_ZH]
        cells.append(_pct(rec["on_track_pct"]) if rec["with_data"] else "无数据")
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
    refused_html = (
        f"<h2>未读入的行（{len(refused)}）</h2><table><tr><th>行号</th><th>指标编号</th><th>栏目</th><th>原因</th></tr>"
        f"{refused_rows}</table>"
        if len(refused)
        else "<p>填报表各行均已读入。</p>"
    )
    change_html = ""
    if changes is not None:
        counts = changes["change"].value_counts()
        items = "".join(f"<li>{esc(CHANGE_ZH.get(str(k), str(k)))}：{int(v)}</li>" for k, v in counts.items())
        change_html = f"<h2>项目变化</h2><ul>{items or '<li>无变化</li>'}</ul>"
    banner = "<p class='example'>示例数据，非真实统计：仅用于演示。</p>" if actuals.is_example else ""
    links = "\n".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in entries)
    when = f"{year}年" if year else "最新"
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(when)}规划实施监测</title>
<style>body{{font:15px/1.6 "WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:1100px;
margin:2em auto;color:#222}}table{{border-collapse:collapse;margin:0.5em 0}}
td,th{{border:1px solid #ccc;padding:2px 8px}}
.sw{{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}}
.example{{background:#fff3cd;padding:4px 8px}}</style></head>
<body><h1>{esc(PLAN_TITLE_ZH)} · {esc(when)}规划实施监测</h1>{banner}
<p>监测数据：{esc(Path(actuals.source).name)}（读入 {len(actuals.values)} 项数值）。{esc(coverage.text())}。</p>
<p>达到进度占比 = 有数据的指标中“提前达成、达到进度、已达成”的比例；无数据的指标不计入，另列其数。</p>
<table><tr>{"".join(f"<th>{esc(h)}</th>" for h in heads)}</tr>{"".join(body)}</table>
{refused_html}{change_html}
<h2>地图、PDF 与工作簿</h2><ul>{links}</ul>
<p style="color:#666">单文件 HTML，脚本已内嵌，可离线打开。</p></body></html>
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


def monitor(
    actuals: str | Path | ActualsResult,
    out_dir: str | Path = Path("maps") / "monitor",
    *,
    year: int | None = None,
    projects_by_year: Mapping[int, gpd.GeoDataFrame | ImportResult] | None = None,
) -> dict[str, Path]:
    """Write the monitoring package: ``index.html`` (coverage, every zone's verdicts, the rows not
    read, project changes), an overview map of the share of indicators on track per zone, one
    monitoring map and one printable A4 PDF per zone and for the district, and ``monitoring.xlsx``
    (Chinese sheets: evaluation with the rule of each row, zone summary, targets, figures, reading
    report, coverage, and the project changes between consecutive years when ``projects_by_year``
    is given — lists as `read_projects` returns them, whose refused rows are listed as refused).

    The package is written beside ``out_dir`` and swapped in when complete (a kill leaves the old
    package or the new one).
    """
    result = actuals if isinstance(actuals, ActualsResult) else read_actuals(actuals)
    results = evaluate(result, year=year)
    when = year if year is not None else (int(result.values["year"].max()) if len(result.values) else None)
    changes = _changes(projects_by_year) if projects_by_year else None
    common: dict[str, Any] = {
        "year": when,
        "values": result.values,
        "refused_rows": len(result.rejected),
        "source": Path(result.source).name,
        "example": result.is_example,
    }
    written: dict[str, Path] = {}
    entries: list[tuple[str, str]] = []
    zones = load("zones")
    with staged_folder(out_dir) as out:
        written["overview.html"] = save_html(monitor_map(results, None, **common), out / "overview.html")
        entries.append(("overview.html", "总览图：各功能区达到进度的指标占比（有数据的指标中）"))
        targets = [("district", target_name("district")), *((str(z.id), str(z.name_zh)) for z in zones.itertuples())]
        for tid, name in targets:
            html, pdf = f"monitor_{tid}.html", f"monitor_{tid}.pdf"
            written[html] = save_html(monitor_map(results, tid, **common), out / html)
            written[pdf] = monitor_pdf(results, tid, out / pdf, **common)
            entries += [(html, f"{name}（交互地图）"), (pdf, f"{name}（A4 PDF）")]
        tables = monitor_tables(results, result, changes)
        written["monitoring.xlsx"] = write_workbook(tables, out / "monitoring.xlsx")
        entries.append(
            (
                "monitoring.xlsx",
                "监测结果工作簿（指标评估、功能区汇总、规划目标、填报数据、读取报告、数据覆盖、项目变化）",
            )
        )
        (out / "index.html").write_text(_index_html(entries, results, result, when, changes), encoding="utf-8")
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
