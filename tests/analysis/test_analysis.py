"""Overlap, assignment, corridors and apportioning on small synthetic layers with known answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

import hepinggis
from hepinggis.errors import (
    CRSMismatchError,
    EmptyLayerError,
    GeographicCRSError,
    InvalidGeometryError,
    LayerCRSError,
    UnknownIdError,
)

X0, Y0 = 530_000.0, 4_625_000.0  # EPSG:4550 metres inside Heping


def km_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(X0 + x0 * 1000, Y0 + y0 * 1000, X0 + x1 * 1000, Y0 + y1 * 1000)


def layer(ids: list[str], geoms: list[object], crs: str = "EPSG:4550") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs=crs)


A = layer(["a1", "a2"], [km_box(0, 0, 2, 2), km_box(2, 0, 4, 2)])  # two 4 km² squares side by side
B = layer(["b1", "b2"], [km_box(1, 0, 3, 2), km_box(3, 0, 5, 2)])  # shifted by 1 km


def test_overlap_matrix_hand_computed() -> None:
    m = hepinggis.overlap_matrix(A, B, a_name="zone", b_name="jiedao").set_index(["zone_id", "jiedao_id"])
    assert list(m.index) == [("a1", "b1"), ("a2", "b1"), ("a2", "b2")]
    assert m.loc[("a1", "b1"), "area_km2"] == pytest.approx(2.0, rel=1e-4)
    assert m.loc[("a1", "b1"), "zone_pc"] == pytest.approx(50.0, rel=1e-4)
    assert m.loc[("a1", "b1"), "jiedao_pc"] == pytest.approx(50.0, rel=1e-4)
    assert m.loc[("a1", "b1"), "iou"] == pytest.approx(2 / 6, rel=1e-4)
    assert m.loc[("a2", "b2"), "iou"] == pytest.approx(2 / 6, rel=1e-4)


def test_overlap_analysis_matches_qgis_semantics() -> None:
    out = hepinggis.overlap_analysis(A, {"jiedao": B}).set_index("id")
    assert out.loc["a1", "jiedao_area"] == pytest.approx(2e6, rel=1e-4)  # m², as QGIS
    assert out.loc["a1", "jiedao_pc"] == pytest.approx(50.0, rel=1e-4)
    assert out.loc["a2", "jiedao_pc"] == pytest.approx(100.0, rel=1e-4)


def test_bundled_zone_shares_sum_to_100() -> None:
    m = hepinggis.overlap_matrix(hepinggis.load("zones"), hepinggis.load("jiedao"), a_name="zone", b_name="jiedao")
    sums = m.groupby("zone_id")["zone_pc"].sum()
    assert len(sums) == 6 and ((sums - 100).abs() <= 0.5).all()


def test_strict_inputs_raise() -> None:
    with pytest.raises(CRSMismatchError, match=r"EPSG:4550.*EPSG:4326"):
        hepinggis.overlap_matrix(A, A.to_crs(4326))
    with pytest.raises(EmptyLayerError):
        hepinggis.overlap_matrix(A.iloc[0:0], B)
    with pytest.raises(LayerCRSError, match="no CRS"):
        hepinggis.overlap_matrix(gpd.GeoDataFrame({"id": ["x"]}, geometry=[km_box(0, 0, 1, 1)]), B)
    bowtie = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    with pytest.raises(InvalidGeometryError, match=r"id 'bad'.*Self-intersection"):
        hepinggis.overlap_matrix(layer(["bad"], [bowtie]), B)
    with pytest.raises(GeographicCRSError):
        hepinggis.planar_area(A.to_crs(4326))
    with pytest.raises(GeographicCRSError):
        hepinggis.planar_length(A.to_crs(4326))
    assert hepinggis.planar_area(A).iloc[0] == pytest.approx(4.0)


def test_zone_shares_points_lines_polygons_and_edge_rule() -> None:
    feats = layer(
        ["p_in", "p_edge", "line", "poly", "far"],
        [
            Point(X0 + 500, Y0 + 500),
            Point(X0 + 2000, Y0 + 1000),  # on the edge shared by a1 and a2
            LineString([(X0 + 1000, Y0 + 1000), (X0 + 4000, Y0 + 1000)]),  # 1 km in a1, 2 km in a2
            km_box(1.5, 0.5, 2.5, 1.5),  # half in each
            Point(X0 + 50_000, Y0),
        ],
    ).set_index("id")
    shares = hepinggis.zone_shares(feats, A).set_index(["feature", "zone_id"])["share"]
    assert shares[("p_in", "a1")] == 1.0
    assert shares[("p_edge", "a1")] == 1.0 and ("p_edge", "a2") not in shares.index  # first zone in order
    assert shares[("line", "a1")] == pytest.approx(1 / 3, rel=1e-3)
    assert shares[("line", "a2")] == pytest.approx(2 / 3, rel=1e-3)
    assert shares[("poly", "a1")] == pytest.approx(0.5, rel=1e-3)
    assert list(hepinggis.projects_outside(feats, A).index) == ["far"]
    # reversing the zone order moves the edge point: the rule is the layer order, stated
    flipped = hepinggis.zone_shares(feats, A.iloc[::-1]).set_index(["feature", "zone_id"])["share"]
    assert ("p_edge", "a2") in flipped.index


def test_projects_by_zone_summary() -> None:
    feats = layer(["x", "y", "z"], [Point(X0 + 500, Y0 + 500), Point(X0 + 600, Y0 + 600), km_box(1.5, 0.5, 2.5, 1.5)])
    feats["category"] = ["commerce", "culture", "commerce"]
    feats["status"] = ["planned", "planned", "completed"]
    feats["investment_cny"] = [1e8, np.nan, 2e8]
    table = hepinggis.projects_by_zone(feats, A)
    assert table.loc["a1", "projects"] == pytest.approx(2.5, rel=1e-3)
    assert table.loc["a2", "projects"] == pytest.approx(0.5, rel=1e-3)
    assert table.loc["a1", "category:commerce"] == pytest.approx(1.5, rel=1e-3)
    assert table.loc["a1", "investment_cny_stated"] == pytest.approx(1e8 + 1e8, rel=1e-3)
    assert table.loc["a1", "n_with_investment"] == 2


AXES = gpd.GeoDataFrame(
    {
        "id": ["ax", "s1", "s2"],
        "kind": ["axis", "segment", "segment"],
        "axis_id": ["ax", "ax", "ax"],
    },
    geometry=[
        LineString([(X0, Y0), (X0 + 4000, Y0)]),
        LineString([(X0, Y0), (X0 + 2000, Y0)]),
        LineString([(X0 + 2000, Y0), (X0 + 4000, Y0)]),
    ],
    crs="EPSG:4550",
)


def test_along_axis_distance_chainage_side_segment() -> None:
    feats = layer(
        ["n", "s", "far", "on"],
        [Point(X0 + 500, Y0 + 300), Point(X0 + 3000, Y0 - 200), Point(X0 + 1000, Y0 + 900), Point(X0 + 2500, Y0)],
    ).set_index("id")
    out = hepinggis.along_axis(feats, AXES, axis_id="ax", max_distance_m=500)
    assert list(out.index) == ["n", "s", "on"]
    assert out.loc["n", "distance_m"] == pytest.approx(300)
    assert out.loc["n", "chainage_km"] == pytest.approx(0.5)
    assert out.loc["n", "side"] == "left" and out.loc["s", "side"] == "right" and out.loc["on", "side"] == "on"
    assert out.loc["n", "segment_id"] == "s1" and out.loc["s", "segment_id"] == "s2"
    with pytest.raises(UnknownIdError, match="'nope'"):
        hepinggis.along_axis(feats, AXES, axis_id="nope")


def test_in_belt_and_banks() -> None:
    belt = gpd.GeoDataFrame(
        {"id": ["belt", "nb", "sb"], "kind": ["belt", "bank", "bank"], "side": [None, "north", "south"]},
        geometry=[
            km_box(0, -0.5, 4, 0.5),
            LineString([(X0, Y0 + 200), (X0 + 4000, Y0 + 200)]),
            LineString([(X0, Y0 - 200), (X0 + 4000, Y0 - 200)]),
        ],
        crs="EPSG:4550",
    )
    feats = layer(
        ["n", "s", "out", "half"],
        [Point(X0 + 100, Y0 + 300), Point(X0 + 100, Y0 - 400), Point(X0 + 100, Y0 + 900), km_box(1, 0, 2, 1)],
    ).set_index("id")
    r = hepinggis.in_belt(feats, belt)
    assert r.loc["n", "bank"] == "north" and r.loc["s", "bank"] == "south"
    assert not r.loc["out", "in_belt"] and r.loc["out", "belt_share"] == 0
    assert r.loc["half", "belt_share"] == pytest.approx(0.5)


def test_apportion_extensive_and_intensive() -> None:
    source = B.assign(pop=[1000.0, 3000.0], density=[10.0, 30.0])
    out = hepinggis.apportion_to_zones(source, A, extensive=["pop"], intensive=["density"])
    assert out.loc["a1", "pop"] == pytest.approx(500.0, rel=1e-6)  # half of b1
    assert out.loc["a2", "pop"] == pytest.approx(500.0 + 1500.0, rel=1e-6)
    assert out.loc["a1", "density"] == pytest.approx(10.0, rel=1e-6)
    assert out.loc["a2", "density"] == pytest.approx(20.0, rel=1e-6)
    with pytest.raises(CRSMismatchError):
        hepinggis.apportion_to_zones(source.to_crs(4326), A, extensive=["pop"])
    broken = source.copy()
    broken.loc[0, "geometry"] = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    with pytest.raises(InvalidGeometryError):
        hepinggis.apportion_to_zones(broken, A, extensive=["pop"])


def test_apportion_bundled_jiedao_preserves_totals() -> None:
    jiedao = hepinggis.load("jiedao")
    jiedao["firms"] = np.arange(1, 11) * 100.0
    out = hepinggis.apportion_to_zones(jiedao, hepinggis.load("zones"), extensive=["firms"])
    assert out["firms"].sum() == pytest.approx(jiedao["firms"].sum(), rel=1e-6)


@pytest.mark.parametrize("allocate_total", [False, True])
def test_apportion_equals_pairwise_intersections(allocate_total: bool) -> None:
    """On the bundled layers, every zone's figure equals a sum over 街道 × zone intersections that
    shapely measures pair by pair in EPSG:4550 (the weights tobler's area_interpolate uses)."""
    jiedao = hepinggis.load("jiedao")
    zones = hepinggis.load("zones")
    jiedao["pop"] = np.arange(1, 11) * 55_900.0
    jiedao["rate"] = np.arange(1, 11) * 1.7
    out = hepinggis.apportion_to_zones(
        jiedao, zones, extensive=["pop"], intensive=["rate"], allocate_total=allocate_total
    )
    src = jiedao.to_crs(4550)
    dst = zones.to_crs(4550)
    a = np.array([[s.intersection(d).area for d in dst.geometry] for s in src.geometry])
    share = a / (a.sum(axis=1) if allocate_total else src.area.to_numpy())[:, None]
    expected_pop = (src["pop"].to_numpy()[:, None] * share).sum(axis=0)
    expected_rate = (src["rate"].to_numpy()[:, None] * a).sum(axis=0) / a.sum(axis=0)
    assert list(out.index) == list(zones["id"])
    assert out["pop"].to_numpy() == pytest.approx(expected_pop, abs=0.05)
    assert out["rate"].to_numpy() == pytest.approx(expected_rate, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.5, 4.5), st.floats(-0.5, 2.5)), min_size=1, max_size=60))
