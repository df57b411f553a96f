"""The pages of registers as living lists (issue 31): the filter panel and its list
(``/registers/{rid}/list``), a project across versions (一项目一档, ``/registers/{rid}/projects/{row}``)
and the changes between two versions (``/registers/{rid}/versions``)."""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from hepinggis.web._deps import current_user, get_store
from hepinggis.web.api._exports import _title, _zone_names
from hepinggis.web.api._filter_query import FilterDep
from hepinggis.web.registers import _filter, _history
from hepinggis.web.registers import _versions as v
from hepinggis.web.store._store import Store

__all__ = ["router"]

router = APIRouter()
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]


def _register_or_404(store: Store, rid: str) -> dict[str, Any]:
    reg = store.get_register(rid)
    if reg is None:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）")
    return reg


def _page(name: str, request: Request, user: dict[str, Any], **context: Any) -> HTMLResponse:
    from hepinggis.web.pages.routes import _page as page

    return page(name, request, user, **context)


@router.get("/registers/{rid}/list", response_class=HTMLResponse, include_in_schema=False)
async def list_page(rid: str, request: Request, store: StoreDep, user: UserDep, flt: FilterDep) -> HTMLResponse:
    from hepinggis.monitor.progress import WARNING_COLORS, rules_zh

    reg = _register_or_404(store, rid)
    sub, words = await run_in_threadpool(_filter.filtered, store, reg, flt)
    full = _history.with_warnings(store, rid)
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
        areas=_filter.per_area(sub, reg),
        zones=json.loads(reg["per_zone_json"]),
        jiedao=json.loads(reg["per_jiedao_json"]),
        categories=sorted({str(c) for c in full["category"].dropna()}),
        statuses=sorted({str(c) for c in full["status"].dropna()}),
        rules=rules_zh(),
        zone_names=_zone_names(reg),
        typed_unit=v.register_units(store, rid)["investment_cny"],
        built=_built_package(store, rid, flt),
    )


def _built_package(store: Store, rid: str, flt: _filter.ProjectFilter) -> dict[str, str] | None:
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
    hist = await run_in_threadpool(_history.history, store, rid, row)
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
    old = v.previous_register(store, rid) if not against else _register_or_404(store, against)
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
