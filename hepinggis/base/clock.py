"""Times as the bureau reads them: Beijing time (the server's zone is configurable with the
environment variable ``HEPINGGIS_TZ``, an IANA name such as ``Asia/Shanghai``), to the minute,
without ``T`` or ``+00:00``.

Examples
--------
>>> local_time("2026-12-07T10:15:18+00:00")
'2026-12-07 18:15'
>>> local_time(None)
'—'
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hepinggis.base.settings import settings

__all__ = ["TZ_ENV", "local_date", "local_time", "zone"]

#: The environment variable naming the zone times are shown in.
TZ_ENV = "HEPINGGIS_TZ"
_DEFAULT = "Asia/Shanghai"


def zone() -> dt.tzinfo:
    """The zone times are shown in (``HEPINGGIS_TZ``, `hepinggis.base.settings`; Beijing time when
    unset or unknown)."""
    name = settings().tz
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(_DEFAULT)


def _parse(value: str | dt.datetime | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment.tzinfo is None:  # the store writes UTC
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone())


def local_time(value: str | dt.datetime | None, *, seconds: bool = False) -> str:
    """``2026-12-07 18:15`` in the shown zone (``seconds``: ``2026-12-07 18:15:18``, for a record
    such as the audit trail); ``—`` for no time; text that is no time as it is."""
    moment = _parse(value)
    if moment is None:
        return "—" if not value else str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(value: str | dt.datetime | None) -> str:
    """``2026-12-07`` in the shown zone (the day a clerk would say it was done)."""
    moment = _parse(value)
    if moment is None:
        return "" if not value else str(value)[:10]
    return moment.strftime("%Y-%m-%d")
