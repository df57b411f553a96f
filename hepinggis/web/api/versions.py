"""Registers as living lists (issue 31): versions, changes by identity, confirmations, warnings,
the filter and its exports (JSON API), and the pages that show them (一项目一档, the filter
panel, the versions and their changes)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from hepinggis.errors import BadUpload
from hepinggis.web import _registers as regs
from hepinggis.web._deps import current_user, get_store
from hepinggis.web._store import Store
from hepinggis.web.auth._security import ROUTE_PERMISSIONS
from hepinggis.web.registers import _versions as v

__all__ = ["FilterDep", "changes", "filtered_geojson", "previous", "router", "upload_params"]

router = APIRouter()
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# a confirmation changes what later comparisons say: the 填报 role's, and audited
ROUTE_PERMISSIONS.setdefault(("POST", "/api/registers/{rid}/confirm"), ("upload", "confirm_match"))
_UNIT_FACTOR = {"元": 1.0, "万元": 1e4, "亿元": 1e8}


def project_filter(
    zone: Annotated[str | None, Query(max_length=100, description="功能区：编号（如 manrong）或中文名")] = None,
    jiedao: Annotated[str | None, Query(max_length=100, description="街道：编号或中文名")] = None,
    category: Annotated[str | None, Query(max_length=200, description="类别，可用逗号分隔多个")] = None,
    status: Annotated[str | None, Query(max_length=200, description="状态，可用逗号分隔多个")] = None,
    warning: Annotated[str | None, Query(max_length=100, description="预警：逾期、滞后、正常、无法判断")] = None,
    min_yuan: Annotated[float | None, Query(ge=0, description="投资下限（元）")] = None,
    max_yuan: Annotated[float | None, Query(ge=0, description="投资上限（元）")] = None,
    q: Annotated[str | None, Query(max_length=100, description="名称、编号、建设单位或地址中的文字")] = None,
    min: Annotated[str | None, Query(max_length=30, description="投资下限，按 unit 的单位")] = None,
    max: Annotated[str | None, Query(max_length=30, description="投资上限，按 unit 的单位")] = None,
    unit: Annotated[str | None, Query(max_length=4, description="min/max 的单位：元、万元、亿元")] = None,
) -> v.ProjectFilter:
    """The filter of the URL. ``min``/``max`` with ``unit`` are the amounts as the clerk typed them
    on the page (元, 万元 or 亿元); ``min_yuan``/``max_yuan`` the same in 元."""
    factor = _UNIT_FACTOR.get(unit or "元")
    if factor is None:
        raise BadUpload("投资单位只能是 元、万元、亿元")

    def amount(text: str | None, given: float | None) -> float | None:
        if given is not None:
            return given
        if text is None or not text.strip():
            return None
        try:
            value = float(text.strip().replace(",", ""))
        except ValueError:
            raise BadUpload(f"投资金额“{text[:30]}”不是数字") from None
        if not value >= 0:
            raise BadUpload("投资金额不能为负")
        return value * factor

    blank = lambda t: t.strip() or None if t else None  # noqa: E731
    return v.ProjectFilter(
        zone=blank(zone),
        jiedao=blank(jiedao),
        category=blank(category),
        status=blank(status),
        warning=blank(warning),
        min_yuan=amount(min, min_yuan),
        max_yuan=amount(max, max_yuan),
        q=blank(q),
        unit=(unit or "元") if (blank(min) or blank(max)) and min_yuan is None and max_yuan is None else None,
    )


FilterDep = Annotated[v.ProjectFilter, Depends(project_filter)]


def _register_or_404(store: Store, rid: str) -> dict[str, Any]:
    reg = store.get_register(rid)
    if reg is None:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）")
    return reg


def upload_params(store: Store, *, replaces: str | None, into: str | None, as_of: str | None) -> dict[str, Any]:
    """The series fields of an upload (``replaces``: the next version of that register's series;
    ``into``: fixed refused rows merged into that version), checked before the job is queued."""
    if replaces and into:
        raise BadUpload("replaces 与 into 只能给出一个")
    for rid in (replaces, into):
        if rid and store.get_register(rid) is None:
            raise BadUpload("要接续或并入的清单不存在（可能已被删除）")
    return {"replaces": replaces or None, "into": into or None, "as_of": v.check_as_of(as_of)}


def previous(store: Store, rid: str) -> dict[str, Any] | None:
    """The version before ``rid`` in its series; for a first version, the register uploaded before it."""
    return v.previous_register(store, rid)


def changes(store: Store, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    return v.version_changes(store, old, new)


# -- exports ---------------------------------------------------------------------------------------
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


def filtered_geojson(store: Store, reg: dict[str, Any], flt: v.ProjectFilter) -> dict[str, Any]:
    """The filtered projects as GeoJSON, with the title and credits as members of the collection."""
    sub, words = v.filtered(store, reg, flt)
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


@router.get("/api/registers/{rid}/projects.xlsx", summary="清单中的项目（xlsx，可按筛选条件）")
async def projects_xlsx(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(v.filtered, store, reg, flt)
    path = await run_in_threadpool(_xlsx, sub, reg, store, words)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type=XLSX,
        filename=regs.download_name(reg["file_name"], what, ".xlsx"),
        background=regs.unlink_after(path),
    )


@router.get("/api/registers/{rid}/projects.csv", summary="清单中的项目（CSV，UTF-8，可按筛选条件）")
async def projects_csv(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    from hepinggis.io._sheets import write_csv

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(v.filtered, store, reg, flt)
    path = store.new_tmp(".csv")
    await run_in_threadpool(write_csv, _table(sub, reg, v.register_units(store, rid)), path)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=regs.download_name(reg["file_name"], what, ".csv"),
        background=regs.unlink_after(path),
    )


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


@router.get("/api/registers/{rid}/projects.gpkg", summary="清单中的项目（GeoPackage，EPSG:4326，可按筛选条件）")
async def projects_gpkg(rid: str, store: StoreDep, user: UserDep, flt: FilterDep) -> Response:
    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(v.filtered, store, reg, flt)
    path = await run_in_threadpool(_gpkg, sub, reg, store, words)
    what = "项目（筛选）" if words else "项目"
    return FileResponse(
        path,
        media_type="application/geopackage+sqlite3",
        filename=regs.download_name(reg["file_name"], what, ".gpkg"),
        background=regs.unlink_after(path),
    )


@router.get("/api/registers/{rid}/warnings", summary="进度预警：各项目、各功能区和街道的逾期、滞后、正常、无法判断")
async def warnings(
    rid: str,
    store: StoreDep,
    user: UserDep,
    flt: FilterDep,
    format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json",
) -> Response:
    import pandas as pd

    from hepinggis.monitor.progress import rules_zh

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(v.filtered, store, reg, flt)
    info = v.series_info(store.engine, rid) or {}
    areas = v.per_area(sub, reg)
    if format == "xlsx":
        flagged = sub[sub["warning"].isin(["逾期", "滞后"])]
        unit = v.register_units(store, rid)["investment_cny"]  # as the clerk typed the amounts
        factor = v.UNIT_FACTORS.get(unit, 1.0)
        money = f"投资（{unit}）" if unit in v.UNIT_FACTORS else "投资（未注明单位）"
        extra = {
            what: pd.DataFrame(areas[key])
            .drop(columns=["id"])
            .assign(investment_cny=lambda t: (t["investment_cny"] / factor).round(6))
            .rename(columns={"name": head, "projects": "项目数", "investment_cny": money})
            for what, key, head in (("各功能区", "zones", "功能区"), ("各街道", "jiedao", "街道"))
        }
        path = await run_in_threadpool(_xlsx, flagged, reg, store, [*words, "预警：逾期、滞后"], extra)
        return FileResponse(
            path,
            media_type=XLSX,
            filename=regs.download_name(reg["file_name"], "预警清单", ".xlsx"),
            background=regs.unlink_after(path),
        )
    counts = sub["warning"].value_counts()
    items = v._jsonable(
        sub[["row", "id", "name", "zone_id", "jiedao", "status", "warning", "warning_code", "reason"]].to_dict(
            "records"
        )
    )
    return JSONResponse(
        {
            "as_of": info.get("as_of"),
            "rules_zh": rules_zh(),
            "filter_zh": words,
            "counts": {w: int(counts.get(w, 0)) for w in ("逾期", "滞后", "正常", "无法判断")},
            "per_zone": areas["zones"],
            "per_jiedao": areas["jiedao"],
            "items": items,
        }
    )


# -- the briefing package of a filter, as of a version ---------------------------------------------
def _version_of(store: Store, reg: dict[str, Any], version: int | None) -> dict[str, Any]:
    """``reg`` itself, or the register of version number ``version`` of its series."""
    if version is None:
        return reg
    hit = next((x for x in v.versions(store, reg["id"]) if x["version"] == version), None)
    if hit is None:
        raise HTTPException(404, f"该清单没有第 {version} 版")
    return _register_or_404(store, hit["id"])


def filtered_package(
    store: Store, reg: dict[str, Any], flt: v.ProjectFilter, *, version: int | None, user: dict[str, Any]
) -> dict[str, Any]:
    """Queue the briefing package of the projects of ``reg`` (or of version ``version`` of its series)
    that pass ``flt`` — the build job of every package (`_work._package`, under the register's lock
    in `_builds.request_build`), with the filter as its parameter. Without a condition, the
    version's own package. Returns the job id and where the package will be."""
    from hepinggis.web._deps import may_rebuild
    from hepinggis.web.jobs import _subset_package as sp
    from hepinggis.web.jobs._builds import request_build

    target = _version_of(store, reg, version)
    may_rebuild(user, target["uploader"])
    rid = target["id"]
    params: dict[str, Any] = {"register_id": rid, "file_name": target["file_name"]}
    out: dict[str, Any] = {"register_id": rid}
    if flt.active():
        sub, _words = v.filtered(store, target, flt)  # a bad condition is said now, in one line
        if not len(sub):
            raise BadUpload("没有符合筛选条件的项目，无法生成简报包")
        selection = flt.params()
        key = sp.package_key(selection)
        params |= {"filter": selection, "package": sp.package_name(rid, selection)}
        out |= {
            "filter": selection,
            "projects": len(sub),
            "gallery": f"/filtered-packages/{rid}/{key}/index.html",
            "zip": f"/api/registers/{rid}/filtered-packages/{key}.zip",
        }
    else:
        out |= {"gallery": f"/packages/{rid}/index.html", "zip": f"/api/registers/{rid}/package.zip"}
    try:
        out["id"] = request_build(store, "package", rid, params, submitter=user["name"])
    except LookupError:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）") from None
    return out


