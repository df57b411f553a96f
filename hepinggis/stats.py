"""``hepinggis stats``: every analysis table of the bundled layers, as one Excel workbook and CSVs."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hepinggis.analysis.assign import projects_by_jiedao, projects_by_zone, zone_shares
from hepinggis.analysis.corridor import along_axis, in_belt
from hepinggis.analysis.overlap import overlap_analysis, overlap_matrix
from hepinggis.analysis.projects import SITED, prepare_projects
from hepinggis.base._credits import PLAN_CREDIT_ZH, ListCredit, projects_credit, source_credit, split_credit
from hepinggis.base._layer_source import boundary_credit
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.maps._area_stats import AreaCounts, area_counts, count_text
from hepinggis.plan._compare import compare_boundaries
from hepinggis.plan.check import check
from hepinggis.plan.layers import layer_metadata, load

__all__ = ["CHINESE_HEADERS", "area_summary", "stats_tables", "write_stats"]

#: Chinese column headers used with ``chinese=True``.
CHINESE_HEADERS: dict[str, str] = {
    "id": "编号",
    "name_zh": "名称",
    "zone_id": "功能区",
    "zone": "功能区",
    "jiedao": "街道",
    "jiedao_id": "街道",
    "jiedao_zone": "街道按规划所属功能区",
    "planned_km2": "规划面积(km²)",
    "geodesic_km2": "椭球面积(km²)",
    "epsg4550_km2": "投影面积EPSG:4550(km²)",
    "diff_km2": "差值(km²)",
    "diff_pct": "差值(%)",
    "in_line": "±15%以内",
    "explanation": "说明",
    "item": "内容",
    "source": "来源",
    "planned_km": "规划长度(km)",
    "geodesic_km": "椭球长度(km)",
    "epsg4550_km": "投影长度EPSG:4550(km)",
    "kind": "类型",
    "iou": "交并比IoU",
    "area_km2": "重叠面积(km²)",
    "zone_area_km2": "功能区面积(km²)",
    "jiedao_area_km2": "街道面积(km²)",
    "zone_pc": "占功能区(%)",
    "jiedao_pc": "占街道(%)",
    "belt_area": "浑河带内面积(m²)",
    "belt_pc": "浑河带内占比(%)",
    "projects": "项目数(按份额)",
    "projects_any_share": "涉及项目数",
    "share": "份额",
    "rule": "归属规则",
    "distance_m": "距轴线(m)",
    "chainage_km": "里程(km)",
    "side": "侧",
    "segment_id": "轴段",
    "axis_id": "发展轴",
    "in_belt": "位于浑河带",
    "belt_share": "带内份额",
    "bank": "岸",
    "bank_distance_m": "距岸线(m)",
    "category": "类别",
    "status": "状态",
    "reason": "原因",
    "source_quote": "原文",
    "investment_cny_stated": "已载明投资(元)",
    "n_with_investment": "载明投资的项目数",
    "row": "行号",
    "name": "名称",
    "outcome": "结果",
    "level": "级别",
    "field": "字段",
    "message": "说明",
    "layer": "图层",
    "bundled_km2": "随包面积_km2",
    "adopted_km2": "采用面积_km2",
    "symdiff_km2": "差异面积_km2",
    "symdiff_pct": "差异比例_pct",
    "max_offset_m": "最大偏移_m",
    "bundled": "原属",
    "adopted": "现属",
}


def stats_tables(
    projects: gpd.GeoDataFrame | Any | None = None,
    *,
    distance_m: float = 500.0,
    name_col: str | None = None,
    import_report: pd.DataFrame | None = None,
    credit: ListCredit | None = None,
) -> dict[str, pd.DataFrame]:
    """Every analysis table of the workbook, from the layers in use and a project list.

    Projects placed only as "somewhere in a zone" (``zone_extent``) or "somewhere in the belt" are
    left out of the along-axis table, and zone extents out of the belt table: an extent is not a
    site.

    Parameters
    ----------
    projects : ImportResult or geopandas.GeoDataFrame, optional
        The project list: ``read_projects(…)`` (credited by its file), or its ``.projects`` as it
        comes, or any GeoDataFrame with a name column; by default the bundled projects. Until
        issue 38 the first argument was ``distance_m``: a number given here is still taken as
        the distance, with a `FutureWarning`.
    distance_m : float
        Half-width of the corridor along each development axis, in metres (default 500).
    name_col : str, optional
        The column of ``projects`` holding the names, where it is not recognised.
    import_report : pandas.DataFrame, optional
        ``ImportResult.report`` (or its Chinese form): added as the sheet ``import_report``, so
        rows rejected on import travel with the tables.
    credit : ListCredit, optional
        The list's credit where ``projects`` is a bare table.

    Returns
    -------
    dict of str to pandas.DataFrame
        Table name (the sheet and CSV name) → table: ``zone_areas``, ``lengths``,
        ``zones_x_jiedao``, ``zones_x_belt``, ``projects_by_zone``, ``projects_by_jiedao``,
        ``project_zone_shares``, ``projects_along_axes``, ``projects_in_belt``,
        ``projects_unplaced``, ``projects_outside``, ``sources`` and, where given or adopted,
        ``import_report`` and the boundary comparisons.

    Examples
    --------
    >>> import hepinggis
    >>> tables = hepinggis.stats_tables(distance_m=300)
    >>> int(tables["projects_by_zone"]["projects"].sum()) > 0
    True
    >>> "zones_x_jiedao" in tables and "sources" in tables
    True
    """
    if isinstance(projects, int | float) and not isinstance(projects, bool):
        warnings.warn(
            "stats_tables(distance_m) as the first argument is deprecated: use stats_tables(projects, distance_m=...)",
            FutureWarning,
            stacklevel=2,
        )
        distance_m = float(projects)
        projects = None
    return _stats_tables(distance_m, projects=projects, name_col=name_col, import_report=import_report, credit=credit)


def _stats_tables(
    distance_m: float = 500.0,
    *,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    import_report: pd.DataFrame | None = None,
    credit: ListCredit | None = None,
    counts: AreaCounts | None = None,
    shares: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """`stats_tables`, from the per-zone and per-街道 tables (``counts``, `area_counts` of the same
    projects in EPSG:4326) and the projects' `zone_shares` (``shares``, by project id) where the
    caller has them already (``hepinggis build`` computes them once for the maps and the workbook)."""
    zones, jiedao = load("zones"), load("jiedao")
    axes, belt = load("axes"), load("belt")
    projects, own = split_credit(projects)
    credit = credit or own
    bundled = projects is None
    projects = prepare_projects(load("projects") if bundled else projects, name_col=name_col).to_crs(zones.crs)
    report = check()
    names = projects.set_index("id")["name_zh"]
    by_id = projects.set_index("id")
    shares = (zone_shares(by_id, zones) if shares is None else shares).rename(columns={"feature": "id"})
    shares.insert(1, "name_zh", shares["id"].map(names))
    # "somewhere in this zone / in the belt" is not a place along an axis: only sited projects
    sited = by_id[by_id["location_method"].isin([*SITED, "sub_area_extent"])]
    near = []
    for axis_id in axes.loc[axes["kind"] == "axis", "id"]:
        part = along_axis(sited, axes, axis_id=axis_id, max_distance_m=distance_m).reset_index()
        part.insert(0, "axis_id", axis_id)
        near.append(part)
    axis_table = pd.concat(near, ignore_index=True)
    axis_table.insert(2, "name_zh", axis_table["id"].map(names))
    belt_table = in_belt(by_id[by_id["location_method"] != "zone_extent"], belt).reset_index()
    belt_table.insert(1, "name_zh", belt_table["id"].map(names))
    unplaced = layer_metadata("projects").get("unplaced", []) if bundled else []
    zones_belt = overlap_analysis(zones, {"belt": belt[belt["kind"] == "belt"]})
    tables = {
        "zone_areas": report.zone_areas,
        "lengths": report.lengths,
        "zones_x_jiedao": overlap_matrix(zones, jiedao, a_name="zone", b_name="jiedao"),
        "zones_x_belt": pd.DataFrame(zones_belt[["id", "name_zh", "belt_area", "belt_pc"]]),
        "projects_by_zone": _with_places(
            (projects_by_zone(by_id, zones) if counts is None else counts.by_zone).reset_index(), by_id
        ),
        "projects_by_jiedao": _with_places(
            (projects_by_jiedao(by_id, jiedao) if counts is None else counts.by_jiedao).reset_index(), by_id
        ),
        "project_zone_shares": shares,
        "projects_along_axes": axis_table.round({"distance_m": 1, "chainage_km": 3}),
        "projects_in_belt": belt_table,
        "projects_unplaced": pd.DataFrame(unplaced),
    }
    outside = by_id.index.difference(shares["id"].unique())
    tables["projects_outside"] = pd.DataFrame({"id": outside, "name_zh": names.reindex(outside).to_numpy()})
    if import_report is not None:
        tables["import_report"] = import_report
    tables.update(compare_boundaries(projects))  # with adopted boundaries: what they change
    tables["sources"] = pd.DataFrame(
        {
            "item": ["规划与数字化", "项目", "边界与站点", "采用的官方边界"],
            "source": [
                PLAN_CREDIT_ZH,
                projects_credit(projects, credit),
                source_credit(),
                boundary_credit() or "无（随包数字化边界）",
            ],
        }
    )
    return tables


#: The two rows a per-area table ends with, so that its columns add up to every project in the table.
PLACE_ROWS = ("区外", "未定位")


def _with_places(table: pd.DataFrame, projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """``table`` (one row per area) with a 区外 row (the projects, or the shares of them, in no
    area) and a 未定位 row (projects without a position): its columns add up to every project and
    every 元 stated, as the clerk's register does."""
    key = table.columns[0]
    located = ~(projects.geometry.isna() | projects.geometry.is_empty)
    inv = pd.to_numeric(projects.get("investment_cny", pd.Series(float("nan"), index=projects.index)), errors="coerce")
    n_located = float(located.sum())
    rows = []
    for name, count, money, stated in (
        (
            PLACE_ROWS[0],
            round(max(0.0, n_located - float(table["projects"].sum())), 6),
            max(0.0, float(inv[located].sum()) - float(table["investment_cny_stated"].sum())),
            max(0, int(inv[located].notna().sum()) - int(table["n_with_investment"].sum())),
        ),
        (PLACE_ROWS[1], float((~located).sum()), float(inv[~located].sum()), int(inv[~located].notna().sum())),
    ):
        row: dict[str, object] = {c: None for c in table.columns}  # no breakdown by category here
        row.update({key: name, "projects": count, "investment_cny_stated": money, "n_with_investment": stated})
        if "name_zh" in table.columns:
            row["name_zh"] = name
        if "projects_any_share" in table.columns:
            row["projects_any_share"] = round(count) if name == PLACE_ROWS[1] else None
        rows.append(row)
    return pd.concat([table, pd.DataFrame(rows, columns=table.columns)], ignore_index=True)


