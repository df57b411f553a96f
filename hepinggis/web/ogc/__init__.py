"""The plan's layers and the registers as OGC API services under ``/ogc`` (issue 36).

OGC API – Features (Part 1 core, GeoJSON, HTML, OpenAPI 3.0; Part 2 CRS) and OGC API – Tiles
(WebMercatorQuad, Mapbox Vector Tiles), written as FastAPI routes over the store so that they run on
both stores (SQLite and PostGIS) behind the application's own logins, roles and audit trail.
`docs/ogc.md` says why, and how QGIS connects.
"""

from __future__ import annotations
