"""``hepinggis build``: the briefing package — gallery, interactive maps, static maps and statistics."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from tqdm import tqdm

from ._leaflet import esc
from ._style import DATA_DATE_ZH, PLAN_TITLE_ZH, SOURCE_ZH
from .assign import projects_by_zone
from .layers import load
from .maps import choropleth_map, overview_map, save_html, zone_map
from .overlap import overlap_analysis
from .static import static_map
from .stats import write_stats

__all__ = ["build"]


def _gallery(out: Path, entries: list[tuple[str, str, str]], basemap: str) -> Path:
    items = "\n".join(f'<li><a href="{esc(href)}">{esc(title)}</a> — {esc(note)}</li>' for href, title, note in entries)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(PLAN_TITLE_ZH)}</title>
<style>body{{font:15px/1.6 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:980px;margin:2em auto;color:#222}}
img{{max-width:100%;border:1px solid #ccc}} li{{margin:.3em 0}} .note{{color:#666;font-size:13px}}</style></head>
<body><h1>{esc(PLAN_TITLE_ZH)}</h1>
<p class="note">{esc(DATA_DATE_ZH)}<br>{esc(SOURCE_ZH)}<br>
底图：{esc(basemap)}；交互地图为单文件 HTML，脚本已内嵌，可离线打开。</p>
<p><a href="overview.html"><img src="overview.png" alt="总览图"></a></p>
<ul>
{items}
</ul></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _zone_html(zone_id: str, out: Path, basemap: str, key: str | None, offline: bool) -> Path:
    return save_html(zone_map(zone_id, basemap=basemap, key=key), out / f"zone_{zone_id}.html", offline=offline)


def build(
    out_dir: str | Path = "maps",
    *,
    basemap: str = "none",
    key: str | None = None,
    offline: bool = True,
    progress: bool = True,
) -> dict[str, Path]:
    """Build every briefing product into ``out_dir`` and return the written paths.

    ``basemap="none"`` (the default) makes maps that work with no network at all; pass ``"osm"``,
    ``"tianditu_vec"`` … for tiles (the scripts stay inlined when ``offline`` is true).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    zones = load("zones")
    written: dict[str, Path] = {}
    entries: list[tuple[str, str, str]] = []
    jobs: list[tuple[str, Callable[[], Path], tuple[str, str] | None]] = [
        (
            "overview.html",
            lambda: save_html(overview_map(basemap=basemap, key=key), out / "overview.html", offline=offline),
            ("总览图（交互）", "六区、街道、两轴、浑河带与项目"),
        ),
        ("overview.png", lambda: static_map(out / "overview.png"), ("总览图（PNG）", "用于文档")),
        ("overview.pdf", lambda: static_map(out / "overview.pdf"), ("总览图（PDF）", "矢量，可打印")),
        ("overview.svg", lambda: static_map(out / "overview.svg"), ("总览图（SVG）", "矢量，可编辑")),
    ]
    for z in zones.itertuples():
        zid, name = str(z.id), str(z.name_zh)
        jobs.append(
            (
                f"zone_{zid}.html",
                partial(_zone_html, zid, out, basemap, key, offline),
                (f"{name}（交互）", "功能区、发展重点、项目与规划要点"),
            )
        )
        jobs.append(
            (
                f"zone_{zid}.png",
                partial(static_map, out / f"zone_{zid}.png", zone_id=zid),
                (f"{name}（PNG）", "用于文档"),
            )
        )

    def projects_choropleth() -> Path:
        counts = projects_by_zone(load("projects"), zones)["projects_any_share"]
        return save_html(
            choropleth_map(counts, title="各功能区涉及项目数", unit="个", basemap=basemap, key=key),
            out / "choropleth_projects.html",
            offline=offline,
        )

    def belt_choropleth() -> Path:
        belt = load("belt")
        share = overlap_analysis(zones, {"belt": belt[belt["kind"] == "belt"]}).set_index("id")["belt_pc"]
        return save_html(
            choropleth_map(share.round(1), title="浑河带占功能区面积比例", unit="%", basemap=basemap, key=key),
            out / "choropleth_belt_share.html",
            offline=offline,
        )

    jobs.append(("choropleth_projects.html", projects_choropleth, ("专题图：项目数", "mapclassify 分级")))
    jobs.append(("choropleth_belt_share.html", belt_choropleth, ("专题图：浑河带占比", "mapclassify 分级")))
    jobs.append(
        (
            "stats",
            lambda: write_stats(out / "stats", chinese=True)["workbook"],
            ("统计表（Excel）", "面积、重叠、项目分区、轴线与浑河带"),
        )
    )
    for name, job, entry in tqdm(jobs, desc="hepinggis build", unit="file", disable=not progress):
        path = job()
        written[name] = path
        if entry:
            entries.append((str(path.relative_to(out)), *entry))
    written["index.html"] = _gallery(out, entries, basemap)
    return written