def test_point_assignment_agrees_with_sjoin(points: list[tuple[float, float]]) -> None:
    pts = layer([f"p{i}" for i in range(len(points))], [Point(X0 + x * 1000, Y0 + y * 1000) for x, y in points])
    counts = hepinggis.count_points_by_zone(pts, A)
    joined = gpd.sjoin(pts, A, predicate="within")
    expected = joined["id_right"].value_counts().reindex(A["id"]).fillna(0).astype(int)
    assert counts.tolist() == expected.tolist()


@settings(max_examples=25, deadline=None)
@given(st.floats(0.2, 3.8), st.floats(0.2, 1.8), st.floats(0.1, 0.2))
def test_shares_sum_to_one_when_layers_tile(cx: float, cy: float, half: float) -> None:
    feat = layer(["f"], [km_box(cx - half, cy - half, min(cx + half, 4.0), min(cy + half, 2.0))])
    shares = hepinggis.zone_shares(feat, A)
    assert shares["share"].sum() == pytest.approx(1.0, rel=1e-6)


def test_count_points_chunks_and_errors() -> None:
    rng = np.random.default_rng(3)
    xy = (rng.uniform(X0 - 500, X0 + 4500, 5000), rng.uniform(Y0 - 500, Y0 + 2500, 5000))
    whole = hepinggis.count_points_by_zone(xy, A)
    chunked = hepinggis.count_points_by_zone(xy, A, chunk_size=333)
    assert whole.tolist() == chunked.tolist()
    with pytest.raises(CRSMismatchError):
        hepinggis.count_points_by_zone(gpd.GeoSeries(gpd.points_from_xy(*xy), crs=4326), A)
    with pytest.raises(ValueError, match="chunk_size"):
        hepinggis.count_points_by_zone(xy, A, chunk_size=0)


