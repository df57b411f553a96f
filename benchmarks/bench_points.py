"""Benchmark: points in zones for 10^5, 10^6, 10^7 points — hepinggis vs geopandas.sjoin, same run.

The baseline is ``geopandas.sjoin(points, zones, predicate="within")`` on a GeoDataFrame of the
same points (building that GeoDataFrame is part of its cost, as it is for a user). Each method runs
in a fresh subprocess so its peak RSS is its own. The goal from the issue: >= 8x sjoin's
throughput at 10^7 points with peak memory under 1 GB.

    python benchmarks/bench_points.py [--sizes 100000 1000000 10000000] [--skip-sjoin-above N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
n, mode = int(sys.argv[1]), sys.argv[2]
import hepinggis, geopandas as gpd
zones = hepinggis.load("zones")
rng = np.random.default_rng(42)
def chunks(total):  # the same points for both methods, generated chunk by chunk
    done = 0
    while done < total:
        k = min(1_000_000, total - done)
        yield rng.uniform(123.31, 123.44, k), rng.uniform(41.68, 41.82, k)
        done += k
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
if mode == "hepinggis":
    counts = np.zeros(len(zones), dtype=np.int64)
    for xy in chunks(n):  # the points arrive in chunks (as from a file or a feed): memory stays bounded
        counts += hepinggis.count_points_by_zone(xy, zones).to_numpy()
else:
    parts = list(chunks(n))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    joined = gpd.sjoin(pts, zones[["id", "geometry"]], predicate="within")
    counts = joined["id"].value_counts().reindex(zones["id"]).fillna(0).astype(int).to_numpy()
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "counts": [int(c) for c in counts],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base_rss}))
"""


def run(n: int, mode: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    args = parser.parse_args()
    print(f"{'points':>10} {'method':<22} {'seconds':>8} {'Mpoints/s':>10} {'peak MB':>8} {'ratio vs sjoin':>15}")
    for n in args.sizes:
        base = run(n, "sjoin")
        ours = run(n, "hepinggis")
        same = base["counts"] == ours["counts"]
        for label, r in (("geopandas.sjoin", base), ("hepinggis", ours)):
            ratio = float(base["seconds"]) / float(r["seconds"])  # type: ignore[arg-type]
            print(
                f"{n:>10} {label:<22} {r['seconds']:>8.2f} {n / float(r['seconds']) / 1e6:>10.2f} "  # type: ignore[arg-type]
                f"{r['peak_mb']:>8.0f} {ratio:>14.1f}x"
            )
        print(f"{'':>10} identical counts: {same}")


if __name__ == "__main__":
    main()
