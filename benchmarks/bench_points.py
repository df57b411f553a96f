"""Benchmark: points in zones for 10^6 and 10^7 points (plus every zone vertex and points on the
edges) — hepinggis' grid index vs geopandas.sjoin, same run, one core.

The baseline is ``geopandas.sjoin(points, zones, predicate="within")`` on a GeoDataFrame of the
same points (building that GeoDataFrame is part of its cost, as it is for a user). Each method runs
in a fresh subprocess; "+MB" is the peak memory above what the process held before counting. The
goal (issue 18): >= 40x sjoin and >= 30 M points/s, identical counts.

    python benchmarks/bench_points.py [--sizes 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
import shapely
n, mode = int(sys.argv[1]), sys.argv[2]
import hepinggis, geopandas as gpd
zones = hepinggis.load("zones")
rng = np.random.default_rng(42)
# the same points for both methods: random ones, plus every zone vertex and points on the edges
# (which count for no zone), made before the clock starts
edges = shapely.get_coordinates(zones.geometry.boundary.values)
rings = list(shapely.get_parts(zones.geometry.boundary.values))
on_edge = shapely.get_coordinates(np.asarray([r.interpolate(f, normalized=True) for r in rings
                                              for f in np.linspace(0, 1, 200)], dtype=object))
x = np.concatenate([rng.uniform(123.31, 123.44, n), edges[:, 0], on_edge[:, 0]])
y = np.concatenate([rng.uniform(41.68, 41.82, n), edges[:, 1], on_edge[:, 1]])
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.perf_counter()
if mode == "hepinggis":
    counts = hepinggis.count_points_by_zone((x, y), zones).to_numpy()  # in chunks: memory bounded by the chunk
else:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4326)
    joined = gpd.sjoin(pts, zones[["id", "geometry"]], predicate="within")
    counts = joined["id"].value_counts().reindex(zones["id"]).fillna(0).astype(int).to_numpy()
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "counts": [int(c) for c in counts], "peak_mb": peak - base_rss}))
"""


def run(n: int, mode: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), mode], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    print(f"{'points':>10} {'method':<22} {'seconds':>8} {'Mpoints/s':>10} {'+MB':>8} {'ratio vs sjoin':>15}")
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
