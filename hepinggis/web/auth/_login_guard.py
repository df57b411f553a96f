"""What keeps the login route from being turned against the server (issue 33):

* `read_capped`: the body is read up to a limit of *bytes received* (a chunked 20 MB body used to
  be parsed whole: only Content-Length was checked);
* `check_password`: argon2 runs in a thread, at most `MAX_AT_ONCE` at a time, never in the event
  loop (ten logins at once stalled every request 1.05 s);
* `RefusedLogins`: refused logins are counted per address and minute and written to the audit
  trail as one row with the count (one address made 4,170 rows in 21 s);
* `safe_next`: where to go after login, normalised here, on the server, to a path of this site
  (``/.//evil.example``, ``/a/..//…`` and ``/%2e//…`` were open redirects: the page checked the
  raw string, then the browser normalised it into ``//evil.example``).
"""

from __future__ import annotations

import atexit
import posixpath
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy.engine import Engine
from starlette.requests import Request

__all__ = ["MAX_AT_ONCE", "MAX_LOGIN_BYTES", "RefusedLogins", "check_password", "read_capped", "safe_next"]

#: The largest login request body read (bytes received, whatever the headers say).
MAX_LOGIN_BYTES = 16_384
#: Password checks (argon2, ~50 ms of CPU and 64 MB each) running at once; the rest wait their turn.
MAX_AT_ONCE = 2

T = TypeVar("T")
_limiter: Any = None


async def read_capped(request: Request, limit: int = MAX_LOGIN_BYTES) -> bytes | None:
    """The request body, or None as soon as more than ``limit`` bytes have arrived."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def check_password(call: Callable[[], T]) -> T:
    """Run ``call`` (a password check) in a worker thread, at most `MAX_AT_ONCE` at a time."""
    import anyio

    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(MAX_AT_ONCE)
    return await anyio.to_thread.run_sync(call, limiter=_limiter)


def safe_next(raw: str | None) -> str:
    """A path of this site to go to after login: ``raw`` with its percent-escapes decoded, its dot
    segments and repeated slashes resolved, and anything that is not a plain path (a scheme, a
    host, a backslash, a control character) replaced by ``/``."""
    if not raw or not raw.startswith("/") or len(raw) > 2000:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    path = unquote(parts.path)
    if "\\" in path or any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return "/"
    path = "/" + posixpath.normpath(path).lstrip("/")  # normpath keeps a leading "//": stripped
    query = parts.query
    if any(ord(ch) < 32 for ch in query):
        query = ""
    return quote(path, safe="/-._~!$&'()*+,;=:@") + (f"?{quote(query, safe='=&/-._~%+')}" if query else "")


class RefusedLogins:
    """Refused logins counted per (address, minute); each minute becomes one audit row with the
    count, the names tried and the reasons, written once the minute is over (`flush`: at the next
    login, when the trail is read, a minute later, and at exit).

    Parameters
    ----------
    engine
        The store's database.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], dict[str, Any]] = {}
        self._timer: threading.Timer | None = None
        atexit.register(self.flush, everything=True)

    def add(self, *, address: str, username: str, status: int, reason: str) -> None:
        """Count one refused login."""
        minute = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        with self._lock:
            entry = self._counts.setdefault(
                (address, minute), {"n": 0, "names": {}, "status": {}, "reasons": {}, "first": time.time()}
            )
            entry["n"] += 1
            for key, value in (("names", username[:64]), ("status", status), ("reasons", reason)):
                entry[key][value] = entry[key].get(value, 0) + 1
            if self._timer is None:
                self._timer = threading.Timer(61.0, self._tick)
                self._timer.daemon = True
                self._timer.start()
        self.flush()

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()
        with self._lock:
            if self._counts and self._timer is None:
                self._timer = threading.Timer(61.0, self._tick)
                self._timer.daemon = True
                self._timer.start()

    def flush(self, *, everything: bool = False) -> int:
        """Write the rows of the minutes that are over (all of them with ``everything``); how many."""
        from hepinggis.base.clock import local_time
        from hepinggis.web.auth import _audit

        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        with self._lock:
            done = [k for k in self._counts if everything or k[1] < now]
            rows = [(k, self._counts.pop(k)) for k in done]
        for (address, minute), e in rows:
            names = "、".join(sorted(e["names"]))
            worst = 401 if 401 in e["status"] else max(e["status"])
            codes = "，".join(f"HTTP {s} ×{n}" for s, n in sorted(e["status"].items()))
            reasons = "，".join(f"{r} ×{n}" for r, n in sorted(e["reasons"].items()))
            try:
                _audit.record(
                    self.engine,
                    action="login_failed",
                    username=names[:200],
                    address=address,
                    object=f"{local_time(minute)}（北京时间）这一分钟",  # the minute is counted in UTC
                    outcome=f"失败（HTTP {worst}）",
                    detail=f"共 {e['n']} 次：{codes}；原因：{reasons}",
                )
            except Exception:  # at exit the database may be gone: never raise there
                if not everything:
                    raise
        return len(rows)
