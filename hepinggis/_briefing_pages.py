"""The pages of the briefing package besides the maps (`hepinggis.briefing` writes them): the
index (gallery), the import report and the comparison of adopted boundaries with the bundled ones,
every text escaped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hepinggis.base._credits import PLAN_CREDIT_ZH, sources_line
from hepinggis.base._layer_source import boundary_credit
from hepinggis.base._style import PLAN_TITLE_ZH
from hepinggis.maps._escape import esc

if TYPE_CHECKING:  # the import report is written only for a list the importer read
    from hepinggis.io.importer import ImportResult


def _network_note(basemap: str, offline: bool) -> str:
    scripts = "脚本已内嵌" if offline else "脚本（Leaflet）从 CDN 加载，需联网"
    if basemap == "none":
        tiles = "无底图瓦片"
        whole = "可完全离线打开" if offline else "离线时无法显示"
    else:
        tiles = f"底图瓦片（{basemap}）需联网，离线时只显示专题图层"
        whole = "专题图层可离线显示" if offline else "离线时无法显示"
    return f"交互地图为单文件 HTML：{scripts}；{tiles}；{whole}。"


def _import_page(out: Path, result: ImportResult) -> Path:
    """One page listing every rejected row and every warning of the import, so none is lost; in the
    page's words (the bureau reads it): no command-line flag, path or code."""
    shown = result.report_zh(issues_only=True, words="page")  # Chinese outcomes and levels, notes first
    head = "".join(f"<th>{esc(c)}</th>" for c in ("行号", "编号", "名称", "结果", "级别", "字段", "说明"))
    body = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{'' if pd.isna(v) else esc(int(v) if isinstance(v, float) and float(v).is_integer() else v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in shown[["行号", "编号", "名称", "结果", "级别", "字段", "说明"]].itertuples(index=False, name=None)
    )
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>导入报告</title>
<style>body{{font:14px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left}}
td{{white-space:pre-wrap;word-break:break-all;max-width:40em}}</style></head>
<body><h1>项目清单导入报告</h1>
<p id="summary">{esc(result.summary(words="page"))}</p>
<p>导入 {result.n_imported} 行，拒绝 {result.n_rejected} 行，带警告导入 {result.n_warned} 行。
被拒绝的行未进入地图与统计，请按“说明”修改原表后重新导入。</p>
<table id="import-issues"><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>
"""
    path = out / "import_report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _html_table(frame: pd.DataFrame, table_id: str) -> str:
    from hepinggis.stats import CHINESE_HEADERS  # only where adopted boundaries are compared

    head = "".join(f"<th>{esc(CHINESE_HEADERS.get(str(c), c))}</th>" for c in frame.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False)
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _partial_section(tables: dict[str, pd.DataFrame]) -> str:
    """Each layer's source and, where zones and 街道 come from different sources, the projects whose
    街道 belongs by the plan to another zone than the one that counts them."""
    html = (
        f"<h2>各图层来源</h2>\n{_html_table(tables['layer_sources'], 'layer-sources')}"
        if "layer_sources" in tables
        else ""
    )
    other = tables.get("projects_other_zone_jiedao")
    if other is not None:
        html += f"\n<h2>所在街道按规划属于另一功能区的项目（{len(other)} 个；功能区与街道来源不同）</h2>\n"
        html += _html_table(other, "projects-other-zone-jiedao") if len(other) else "<p>无。</p>"
    return html


def _comparison_page(out: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """What the adopted boundaries change: areas, differences and offsets, and the projects that
    now fall in another zone or 街道 (also in the workbook's two sheets of the same names)."""
    moved = tables["projects_changing_area"]
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>官方边界与随包边界对比</title>
<style>body{{font:14px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}</style>
</head><body><h1>官方边界与随包边界对比</h1>
<p>{esc(boundary_credit())}</p>
<p>差异面积为两版边界的对称差（椭球面计算）；最大偏移为两版边界线之间的豪斯多夫距离（EPSG:4550，米）。</p>
<h2>逐要素对比</h2>
{_html_table(tables["boundary_comparison"], "boundary-comparison")}
<h2>改变所属的项目（{len(moved)} 个）</h2>
{_html_table(moved, "projects-changing-area") if len(moved) else "<p>无项目改变所属。</p>"}
{_partial_section(tables)}
</body></html>
"""
    path = out / "comparison.html"
    path.write_text(page, encoding="utf-8")
    return path


def _gallery(
    out: Path, entries: list[tuple[str, str, str]], basemap: str, offline: bool, projects_note: str, subset: str | None
) -> Path:
    title = f"{PLAN_TITLE_ZH} · {subset}" if subset else PLAN_TITLE_ZH  # a selection says so in its title
    items = "\n".join(f'<li><a href="{esc(href)}">{esc(title)}</a> — {esc(note)}</li>' for href, title, note in entries)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font:15px/1.6 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:980px;margin:2em auto;color:#222}}
img{{max-width:100%;border:1px solid #ccc}} li{{margin:.3em 0}} .note{{color:#666;font-size:13px}}</style></head>
<body><h1>{esc(PLAN_TITLE_ZH)}</h1>{f'<h2 id="subset">{esc(subset)}</h2>' if subset else ""}
<p class="note">{esc(PLAN_CREDIT_ZH)}<br>{esc(sources_line())}<br>
{esc(projects_note)}<br>
{esc(_network_note(basemap, offline))}</p>
<p><a href="overview.html"><img src="overview.png" alt="总览图"></a></p>
<ul>
{items}
</ul></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