def write_stats(
    out_dir: Path,
    *,
    chinese: bool = False,
    distance_m: float = 500.0,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    import_report: pd.DataFrame | None = None,
    credit: ListCredit | None = None,
) -> dict[str, Path]:
    """Write ``hepinggis_stats.xlsx`` (one sheet per table) and one UTF-8 (BOM) CSV per table.

    No cell is ever a formula: text is stored as text in the workbook, and text that a spreadsheet
    would read as a formula gets a leading ``'`` in the CSVs (``hepinggis stats`` on the command
    line).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The folder written to (made if missing).
    chinese : bool
        Chinese column headers (``hepinggis stats --zh``).
    distance_m, projects, name_col, import_report, credit
        As for `stats_tables`.

    Returns
    -------
    dict of str to pathlib.Path
        Each table's CSV by table name, and ``workbook``: the ``.xlsx``.

    Examples
    --------
    >>> import tempfile, pathlib, hepinggis
    >>> paths = hepinggis.write_stats(pathlib.Path(tempfile.mkdtemp()), chinese=True)
    >>> sorted(paths)[:3]
    ['lengths', 'project_zone_shares', 'projects_along_axes']
    >>> paths["workbook"].name
    'hepinggis_stats.xlsx'
    """
    return _write_stats(
        out_dir,
        chinese=chinese,
        distance_m=distance_m,
        projects=projects,
        name_col=name_col,
        import_report=import_report,
        credit=credit,
    )


