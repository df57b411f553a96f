"""Who may read ``/ogc`` without logging in, and the audit of register reads.

The rules are the pages': a session with the ``view`` permission (any role), or the local planner of
a loopback server without accounts. Anonymous reading is allowed only for the collections the bureau
lists as public — none by default, on any host — set in the store's settings (``ogc_public``) or the
environment (``HEPINGGIS_OGC_PUBLIC``), as collection ids separated by commas, e.g.
``district,zones,jiedao`` for the city's 一张图 platform. The landing page, conformance and tile
matrix sets are public with them (they hold no data), and the collection list then shows only the
public collections to an anonymous reader.

Reads of a register are audited (action ``read_register``) when the setting ``audit_reads`` (or
``HEPINGGIS_AUDIT_READS``) is ``1``.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

from hepinggis.base.settings import settings
from hepinggis.web.store._store import Store

__all__ = ["ANONYMOUS", "audit_reads", "is_public_read", "public_set", "record_read"]

ANONYMOUS = {"name": "匿名（公开服务）", "role": "公开"}
_OGC_PATH = re.compile(r"^/ogc(?:/collections/(?P<cid>[^/]+))?(?P<rest>/.*)?$")
_NO_DATA = ("", "/", "/conformance", "/api", "/tileMatrixSets", "/tileMatrixSets/WebMercatorQuad", "/static")


def _setting(store: Store, key: str, env: str) -> str:
    value = getattr(settings(), key)  # the environment (``env``) over the store's setting
    return value if value is not None else store.get_setting(key)


def public_set(store: Store) -> frozenset[str]:
    """The collection ids anyone may read without logging in (default: none)."""
    text = _setting(store, "ogc_public", "HEPINGGIS_OGC_PUBLIC")
    return frozenset(p.strip() for p in text.split(",") if p.strip())


def audit_reads(store: Store) -> bool:
    return _setting(store, "audit_reads", "HEPINGGIS_AUDIT_READS").strip() in ("1", "true", "yes", "是")


def is_public_read(scope: MutableMapping[str, Any]) -> bool:
    """True for a GET of ``/ogc`` that the public set opens to anyone (asked by `_security` before
    it asks for a session)."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    m = _OGC_PATH.match(str(scope.get("path", "")))
    if m is None:
        return False
    app = scope.get("app")
    store = getattr(getattr(app, "state", None), "store", None)
    if store is None:
        return False
    public = public_set(store)
    if not public:
        return False
    cid, rest = m.group("cid"), m.group("rest") or ""
    if cid is None:
        return rest in _NO_DATA or rest == "/collections" or rest.startswith("/static/")
    return cid in public


def record_read(store: Store, scope: MutableMapping[str, Any], reg: dict[str, Any], what: str) -> None:
    """One audit line for a read of the register ``reg`` (when the settings ask for it)."""
    if not audit_reads(store):
        return
    from hepinggis.web.auth import _audit

    user = scope.get("state", {}).get("user") or ANONYMOUS
    client = scope.get("client")
    _audit.record(
        store.engine,
        action="read_register",
        username=str(user.get("name", "")),
        role=str(user.get("role", "")),
        address=str(client[0]) if client else "",
        object=f"清单 {reg['file_name']}",
        detail=what,
    )
