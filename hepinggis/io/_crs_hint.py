"""What a register says about its coordinates (``位置（百度坐标）``, ``坐标系：CGCS2000``), and,
when it says nothing, which coordinate system puts most of its points inside the district — a
proposal for the clerk to confirm, never applied silently — or that two of them cannot be told
apart (`near_tie`): GPS (WGS 84), 高德 (GCJ-02) and 百度 (BD-09) differ by a few hundred metres, so a
register whose projects lie well inside the district fits more than one.
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from hepinggis.base.coords import to_wgs84
from hepinggis.base.messages import CRS_CLI

__all__ = [
    "CANDIDATES",
    "CRS_ZH",
    "NEAR_TIE_SHARE",
    "count_inside",
    "crs_from_text",
    "metres_hint",
    "near_tie",
    "propose_crs",
]

#: The systems tried when a file does not say which it uses.
CANDIDATES: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "EPSG:4550", "EPSG:4529", "EPSG:3857")
#: The systems as the command line names them (`hepinggis.base.messages.CRS_CLI`).
CRS_ZH: dict[str, str] = CRS_CLI
#: Two candidates whose counts of rows inside the district differ by at most this share of the
#: rows with coordinates cannot be told apart: neither is proposed, the clerk chooses.
NEAR_TIE_SHARE = 0.05
_HINTS: tuple[tuple[str, str], ...] = (
    (r"百度|bd-?09|baidu", "bd09"),
    (r"高德|腾讯|火星|gcj-?02|amap|gaode", "gcj02"),
    (r"4550", "EPSG:4550"),
    (r"4529", "EPSG:4529"),
    (r"3857|墨卡托|mercator", "EPSG:3857"),
    (r"wgs\s*-?\s*84|gps|天地图|4326", "wgs84"),
    (r"cgcs\s*2000|国家2000|2000国家|4490", "cgcs2000"),
)


def crs_from_text(texts: list[str]) -> tuple[str, str] | None:
    """(crs, the text saying it) from header labels or lines above the header, else None.

    Examples
    --------
    >>> crs_from_text(["位置（百度坐标）"])
    ('bd09', '位置（百度坐标）')
    >>> crs_from_text(["经度", "纬度"]) is None
    True
    """
    for text in texts:
        low = text.lower()
        for pattern, crs in _HINTS:
            if re.search(pattern, low):
                return crs, text
    return None


def count_inside(xs: np.ndarray, ys: np.ndarray, crs: str) -> int:
    """How many of the points, read as ``crs``, fall inside the district."""
    from hepinggis.plan.layers import load

    ok = np.isfinite(xs) & np.isfinite(ys)
    if crs in ("wgs84", "gcj02", "bd09", "cgcs2000"):
        ok &= (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    if not ok.any():
        return 0
    with np.errstate(all="ignore"):
        try:
            lon, lat = to_wgs84(xs[ok], ys[ok], crs)
        except Exception:  # a projection that cannot take these numbers at all
            return 0
    district = load("district").geometry.iloc[0]
    shapely.prepare(district)
    good = np.isfinite(lon) & np.isfinite(lat)
    return int(shapely.contains_xy(district, np.asarray(lon)[good], np.asarray(lat)[good]).sum())


def propose_crs(xs: np.ndarray, ys: np.ndarray) -> tuple[str | None, dict[str, int]]:
    """The candidate that puts most points inside the district, and the count for each candidate.
    None when none puts any inside, or when the best cannot be told from another (`near_tie`)."""
    counts = {crs: count_inside(xs, ys, crs) for crs in CANDIDATES}
    best = max(counts, key=lambda c: counts[c])
    n = int((np.isfinite(xs) & np.isfinite(ys)).sum())
    return (best if counts[best] > 0 and not near_tie(counts, n) else None), counts


def near_tie(counts: dict[str, int], n: int) -> list[str]:
    """The candidates that put (nearly) as many rows inside the district as the best, best first,
    when there are two or more; else ``[]``. Nearly: at most `NEAR_TIE_SHARE` of the ``n`` rows with
    coordinates fewer (an exact tie always counts).

    Examples
    --------
    >>> near_tie({"wgs84": 30, "gcj02": 29, "bd09": 3}, 30)
    ['wgs84', 'gcj02']
    >>> near_tie({"wgs84": 30, "gcj02": 20, "bd09": 3}, 30)
    []
    >>> near_tie({"wgs84": 0, "gcj02": 0}, 30)
    []
    """
    ranked = sorted(counts, key=lambda c: -counts[c])  # stable: CANDIDATES' order among equals
    if not ranked or counts[ranked[0]] <= 0:
        return []
    top = counts[ranked[0]]
    tied = [c for c in ranked if counts[c] > 0 and top - counts[c] <= NEAR_TIE_SHARE * n]
    return tied if len(tied) > 1 else []


def metres_hint(crs: str, xs: np.ndarray) -> str:
    """CGCS2000 stated for metre coordinates: EPSG:4529 when the eastings carry the zone 41, else 4550."""
    finite = xs[np.isfinite(xs)]
    if crs == "cgcs2000" and finite.size and np.nanmedian(np.abs(finite)) > 1000:
        return "EPSG:4529" if np.nanmedian(finite) > 41_000_000 else "EPSG:4550"
    return crs
