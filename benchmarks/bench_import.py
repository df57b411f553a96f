"""Benchmark: importing 10^5 and 10^6 project rows with GCJ-02 conversion.

Baseline, measured in the same run on the same file: plain ``pandas.read_csv`` + ``geopandas``
points (no validation, no datum conversion, no report). Each measurement runs in a fresh
subprocess so that its peak RSS is its own.

    python benchmarks/bench_import.py [--rows 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
path, mode = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if mode == "hepinggis":
    from hepinggis import read_projects
    result = read_projects(path, crs="gcj02")
    n = result.n_imported + result.n_rejected
else:
    import geopandas as gpd, pandas as pd
    frame = pd.read_csv(path, encoding="gb18030")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["经度"], frame["纬度"]), crs=4326)
    n = len(gdf)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": n, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_csv(path: Path, rows: int) -> None:
    import shapely

    from hepinggis import load
    from hepinggis.base.coords import wgs84_to_gcj02

    # planners' points: uniform inside the district (WGS 84), written as GCJ-02 as AMap gives them
    district = load("district").geometry.iloc[0]
    shapely.prepare(district)
    rng = np.random.default_rng(1)
    lon, lat = np.empty(0), np.empty(0)
    while lon.size < rows:
        x = rng.uniform(123.31, 123.44, rows)
        y = rng.uniform(41.68, 41.82, rows)
        keep = shapely.contains_xy(district, x, y)
        lon, lat = np.concatenate([lon, x[keep]]), np.concatenate([lat, y[keep]])
    gx, gy = wgs84_to_gcj02(lon[:rows], lat[:rows])
    with path.open("w", encoding="gb18030") as fh:
        fh.write("编号,项目名称,经度,纬度,类别\n")
        for i in range(rows):
            fh.write(f"P{i},项目{i},{gx[i]:.7f},{gy[i]:.7f},商业\n")


def run(path: Path, mode: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"{'rows':>9} {'method':<28} {'seconds':>8} {'rows/s':>11} {'peak MB':>8} {'x baseline time':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"p{rows}.csv"
            make_csv(path, rows)
            base = run(path, "baseline")
            ours = run(path, "hepinggis")
            for label, r in (("pandas+geopandas (baseline)", base), ("hepinggis.read_projects", ours)):
                print(
                    f"{rows:>9} {label:<28} {r['seconds']:>8.2f} {rows / r['seconds']:>11,.0f} {r['peak_mb']:>8.0f} "
                    f"{r['seconds'] / base['seconds']:>16.2f}"
                )


if __name__ == "__main__":
    main()
