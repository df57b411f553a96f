"""What the ``/ogc`` routes answer with: JSON documents and Chinese pages (Jinja2 autoescape: file
names and cells are values, never template source; the templates in ``ogc/templates`` and the
app's own), their links, the format a client asks for, and a collection's description."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from hepinggis.web.ogc import _access, _features
from hepinggis.web.ogc._collections import Collection, collection, layer_frame
from hepinggis.web.ogc._params import CRS84, CRS_URIS
from hepinggis.web.store._store import Store

__all__ = ["GEOJSON", "MVT", "OPENAPI", "TILING_SCHEME", "TRS"]

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"

_env = Environment(
    loader=FileSystemLoader([Path(__file__).parent / "templates", Path(__file__).parent.parent / "templates"]),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _num(value: Any) -> str:
    """A figure as the pages write it: thousands separated, no float notation."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


_env.filters["num"] = _num


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _wants_html(request: Request, f: str | None, *, other: tuple[str, ...] = ()) -> bool:
    if f:
        if f not in ("json", "html", *other):
            raise HTTPException(400, f"不支持的输出格式 f={f[:20]}：可用 json 或 html")
        return f == "html"
    accept = request.headers.get("accept", "")
    html, js = accept.find("text/html"), accept.find("json")
    return html >= 0 and (js < 0 or html < js)


def _json(value: Any, *, media: str = "application/json", headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(value, ensure_ascii=False, default=str)
    return Response(body, media_type=media, headers={"Cache-Control": "no-store", **(headers or {})})


def _html(name: str, request: Request, user: dict[str, Any], **context: Any) -> HTMLResponse:
    from hepinggis.web.pages.routes import CSP_PAGE, SAFE_HEADERS

    page = _env.get_template(name).render(user=user, base=_base(request), path=request.url.path, **context)
    return HTMLResponse(
        page, headers={"Content-Security-Policy": CSP_PAGE, "Cache-Control": "no-store", **SAFE_HEADERS}
    )


def _link(href: str, rel: str, media: str, title: str, **extra: Any) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": media, "title": title, **extra}


def _collection_or_404(request: Request, store: Store, cid: str) -> Collection:
    coll = collection(store, cid)
    user = request.scope.get("state", {}).get("user") or {}
    if coll is None or (user.get("role") == _access.ANONYMOUS["role"] and cid not in _access.public_set(store)):
        raise HTTPException(404, "找不到该数据集（编号不存在或已删除）")
    return coll


def _extent(store: Store, coll: Collection) -> list[float] | None:
    if coll.layer is not None:
        return [float(v) for v in layer_frame(store, coll.layer).total_bounds]
    return _features.register_bbox(store, coll)


def _collection_doc(request: Request, store: Store, coll: Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{coll.id}"
    extent: dict[str, Any] = {}
    bbox = _extent(store, coll)
    if bbox is not None:
        extent["spatial"] = {"bbox": [bbox], "crs": CRS84}
    when = _features.temporal_extent(coll)
    if when is not None:
        extent["temporal"] = {"interval": [[when[0].isoformat().replace("+00:00", "Z"), None]], "trs": TRS}
    return {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": list(CRS_URIS),
        "storageCrs": CRS84,
        "extent": extent,
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "本数据集（JSON）"),
            _link(f"{base}?f=html", "alternate", "text/html", "本数据集（网页）"),
            _link(f"{base}/items?f=json", "items", GEOJSON, "要素（GeoJSON）"),
            _link(f"{base}/items?f=html", "items", "text/html", "要素（网页）"),
            _link(
                f"{base}/queryables?f=json",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "可筛选的属性",
            ),
            _link(
                f"{base}/tiles?f=json",
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                "application/json",
                "矢量瓦片集",
            ),
        ],
    }
