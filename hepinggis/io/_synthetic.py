"""Synthetic project registers of any size, for tests and benchmarks: random sites inside the
district, the categories and statuses offices type, written the way a colleague's file comes
(GBK CSV, AMap/GCJ-02 coordinates). Seeded, so every run draws the same list."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hepinggis.base.coords import wgs84_to_gcj02
from hepinggis.plan.layers import load

__all__ = ["synthetic_projects", "write_register"]

_CATEGORIES = ("商业", "文旅", "城市更新", "基础设施", "教育", "医疗卫生", "产业园区")
_STATUSES = ("在建", "计划", "已建成", "拟引进")


def synthetic_projects(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` projects at random sites inside the district (EPSG:4326), each with a name, category,
    status, year and investment (元)."""
    rng = np.random.default_rng(seed)
    district = load("district").geometry.union_all()
    minx, miny, maxx, maxy = district.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, max(64, 2 * (n - have)))
        y = rng.uniform(miny, maxy, len(x))
        keep = shapely.contains_xy(district, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        have += int(keep.sum())
    x, y = np.concatenate(xs)[:n] if n else np.empty(0), np.concatenate(ys)[:n] if n else np.empty(0)
    k = np.arange(n)
    return gpd.GeoDataFrame(
        {
            "项目名称": [f"和平区重点项目{i + 1:05d}" for i in k],
            "项目类型": [_CATEGORIES[i] for i in rng.integers(0, len(_CATEGORIES), n)],
            "建设状态": [_STATUSES[i] for i in rng.integers(0, len(_STATUSES), n)],
            "年份": rng.integers(2021, 2026, n),
            "investment_cny": np.round(rng.uniform(1e6, 5e9, n), -4),
        },
        geometry=shapely.points(x, y),
        crs=4326,
    )


def write_register(path: str | Path, n: int, *, seed: int = 0, encoding: str = "gbk") -> Path:
    """A CSV register of ``n`` synthetic projects as an office keeps it: GCJ-02 coordinates picked
    from AMap (列 经度/纬度), Chinese headers, ``encoding`` (GBK by default)."""
    frame = synthetic_projects(n, seed=seed)
    lon, lat = wgs84_to_gcj02(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    table = pd.DataFrame(
        {
            "项目名称": frame["项目名称"],
            "类别": frame["项目类型"],
            "状态": frame["建设状态"],
            "年份": frame["年份"],
            "经度": np.round(lon, 6),
            "纬度": np.round(lat, 6),
        }
    )
    path = Path(path)
    table.to_csv(path, index=False, encoding=encoding)
    return path
