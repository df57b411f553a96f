"""Checks on the connection itself, outside everything else (issue 33):

* the ``Host`` header must name this server (`allowed_hosts`: the loopback names by default, and
  the names the bureau gives with ``serve --allowed-hosts``) — a page on another site whose name
  is made to resolve to 127.0.0.1 (DNS rebinding) is answered 400, never served;
* a request body that stops arriving for `BODY_IDLE_S` seconds is dropped (a slow client holds no
  worker slot forever; slow headers are nginx's ``client_header_timeout``, see deploy/);
* a path or query with a control character (``%00`` …) is refused (400) before any route reads it:
  no name, id or filter of this app holds one, and PostgreSQL refuses a NUL in text with an error
  that was answered 500 (issue 33's pen pass).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["BODY_IDLE_S", "DEFAULT_HOSTS", "MAX_HEAD_BYTES", "HostAndTimeout", "allowed_hosts", "host_name"]

#: The names a loopback-only server answers to.
DEFAULT_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Seconds a request body may pause before the request is dropped.
BODY_IDLE_S = 60.0
#: The longest request line and header block the server reads (uvicorn's ``h11_max_incomplete_event_size``;
#: h11's own default, 16 KiB, applies only while a header block is still arriving, so a longer one was
#: answered when it came in one read and refused with a reset when it came in several: see `serve`).
MAX_HEAD_BYTES = 128 * 1024


def allowed_hosts(listen: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The host names answered: the loopback names, the address listened on (unless a wildcard),
    and ``extra`` (``serve --allowed-hosts``), lower-case."""
    names = [*DEFAULT_HOSTS, *(n.strip().lower() for n in extra if n.strip())]
    if listen not in ("0.0.0.0", "::", ""):
        names.append(listen.strip("[]").lower())
    return tuple(dict.fromkeys(names))


def host_name(value: str) -> str:
    """The name of a ``Host`` header without its port (``[::1]:8765`` → ``::1``), lower-case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _has_control(scope: MutableMapping[str, Any]) -> bool:
    from urllib.parse import unquote_to_bytes

    path = str(scope.get("path", ""))
    query = unquote_to_bytes(bytes(scope.get("query_string") or b"").replace(b"+", b" "))
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in path) or any(b < 32 or b == 127 for b in query)


async def _refuse(send: Any, status: int, line: str) -> None:
    body = json.dumps({"detail": line}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class HostAndTimeout:
    """ASGI middleware: refuse an unknown ``Host`` (400) and drop a body that stalls."""

    def __init__(self, app: Any, *, hosts: tuple[str, ...] | None, body_idle_s: float = BODY_IDLE_S) -> None:
        self.app = app
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)
        self.body_idle_s = body_idle_s

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.hosts is not None:
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            if host_name(host) not in self.hosts and "*" not in self.hosts:
                body = json.dumps({"detail": "请求的主机名不是本服务器的地址，已拒绝"}, ensure_ascii=False).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        if _has_control(scope):
            await _refuse(send, 400, "请求的地址中含有控制字符（如 %00），已拒绝")
            return

        reading = {"body": True}

        async def timed() -> Any:
            if not reading["body"]:  # after the body: waiting for a disconnect is not a stall
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_idle_s)
            except TimeoutError:
                return {"type": "http.disconnect"}
            if message.get("type") != "http.request" or not message.get("more_body", False):
                reading["body"] = False
            return message

        await self.app(scope, timed, send)
