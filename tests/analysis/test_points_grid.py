"""The grid index of `count_points_by_zone` gives exactly ``geopandas.sjoin(predicate="within")``:
random points, points on zone edges and on vertices (which count for no zone), points outside the
grid and NaN, on the bundled zones and 街道 and at coarse and fine grids (property tests)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import hepinggis
from hepinggis.analysis.points import _Kernel

ZONES = hepinggis.load("zones")
JIEDAO = hepinggis.load("jiedao")
VERTICES = shapely.get_coordinates(ZONES.geometry.boundary.values)


def _sjoin(x: np.ndarray, y: np.ndarray, zones: gpd.GeoDataFrame) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=zones.crs)
    joined = gpd.sjoin(pts, zones[["id", "geometry"]], predicate="within")
    return joined["id"].value_counts().reindex(zones["id"]).fillna(0).astype(int).to_numpy()


def _edge_points(fractions: list[float]) -> np.ndarray:
    rings = list(shapely.get_parts(ZONES.geometry.boundary.values))
    pts = [rings[k % len(rings)].interpolate(f, normalized=True) for k, f in enumerate(fractions)]
    return shapely.get_coordinates(np.asarray(pts, dtype=object))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_random=st.integers(0, 3000),
    vertex_picks=st.lists(st.integers(0, len(VERTICES) - 1), max_size=60),
    edge_fractions=st.lists(st.floats(0, 1), max_size=60),
    cells=st.sampled_from([8, 64, 512]),
    layer=st.sampled_from(["zones", "jiedao"]),
)
def test_grid_counts_equal_sjoin(
    seed: int, n_random: int, vertex_picks: list[int], edge_fractions: list[float], cells: int, layer: str
) -> None:
    zones = ZONES if layer == "zones" else JIEDAO
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = zones.total_bounds
    parts = [
        np.column_stack(
            [rng.uniform(minx - 0.01, maxx + 0.01, n_random), rng.uniform(miny - 0.01, maxy + 0.01, n_random)]
        ),
        VERTICES[vertex_picks].reshape(-1, 2),
        _edge_points(edge_fractions).reshape(-1, 2),
    ]
    xy = np.vstack(parts)
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    kernel = _Kernel(zones, "id", cells=cells)
    assert kernel.count(x, y).tolist() == _sjoin(x, y, zones).tolist()


def test_vertices_and_far_or_missing_points_count_for_no_zone() -> None:
    x = np.concatenate([VERTICES[:, 0], [np.nan, 0.0, 500.0]])
    y = np.concatenate([VERTICES[:, 1], [41.75, np.nan, 41.75]])
    assert int(hepinggis.count_points_by_zone((x, y), ZONES).sum()) == 0


@pytest.mark.parametrize("chunk", [1, 7, 262_144])
def test_chunks_do_not_change_the_counts(chunk: int) -> None:
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = ZONES.total_bounds
    x, y = rng.uniform(minx, maxx, 2000), rng.uniform(miny, maxy, 2000)
    counts = hepinggis.count_points_by_zone((x, y), ZONES, chunk_size=chunk)
    assert counts.tolist() == _sjoin(x, y, ZONES).tolist()
