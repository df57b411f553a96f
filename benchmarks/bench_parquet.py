"""Benchmark: `count_points_in_parquet` on 2 x 10^7 points in 20 GeoParquet files and the same in
20 files of x/y columns, on a local Dask cluster of 2 workers — against the in-memory kernel
(`count_points_by_zone`) on the same points in one process, measured in the same run.

For a real cluster pass its client: ``count_points_in_parquet(path, zones, client=Client("tcp://host:8786"))``.

    python benchmarks/bench_parquet.py [--points 20000000] [--files 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import hepinggis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000_000)
    parser.add_argument("--files", type=int, default=20)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    zones = hepinggis.load("zones")
    rng = np.random.default_rng(7)
    per = args.points // args.files
    with tempfile.TemporaryDirectory() as tmp:
        geo, cols = Path(tmp) / "geo", Path(tmp) / "xy"
        geo.mkdir()
        cols.mkdir()
        memory = np.zeros(len(zones), dtype=np.int64)
        t_mem = 0.0
        for i in range(args.files):
            x, y = rng.uniform(123.31, 123.44, per), rng.uniform(41.68, 41.82, per)
            t = time.perf_counter()
            memory += hepinggis.count_points_by_zone((x, y), zones).to_numpy()
            t_mem += time.perf_counter() - t
            gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326).to_parquet(geo / f"part{i:02d}.parquet")
            pd.DataFrame({"lon": x, "lat": y}).to_parquet(cols / f"part{i:02d}.parquet")
        n = per * args.files
        rows = [("in memory, 1 process", t_mem, memory.tolist())]
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            hepinggis.count_points_in_parquet(geo, zones, client=client)  # warm the workers
            for label, kwargs in (
                ("GeoParquet (WKB), 2 workers", {}),
                ("x/y columns, 2 workers", {"xy": ("lon", "lat"), "crs": 4326}),
            ):
                folder = geo if not kwargs else cols
                t = time.perf_counter()
                counts = hepinggis.count_points_in_parquet(folder, zones, client=client, **kwargs)
                rows.append((label, time.perf_counter() - t, counts.tolist()))
    print(f"{'method':<30}{'points':>12}{'seconds':>9}{'M points/s':>12}  identical")
    for label, seconds, counts in rows:
        print(f"{label:<30}{n:>12}{seconds:>9.2f}{n / seconds / 1e6:>12.1f}  {counts == rows[0][2]}")


if __name__ == "__main__":
    main()