def test_count_points_in_parquet_with_dask(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dask.distributed import Client, LocalCluster

    rng = np.random.default_rng(5)
    xy = (rng.uniform(X0 - 500, X0 + 4500, 20_000), rng.uniform(Y0 - 500, Y0 + 2500, 20_000))
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy), crs="EPSG:4550")
    folder = tmp_path / "pts"
    folder.mkdir()
    for i in range(4):  # a dataset of several files, as a large export would be
        pts.iloc[i * 5000 : (i + 1) * 5000].to_parquet(folder / f"part{i}.parquet")
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        counts = hepinggis.count_points_in_parquet(folder, A, client=client)
    assert counts.tolist() == hepinggis.count_points_by_zone(xy, A).tolist()


def test_stats_workbook(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = hepinggis.write_stats(tmp_path, chinese=True)
    book = pd.read_excel(paths["workbook"], sheet_name=None)
    assert {"zone_areas", "zones_x_jiedao", "projects_by_zone", "projects_along_axes", "projects_in_belt"} <= set(book)
    assert "功能区" in book["zones_x_jiedao"].columns
    csv = pd.read_csv(paths["projects_by_zone"], encoding="utf-8-sig")
    assert len(csv) == 6 + 2  # the six zones, then 区外 and 未定位: the column adds up to every project
    assert list(csv.iloc[-2:, 0]) == ["区外", "未定位"]
    assert csv.iloc[:, 1].sum() == pytest.approx(len(hepinggis.load("projects")))
