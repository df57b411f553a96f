"""Points well inside the district, and registers made of them, for the coordinate-system tests."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from hepinggis.plan.layers import load


def inside_points(n: int, *, margin_m: float = 1200.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` WGS 84 points at least ``margin_m`` inside the district: GPS, 高德 and 百度 (a few
    hundred metres apart) all put them inside, so none of them can be told from the others."""
    district = load("district").to_crs("EPSG:4550").geometry.union_all()
    core = district.buffer(-margin_m)
    minx, miny, maxx, maxy = core.bounds
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 60), np.linspace(miny, maxy, 60))
    grid = shapely.points(gx.ravel(), gy.ravel())
    inside = grid[shapely.contains(core, grid)]
    assert len(inside) >= n, "the district's core holds too few grid points"
    picked = gpd.GeoSeries(inside[:: len(inside) // n][:n], crs="EPSG:4550").to_crs("EPSG:4326")
    return picked.x.to_numpy(), picked.y.to_numpy()


def tie_register(path: Path, n: int = 30) -> Path:
    """A CSV register of ``n`` such points that says nothing of its coordinate system."""
    xs, ys = inside_points(n)
    lines = ["项目名称,经度,纬度", *(f"项目{k},{x:.7f},{y:.7f}" for k, (x, y) in enumerate(zip(xs, ys, strict=True)))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