def _filtered_folder(store: Store, rid: str, key: str) -> Path:
    from hepinggis.web.jobs._subset_package import KEY_PATTERN

    _register_or_404(store, rid)
    if not KEY_PATTERN.match(key):
        raise HTTPException(404, "没有这个筛选结果的简报包")
    return store.data_dir / "packages" / f"{rid}-{key}"


@router.get("/api/registers/{rid}/filtered-packages/{key}.zip", summary="下载按筛选条件（及版本）生成的简报包（zip）")
def filtered_package_zip(rid: str, key: str, store: StoreDep, user: UserDep) -> Response:
    folder = _filtered_folder(store, rid, key)
    path = folder.with_name(f"{folder.name}.zip")
    if not path.is_file():
        raise HTTPException(404, "该筛选结果的简报包尚未生成，请先生成")
    reg = _register_or_404(store, rid)
    return FileResponse(
        path, media_type="application/zip", filename=regs.download_name(reg["file_name"], "简报包（筛选）", ".zip")
    )


@router.get("/filtered-packages/{rid}/{key}/{rel:path}", include_in_schema=False)
def filtered_package_file(rid: str, key: str, rel: str, store: StoreDep, user: UserDep) -> Response:
    """A file of a filtered package (its gallery and maps), only from inside its folder."""
    from hepinggis.web.pages.routes import _package_file

    return _package_file(_filtered_folder(store, rid, key), rel)


