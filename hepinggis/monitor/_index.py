"""The monitoring package's ``index.html``: what is monitored, has no data, is qualitative or asked
about; every zone's verdicts beside the plan's sentences; the rows not read; the project changes;
the links to the maps, PDFs and workbook."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hepinggis.base._style import PLAN_TITLE_ZH
from hepinggis.monitor._html_parts import _chip, _figure_line, _plan_words, esc
from hepinggis.monitor._layers import layer
from hepinggis.monitor._targets import coverage as coverage_words
from hepinggis.monitor._targets import not_monitored
from hepinggis.monitor._words import STATUS_ZH, Coverage, fmt_pct, share_colour, target_name
from hepinggis.monitor.changes import CHANGE_ZH
from hepinggis.monitor.evaluate import zone_summary
from hepinggis.monitor.indicators import ActualsResult

__all__ = ["index_html"]


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


def index_html(
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
    body = _summary_rows(summary, zones)
    refused_html = _refused_html(actuals)
    doubt_html = _doubt_html(results, zones)
    lists = _scope_html(results, zones)
    sections = "".join(
        f"<h3>{esc(target_name(str(tid), zones))}</h3>{_target_table(results, str(tid))}" for tid in summary.index
    )
    change_html = _change_html(changes)
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


def _summary_rows(summary: pd.DataFrame, zones: gpd.GeoDataFrame) -> list[str]:
    """A table row per target of `zone_summary`: its counts by status and its share on track."""
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
    return body


def _refused_html(actuals: ActualsResult) -> str:
    """The rows of the entry workbook not read, with the row number the sheet shows and why."""
    refused = actuals.rejected
    refused_rows = "".join(
        f"<tr><td>{esc(r['row'])}</td><td>{esc(r['indicator_id'] or '')}</td><td>{esc(r['field'] or '')}</td>"
        f"<td>{esc(r['message'])}</td></tr>"
        for r in refused.to_dict("records")
    )
    where = f"工作表“{actuals.sheet}”" if actuals.sheet else "CSV"
    return (
        f"<h2>未读入的行（{len(refused)}）</h2><p>行号为{esc(where)}中显示的行号。</p>"
        f"<table><tr><th>行号</th><th>指标编号</th><th>栏目</th><th>原因</th></tr>{refused_rows}</table>"
        if len(refused)
        else "<p>填报表各行均已读入。</p>"
    )


def _doubt_html(results: pd.DataFrame, zones: gpd.GeoDataFrame) -> str:
    """The figures to ask about (待核实), with the question of each; empty without any."""
    doubts = results[results["question"].astype(str) != ""]
    if not len(doubts):
        return ""
    items = "".join(
        f"<li>{esc(target_name(str(r['target_id']), zones))}·{esc(r['indicator_zh'])}：{esc(r['question'])}</li>"
        for _, r in doubts.iterrows()
    )
    return f"<h2>待核实的数值（{len(doubts)} 项）</h2><p>核实前不作判断。</p><ul>{items}</ul>"


def _scope_html(results: pd.DataFrame, zones: gpd.GeoDataFrame) -> str:
    """What is monitored: the indicators by what could be said of them, the coverage, and the
    plan's targets not monitored with the reason."""
    judged = results[results["status"].isin(["achieved_early", "on_track", "behind", "at_risk", "achieved", "missed"])]
    return (
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


def _change_html(changes: pd.DataFrame | None) -> str:
    """The projects' changes counted by kind; empty without a comparison."""
    if changes is None:
        return ""
    counts = changes["change"].value_counts()
    items = "".join(f"<li>{esc(CHANGE_ZH.get(str(k), str(k)))}：{int(v)}</li>" for k, v in counts.items())
    return f"<h2>项目变化</h2><ul>{items or '<li>无变化</li>'}</ul>"
