"""``hepinggis serve``: start the web application with uvicorn."""

from __future__ import annotations

import re
import threading
import webbrowser
from pathlib import Path
from typing import Any

from hepinggis.errors import HepingGISError, InvalidOptionError

__all__ = ["add_production_options", "open_door_check", "parse_size", "production_options", "serve"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``50MB``, ``512KB``, ``1GB`` or a number of bytes → bytes.

    >>> parse_size("50MB")
    52428800
    """
    m = _SIZE.match(text)
    if not m:
        raise InvalidOptionError(f"--max-upload {text!r}: write a size such as 50MB, 512KB or 1GB")
    value = float(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()]
    if value < 1:
        raise InvalidOptionError("--max-upload must be at least 1 byte")
    return int(value)


def _no_account(host: str) -> str:
    return (
        f"拒绝在 {host} 上对外提供服务：还没有任何用户账户。"
        "请先运行 hepinggis users add 姓名 --role 管理（同样的 --data/--db），或只在 127.0.0.1 上运行"
    )


def _has_store(data: Path, db: str | None) -> bool:
    """Whether a store with an accounts table is already there, looked at without creating one."""
    if db is None:
        from hepinggis.web.store._engine import SQLITE_NAME

        return (Path(data) / SQLITE_NAME).is_file()
    from sqlalchemy import inspect

    from hepinggis.web.store._engine import make_engine

    engine = make_engine(data, db)
    try:
        return bool(inspect(engine).has_table("users"))
    finally:
        engine.dispose()


def open_door_check(*, data: Path, db: str | None, host: str) -> None:
    """Refuse to listen beyond this machine while the store has no account (no open door).

    Raises
    ------
    HepingGISError
        ``host`` is not a loopback address and no enabled account exists.
    """
    from hepinggis.web.auth._accounts import Accounts
    from hepinggis.web.auth._security import is_loopback
    from hepinggis.web.store._store import Store

    if is_loopback(host):
        return
    if not _has_store(data, db):  # refuse before anything is written: no folder, no tables
        raise HepingGISError(_no_account(host))
    store = Store(data, db)
    try:
        store.create()
        if not Accounts(store.engine).has_users():
            raise HepingGISError(_no_account(host))
    finally:
        store.dispose()


def serve(
    *,
    data: Path,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    max_upload: int,
    db: str | None = None,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    allowed_hosts: tuple[str, ...] = (),
    forwarded_allow_ips: str = "",
) -> None:
    """Run the server in the foreground until interrupted.

    ``certfile``/``keyfile`` serve HTTPS (cookies then ``Secure`` and ``__Host-`` prefixed);
    ``allowed_hosts`` adds names the ``Host`` header may give (the loopback names and the address
    listened on always pass); ``forwarded_allow_ips`` lists the reverse proxies whose
    ``X-Forwarded-For``/``-Proto`` are believed (none by default: not even loopback's)."""
    import uvicorn

    from hepinggis.web._transport import MAX_HEAD_BYTES
    from hepinggis.web._transport import allowed_hosts as hosts_for
    from hepinggis.web.app import create_app
    from hepinggis.web.auth._security import is_loopback
    from hepinggis.web.jobs._jobs import warm_mode

    warm_mode()  # a wrong HEPINGGIS_WARM_UP is refused here, in one line, not in the workers
    if bool(certfile) != bool(keyfile):
        raise InvalidOptionError("--certfile 与 --keyfile 须同时给出")
    for f in (certfile, keyfile):
        if f is not None and not Path(f).is_file():
            raise InvalidOptionError(f"找不到证书文件 {Path(f).name}")
    open_door_check(data=data, db=db, host=host)
    app = create_app(
        data_dir=data,
        db_url=db,
        max_upload=max_upload,
        require_login=not is_loopback(host),
        allowed_hosts=hosts_for(host, allowed_hosts),
    )
    scheme = "https" if certfile else "http"
    url = f"{scheme}://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"hepinggis serve: {url} (data in {data.absolute()}; Ctrl+C to stop)", flush=True)
    if open_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=5,  # an idle connection is closed after 5 s
        limit_concurrency=200,  # beyond that many connections: 503, not a stalled server
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,  # a long header: read whole, however it arrives
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or "",
        ssl_certfile=str(certfile) if certfile else None,
        ssl_keyfile=str(keyfile) if keyfile else None,
    )


def add_production_options(parser: Any) -> None:
    """The ``serve`` options of a production server (TLS, host names, reverse proxies)."""
    parser.add_argument("--certfile", type=Path, default=None, help="TLS certificate (PEM): serve HTTPS")
    parser.add_argument("--keyfile", type=Path, default=None, help="TLS private key (PEM) of --certfile")
    parser.add_argument(
        "--allowed-hosts",
        default="",
        help="comma-separated host names this server is reached by (e.g. gis.heping.local); "
        "loopback names always pass, any other Host header is refused",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default="",
        help="comma-separated addresses of the reverse proxy whose X-Forwarded-* headers are believed "
        "(default none, not even 127.0.0.1)",
    )


def production_options(args: Any) -> dict[str, Any]:
    """`serve` keyword arguments from the options `add_production_options` added."""
    return {
        "certfile": args.certfile,
        "keyfile": args.keyfile,
        "allowed_hosts": tuple(h for h in args.allowed_hosts.split(",") if h.strip()),
        "forwarded_allow_ips": args.forwarded_allow_ips.strip(),
    }