# -- versions, changes, confirmations --------------------------------------------------------------
@router.get("/api/registers/{rid}/versions", summary="该清单所在系列的各个版本（最早在前）")
def list_versions(rid: str, store: StoreDep, user: UserDep) -> list[dict[str, Any]]:
    _register_or_404(store, rid)
    return v.versions(store, rid)


@router.get("/api/register-proposal", summary="新上传的清单可能是哪份清单的下一版本（按文件名或表头）")
def proposal(
    store: StoreDep,
    user: UserDep,
    file_name: Annotated[str, Query(max_length=300)] = "",
    columns: Annotated[str | None, Query(max_length=5000, description='JSON：{"角色": "列名"}')] = None,
) -> dict[str, Any]:
    cols: dict[str, str] = {}
    if columns:
        try:
            parsed = json.loads(columns)
        except json.JSONDecodeError:
            raise BadUpload("columns 不是有效的 JSON 对象") from None
        if isinstance(parsed, dict):
            cols = {str(k): str(val) for k, val in parsed.items() if val}
    return {"proposal": v.propose(store, file_name=file_name, columns=cols)}


@router.get("/api/registers/{rid}/changes.xlsx", summary="两个版本之间的变化（xlsx）")
async def changes_xlsx(
    rid: str, store: StoreDep, user: UserDep, against: Annotated[str | None, Query()] = None
) -> Response:
    import pandas as pd

    from hepinggis.io._sheets import write_workbook

    reg = _register_or_404(store, rid)
    old = previous(store, rid) if against is None else _register_or_404(store, against)
    if old is None:
        raise HTTPException(404, "这是系列中的第一个版本，没有可比较的上一版本")
    table = await run_in_threadpool(v.compare, store, old, reg)
    heads = {
        "change_zh": "变化",
        "name_zh": "项目名称",
        "name_old": "原名称",
        "row_old": "原行号",
        "row_new": "新行号",
        "id_old": "原编号",
        "id_new": "新编号",
        "status_old": "原状态",
        "status_new": "新状态",
        "investment_old": "原投资",
        "investment_new": "新投资",
        "moved_m": "移动（米）",
        "note": "说明",
    }
    unit = v.register_units(store, rid)["investment_cny"]  # the new version's, as typed
    factor = v.UNIT_FACTORS.get(unit)
    for col in ("investment_old", "investment_new"):
        heads[col] += f"（{unit}）" if factor else "（未注明单位）"
        table = table.assign(**{col: (pd.to_numeric(table[col], errors="coerce") / (factor or 1.0)).round(6)})
    out = table.reindex(columns=list(heads)).rename(columns=heads)
    oi, ni = v.series_info(store.engine, old["id"]) or {}, v.series_info(store.engine, rid) or {}
    about = pd.DataFrame(
        {
            "说明": [
                f"{reg['file_name']}：第 {ni.get('version')} 版（截至 {ni.get('as_of')}）与第 {oi.get('version')} 版"
                f"（{old['file_name']}，截至 {oi.get('as_of')}）相比，按项目身份（编号、名称、位置）对应，不按行序",
            ]
        }
    )
    path = store.new_tmp(".xlsx")
    await run_in_threadpool(write_workbook, {"变化": out, "说明": about}, path)
    return FileResponse(
        path,
        media_type=XLSX,
        filename=regs.download_name(reg["file_name"], "变化", ".xlsx"),
        background=regs.unlink_after(path),
    )


