"""``hepinggis monitor``: the annual monitoring package (规划实施监测评估) — maps, one-page PDFs and
a workbook of how far each zone is from its 2025 targets, and which projects moved."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from ._leaflet import HtmlControl, esc, new_map
from ._map_layers import legend, zone_labels, zone_layer
from ._sheets import write_workbook
from ._style import PLAN_TITLE_ZH, ZONE_COLORS, ZONE_SHORT_ZH
from .changes import project_changes
from .evaluate import STATUSES, evaluate, zone_summary
from .indicators import ActualsResult, indicators, read_actuals
from .layers import load
from .maps import choropleth_map, save_html
from .measure import MEASURE_CRS
from .static import CJK_FONT, MIN_FONT_PT, plain_text, quiet_redraws, require_cjk_font

__all__ = ["STATUS_COLORS", "STATUS_ZH", "monitor", "monitor_map", "monitor_pdf"]

STATUS_ZH = {
    "on_track": "达到进度",
    "behind": "略有滞后",
    "at_risk": "明显滞后",
    "no_data": "无数据",
    "qualitative": "定性目标",
}
#: Status colours (ColorBrewer RdYlGn ends and neutrals; told apart by their text too).
STATUS_COLORS = {
    "on_track": "#1a9850",
    "behind": "#e6b800",
    "at_risk": "#d73027",
    "no_data": "#bdbdbd",
    "qualitative": "#8073ac",
}
_BAR_CSS = (
    ".hg-ind{margin:4px 0 6px}.hg-ind .name{font-weight:bold}.hg-ind .meta{color:#555}"
    ".hg-bar{height:8px;background:#eee;border-radius:4px;overflow:hidden;margin:2px 0}"
    ".hg-bar span{display:block;height:100%}"
    ".hg-status{display:inline-block;padding:0 5px;border-radius:3px;color:#fff;font-size:11px}"
)


def _fmt(value: object, unit: object = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.4g}" + (unit if isinstance(unit, str) else "")  # type: ignore[arg-type]


def _indicator_html(r: Mapping[str, Any]) -> str:
    status = str(r["status"])
    colour = STATUS_COLORS[status]
    pct = r["progress_pct"]
    bar = ""
    if isinstance(pct, float) and not math.isnan(pct):
        width = min(max(pct, 0.0), 100.0)
        bar = f'<div class="hg-bar"><span style="width:{width:.0f}%;background:{colour}"></span></div>'
    meta = (
        ""
        if status == "qualitative"
        else f"{esc(r['latest_year'] or '')}年 {esc(_fmt(r['latest'], r['unit']))}；"
        f"应达 {esc(_fmt(r['required'], r['unit']))}；进度 {esc(_fmt(pct))}%"
    )
    note = f"<div class='meta'>备注：{esc(r['note'])}</div>" if r.get("note") else ""
    return (
        f'<div class="hg-ind"><div class="name">{esc(r["indicator_zh"])} '
        f'<span class="hg-status" style="background:{colour}">{esc(STATUS_ZH[status])}</span></div>'
        f'{bar}<div class="meta">{meta}</div>{note}</div>'
    )


def monitor_map(results: pd.DataFrame, zone_id: str, *, year: int | None = None) -> folium.Map:
    """A zone map for the monitoring report: zones coloured by the share of their indicators on
    track, this zone highlighted, and a panel with each of its indicators, a progress bar and the
    status colour. Every figure and note is escaped (notes are free text).

    Examples
    --------
    >>> import pandas as pd
    >>> r = evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"]))
    >>> "明显滞后" in monitor_map(r, "sanhaojie").get_root().render()
    True
    """
    zones = load("zones")
    summary = zone_summary(results)
    share = summary["on_track_pct"].reindex(zones["id"])
    fill = {str(zid): _share_colour(v) for zid, v in share.items()}
    zone = zones[zones["id"] == zone_id]
    minx, miny, maxx, maxy = zone.total_bounds
    m = new_map([[miny, minx], [maxy, maxx]], right_px=345, left_px=50)
    zone_layer(m, zones, False, highlight=zone_id, fill=fill, opacity=0.7)
    texts = {str(z): f"{ZONE_SHORT_ZH.get(str(z), str(z))} {_fmt(v)}%" for z, v in share.items()}
    zone_labels(m, zones, texts, False)
    mine = results[results["target_id"] == zone_id]
    name = zone["name_zh"].iloc[0]
    head = f"<p>{esc(year or '')}年度监测 · 指标 {len(mine)} 项</p>" if year else f"<p>指标 {len(mine)} 项</p>"
    body = head + "".join(_indicator_html({str(k): v for k, v in r.items()}) for r in mine.to_dict("records"))
    HtmlControl(f"<style>{_BAR_CSS}</style>{body}", position="topright", css_class="hg-side", summary=esc(name)).add_to(
        m
    )
    rows = [f'<p><i style="background:{c}"></i>{esc(STATUS_ZH[s])}</p>' for s, c in STATUS_COLORS.items()]
    shares = [
        f'<p><i style="background:{_share_colour(v)}"></i>{lab}</p>'
        for v, lab in ((90, "≥ 80%"), (60, "50–80%"), (20, "< 50%"))
    ]
    legend(
        m,
        [
            ("指标状态", rows),
            ("功能区达到进度的指标占比", [*shares, '<p><i style="background:#cccccc"></i>无数据</p>']),
        ],
    )
    return m


def _share_colour(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "#cccccc"
    v = float(value)  # type: ignore[arg-type]
    return "#1a9850" if v >= 80 else "#e6b800" if v >= 50 else "#d73027"


def monitor_pdf(results: pd.DataFrame, zone_id: str, path: str | Path, *, year: int | None = None) -> Path:
    """A printable one-page A4 report for one zone: a locator map and a table of its indicators
    with progress bars and status; no type under 7 pt."""
    require_cjk_font()
    plt.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    plt.rcParams["pdf.fonttype"] = 42
    zones = load("zones").to_crs(MEASURE_CRS)
    mine = results[results["target_id"] == zone_id]
    name = str(zones.set_index("id").loc[zone_id, "name_zh"])
    fig = plt.figure(figsize=(21.0 / 2.54, 29.7 / 2.54))
    quiet_redraws(fig)
    fig.text(0.5, 0.965, plain_text(f"{PLAN_TITLE_ZH} · 规划实施监测"), ha="center", fontsize=13, fontweight="bold")
    fig.text(0.5, 0.94, plain_text(f"{name}（{year or '最新'}年）"), ha="center", fontsize=11)
    ax = fig.add_axes((0.06, 0.66, 0.35, 0.26))
    for z in zones.itertuples():
        gpd.GeoSeries([z.geometry], crs=MEASURE_CRS).plot(
            ax=ax, color=ZONE_COLORS.get(z.id, "#999"), alpha=0.9 if z.id == zone_id else 0.15, edgecolor="#333", lw=0.5
        )
    ax.set_axis_off()
    ax.set_aspect("equal")
    counts = mine["status"].value_counts()
    lines = [f"{STATUS_ZH[s]}：{int(counts.get(s, 0))} 项" for s in STATUSES if counts.get(s, 0)]
    fig.text(0.46, 0.9, "\n".join(lines), va="top", fontsize=9, linespacing=1.6)
    y = 0.62
    fig.text(0.06, y, "指标", fontsize=8, fontweight="bold")
    fig.text(0.44, y, "最新 / 应达", fontsize=8, fontweight="bold")
    fig.text(0.66, y, "进度", fontsize=8, fontweight="bold")
    fig.text(0.86, y, "状态", fontsize=8, fontweight="bold")
    for r in mine.to_dict("records"):
        y -= 0.045
        status = str(r["status"])
        fig.text(0.06, y, plain_text(str(r["indicator_zh"]))[:30], fontsize=8)
        if status != "qualitative":
            fig.text(0.44, y, f"{_fmt(r['latest'])} / {_fmt(r['required'])}", fontsize=8)
            pct = r["progress_pct"]
            bar = fig.add_axes((0.66, y - 0.002, 0.18, 0.012))
            bar.barh([0], [100], color="#eeeeee")
            if isinstance(pct, float) and not math.isnan(pct):
                bar.barh([0], [min(max(pct, 0.0), 100.0)], color=STATUS_COLORS[status])
            bar.set_xlim(0, 100)
            bar.set_axis_off()
        fig.text(0.86, y, STATUS_ZH[status], fontsize=8, color=STATUS_COLORS[status], fontweight="bold")
        if r.get("note"):
            note = str(r["note"])
            note = note if len(note) <= 60 else note[:59] + "…"
            fig.text(0.08, y - 0.016, plain_text(f"备注：{note}"), fontsize=MIN_FONT_PT, color="#555")
    fig.text(
        0.06,
        0.03,
        "规则：达到进度 = 最新值不低于规划轨迹要求值；略有滞后 = 完成了应有进度的 80% 以上；明显滞后 = 不足 80%。\n"
        "目标与原文见 geodata/src/indicators.json；数值来自填报表，示例数据仅作示意。",
        fontsize=MIN_FONT_PT,
        color="#444",
    )
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _index(out: Path, entries: list[tuple[str, str]], summary: pd.DataFrame, source: str, year: int | None) -> Path:
    items = "\n".join(f'<li><a href="{esc(h)}">{esc(t)}</a></li>' for h, t in entries)
    head = "".join(f"<th>{esc(STATUS_ZH.get(c, c))}</th>" for c in [*STATUSES, "on_track_pct"])
    rows = "".join(
        f"<tr><td>{esc(tid)}</td>" + "".join(f"<td>{esc(_fmt(v))}</td>" for v in rec) + "</tr>"
        for tid, rec in zip(summary.index, summary.to_numpy().tolist(), strict=True)
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>规划实施监测</title>
<style>body{{font:15px/1.6 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:980px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head>
<body><h1>{esc(PLAN_TITLE_ZH)} · 规划实施监测（{esc(year or "最新")}年）</h1>
<p>数据：{esc(source)}。单文件 HTML，脚本已内嵌，可离线打开。</p>
<table><tr><th>功能区/轴/带</th>{head.replace("on_track_pct", "达到进度占比%")}</tr>{rows}</table>
<ul>{items}</ul></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def monitor(
    actuals: str | Path | ActualsResult,
    out_dir: str | Path = Path("maps") / "monitor",
    *,
    year: int | None = None,
    projects_by_year: Mapping[int, gpd.GeoDataFrame] | None = None,
) -> dict[str, Path]:
    """Write the monitoring package: ``index.html``, a choropleth of the share of indicators on
    track per zone, one monitoring map and one printable A4 PDF per zone, and ``monitoring.xlsx``
    (indicators evaluated, zone summary, the figures, the row-by-row reading report, and the
    project changes between consecutive years when ``projects_by_year`` is given).
    """
    result = actuals if isinstance(actuals, ActualsResult) else read_actuals(actuals)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = evaluate(result, year=year)
    when = year if year is not None else (int(result.values["year"].max()) if len(result.values) else None)
    summary = zone_summary(results)
    written: dict[str, Path] = {}
    entries: list[tuple[str, str]] = []
    zones = load("zones")
    share = summary["on_track_pct"].reindex(zones["id"])
    if share.notna().any():
        m = choropleth_map(share, title="达到进度的指标占比", unit="%", basemap="none")
        written["choropleth_on_track.html"] = save_html(m, out / "choropleth_on_track.html")
        entries.append(("choropleth_on_track.html", "专题图：各功能区达到进度的指标占比"))
    for z in zones.itertuples():
        zid = str(z.id)
        written[f"monitor_{zid}.html"] = save_html(monitor_map(results, zid, year=when), out / f"monitor_{zid}.html")
        written[f"monitor_{zid}.pdf"] = monitor_pdf(results, zid, out / f"monitor_{zid}.pdf", year=when)
        entries += [(f"monitor_{zid}.html", f"{z.name_zh}（交互）"), (f"monitor_{zid}.pdf", f"{z.name_zh}（A4 PDF）")]
    tables = {
        "indicators": results,
        "zones": summary.reset_index(),
        "targets": indicators(),
        "figures": result.values,
        "reading_report": result.report,
    }
    if projects_by_year:
        years = sorted(projects_by_year)
        parts = []
        for a, b in itertools.pairwise(years):
            part = project_changes(projects_by_year[a], projects_by_year[b])
            part.insert(0, "years", f"{a}→{b}")
            parts.append(part)
        tables["project_changes"] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    written["monitoring.xlsx"] = write_workbook(tables, out / "monitoring.xlsx")
    entries.append(("monitoring.xlsx", "监测结果工作簿（指标、功能区汇总、填报数据、读取报告、项目变化）"))
    written["index.html"] = _index(out, entries, summary, Path(result.source).name, when)
    _link_from_gallery(out)
    return written


def _link_from_gallery(out: Path) -> None:
    """Add the package to the briefing gallery beside it (``hepinggis build``'s index.html), once."""
    gallery = out.parent / "index.html"
    if not gallery.is_file():
        return
    page = gallery.read_text(encoding="utf-8")
    href = f"{out.name}/index.html"
    if PLAN_TITLE_ZH not in page or f'href="{href}"' in page or "</ul>" not in page:
        return
    item = f'<li><a href="{esc(href)}">规划实施监测</a> — 各功能区2025年目标的进度、逐区地图与PDF</li>\n</ul>'
    gallery.write_text(page.replace("</ul>", item, 1), encoding="utf-8")
