"""Warnings for imported rows outside the district, saying when another datum would put them inside."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from hepinggis.base.coords import to_wgs84
from hepinggis.base.messages import Said
from hepinggis.io._import_report import Report
from hepinggis.plan.layers import load

__all__ = ["OUTSIDE_M", "warn_outside"]

OUTSIDE_M = 200.0  # tolerance before a point counts as outside the district


def warn_outside(
    projects: gpd.GeoDataFrame, label: str, crs: str, xs: np.ndarray, ys: np.ndarray, report: Report
) -> None:
    """Warn about imported rows outside the district, and say when another datum would put them inside.

    Containment is tested with a prepared polygon over coordinate arrays (shapely.contains_xy), and
    distances are computed only for the few rows outside, so a million rows cost about a second.
    """
    if projects.empty:
        return
    district = load("district").to_crs("EPSG:4550").geometry.iloc[0]
    zone = district.buffer(OUTSIDE_M)
    shapely.prepare(zone)
    geoms = projects.geometry.to_crs("EPSG:4550")
    is_point = (geoms.geom_type == "Point").to_numpy()
    outside = np.zeros(len(projects), dtype=bool)
    outside[is_point] = ~shapely.contains_xy(
        zone, shapely.get_x(geoms.values[is_point]), shapely.get_y(geoms.values[is_point])
    )
    outside[~is_point] = ~shapely.intersects(zone, geoms.values[~is_point])
    idx = np.flatnonzero(outside)
    if idx.size == 0:
        return
    dist = shapely.distance(district, geoms.values[idx])
    geographic = crs in ("wgs84", "gcj02", "bd09", "cgcs2000")
    alternatives = [c for c in ("wgs84", "gcj02", "bd09") if c != crs] if geographic else []
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4550", always_xy=True)
    inside_alt: dict[str, np.ndarray] = {}
    finite = np.isfinite(xs[idx]) & np.isfinite(ys[idx])
    for alt in alternatives:
        inside = np.zeros(idx.size, dtype=bool)
        if finite.any():
            lon, lat = to_wgs84(xs[idx][finite], ys[idx][finite], alt)
            mx, my = to_m.transform(lon, lat)
            inside[finite] = shapely.contains_xy(zone, mx, my)
        inside_alt[alt] = inside
    messages = np.empty(idx.size, dtype=object)
    for k, d in enumerate(dist):  # one by one: each keeps its condition (a numpy list copy might not)
        messages[k] = Said("outside", crs=crs, km=float(d) / 1000)
    for alt, inside in reversed(list(inside_alt.items())):  # the first alternative that fits wins
        for j in np.flatnonzero(inside).tolist():
            messages[j] = Said("outside_alt", crs=crs, km=float(dist[j]) / 1000, alt=alt)
    report.extend(
        pd.DataFrame(
            {
                "row": projects[label].to_numpy()[idx],
                "id": projects["id"].to_numpy()[idx],
                "name": projects["name"].to_numpy()[idx],
                "outcome": "imported",
                "level": "warning",
                "field": "geometry",
                "message": pd.Series(messages, dtype=object),  # each a `Said`, kept as it is
            }
        )
    )
    if idx.size >= max(2, len(projects) // 2):
        for alt, inside in inside_alt.items():
            if inside.sum() >= 0.8 * idx.size:
                report.add(
                    None,
                    None,
                    None,
                    "imported",
                    "warning",
                    "crs",
                    Said("likely_other_crs", n=len(projects), k=int(idx.size), crs=crs, m=int(inside.sum()), alt=alt),
                )
