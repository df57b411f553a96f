"""Counting large point sets (phone-signal, footfall) by zone, in bounded memory.

The in-memory path works in chunks of coordinate arrays through a grid index over the zones
(`_Kernel`): a point in a cell wholly inside one zone is answered by an array look-up, and only
points in cells a boundary crosses are tested with `shapely.contains_xy` on the prepared polygon —
the same predicate as ``geopandas.sjoin(points, zones, predicate="within")`` (points on a boundary
count for no zone) without building a GeoDataFrame of points. The Parquet path runs the same kernel on
each file on a Dask (distributed) cluster, for data larger than memory, reading the coordinates
without building geometries.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy import ndimage

from hepinggis._extras import require_extra
from hepinggis._strict import require_column, require_layer
from hepinggis.errors import CRSMismatchError, InvalidOptionError, LayerCRSError

__all__ = ["count_points_by_zone", "count_points_in_parquet", "wkb_point_xy"]

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
        pad = 1.5 * size  # the outermost ring of cells lies wholly outside every zone
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
        # the unmarked cells fall into connected regions that no boundary crosses: each lies wholly
        # in one zone or outside all, so one cell centre per region decides it (scipy labels them)
        regions, count = ndimage.label(~marked)
        _, first = np.unique(regions.ravel(), return_index=True)
        first = first[1:]  # region 0 is the marked cells
        cx, cy = first % self.nx, first // self.nx
        centre_x, centre_y = self.x0 + (cx + 0.5) * size, self.y0 + (cy + 0.5) * size
        region_zone = np.full(count + 1, -1, dtype=np.int32)  # -1: outside every zone
        for k, geom in enumerate(self.geoms):
            region_zone[1:][shapely.contains_xy(geom, centre_x, centre_y)] = k
        region_zone[0] = -2  # marked: test the point itself
        zone_of = region_zone[regions]
        self.zone_of = zone_of.ravel().astype(np.int16 if len(self.geoms) < 32_000 else np.int32)

    def count(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        n = len(self.ids)
        if np.isnan(x).any() or np.isnan(y).any():  # no zone holds a missing coordinate
            keep = ~(np.isnan(x) | np.isnan(y))
            x, y = x[keep], y[keep]
        # a far point is clamped into the outermost ring of cells, which lies outside every zone
        fx = np.subtract(x, self.x0)
        np.multiply(fx, self.inv, out=fx)
        np.clip(fx, 0, self.nx - 1, out=fx)
        fy = np.subtract(y, self.y0)
        np.multiply(fy, self.inv, out=fy)
        np.clip(fy, 0, self.ny - 1, out=fy)
        cell = fy.astype(np.int32)
        cell *= np.int32(self.nx)
        cell += fx.astype(np.int32)
        zone = self.zone_of[cell]
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


_KERNELS: dict[tuple[str, str, bytes], _Kernel] = {}


def _kernel_for(zones: gpd.GeoDataFrame, zone_id: str) -> _Kernel:
    """The kernel of these zones, built once: a feed counted chunk by chunk reuses its grid."""
    require_layer(zones, "zones", polygons=True)
    require_column(zones, zone_id, "zones")
    digest = hashlib.sha1(b"".join(shapely.to_wkb(zones.geometry.values)))
    digest.update(repr(zones[zone_id].tolist()).encode())
    key = (zone_id, zones.crs.to_string() if zones.crs else "", digest.digest())
    if key not in _KERNELS:
        if len(_KERNELS) >= 8:
            _KERNELS.pop(next(iter(_KERNELS)))
        _KERNELS[key] = _Kernel(zones, zone_id)
    return _KERNELS[key]


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
    zone_id : str, default "id"
        The column of ``zones`` that names each polygon (the index of the result).
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
    kernel = _kernel_for(zones, zone_id)
    x, y = _xy(points, zones)
    total = np.zeros(len(kernel.ids), dtype=np.int64)
    for start in range(0, x.size, chunk_size):
        total += kernel.count(x[start : start + chunk_size], y[start : start + chunk_size])
    return pd.Series(total, index=pd.Index(kernel.ids, name=zone_id), name="points")


def wkb_point_xy(values: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y of a column of 2-D WKB points read straight from the bytes (21 each: byte order,
    type 1, x, y), without building a geometry; None where the column holds anything else (then
    shapely decodes it). A pyarrow binary array or a sequence of ``bytes``."""
    import pyarrow as pa

    array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(list(values), pa.binary())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count or len(array) == 0 or not pa.types.is_binary(array.type):
        return None
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    if not np.all(np.diff(offsets) == 21):
        return None
    raw = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 21)
    if not (np.all(raw[:, 0] == 1) and np.all(raw[:, 1:5].view("<u4").ravel() == 1)):  # little-endian Point
        return None
    return raw[:, 5:13].copy().view("<f8").ravel(), raw[:, 13:21].copy().view("<f8").ravel()


def _file_counts(path: str, kernel: _Kernel, columns: tuple[str, str] | None) -> np.ndarray:
    """One Parquet file counted by the kernel: x/y columns, or the WKB geometry column decoded by
    `wkb_point_xy` (shapely where the fast path does not apply), in row groups."""
    import pyarrow.parquet as pq

    reader = pq.ParquetFile(path)
    total = np.zeros(len(kernel.ids), dtype=np.int64)
    name = columns or (_geometry_column(reader.schema_arrow.metadata),)
    for batch in reader.iter_batches(columns=list(name), batch_size=DEFAULT_CHUNK):
        if columns:
            x = batch.column(0).to_numpy(zero_copy_only=False).astype("float64")
            y = batch.column(1).to_numpy(zero_copy_only=False).astype("float64")
        else:
            fast = wkb_point_xy(batch.column(0))
            if fast is None:
                geoms = shapely.from_wkb(batch.column(0).to_numpy(zero_copy_only=False))
                if not set(shapely.get_type_id(geoms).tolist()) <= {0}:
                    raise InvalidOptionError(f"{path}: every geometry must be a Point")
                fast = shapely.get_x(geoms), shapely.get_y(geoms)
            x, y = fast
        total += kernel.count(x, y)
    return total


