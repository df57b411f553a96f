"""The pages (Chinese, server-rendered with Jinja2 autoescape; user text is only ever a value,
never template source), the static assets, the maps and the package galleries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hepinggis.base.clock import local_time
from hepinggis.base.messages import crs_name, for_page
from hepinggis.web._deps import current_user, get_store
from hepinggis.web.jobs._job_view import open_jobs
from hepinggis.web.registers import _registers as regs
from hepinggis.web.store._store import Store

__all__ = ["mount_static", "router"]

HERE = Path(__file__).parents[1]  # web/: its templates/ and static/
VENDOR = HERE.parent / "maps" / "_vendor"
router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Our own pages run only our own scripts; the maps and galleries (folium pages, scripts
#: inlined; the vendored leaflet-measure evaluates strings) may run inline scripts but still load
#: nothing from elsewhere.
CSP_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "frame-src 'self'; frame-ancestors 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
CSP_MAP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; frame-ancestors 'self'; object-src 'none'; base-uri 'none'"
)
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor", StaticFiles(directory=VENDOR), name="vendor")


def _page(name: str, request: Request, user: dict[str, Any], **context: Any) -> HTMLResponse:
    template = _env.get_template(name)
    html = template.render(
        user=user, path=request.url.path, crs_choices=regs.CRS_ZH, role_zh=regs.ROLE_ZH, units=regs.UNITS, **context
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP_PAGE, **SAFE_HEADERS})


def error_page(status: int, line: str) -> HTMLResponse:
    """An error as a page (for a browser): the one Chinese line and the way back."""
    html = _env.get_template("error.html").render(
        user={"name": "", "role": ""}, path="", status=status, line=line, crs_choices={}, role_zh={}, units=()
    )
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP_PAGE, **SAFE_HEADERS})


def login_page() -> HTMLResponse:
    """The login page (public: no user, no navigation); its script posts JSON to ``/api/login``."""
    html = _env.get_template("login.html").render(
        user={"name": "", "role": ""}, path="/login", crs_choices={}, role_zh={}, units=()
    )
    return HTMLResponse(
        html, headers={"Content-Security-Policy": CSP_PAGE, "Cache-Control": "no-store", **SAFE_HEADERS}
    )


def _money(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return f"{v / 1e8:,.2f}" if v else "0"


_env.filters["yi"] = _money
_env.filters["bj"] = local_time  # Beijing time (HEPINGGIS_TZ), never UTC with +00:00
_env.filters["crs"] = crs_name  # 高德/腾讯坐标（GCJ-02）, never gcj02
_env.filters["words"] = for_page  # a stage's line in the page's words
_env.filters["num"] = lambda v: "—" if v is None else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")


#: The register page lists at most this many projects as a table (the map's projects for a
#: screen reader or a keyboard); the GeoJSON and the package hold them all.
PROJECT_TABLE_ROWS = 2000
#: Changes listed on a register's page unless the clerk asks for all (``?all=1``): a register
#: of 5,001 new projects made a page of 58,000 elements (2.4 s to open); every change stays one
#: click away (显示全部) and in the download (下载变化).
CHANGE_TABLE_ROWS = 200


def _register_or_404(store: Store, rid: str) -> dict[str, Any]:
    reg = store.get_register(rid)
    if reg is None:
        raise HTTPException(404, "找不到该清单（编号不存在或已删除）")
    return reg


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/", response_class=HTMLResponse)
def overview(store: StoreDep, user: UserDep, request: Request, register: str | None = None) -> HTMLResponse:
    registers = store.list_registers()
    current = None
    if register:
        current = _register_or_404(store, register)
    elif registers:
        current = store.get_register(registers[0]["id"])
    per_zone = json.loads(current["per_zone_json"]) if current else []
    per_jd = json.loads(current["per_jiedao_json"]) if current else []
    return _page(
        "overview.html",
        request,
        user,
        registers=registers,
        current=current,
        per_zone=per_zone,
        per_jiedao=per_jd,
        boundaries=store.get_setting("boundaries"),
    )


@router.get("/registers", response_class=HTMLResponse)
def registers_page(store: StoreDep, user: UserDep, request: Request) -> HTMLResponse:
    return _page("registers.html", request, user, registers=store.list_registers())


@router.get("/registers/{rid}", response_class=HTMLResponse)
async def register_page(
    rid: str,
    store: StoreDep,
    user: UserDep,
    request: Request,
    against: Annotated[str | None, Query()] = None,
    show_all: Annotated[bool, Query(alias="all")] = False,
) -> HTMLResponse:
    reg = _register_or_404(store, rid)
    from hepinggis.web.registers._versions import previous_register

    old = previous_register(store, rid) if not against else _register_or_404(store, against)
    changes = await run_in_threadpool(regs.changes, store, old, reg)
    return _page(
        "register.html",
        request,
        user,
        reg=reg,
        details=regs.details(store, reg),
        report=regs.report(reg),
        per_zone=json.loads(reg["per_zone_json"]),
        per_jiedao=json.loads(reg["per_jiedao_json"]),
        changes=changes,
        changes_shown=len(changes["changes"]) if show_all else CHANGE_TABLE_ROWS,
        others=[r for r in store.list_registers() if r["id"] != rid],
        has_package=bool(reg["package_at"]) and (store.data_dir / "packages" / f"{rid}.zip").is_file(),
        open_jobs=open_jobs(store, rid),
        projects=store.register_projects(rid)[:PROJECT_TABLE_ROWS],
        zone_names={z["id"]: z["name"] for z in json.loads(reg["per_zone_json"])},
    )


@router.get("/packages", response_class=HTMLResponse)
def packages_page(store: StoreDep, user: UserDep, request: Request) -> HTMLResponse:
    registers = store.list_registers()
    names = {r["id"]: r["file_name"] for r in registers}
    jobs = [{**j, "file_name": names.get(j["register_id"], "")} for j in open_jobs(store) if j["register_id"] in names]
    return _page("packages.html", request, user, registers=registers, open_jobs=jobs)


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(store: StoreDep, user: UserDep, request: Request, figures: str | None = None) -> HTMLResponse:
    listed = store.list_figures()
    current = store.get_figure(figures) if figures else (store.get_figure(listed[0]["id"]) if listed else None)
    if figures and current is None:
        raise HTTPException(404, "找不到该填报数据（编号不存在或已删除）")
    return _page(
        "monitoring.html",
        request,
        user,
        figures=listed,
        current=current,
        report=json.loads(current["report_json"]) if current else [],
        verdicts=json.loads(current["verdicts_json"]) if current else [],
        has_package=bool(current and current["package_at"]),
    )


@router.get("/boundaries", response_class=HTMLResponse)
def boundaries_page(store: StoreDep, user: UserDep, request: Request) -> HTMLResponse:
    items = []
    for b in store.list_boundaries():
        b = dict(b)
        b["check"] = json.loads(b.pop("check_json"))
        b["comparison"] = json.loads(b.pop("comparison_json"))
        items.append(b)
    return _page("boundaries.html", request, user, boundaries=items, active=store.get_setting("boundaries"))


@router.get("/docs", response_class=HTMLResponse)
def docs_page(user: UserDep, request: Request) -> HTMLResponse:
    return _page("docs.html", request, user)


def _map_response(path: Path) -> Response:
    if not path.is_file():
        raise HTTPException(404, "地图尚未生成")
    return FileResponse(
        path, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": CSP_MAP, **SAFE_HEADERS}
    )


@router.get("/maps/{rid}.html")
def register_map(rid: str, store: StoreDep, user: UserDep) -> Response:
    if rid.startswith("monitor-"):
        if store.get_figure(rid.removeprefix("monitor-")) is None:
            raise HTTPException(404, "找不到该填报数据（编号不存在或已删除）")
    elif rid != "plan":
        _register_or_404(store, rid)
    path = store.data_dir / "maps" / f"{rid}.html"
    if not path.is_file() and not rid.startswith("monitor-"):  # a large register's map follows as a job
        return HTMLResponse(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">'
            "<title>地图</title></head><body><p>正在绘制地图，请稍候…</p></body></html>",
            headers={"Content-Security-Policy": CSP_PAGE, **SAFE_HEADERS},
        )
    return _map_response(path)


@router.get("/packages/{rid}/{rel:path}")
def package_file(rid: str, rel: str, store: StoreDep, user: UserDep) -> Response:
    """A file of a built package (its gallery and maps), only from inside the package folder."""
    _register_or_404(store, rid)
    return _package_file(store.data_dir / "packages" / rid, rel)


@router.get("/monitoring-packages/{fid}/{rel:path}")
def monitoring_file(fid: str, rel: str, store: StoreDep, user: UserDep) -> Response:
    if store.get_figure(fid) is None:
        raise HTTPException(404, "找不到该填报数据（编号不存在或已删除）")
    return _package_file(store.data_dir / "packages" / f"monitor-{fid}", rel)


def _package_file(folder: Path, rel: str) -> Response:
    root = folder.resolve()
    try:  # a NUL or other control character in the path is no file name (issue 33: it gave a 500)
        if any(ord(ch) < 32 for ch in rel):
            raise ValueError(rel)
        target = (root / (rel or "index.html")).resolve()
    except (ValueError, OSError):
        raise HTTPException(404, "简报包中没有该文件") from None
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(404, "简报包中没有该文件")
    headers = {**SAFE_HEADERS}
    if target.suffix.lower() in (".html", ".htm"):
        headers["Content-Security-Policy"] = CSP_MAP
    return FileResponse(target, headers=headers)


AUDIT_PAGE_SIZE = 50


@router.get("/users", response_class=HTMLResponse)
def users_page(store: StoreDep, user: UserDep, request: Request) -> HTMLResponse:
    """用户 (管理 only, `_security.ROUTE_PERMISSIONS`): the accounts, with the forms that change them."""
    from hepinggis.web.auth._accounts import ROLES, Accounts

    accounts: Accounts = getattr(request.app.state, "accounts", None) or Accounts(store.engine)
    return _page("users.html", request, user, users=accounts.list_users(), roles=ROLES)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    store: StoreDep,
    user: UserDep,
    request: Request,
    page: Annotated[int, Query(ge=1)] = 1,
    who: Annotated[str, Query(alias="user")] = "",
    action: str = "",
) -> HTMLResponse:
    """审计 (管理 only): the trail newest first, ``AUDIT_PAGE_SIZE`` rows a page, filtered by user/action."""
    refused = getattr(request.app.state, "refused_logins", None)
    if refused is not None:  # refused logins counted this minute are written before the trail is read
        refused.flush(everything=True)
    from hepinggis.web.auth import _audit

    size = AUDIT_PAGE_SIZE
    total = _audit.count(store.engine, username=who or None, action=action or None)
    pages = max(1, -(-total // size))
    page = min(page, pages)
    rows = _audit.entries(
        store.engine, limit=size, offset=(page - 1) * size, username=who or None, action=action or None
    )
    return _page(
        "audit.html",
        request,
        user,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        who=who,
        action=action,
        usernames=_audit.usernames(store.engine),
        actions=_audit.ACTION_WORDS,
    )
