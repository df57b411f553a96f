"""Counting large point sets (phone-signal, footfall) by zone, in bounded memory.

The in-memory path works in chunks of coordinate arrays: for each zone a bounding-box test picks
the candidates and `shapely.contains_xy` on the prepared polygon decides, which is the same
predicate as ``geopandas.sjoin(points, zones, predicate="within")`` (points on a boundary count
for no zone) without building a GeoDataFrame of points. The Parquet path runs the same kernel on
each partition with dask-geopandas on a Dask (distributed) cluster, for data larger than memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from ._strict import require_column, require_layer
from .errors import CRSMismatchError, InvalidOptionError, LayerCRSError

__all__ = ["count_points_by_zone", "count_points_in_parquet"]

DEFAULT_CHUNK = 1_000_000


class _Kernel:
    """Prepared zones and their bounds, shared by every chunk."""

    def __init__(self, zones: gpd.GeoDataFrame, zone_id: str) -> None:
        require_layer(zones, "zones", polygons=True)
        require_column(zones, zone_id, "zones")
        self.ids = zones[zone_id].to_numpy()
        self.geoms = np.asarray(zones.geometry.values, dtype=object).copy()
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)

    def count(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.zeros(len(self.ids), dtype=np.int64)
        for k, (minx, miny, maxx, maxy) in enumerate(self.bounds):
            cand = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
            if cand.any():
                out[k] = int(np.count_nonzero(shapely.contains_xy(self.geoms[k], x[cand], y[cand])))
        return out


def _xy(
    points: gpd.GeoDataFrame | gpd.GeoSeries | tuple[ArrayLike, ArrayLike], zones: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(points, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if points.crs is None:
            raise LayerCRSError("points: no CRS; set it (hepinggis does not guess)")
        if not points.crs.equals(zones.crs):
            raise CRSMismatchError(
                f"points are in {points.crs.to_string()} but zones in {zones.crs.to_string()}; "
                "reproject one with .to_crs(…) first"
            )
        geoms = points.geometry.values
        kinds = set(shapely.get_type_id(geoms).tolist())
        if not kinds <= {0}:
            raise InvalidOptionError("points: every geometry must be a Point")
        return shapely.get_x(geoms), shapely.get_y(geoms)
    x, y = (np.asarray(a, dtype="float64") for a in points)
    if x.shape != y.shape:
        raise InvalidOptionError(f"points: x has {x.size} values but y has {y.size}")
    return x, y


def count_points_by_zone(
    points: gpd.GeoDataFrame | gpd.GeoSeries | tuple[ArrayLike, ArrayLike],
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str = "id",
    chunk_size: int = DEFAULT_CHUNK,
) -> pd.Series:
    """Number of points strictly inside each zone, in chunks of ``chunk_size`` points.

    Parameters
    ----------
    points : GeoDataFrame, GeoSeries or (x, y) arrays
        Point geometries in the zones' CRS, or bare coordinate arrays taken to be in it.
    zones : geopandas.GeoDataFrame
        Polygons (e.g. ``hepinggis.load("zones")``).
    chunk_size : int
        Points per chunk: memory stays bounded by the chunk, not the point set.

    Returns
    -------
    pandas.Series
        Counts indexed by zone id (zero for empty zones), identical to the row counts of
        ``geopandas.sjoin(points, zones, predicate="within")`` per zone.

    Examples
    --------
    >>> import numpy as np, hepinggis
    >>> rng = np.random.default_rng(0)
    >>> xy = rng.uniform(123.31, 123.44, 10_000), rng.uniform(41.69, 41.82, 10_000)
    >>> counts = hepinggis.count_points_by_zone(xy, hepinggis.load("zones"))
    >>> int(counts.sum()) < 10_000 and counts.index[0] == "beishichang"
    True
    """
    if chunk_size < 1:
        raise InvalidOptionError("chunk_size must be at least 1")
    kernel = _Kernel(zones, zone_id)
    x, y = _xy(points, zones)
    total = np.zeros(len(kernel.ids), dtype=np.int64)
    for start in range(0, x.size, chunk_size):
        total += kernel.count(x[start : start + chunk_size], y[start : start + chunk_size])
    return pd.Series(total, index=pd.Index(kernel.ids, name=zone_id), name="points")


def _partition_counts(part: pd.DataFrame, kernel: _Kernel, geometry: str) -> pd.DataFrame:
    geoms = part[geometry].values if geometry in part else part.geometry.values
    counts = kernel.count(shapely.get_x(geoms), shapely.get_y(geoms))
    return pd.DataFrame([counts], columns=list(kernel.ids))


def count_points_in_parquet(
    path: str | Path,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str = "id",
    client: Any = None,
    columns: Iterable[str] | None = None,
) -> pd.Series:
    """`count_points_by_zone` over a GeoParquet dataset too large for memory, with dask-geopandas.

    Each partition is counted by the same kernel on the workers of ``client`` (a
    ``dask.distributed.Client``; a local cluster is started and closed if none is given) and
    the per-partition counts are summed. The dataset's CRS must equal the zones' CRS.

    Returns
    -------
    pandas.Series
        Counts indexed by zone id, as `count_points_by_zone`.
    """
    import dask_geopandas
    from dask.distributed import Client, LocalCluster

    kernel = _Kernel(zones, zone_id)
    frame = dask_geopandas.read_parquet(str(path), columns=list(columns) if columns else None)
    if frame.crs is None or not frame.crs.equals(zones.crs):
        raise CRSMismatchError(f"{path} is in {frame.crs} but zones in {zones.crs.to_string()}; reproject one first")
    meta = pd.DataFrame({k: pd.Series(dtype="int64") for k in kernel.ids})
    geometry = frame.geometry.name
    own = None
    if client is None:
        own = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
        client = own
    try:
        parts = frame.map_partitions(_partition_counts, kernel, geometry, meta=meta)
        summed = client.compute(parts.sum()).result()
    finally:
        if own is not None:
            own.close()
    return pd.Series(
        summed.reindex(list(kernel.ids)).to_numpy(dtype="int64"),
        index=pd.Index(kernel.ids, name=zone_id),
        name="points",
    )
