"""Counting large point sets (phone-signal, footfall) by zone, in bounded memory.

The in-memory path works in chunks of coordinate arrays through a grid index over the zones
(`_Kernel`): a point in a cell wholly inside one zone is answered by an array look-up, and only
points in cells a boundary crosses are tested with `shapely.contains_xy` on the prepared polygon —
the same predicate as ``geopandas.sjoin(points, zones, predicate="within")`` (points on a boundary
count for no zone) without building a GeoDataFrame of points. The Parquet path runs the same kernel on
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

DEFAULT_CHUNK = 262_144  # a quarter-million points: the look-ups stay in cache
#: Cells of the grid index along the longer side of the zones' extent.
GRID_CELLS = 512


class _Kernel:
    """Prepared zones and a grid index over them, shared by every chunk.

    The grid (`GRID_CELLS` cells along the longer side) marks every cell that a zone boundary
    passes through or touches: boundary segments are sampled at a quarter of a cell and each
    sample's cell and its eight neighbours are marked, so no crossed cell is missed. Every other
    cell lies wholly inside one zone or outside all of them, and its centre says which. A point
    in such a cell is answered by one array look-up; only points in marked cells are tested with
    `shapely.contains_xy`, the ``within`` predicate of ``geopandas.sjoin`` (a point on an edge or
    a vertex counts for no zone). Why by hand: neither shapely, geopandas nor pyproj offer a
    grid-accelerated point-in-polygon count; STRtree queries test every point.
    """

    def __init__(self, zones: gpd.GeoDataFrame, zone_id: str, cells: int = 0) -> None:
        require_layer(zones, "zones", polygons=True)
        require_column(zones, zone_id, "zones")
        self.ids = zones[zone_id].to_numpy()
        self.geoms = np.asarray(zones.geometry.values, dtype=object).copy()
        shapely.prepare(self.geoms)
        self.bounds = shapely.bounds(self.geoms)
        self._grid(cells or GRID_CELLS)

    def _grid(self, cells: int) -> None:
        minx, miny = self.bounds[:, 0].min(), self.bounds[:, 1].min()
        maxx, maxy = self.bounds[:, 2].max(), self.bounds[:, 3].max()
        size = max(maxx - minx, maxy - miny) / cells
        pad = size / 2
        self.x0, self.y0, self.size, self.inv = minx - pad, miny - pad, size, 1.0 / size
        self.nx = int(np.ceil((maxx - minx + 2 * pad) / size)) + 1
        self.ny = int(np.ceil((maxy - miny + 2 * pad) / size)) + 1
        marked = np.zeros((self.ny, self.nx), dtype=bool)
        for ring in shapely.get_parts(shapely.boundary(self.geoms)):
            xy = shapely.get_coordinates(shapely.segmentize(ring, size / 4))
            ix = np.floor((xy[:, 0] - self.x0) / size).astype(np.int64)
            iy = np.floor((xy[:, 1] - self.y0) / size).astype(np.int64)
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    marked[np.clip(iy + dy, 0, self.ny - 1), np.clip(ix + dx, 0, self.nx - 1)] = True
        cy, cx = np.mgrid[0 : self.ny, 0 : self.nx]
        centre_x, centre_y = self.x0 + (cx + 0.5) * size, self.y0 + (cy + 0.5) * size
        zone_of = np.full((self.ny, self.nx), -1, dtype=np.int32)  # -1: outside every zone
        for k, geom in enumerate(self.geoms):
            zone_of[~marked & shapely.contains_xy(geom, centre_x, centre_y)] = k
        zone_of[marked] = -2  # test the point itself
        self.zone_of = zone_of.ravel().astype(np.int16 if len(self.geoms) < 32_000 else np.int32)

    def count(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = len(self.ids)
        fx = (x - self.x0) * self.inv
        fy = (y - self.y0) * self.inv
        ok = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # NaN and far points fail here
        every = bool(ok.all())
        if not every:
            fx, fy = np.where(ok, fx, 0.0), np.where(ok, fy, 0.0)
        zone = self.zone_of[fy.astype(np.int32) * np.int32(self.nx) + fx.astype(np.int32)]
        if not every:
            zone[~ok] = -1
        tally = np.bincount(zone + 2, minlength=n + 2)  # [edge cells, outside, zone 0, zone 1 …]
        out = tally[2:].astype(np.int64)
        if tally[0]:
            edge = np.flatnonzero(zone == -2)
            ex, ey = x[edge], y[edge]
            for k, (minx, miny, maxx, maxy) in enumerate(self.bounds):
                cand = (ex >= minx) & (ex <= maxx) & (ey >= miny) & (ey <= maxy)
                if cand.any():
                    out[k] += int(np.count_nonzero(shapely.contains_xy(self.geoms[k], ex[cand], ey[cand])))
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
