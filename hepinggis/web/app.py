"""``hepinggis serve``: the web application (FastAPI on Starlette, served by uvicorn).

`create_app` builds the application on one data folder. Heavy work runs in worker subprocesses
(`hepinggis.web.jobs._pool`); the server process only talks HTTP and to the store.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hepinggis.errors import BadUpload, UploadTooLarge
from hepinggis.web._transport import HostAndTimeout
from hepinggis.web.auth._accounts import LoginPolicy
from hepinggis.web.auth._middleware import install_security
from hepinggis.web.jobs._limits import JobLimits
from hepinggis.web.jobs._pool import start_workers, stop_workers
from hepinggis.web.jobs._uploads import UploadLimit
from hepinggis.web.jobs._work_light import one_line
from hepinggis.web.store._insql import sync_area_layers
from hepinggis.web.store._migrate import upgrade
from hepinggis.web.store._store import Store

__all__ = ["DEFAULT_MAX_UPLOAD", "create_app", "mount_routers"]

DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024
log = logging.getLogger("hepinggis.web")

_STATUS_ZH = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "找不到该页面或接口",
    405: "不支持该请求方法",
    413: "上传的文件过大",
    415: "不支持的文件类型",
}


def mount_routers(app: FastAPI) -> None:
    """Mount every router of the application (the one place an authentication layer wraps)."""
    from hepinggis.web.api import routes as routes_api
    from hepinggis.web.pages import routes as routes_pages

    app.include_router(routes_api.router)
    app.include_router(routes_pages.router)
    from hepinggis.web.api import sign as routes_sign

    app.include_router(routes_sign.router)
    from hepinggis.web.ogc.routes import router as ogc_router  # OGC API – Features and Tiles (issue 36)

    app.include_router(ogc_router)
    from hepinggis.web.api import versions as routes_versions

    app.include_router(routes_versions.router)
    from hepinggis.web.pages import versions as pages_versions  # the versions' pages

    app.include_router(pages_versions.router)
    from hepinggis.web.api import jobs as routes_jobs

    app.include_router(routes_jobs.router)
    from hepinggis.web.api import boundaries as routes_boundaries

    app.include_router(routes_boundaries.router)
    from hepinggis.web.auth import routes as routes_security

    app.include_router(routes_security.router)
    routes_pages.mount_static(app)


def _error(
    status: int, detail: str, headers: Mapping[str, str] | None = None, request: Request | None = None
) -> Response:
    """The error as JSON ``{"detail": one Chinese line}`` in the page's words (no flag, code or
    path: `hepinggis.base.messages.for_page`), or as a page for a browser asking for one."""
    from hepinggis.base.messages import for_page

    line = one_line(for_page(detail))
    if (
        request is not None
        and not request.url.path.startswith("/api")
        and "text/html" in request.headers.get("accept", "")
    ):
        from hepinggis.web.pages.routes import error_page

        return error_page(status, line)
    return JSONResponse({"detail": line}, status_code=status, headers=headers)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(BadUpload)
    async def bad_upload(_r: Request, exc: BadUpload) -> Response:
        return _error(exc.status, str(exc))

    @app.exception_handler(UploadTooLarge)
    async def too_large(_r: Request, exc: UploadTooLarge) -> Response:
        return _error(413, str(exc), {"connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return _error(exc.status_code, detail or _STATUS_ZH.get(exc.status_code, "请求失败"), exc.headers, request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_r: Request, exc: RequestValidationError) -> Response:
        from hepinggis.base.messages import PARAM_LABELS, page

        errors = exc.errors()
        label = "所填内容"
        if errors:
            loc = [str(x) for x in errors[0].get("loc", ()) if x not in ("body", "query", "path", "form")]
            name = ".".join(loc)
            label = PARAM_LABELS.get(name, "所填内容")
            if str(errors[0].get("type", "")) == "missing":
                return _error(400, page("missing_value", label=label))
        return _error(400, page("invalid_value", label=label))

    from sqlalchemy.exc import DataError

    @app.exception_handler(DataError)
    async def bad_text(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses a NUL in text (a field sent with one): the sender's fault, not a 500
        if "NUL" in str(exc.orig):
            return _error(400, "提交的内容中含有控制字符（如 NUL），已拒绝", None, request)
        log.error("unexpected %s: %s", type(exc).__name__, exc)
        return _error(500, "服务器内部错误，请联系管理员（详情已记入服务器日志）", None, request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected %s: %s", type(exc).__name__, exc)
        return _error(500, "服务器内部错误，请联系管理员（详情已记入服务器日志）", None, request)


def create_app(
    *,
    data_dir: Path,
    db_url: str | None = None,
    max_upload: int = DEFAULT_MAX_UPLOAD,
    workers: int | None = None,
    job_limits: JobLimits | None = None,
    require_login: bool = False,
    login_policy: LoginPolicy | None = None,
    allowed_hosts: tuple[str, ...] | None = None,
) -> FastAPI:
    """The web application on the data folder ``data_dir``.

    Parameters
    ----------
    data_dir : Path
        The store's folder (database, uploaded files, packages); created if missing.
    db_url : str, optional
        A database URL (``postgresql://…``); default the embedded SQLite file in ``data_dir``.
    max_upload : int
        Uploads above this many bytes are refused (413) before they are parsed.
    workers : int, optional
        Worker processes for the background jobs (`hepinggis.web.jobs._limits.plan_lanes`): default one
        light worker per core plus a heavy and a build worker.
    job_limits : JobLimits, optional
        Memory cap and time limits of the jobs (default from the environment, `JobLimits.from_env`).
    require_login : bool
        True when the server listens beyond this machine: every request needs a session even while
        no account exists. With accounts in the store a session is always needed (`_security`).
    login_policy : LoginPolicy, optional
        Login slow-down, lockout and session lifetimes (default `LoginPolicy()`).
    allowed_hosts : tuple of str, optional
        The ``Host`` names answered (`_transport`; ``serve`` always gives them); None: any.
    """
    store = Store(Path(data_dir), db_url)
    upgrade(store.engine)  # the schema, created or upgraded by the shipped migrations (Alembic)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sync_area_layers(store)
        if not (store.data_dir / "maps" / "plan.html").is_file():
            store.add_job("plan_map", {}, submitter="系统")
        # own temp folder, dead servers' jobs failed, leftovers removed, warm workers in lanes
        state = await start_workers(store, workers=workers, limits=job_limits)
        app.state.pool = state[0]
        from hepinggis.web.registers._frames import warm  # the version pages' imports and PROJ, off the request path

        warm()
        try:
            yield
        finally:
            await stop_workers(state)
            store.dispose()

    app = FastAPI(
        title="hepinggis 和平区规划工具",
        description='项目清单、简报包、规划监测与边界的接口；错误一律为 {"detail": "一行中文"}。',
        version="0.1.0",
        docs_url=None,  # the CDN-based Swagger UI does not work offline: /docs is a local page
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.max_upload = max_upload
    _install_handlers(app)
    mount_routers(app)
    app.add_middleware(UploadLimit, max_upload=max_upload)
    # outermost: a request without a session or with the wrong role is refused before anything else
    install_security(app, engine=store.engine, policy=login_policy, local_ok=not require_login)
    app.add_middleware(HostAndTimeout, hosts=allowed_hosts)  # outside even that: DNS rebinding, stalls
    return app