def _write_stats(
    out_dir: Path,
    *,
    chinese: bool = False,
    distance_m: float = 500.0,
    projects: gpd.GeoDataFrame | Any | None = None,
    name_col: str | None = None,
    import_report: pd.DataFrame | None = None,
    credit: ListCredit | None = None,
    counts: AreaCounts | None = None,
    shares: pd.DataFrame | None = None,
    apart: Callable[[Callable[[], list[Path]]], AbstractContextManager[Callable[[], list[Path]]]] | None = None,
) -> dict[str, Path]:
    """`write_stats`, with ``counts`` and ``shares`` computed already (see `_stats_tables`). With
    ``apart``, the CSV files are written by the job it starts (``hepinggis build``: in a process
    of their own, while this one writes the workbook); it yields a function returning their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = _stats_tables(
        distance_m,
        projects=projects,
        name_col=name_col,
        import_report=import_report,
        credit=credit,
        counts=counts,
        shares=shares,
    )
    if chinese:
        tables = {k: v.rename(columns=CHINESE_HEADERS) for k, v in tables.items()}

    def csvs() -> list[Path]:
        return [write_csv(table, out_dir / f"{name}.csv") for name, table in tables.items()]

    if apart is None:
        paths = csvs()
        return {
            **dict(zip(tables, paths, strict=True)),
            "workbook": write_workbook(tables, out_dir / "hepinggis_stats.xlsx"),
        }
    with apart(csvs) as written:
        workbook = write_workbook(tables, out_dir / "hepinggis_stats.xlsx")
        return {**dict(zip(tables, written(), strict=True)), "workbook": workbook}


def area_summary(projects: gpd.GeoDataFrame | None = None, *, name_col: str | None = None) -> list[str]:
    """Projects per zone and, under each zone, per 街道 (the layer's ``zone_id``), as the lines
    ``hepinggis stats`` prints: ``南湖街道：12 个；已载明投资 3.40 亿元（10 个载明）``. The numbers
    are the workbook's ``projects_by_zone`` and ``projects_by_jiedao``.

    Examples
    --------
    >>> lines = area_summary()
    >>> lines[1].startswith("北市场民族民俗产业集聚区：") and lines[2].startswith("  北市场街道：")
    True
    """
    zones, jiedao = load("zones"), load("jiedao")
    frame = prepare_projects(load("projects") if projects is None else projects, name_col=name_col)
    counts = area_counts(frame.to_crs(zones.crs), zones, jiedao)
    lines = ["各功能区、各街道项目数（跨区项目在所涉各区各计一次；投资为已载明金额，跨区按份额分摊）："]
    placed = counts.by_jiedao["zone_id"] if "zone_id" in counts.by_jiedao.columns else None
    for zone_id, row in counts.by_zone.iterrows():
        lines.append(f"{zones.set_index('id').loc[zone_id, 'name_zh']}：{count_text(row)}")
        mine = counts.by_jiedao[placed == zone_id] if placed is not None else counts.by_jiedao.iloc[0:0]
        lines.extend(f"  {r['name_zh']}：{count_text(r)}" for _, r in mine.iterrows())
    if placed is not None:  # 街道 the layer places in no zone (an adopted layer may)
        lines.extend(
            f"  {r['name_zh']}（未归入功能区）：{count_text(r)}"
            for _, r in counts.by_jiedao[~placed.isin(counts.by_zone.index)].iterrows()
        )
    return lines
