"""``/ogc``: OGC API – Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS) and OGC
API – Tiles (WebMercatorQuad, MVT) over the store, as JSON or as Chinese pages (Jinja2 autoescape:
file names and cells are values, never template source)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from hepinggis.web._deps import current_user, get_store
from hepinggis.web.ogc import _access, _features, _tiles
from hepinggis.web.ogc._collections import PROPERTY_ZH, Collection, beijing, collections, layer_frame
from hepinggis.web.ogc._docs import (
    GEOJSON,
    MVT,
    OPENAPI,
    TILING_SCHEME,
    _base,
    _collection_doc,
    _collection_or_404,
    _extent,
    _html,
    _json,
    _link,
    _wants_html,
)
from hepinggis.web.ogc._params import CRS_URIS, MAX_LIMIT, crs_uri, parse_bbox, parse_datetime, parse_limit
from hepinggis.web.store._store import Store

__all__ = ["CONFORMANCE", "router"]

router = APIRouter(prefix="/ogc", tags=["OGC API"])
StoreDep = Annotated[Store, Depends(get_store)]
UserDep = Annotated[dict[str, Any], Depends(current_user)]

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
CONFORMANCE_ZH = {
    "features-1/1.0/conf/core": "要素服务 第1部分 核心",
    "features-1/1.0/conf/geojson": "GeoJSON 输出",
    "features-1/1.0/conf/html": "HTML 页面",
    "features-1/1.0/conf/oas30": "OpenAPI 3.0 接口说明",
    "features-2/1.0/conf/crs": "第2部分 按坐标系输出（EPSG:4490、EPSG:4326）",
    "tiles-1/1.0/conf/core": "瓦片服务 核心",
    "tiles-1/1.0/conf/tileset": "瓦片集",
    "tiles-1/1.0/conf/tilesets-list": "瓦片集列表",
    "tiles-1/1.0/conf/geodata-tilesets": "数据集瓦片",
    "tiles-1/1.0/conf/mvt": "矢量瓦片（MVT）",
    "tms/2.0/conf/tilematrixset": "瓦片矩阵集",
    "tms/2.0/conf/json-tilematrixset": "瓦片矩阵集（JSON）",
}
_RESERVED = {"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset"}


# -- landing, conformance, OpenAPI ---------------------------------------------------------------
@router.get("", summary="OGC API 服务首页")
@router.get("/", include_in_schema=False)
def landing(request: Request, user: UserDep, f: str | None = None) -> Response:
    base = _base(request)
    doc = {
        "title": "和平区国土空间规划图层与项目清单（OGC API）",
        "description": "规划图层（区界、六区、街道、两轴、一带、重点片区）与各项目清单的当前版本，"
        "按 OGC API – Features 与 OGC API – Tiles 提供，可在 QGIS 中以“WFS / OGC API – Features”连接。",
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "本页（JSON）"),
            _link(f"{base}?f=html", "alternate", "text/html", "本页（网页）"),
            _link(f"{base}/api", "service-desc", OPENAPI, "接口说明（OpenAPI 3.0）"),
            _link(f"{base}/conformance?f=json", "conformance", "application/json", "遵循的标准"),
            _link(f"{base}/collections?f=json", "data", "application/json", "数据集"),
            _link(
                f"{base}/tileMatrixSets?f=json",
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                "application/json",
                "瓦片矩阵集",
            ),
        ],
    }
    if _wants_html(request, f):
        return _html("landing.html", request, user, doc=doc)
    return _json(doc)


@router.get("/conformance", summary="遵循的 OGC 标准（一致性类）")
def conformance(request: Request, user: UserDep, f: str | None = None) -> Response:
    if _wants_html(request, f):
        rows = [(c, CONFORMANCE_ZH.get(c.split("/spec/ogcapi-")[-1].split("/spec/")[-1], "")) for c in CONFORMANCE]
        return _html("conformance.html", request, user, rows=rows)
    return _json({"conformsTo": CONFORMANCE})


_openapi: dict[str, Any] = {}


@router.get("/api", summary="本服务的 OpenAPI 3.0 说明")
def openapi(request: Request, user: UserDep) -> Response:
    if not _openapi:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(
            title="和平区规划 OGC API",
            version="1.0.0",
            openapi_version="3.0.3",
            description="OGC API – Features 与 OGC API – Tiles",
            routes=router.routes,
        )
        # how a client logs in (issue 36): HTTP Basic (QGIS's authentication configurations) or the
        # token of POST /api/login; none for the public set
        doc.setdefault("components", {})["securitySchemes"] = {
            "basic": {"type": "http", "scheme": "basic", "description": "账户的用户名和密码（只在 HTTPS 或本机上）"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/login 返回的 token"},
        }
        doc["security"] = [{}, {"basic": []}, {"bearer": []}]
        _openapi.update(doc)
    return _json({**_openapi, "servers": [{"url": _base(request)}]}, media=OPENAPI.replace(";", "; "))


# -- collections ---------------------------------------------------------------------------------
@router.get("/collections", summary="数据集：规划图层与各项目清单的当前版本")
async def list_collections(request: Request, store: StoreDep, user: UserDep, f: str | None = None) -> Response:
    html = _wants_html(request, f)
    colls = await run_in_threadpool(collections, store)
    if user.get("role") == _access.ANONYMOUS["role"]:
        public = _access.public_set(store)
        colls = [c for c in colls if c.id in public]
    docs = [await run_in_threadpool(_collection_doc, request, store, c) for c in colls]
    base = _base(request)
    doc = {
        "links": [
            _link(f"{base}/collections?f=json", "self", "application/json", "数据集（JSON）"),
            _link(f"{base}/collections?f=html", "alternate", "text/html", "数据集（网页）"),
        ],
        "crs": list(CRS_URIS),
        "collections": docs,
    }
    if html:
        return _html("collections.html", request, user, colls=colls, docs=docs)
    return _json(doc)


@router.get("/collections/{cid}", summary="一个数据集的说明")
async def describe(request: Request, cid: str, store: StoreDep, user: UserDep, f: str | None = None) -> Response:
    html = _wants_html(request, f)
    coll = _collection_or_404(request, store, cid)
    doc = await run_in_threadpool(_collection_doc, request, store, coll)
    if html:
        reg = coll.register
        return _html(
            "collection.html",
            request,
            user,
            coll=coll,
            doc=doc,
            uploaded=beijing(reg["uploaded_at"]) if reg else "",
        )
    return _json(doc)


def _queryables(store: Store, coll: Collection) -> list[str]:
    if coll.is_register:
        return ["zone", "jiedao", "category", "status", "project_id"]
    assert coll.layer is not None
    return [str(c) for c in layer_frame(store, coll.layer).columns if c != "geometry"]


@router.get("/collections/{cid}/queryables", summary="可用作筛选条件的属性")
def queryables(request: Request, cid: str, store: StoreDep, user: UserDep) -> Response:
    coll = _collection_or_404(request, store, cid)
    props = {q: {"title": PROPERTY_ZH.get(q, q), "type": "string"} for q in _queryables(store, coll)}
    return _json(
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{_base(request)}/collections/{cid}/queryables",
            "type": "object",
            "title": coll.title,
            "properties": props,
        },
        media="application/schema+json",
    )


# -- items ---------------------------------------------------------------------------------------
def _query(request: Request, coll: Collection, store: Store) -> _features.Query:
    params = request.query_params
    for key in ("bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "f"):
        if len(params.getlist(key)) > 1:
            raise HTTPException(400, f"参数 {key} 只能给一次")
    limit, offset = parse_limit(params.get("limit"), params.get("offset"))
    allowed = set(_queryables(store, coll)) | ({"zone", "街道", "zone_id"} if coll.is_register else {"zone", "街道"})
    filters = []
    for key, value in params.multi_items():
        if key in _RESERVED:
            continue
        if key not in allowed:
            raise HTTPException(400, f"未知的查询参数 {key[:40]}：可用 {'、'.join(sorted(allowed))}")
        filters.append((key, value))
    return _features.Query(
        bbox=parse_bbox(params.get("bbox"), params.get("bbox-crs")),
        filters=tuple(filters),
        interval=parse_datetime(params.get("datetime")),
        limit=limit,
        offset=offset,
        crs=crs_uri(params.get("crs")),
    )


def _page_url(request: Request, cid: str, offset: int, fmt: str) -> str:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "f")]
    pairs += [("offset", str(offset)), ("f", fmt)]
    return f"{_base(request)}/collections/{cid}/items?{urlencode(pairs)}"


@router.get("/collections/{cid}/items", summary="数据集的要素：bbox、limit/offset、datetime、属性筛选、crs")
async def items(
    request: Request,
    cid: str,
    store: StoreDep,
    user: UserDep,
    f: str | None = None,
    bbox: Annotated[
        str | None, Query(description="最小经度,最小纬度,最大经度,最大纬度（bbox-crs 为 EPSG 时纬度在前）")
    ] = None,
    limit: Annotated[str | None, Query(description=f"每页要素数，1 至 {MAX_LIMIT}")] = None,
    offset: Annotated[str | None, Query()] = None,
    datetime: Annotated[str | None, Query(description="时间或区间（清单版本的施行时间）")] = None,
    crs: Annotated[str | None, Query(description="输出坐标系：CRS84、EPSG:4326、EPSG:4490")] = None,
) -> Response:
    html = _wants_html(request, f)
    coll = _collection_or_404(request, store, cid)
    q = _query(request, coll, store)
    page = await run_in_threadpool(_features.features, store, coll, q)
    if coll.register is not None:
        await run_in_threadpool(
            _access.record_read, store, request.scope, coll.register, f"要素 {request.url.query[:200]}"
        )
    returned = len(page.features)
    fmt = "html" if html else "json"
    links = [
        _link(
            _page_url(request, cid, q.offset, "json"), "self" if not html else "alternate", GEOJSON, "本页（GeoJSON）"
        ),
        _link(
            _page_url(request, cid, q.offset, "html"), "alternate" if not html else "self", "text/html", "本页（网页）"
        ),
        _link(f"{_base(request)}/collections/{cid}?f=json", "collection", "application/json", coll.title),
    ]
    if q.offset + returned < page.matched:
        links.append(
            _link(
                _page_url(request, cid, q.offset + q.limit, fmt), "next", GEOJSON if not html else "text/html", "下一页"
            )
        )
    if q.offset > 0:
        links.append(
            _link(
                _page_url(request, cid, max(0, q.offset - q.limit), fmt),
                "prev",
                GEOJSON if not html else "text/html",
                "上一页",
            )
        )
    if html:
        fields = (
            await run_in_threadpool(_features.register_fields, store, coll)
            if coll.is_register
            else _queryables(store, coll)
        )
        fields = [f for f in fields if f != "zone_id"]  # the page shows the zone's name (zone_zh), not its id
        return _html(
            "items.html",
            request,
            user,
            coll=coll,
            page=page,
            fields=fields,
            names=PROPERTY_ZH,
            q=q,
            links={lk["rel"]: lk["href"] for lk in links},
        )
    doc = {
        "type": "FeatureCollection",
        "timeStamp": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "numberMatched": page.matched,
        "numberReturned": returned,
        "features": page.features,
        "links": links,
    }
    return _json(doc, media=GEOJSON, headers={"Content-Crs": f"<{q.crs}>"})


@router.get("/collections/{cid}/items/{fid}", summary="一个要素")
async def item(
    request: Request, cid: str, fid: str, store: StoreDep, user: UserDep, f: str | None = None, crs: str | None = None
) -> Response:
    html = _wants_html(request, f)
    coll = _collection_or_404(request, store, cid)
    uri = crs_uri(crs)
    feat = await run_in_threadpool(_features.one_feature, store, coll, fid, uri)
    if feat is None:
        raise HTTPException(404, "该数据集中没有这个要素")
    if coll.register is not None:
        await run_in_threadpool(_access.record_read, store, request.scope, coll.register, f"要素 {fid}")
    base = f"{_base(request)}/collections/{cid}"
    feat["links"] = [
        _link(f"{base}/items/{fid}?f=json", "self", GEOJSON, "本要素（GeoJSON）"),
        _link(f"{base}/items/{fid}?f=html", "alternate", "text/html", "本要素（网页）"),
        _link(f"{base}?f=json", "collection", "application/json", coll.title),
    ]
    if html:
        return _html("item.html", request, user, coll=coll, feat=feat, names=PROPERTY_ZH)
    return _json(feat, media=GEOJSON, headers={"Content-Crs": f"<{uri}>"})


# -- tiles ---------------------------------------------------------------------------------------
def _tms_or_404(tms: str) -> None:
    if tms != "WebMercatorQuad":
        raise HTTPException(404, "只提供 WebMercatorQuad 瓦片矩阵集")


@router.get("/tileMatrixSets", summary="瓦片矩阵集")
def tile_matrix_sets(request: Request, user: UserDep) -> Response:
    href = f"{_base(request)}/tileMatrixSets/WebMercatorQuad"
    return _json(
        {
            "tileMatrixSets": [
                {
                    "id": "WebMercatorQuad",
                    "title": _tiles.WEB_MERCATOR_QUAD["title"],
                    "uri": _tiles.WEB_MERCATOR_QUAD["uri"],
                    "links": [_link(href, "self", "application/json", "WebMercatorQuad")],
                }
            ]
        }
    )


@router.get("/tileMatrixSets/{tms}", summary="一个瓦片矩阵集（WebMercatorQuad）")
def tile_matrix_set(tms: str, user: UserDep) -> Response:
    _tms_or_404(tms)
    return _json(_tiles.WEB_MERCATOR_QUAD)


def _tileset(request: Request, coll: Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{coll.id}/tiles/WebMercatorQuad"
    layer = "projects" if coll.is_register else str(coll.layer)
    return {
        "title": coll.title,
        "tileMatrixSetURI": _tiles.WEB_MERCATOR_QUAD["uri"],
        "crs": _tiles.WEB_MERCATOR_QUAD["crs"],
        "dataType": "vector",
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "瓦片集"),
            _link(
                f"{_base(request)}/tileMatrixSets/WebMercatorQuad", TILING_SCHEME, "application/json", "WebMercatorQuad"
            ),
            _link(f"{base}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}?f=mvt", "item", MVT, "矢量瓦片", templated=True),
        ],
        "layers": [{"id": layer, "dataType": "vector", "minTileMatrix": "0", "maxTileMatrix": str(_tiles.MAX_ZOOM)}],
    }


@router.get("/collections/{cid}/tiles", summary="数据集的矢量瓦片集列表")
def tilesets(request: Request, cid: str, store: StoreDep, user: UserDep) -> Response:
    coll = _collection_or_404(request, store, cid)
    ts = _tileset(request, coll)
    return _json({"tilesets": [{k: ts[k] for k in ("title", "tileMatrixSetURI", "crs", "dataType", "links")}]})


@router.get("/collections/{cid}/tiles/{tms}", summary="数据集的矢量瓦片集（WebMercatorQuad）")
def tileset(request: Request, cid: str, tms: str, store: StoreDep, user: UserDep) -> Response:
    _tms_or_404(tms)
    return _json(_tileset(request, _collection_or_404(request, store, cid)))


@router.get("/collections/{cid}/tiles/{tms}/{z}/{y}/{x}", summary="一块矢量瓦片（MVT）：z/行/列")
async def tile(
    request: Request, cid: str, tms: str, z: int, y: int, x: int, store: StoreDep, user: UserDep, f: str | None = None
) -> Response:
    _tms_or_404(tms)
    if f not in (None, "mvt"):
        raise HTTPException(400, "瓦片只提供 MVT 格式（f=mvt）")
    if not (_tiles.MIN_ZOOM <= z <= _tiles.MAX_ZOOM):
        raise HTTPException(404, f"瓦片级别须在 {_tiles.MIN_ZOOM} 至 {_tiles.MAX_ZOOM} 之间")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise HTTPException(404, "瓦片行列号超出该级别的范围")
    coll = _collection_or_404(request, store, cid)
    data = await run_in_threadpool(_tiles.tile, store, coll, z, y, x)
    if coll.register is not None:
        await run_in_threadpool(_access.record_read, store, request.scope, coll.register, f"瓦片 {z}/{y}/{x}")
    return Response(data, media_type=MVT, headers={"Cache-Control": "private, max-age=60"})


# -- the web app's own tile map --------------------------------------------------------------------
@router.get("/collections/{cid}/map", summary="数据集的矢量瓦片地图（网页）", include_in_schema=False)
async def tile_map(request: Request, cid: str, store: StoreDep, user: UserDep) -> Response:
    from hepinggis.base._style import CATEGORY_COLORS, CATEGORY_ZH

    coll = _collection_or_404(request, store, cid)
    bbox = await run_in_threadpool(_extent, store, coll)
    config = {
        "tiles": f"/ogc/collections/{cid}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}?f=mvt",
        "layer": "projects" if coll.is_register else coll.layer,
        "zones": "/ogc/collections/zones/items?f=json&limit=100",
        "bbox": bbox,
        "colors": CATEGORY_COLORS,
        "categories": CATEGORY_ZH,
    }
    return _html("map.html", request, user, coll=coll, config=json.dumps(config, ensure_ascii=False))