@router.post("/api/registers/{rid}/confirm", summary="确认两个版本中的两行是同一项目（按项目身份记住，用于以后各版本）")
def confirm_pair(
    rid: str,
    store: StoreDep,
    user: UserDep,
    old_row: Annotated[int | None, Form(ge=1, description="原版本中的行号（Excel）")] = None,
    new_row: Annotated[int | None, Form(ge=1, description="本版本中的行号（Excel）")] = None,
    against: Annotated[str | None, Form(max_length=64, description="原版本（默认：上一版本）")] = None,
    old_name: Annotated[str | None, Form(max_length=500, description="原名称（无行号时）")] = None,
    new_name: Annotated[str | None, Form(max_length=500, description="新名称（无行号时）")] = None,
) -> dict[str, Any]:
    _register_or_404(store, rid)
    if against:
        _register_or_404(store, against)
    return v.confirm(
        store,
        rid,
        user["name"],
        against=against or None,
        old_row=old_row,
        new_row=new_row,
        old_name=old_name,
        new_name=new_name,
    )


@router.get("/api/registers/{rid}/projects/{row}", summary="一个项目在各版本中的记录（一项目一档）")
async def project_history(rid: str, row: int, store: StoreDep, user: UserDep) -> dict[str, Any]:
    _register_or_404(store, rid)
    out = await run_in_threadpool(v.history, store, rid, row)
    if out is None:
        raise HTTPException(404, "该版本中没有这一行的项目")
    return out


# -- pages -----------------------------------------------------------------------------------------
def _page(name: str, request: Request, user: dict[str, Any], **context: Any) -> HTMLResponse:
    from hepinggis.web.pages.routes import _page as page

    return page(name, request, user, **context)


