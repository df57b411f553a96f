"""`count_points_in_parquet` reads coordinates without building geometries — from x/y columns, or
from GeoParquet WKB points read byte by byte — and counts exactly as `count_points_by_zone`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

import hepinggis
from hepinggis.analysis.points import wkb_point_xy
from hepinggis.errors import CRSMismatchError, InvalidOptionError

ZONES = hepinggis.load("zones")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = ZONES.total_bounds
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)


def test_wkb_points_are_read_from_their_bytes() -> None:
    x, y = _points(1000, 1)
    wkb = shapely.to_wkb(shapely.points(x, y))
    got = wkb_point_xy(pa.array(list(wkb), pa.binary()))
    assert got is not None and np.array_equal(got[0], x) and np.array_equal(got[1], y)
    big_endian = shapely.to_wkb(shapely.points(x[:3], y[:3]), byte_order=0)
    assert wkb_point_xy(pa.array(list(big_endian), pa.binary())) is None  # left to shapely
    lines = shapely.to_wkb([shapely.LineString([(0, 0), (1, 1)])])
    assert wkb_point_xy(pa.array(list(lines), pa.binary())) is None


def test_geoparquet_and_xy_columns_count_as_in_memory(tmp_path: Path, client: Any) -> None:
    x, y = _points(30_000, 2)
    expected = hepinggis.count_points_by_zone((x, y), ZONES).tolist()
    geo, cols = tmp_path / "geo", tmp_path / "xy"
    geo.mkdir()
    cols.mkdir()
    for i in range(3):
        part = slice(i * 10_000, (i + 1) * 10_000)
        gpd.GeoDataFrame(geometry=gpd.points_from_xy(x[part], y[part]), crs=4326).to_parquet(geo / f"p{i}.parquet")
        pd.DataFrame({"lon": x[part], "lat": y[part]}).to_parquet(cols / f"p{i}.parquet")
    assert hepinggis.count_points_in_parquet(geo, ZONES, client=client).tolist() == expected
    got = hepinggis.count_points_in_parquet(cols, ZONES, client=client, xy=("lon", "lat"), crs=4326)
    assert got.tolist() == expected


def test_parquet_errors_say_what_to_do(tmp_path: Path, client: Any) -> None:
    x, y = _points(10, 3)
    pd.DataFrame({"lon": x, "lat": y}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InvalidOptionError, match="crs"):
        hepinggis.count_points_in_parquet(tmp_path / "plain.parquet", ZONES, client=client, xy=("lon", "lat"))
    with pytest.raises(InvalidOptionError, match="not GeoParquet"):
        hepinggis.count_points_in_parquet(tmp_path / "plain.parquet", ZONES, client=client)
    gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=4550).to_parquet(tmp_path / "gk.parquet")
    with pytest.raises(CRSMismatchError):
        hepinggis.count_points_in_parquet(tmp_path / "gk.parquet", ZONES, client=client)
