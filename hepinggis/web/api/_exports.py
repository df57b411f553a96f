"""A register's projects (filtered or not) as a download: the export table with Chinese headers and
amounts in the unit the clerk typed them in, its title and credit lines, as xlsx, GeoPackage and
GeoJSON (the routes are `api.versions`'s; the list page shows the same title)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hepinggis.web.registers import _filter
from hepinggis.web.registers import _versions as v
from hepinggis.web.store._store import Store

__all__ = ["XLSX", "filtered_geojson"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_EXPORT_COLUMNS = {
    "row": "行号（Excel）",
    "id": "项目编号",
    "name": "项目名称",
    "owner": "建设单位",
    "category": "类别",
    "status": "状态",
    "investment_cny": "总投资（元）",
    "investment_text": "总投资（原文）",
    "zone_name": "功能区",
    "jiedao": "街道",
    "lon": "经度（WGS84）",
    "lat": "纬度（WGS84）",
    "planned_start": "计划开工",
    "actual_start": "实际开工",
    "planned_end": "计划竣工",
    "progress_text": "形象进度",
    "annual_plan_cny": "年度计划投资（元）",
    "completed_cny": "累计完成投资（元）",
    "warning": "预警",
    "reason": "预警原因",
}


#: The amount columns of an export: their name, said with the unit the clerk typed them in.
_AMOUNT_HEADS = {"investment_cny": "总投资", "annual_plan_cny": "年度计划投资", "completed_cny": "累计完成投资"}


def _money(total: float, unit: str = "亿元") -> str:
    """An amount in 元 said in ``unit`` (a unit the sheet did not state: the figure as typed)."""
    factor = v.UNIT_FACTORS.get(unit)
    return f"{total / factor:,.2f} {unit}" if factor else f"{total:,.2f}（未注明单位）"


def _title(
    reg: dict[str, Any], info: dict[str, Any], words: list[str], n: int, total: float, unit: str = "亿元"
) -> tuple[str, list[str]]:
    """The title and credit lines of a (filtered) download; the total in ``unit`` (the typed one)."""
    what = "筛选结果" if words else "全部项目"
    title = (
        f"{reg['file_name']} 第 {info['version']} 版（截至 {info['as_of']}）· {what}：{n} 项，"
        f"投资合计 {_money(total, unit)}"
    )
    credits = [
        f"数据来源：项目清单“{reg['file_name']}”第 {info['version']} 版，{reg['uploader']} 上传",
        "筛选条件：" + ("；".join(words) if words else "无（全部项目）"),
        f"预警按清单版本日期 {info['as_of']} 判断，规则见“预警规则”",
        f"边界：{reg['boundaries'] or '随工具提供的规划边界'}",
    ]
    return title, credits


def _zone_names(reg: dict[str, Any]) -> dict[str, str]:
    return {str(z["id"]): str(z["name"]) for z in json.loads(reg["per_zone_json"])}


def _table(sub: Any, reg: dict[str, Any], units: dict[str, str]) -> Any:
    """The export table: Chinese headers, amounts in the unit each column was typed in (the header
    says which; ``units`` from `_versions.register_units`) beside the investment cell as typed."""
    out = sub.drop(columns=[sub.geometry.name]).copy()
    out["zone_name"] = out["zone_id"].map(_zone_names(reg))
    heads = dict(_EXPORT_COLUMNS)
    for col, head in _AMOUNT_HEADS.items():
        unit = units.get(col, "元")
        factor = v.UNIT_FACTORS.get(unit)
        if col in out.columns and factor:
            out[col] = (out[col].astype(float) / factor).round(6)
        heads[col] = f"{head}（{unit}）" if factor else f"{head}（未注明单位，按表中数字）"
    return out.reindex(columns=list(heads)).rename(columns=heads)


def filtered_geojson(store: Store, reg: dict[str, Any], flt: _filter.ProjectFilter) -> dict[str, Any]:
    """The filtered projects as GeoJSON, with the title and credits as members of the collection."""
    sub, words = _filter.filtered(store, reg, flt)
    info = v.series_info(store.engine, reg["id"]) or {}
    total = float(sub["investment_cny"].sum(min_count=1) or 0) if len(sub) else 0.0
    title, credits = _title(reg, info, words, len(sub), total)
    zones = _zone_names(reg)
    feats = []
    keys = [k for k in _EXPORT_COLUMNS if k not in ("lon", "lat", "zone_name")]
    for rec in v._jsonable(sub.drop(columns=[sub.geometry.name]).to_dict("records")):
        props = {k: rec.get(k) for k in keys}
        props["project_id"] = props.pop("id")
        props["zone_id"] = rec.get("zone_id")
        props["zone_name"] = zones.get(str(rec.get("zone_id")))
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "title": title,
        "filter": flt.active(),
        "filter_zh": words,
        "credits": credits,
        "count": len(feats),
        "investment_cny": total,
        "features": feats,
    }


def _xlsx(sub: Any, reg: dict[str, Any], store: Store, words: list[str], extra: dict[str, Any] | None = None) -> Path:
    import pandas as pd

    from hepinggis.io._sheets import write_workbook
    from hepinggis.monitor.progress import rules_zh

    info = v.series_info(store.engine, reg["id"]) or {}
    units = v.register_units(store, reg["id"])
    total = float(sub["investment_cny"].sum(min_count=1) or 0) if len(sub) else 0.0
    title, credits = _title(reg, info, words, len(sub), total, units["investment_cny"])
    table = _table(sub, reg, units)
    sheets: dict[str, Any] = {"项目": table}
    sheets.update(extra or {})
    sheets["说明"] = pd.DataFrame({"说明": [title, *credits]})
    sheets["预警规则"] = pd.DataFrame({"规则": rules_zh()})
    path = store.new_tmp(".xlsx")
    write_workbook(sheets, path)
    return path


def _gpkg(sub: Any, reg: dict[str, Any], store: Store, words: list[str]) -> Path:
    import geopandas as gpd
    import pandas as pd

    info = v.series_info(store.engine, reg["id"]) or {}
    units = v.register_units(store, reg["id"])
    total = float(sub["investment_cny"].sum(min_count=1) or 0) if len(sub) else 0.0
    title, credits = _title(reg, info, words, len(sub), total, units["investment_cny"])
    table = _table(sub, reg, units)
    layer = gpd.GeoDataFrame(table, geometry=sub.geometry.to_numpy(), crs="EPSG:4326")
    path = store.new_tmp(".gpkg")
    layer.to_file(path, layer="项目", driver="GPKG")
    about = pd.DataFrame({"说明": [title, *credits]})
    notes = gpd.GeoDataFrame(about, geometry=[None] * len(about), crs="EPSG:4326")
    notes.to_file(path, layer="说明", driver="GPKG", mode="a")
    return path