@router.get("/registers/{rid}/list", response_class=HTMLResponse, include_in_schema=False)
async def list_page(rid: str, request: Request, store: StoreDep, user: UserDep, flt: FilterDep) -> HTMLResponse:
    from hepinggis.monitor.progress import WARNING_COLORS, rules_zh

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(v.filtered, store, reg, flt)
    full = v.with_warnings(store, rid)
    info = v.series_info(store.engine, rid) or {}
    total = float(sub["investment_cny"].sum(min_count=1) or 0) if len(sub) else 0.0
    title, credits = _title(reg, info, words, len(sub), total)
    shown = v._jsonable(sub.drop(columns=[sub.geometry.name]).head(500).to_dict("records"))
    points = [
        [r["lon"], r["lat"], r["row"], r["warning"]]
        for r in v._jsonable(sub[["lon", "lat", "row", "warning"]].to_dict("records"))
    ]
    params = dict(request.query_params)
    from urllib.parse import urlencode

    query = urlencode({k: val for k, val in params.items() if val})
    return _page(
        "register_list.html",
        request,
        user,
        reg=reg,
        info=info,
        versions=v.versions(store, rid),
        params=params,
        query=query,
        title=title,
        credits=credits,
        words=words,
        n=len(sub),
        total=total,
        rows=shown,
        points=json.dumps(points),
        colors=WARNING_COLORS,
        areas=v.per_area(sub, reg),
        zones=json.loads(reg["per_zone_json"]),
        jiedao=json.loads(reg["per_jiedao_json"]),
        categories=sorted({str(c) for c in full["category"].dropna()}),
        statuses=sorted({str(c) for c in full["status"].dropna()}),
        rules=rules_zh(),
        zone_names=_zone_names(reg),
        typed_unit=v.register_units(store, rid)["investment_cny"],
        built=_built_package(store, rid, flt),
    )


def _built_package(store: Store, rid: str, flt: v.ProjectFilter) -> dict[str, str] | None:
    """The links of the package of this version and filter where it is built already."""
    from hepinggis.web.jobs._subset_package import package_key

    if not flt.active():
        reg = store.get_register(rid) or {}
        zipped = store.data_dir / "packages" / f"{rid}.zip"
        if reg.get("package_at") and zipped.is_file():
            return {"gallery": f"/packages/{rid}/index.html", "zip": f"/api/registers/{rid}/package.zip"}
        return None
    key = package_key(flt.params())
    if not (store.data_dir / "packages" / f"{rid}-{key}.zip").is_file():
        return None
    return {
        "gallery": f"/filtered-packages/{rid}/{key}/index.html",
        "zip": f"/api/registers/{rid}/filtered-packages/{key}.zip",
    }


@router.get("/registers/{rid}/projects/{row}", response_class=HTMLResponse, include_in_schema=False)
async def project_page(rid: str, row: int, request: Request, store: StoreDep, user: UserDep) -> HTMLResponse:
    from hepinggis.monitor.progress import WARNING_COLORS, rules_zh

    reg = _register_or_404(store, rid)
    hist = await run_in_threadpool(v.history, store, rid, row)
    if hist is None:
        raise HTTPException(404, "该版本中没有这一行的项目")
    listed = [h for h in hist["versions"] if h.get("listed")]
    here = next(h for h in listed if h["register_id"] == rid)
    sites = [[h["lon"], h["lat"], h["version"]] for h in listed]
    import math

    moves = []
    from pyproj import Geod

    for a, b in itertools.pairwise(listed):
        d = Geod(ellps="WGS84").inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]
        if math.isfinite(d) and d > 10:
            moves.append({"from": a["version"], "to": b["version"], "m": round(d)})
    return _page(
        "register_project.html",
        request,
        user,
        reg=reg,
        info=v.series_info(store.engine, rid) or {},
        here=here,
        history=hist["versions"],
        sites=json.dumps(sites),
        moves=moves,
        zone_name=_zone_names(reg).get(str(here.get("zone_id")), "区外"),
        colors=WARNING_COLORS,
        rules=rules_zh(),
    )


@router.get("/registers/{rid}/versions", response_class=HTMLResponse, include_in_schema=False)
async def versions_page(
    rid: str, request: Request, store: StoreDep, user: UserDep, against: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    reg = _register_or_404(store, rid)
    old = previous(store, rid) if not against else _register_or_404(store, against)
    ch = await run_in_threadpool(v.version_changes, store, old, reg)
    colors = {"added": "#1e8449", "removed": "#7f8c8d", "moved": "#2e86c1"}
    points = []
    for c in ch["items"]:
        lon, lat = (c["lon_old"], c["lat_old"]) if c["change"] == "removed" else (c["lon_new"], c["lat_new"])
        if lon is None or lat is None:
            continue
        line = [c["lon_old"], c["lat_old"]] if c["change"] == "moved" else None
        points.append([lon, lat, f"{c['change_zh']}：{c['name_zh'] or ''}", colors.get(c["change"], "#d68910"), line])
    return _page(
        "register_versions.html",
        request,
        user,
        change_points=json.dumps(points, ensure_ascii=False),
        reg=reg,
        info=v.series_info(store.engine, rid) or {},
        versions=v.versions(store, rid),
        changes=ch,
    )
