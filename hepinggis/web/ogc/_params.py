"""The query parameters of ``/ogc`` read strictly: ``bbox``/``bbox-crs``, ``crs``, ``datetime``,
``limit``/``offset``; a bad value is one Chinese line (HTTP 400), never a guess."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import HTTPException

__all__ = [
    "CRS84",
    "CRS_URIS",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Interval",
    "crs_uri",
    "parse_bbox",
    "parse_datetime",
    "parse_limit",
]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: The coordinate systems served (OGC API – Features Part 2): CRS84 (lon, lat: the storage CRS),
#: EPSG:4326 (WGS 84, lat, lon) and EPSG:4490 (CGCS2000, lat, lon).
CRS_URIS = (CRS84, "http://www.opengis.net/def/crs/EPSG/0/4326", "http://www.opengis.net/def/crs/EPSG/0/4490")
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000  # a page never holds more; a larger limit is reduced to it (as the standard allows)


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def crs_uri(text: str | None) -> str:
    """The CRS URI asked for (``EPSG:4490``, a URI, or nothing for CRS84); 400 for any other."""
    if not text:
        return CRS84
    value = text.strip()
    short = {"CRS84": CRS84, "OGC:CRS84": CRS84, "EPSG:4326": CRS_URIS[1], "EPSG:4490": CRS_URIS[2]}
    value = short.get(value.upper(), value)
    if value.startswith("https://"):
        value = "http://" + value.removeprefix("https://")
    if value not in CRS_URIS:
        raise _bad("不支持该坐标系：可用 CRS84、EPSG:4326（WGS 84）或 EPSG:4490（CGCS2000）")
    return value


def lat_first(uri: str) -> bool:
    """EPSG:4326 and EPSG:4490 give latitude first (the EPSG axis order); CRS84 longitude first."""
    return uri != CRS84


def parse_bbox(text: str | None, bbox_crs: str | None) -> tuple[float, float, float, float] | None:
    """``bbox`` as (min lon, min lat, max lon, max lat) in CRS84, read in ``bbox-crs``."""
    if text is None or not text.strip():
        if bbox_crs:
            raise _bad("bbox-crs 只能与 bbox 一起使用")
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise _bad("bbox 应为四个数：最小经度,最小纬度,最大经度,最大纬度") from None
    if len(values) == 6:  # with heights: the heights are ignored
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or any(v != v or abs(v) == float("inf") for v in values):
        raise _bad("bbox 应为四个数：最小经度,最小纬度,最大经度,最大纬度")
    uri = crs_uri(bbox_crs)
    x1, y1, x2, y2 = values
    if lat_first(uri):
        x1, y1, x2, y2 = y1, x1, y2, x2
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90) or y1 > y2:
        raise _bad("bbox 超出经纬度范围，或最小值大于最大值")
    return (x1, y1, x2, y2)


def parse_limit(limit: str | None, offset: str | None) -> tuple[int, int]:
    """``limit`` (1 … `MAX_LIMIT`, larger reduced) and ``offset`` (≥ 0)."""
    try:
        n = DEFAULT_LIMIT if limit in (None, "") else int(str(limit))
        start = 0 if offset in (None, "") else int(str(offset))
    except ValueError:
        raise _bad("limit 和 offset 须为整数") from None
    if n < 1 or start < 0:
        raise _bad(f"limit 须在 1 至 {MAX_LIMIT} 之间，offset 不能为负")
    return min(n, MAX_LIMIT), start


@dataclass(frozen=True)
class Interval:
    """A closed time interval in UTC; None at an open end."""

    start: dt.datetime | None
    end: dt.datetime | None

    def overlaps(self, start: dt.datetime, end: dt.datetime | None) -> bool:
        """True if this interval meets [start, end] (end None: still in force)."""
        return (self.end is None or start <= self.end) and (end is None or self.start is None or self.start <= end)


def _instant(text: str, *, end: bool) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:  # a date: the whole day
            day = dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            return day + dt.timedelta(days=1, microseconds=-1) if end else day
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("datetime 应为 RFC 3339 时间（如 2026-12-07T08:00:00Z）或区间（起/止，开放端用 ..）") from None
    if value.tzinfo is None:
        raise _bad("datetime 须带时区（如 Z 或 +08:00）")
    return value.astimezone(dt.UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """``datetime``: an instant, or ``start/end`` with ``..`` for an open end."""
    if text is None or not text.strip():
        return None
    parts = text.strip().split("/")
    if len(parts) == 1:
        start = _instant(parts[0], end=False)
        end = _instant(parts[0], end=True)
        if start is None:
            raise _bad("datetime 不能只写 ..")
        return Interval(start, end)
    if len(parts) != 2:
        raise _bad("datetime 区间应为 起/止")
    interval = Interval(_instant(parts[0], end=False), _instant(parts[1], end=True))
    if interval.start and interval.end and interval.start > interval.end:
        raise _bad("datetime 区间的起点晚于终点")
    return interval