def _geometry_column(metadata: dict[bytes, bytes] | None) -> str:
    import json

    geo = json.loads((metadata or {}).get(b"geo", b"{}"))
    return str(geo.get("primary_column", "geometry"))


def _geoparquet_crs(path: str) -> Any:
    import json

    import pyarrow.parquet as pq
    from pyproj import CRS

    geo = json.loads((pq.read_schema(path).metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {})
    if not geo:
        return None
    return CRS.from_user_input(column["crs"]) if column.get("crs") is not None else CRS.from_epsg(4326)


def _parquet_files(path: str | Path) -> list[str]:
    root = Path(path)
    files = sorted(str(p) for p in root.rglob("*.parquet")) if root.is_dir() else [str(root)]
    if not files:
        raise InvalidOptionError(f"{path}: no .parquet file found")
    return files


def _check_parquet_crs(
    path: str | Path, files: list[str], zones: gpd.GeoDataFrame, *, xy: tuple[str, str] | None, crs: Any
) -> None:
    """The points' CRS (``crs`` for ``xy`` columns, else the GeoParquet metadata) is the zones'."""
    from pyproj import CRS

    if xy is not None:
        if crs is None:
            raise InvalidOptionError("xy columns need crs=… (the CRS of the coordinates); hepinggis does not guess")
        source_crs = CRS.from_user_input(crs)
    else:
        source_crs = _geoparquet_crs(files[0])
        if source_crs is None:
            raise InvalidOptionError(f"{files[0]} is not GeoParquet (no 'geo' metadata): pass xy=(…, …) and crs=…")
    if not source_crs.equals(zones.crs):
        raise CRSMismatchError(
            f"{path} is in {source_crs.to_string()} but zones in {zones.crs.to_string()}; reproject one first"
        )


def count_points_in_parquet(
    path: str | Path,
    zones: gpd.GeoDataFrame,
    *,
    zone_id: str = "id",
    client: Any = None,
    xy: tuple[str, str] | None = None,
    crs: Any = None,
) -> pd.Series:
    """`count_points_by_zone` over a Parquet dataset (a file, or a folder of files) too large for
    memory, one task per file on a Dask cluster.

    Coordinates are read without building geometries: from two columns (``xy=("x", "y")``, then
    ``crs`` must say their CRS — hepinggis does not guess), or from a GeoParquet's WKB points,
    whose bytes are read directly (`wkb_point_xy`). Each file is counted by the same grid kernel
    on the workers of ``client``: a ``dask.distributed.Client`` (``Client("tcp://scheduler:8786")``
    for a real cluster); a local cluster of two workers is started and closed if none is given.

    Parameters
    ----------
    path : str or Path
        A Parquet file, or a folder searched for ``*.parquet`` files.
    zones : geopandas.GeoDataFrame
        Polygons, in the CRS of the points.
    zone_id : str, default "id"
        The column of ``zones`` that names each polygon.
    client : dask.distributed.Client, optional
        The cluster to count on; a local one of two worker processes when None.
    xy : (str, str), optional
        The columns of x and y; None reads the GeoParquet geometry column.
    crs : optional
        The CRS of the ``xy`` columns (anything pyproj reads); required with ``xy``.

    Returns
    -------
    pandas.Series
        Counts indexed by zone id, as `count_points_by_zone`.

    Raises
    ------
    CRSMismatchError
        The points' CRS is not the zones'.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, pandas as pd, hepinggis, dask.distributed as dd
    >>> rng = np.random.default_rng(0)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": rng.uniform(123.31, 123.44, 1000),
    ...               "y": rng.uniform(41.69, 41.82, 1000)}).to_parquet(folder / "part-0.parquet")
    >>> cluster = dd.LocalCluster(n_workers=1, processes=False, dashboard_address=None)
    >>> with dd.Client(cluster) as client:
    ...     counts = hepinggis.count_points_in_parquet(folder, hepinggis.load("zones"),
    ...                                                client=client, xy=("x", "y"), crs="EPSG:4326")
    >>> cluster.close()
    >>> counts.equals(hepinggis.count_points_by_zone(pd.read_parquet(folder).to_numpy().T, hepinggis.load("zones")))
    True
    """
    require_extra("dask", feature="count_points_in_parquet")
    from dask import delayed
    from dask.distributed import Client, LocalCluster

    kernel = _Kernel(zones, zone_id)
    files = _parquet_files(path)
    _check_parquet_crs(path, files, zones, xy=xy, crs=crs)
    own = None
    if client is None:
        own = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None))
        client = own
    try:
        tasks = [delayed(_file_counts)(f, kernel, xy) for f in files]
        summed = np.sum(client.compute(tasks, sync=True), axis=0) if tasks else np.zeros(len(kernel.ids))
    finally:
        if own is not None:
            own.close()
    return pd.Series(
        np.asarray(summed, dtype="int64"),
        index=pd.Index(kernel.ids, name=zone_id),
        name="points",
    )
