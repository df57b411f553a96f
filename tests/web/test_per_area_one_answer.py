"""Projects per zone and per 街道 are answered in one place: the web app's tables (`per_area`) are
the library's `projects_by_zone` / `projects_by_jiedao`, the statistics workbook's too, and the
SQL functions of PostGIS (``hepinggis_projects_by_zone`` / ``_by_jiedao``) equal them — on the
bundled projects (polygons, lines, points) together with a clerk's register holding 区外 rows, stored
as the import job stores it; and with an area layer that leaves part of the district uncovered (as
an adopted layer may), whose projects are the table's 未定位 row."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from _server_env import pg_schemas, pg_url, register_row  # noqa: F401 - fixtures
from conftest import GBK_TITLE
from sqlalchemy import insert

import hepinggis
from hepinggis.stats import stats_tables
from hepinggis.web.jobs._work import _project_rows, _where, per_area, places
from hepinggis.web.store import _schema as s
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._insql import by_area_sql, sync_layers
from hepinggis.web.store._migrate import upgrade

LIBRARY = {"zones": hepinggis.projects_by_zone, "jiedao": hepinggis.projects_by_jiedao}


@pytest.fixture(scope="module")
def register() -> hepinggis.ImportResult:
    """A clerk's register (60 points, 6 of them outside the district) with the bundled projects
    (31 polygons, lines and points, with stated amounts)."""
    result = hepinggis.read_projects(GBK_TITLE, crs="wgs84")
    clerk = result.projects
    bundled = hepinggis.load("projects")
    extra = gpd.GeoDataFrame(
        {
            "row": np.arange(len(bundled)) + int(clerk["row"].max()) + 1,
            "id": bundled["id"].astype(str).to_numpy(),
            "name": bundled["name_zh"].astype(str).to_numpy(),
            "category": bundled["category"].astype(str).to_numpy(),
            "status": bundled["status"].astype(str).to_numpy(),
            "investment_cny": np.arange(len(bundled)) * 1.5e7 + 1e6,
        },
        geometry=bundled.geometry.to_numpy(),
        crs=4326,
    )
    result.projects = gpd.GeoDataFrame(pd.concat([clerk, extra], ignore_index=True), crs=4326)
    return result


def _stored(result: hepinggis.ImportResult, pg_url: str, tmp_path: object) -> object:  # noqa: F811
    engine = make_engine(tmp_path, pg_url)
    upgrade(engine)
    pr = result.projects
    zones, jiedao = hepinggis.load("zones"), hepinggis.load("jiedao")
    rows = _project_rows("r1", result, _where(pr, zones, "id"), _where(pr, jiedao, "id"))
    with engine.begin() as conn:
        sync_layers(conn, {"zones": zones, "jiedao": jiedao})
        register_row(conn, "r1", len(pr), file_name=GBK_TITLE.name)
        conn.execute(insert(s.projects), rows)
    return engine


def _agree(web: list[dict], library: pd.DataFrame, sql: pd.DataFrame, areas: gpd.GeoDataFrame) -> None:  # type: ignore[type-arg]
    in_areas = [r for r in web if r["id"] not in ("outside", "unplaced")]
    assert [r["id"] for r in in_areas] == list(library.index) == list(sql.index) == list(areas["id"])
    for r in in_areas:
        lib = library.loc[r["id"]]
        assert r["projects"] == pytest.approx(lib["projects"], abs=1e-9)
        assert r["investment_cny"] == pytest.approx(lib["investment_cny_stated"], rel=1e-12, abs=1e-6)
        assert r["with_investment"] == lib["n_with_investment"]
    for col in ("projects", "projects_any_share", "investment_cny_stated", "n_with_investment"):
        np.testing.assert_allclose(sql[col].to_numpy(float), library[col].to_numpy(float), rtol=1e-9, atol=1e-6)


def _places(projects: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[int, int]:
    """(区外, 未定位) counted independently, in EPSG:4550: a project is in the areas when a point
    lies in them or more than 0.01 % of a line's length or a polygon's area does (the library's
    sliver rule); 区外 if it does not touch the district, else 未定位."""
    district = hepinggis.load("district").to_crs(4550).geometry.union_all()
    covered = areas.to_crs(4550).geometry.union_all()
    outside = unplaced = 0
    for geom in projects.to_crs(4550).geometry:
        if geom.geom_type == "Point":
            placed = geom.intersects(covered)
        else:
            part = geom.intersection(covered)
            placed = (part.area / geom.area if geom.area else part.length / geom.length) > 1e-4
        if not placed:
            if geom.intersects(district):
                unplaced += 1
            else:
                outside += 1
    return outside, unplaced


@pytest.mark.parametrize("layer", ["zones", "jiedao"])
def test_web_sql_workbook_and_library_agree(
    register: hepinggis.ImportResult,
    pg_url: str,  # noqa: F811
    tmp_path: object,
    layer: str,
) -> None:
    pr = register.projects
    full = hepinggis.load(layer)
    engine = _stored(register, pg_url, tmp_path)
    try:
        # the layer in force, then one that leaves its last area uncovered
        for areas in (full, full.iloc[:-1].copy()):
            with engine.begin() as conn:  # type: ignore[attr-defined]
                sync_layers(conn, {layer: areas})
            sql = by_area_sql(engine, "r1", layer=layer)  # type: ignore[arg-type]
            library = LIBRARY[layer](pr, areas)
            place, _dist = places(pr, _where(pr, areas, "id"))
            web = per_area(pr, areas, place, layer=layer)
            _agree(web, library, sql, areas)
            # the table ends with 区外 and 未定位, counted independently here
            outside, unplaced = _places(pr, areas)
            rows = {r["id"]: r["projects"] for r in web if r["id"] in ("outside", "unplaced")}
            assert rows == {"outside": outside, "unplaced": unplaced}
            if areas is full:
                assert (outside, unplaced) == (6, 0)
                assert sum(r["projects"] for r in web) == pytest.approx(len(pr), abs=1e-4)  # 合计 = imported
            else:
                assert unplaced > 0
    finally:
        engine.dispose()  # type: ignore[attr-defined]

    # the statistics workbook's sheet holds the same figures and the same two rows
    library = LIBRARY[layer](pr, full)
    sheet = stats_tables(projects=pr)[f"projects_by_{'zone' if layer == 'zones' else 'jiedao'}"]
    by_id = sheet.set_index(sheet.columns[0])
    np.testing.assert_allclose(
        by_id.loc[list(full["id"]), "projects"].to_numpy(float), library["projects"].to_numpy(float), atol=1e-9
    )
    np.testing.assert_allclose(
        by_id.loc[list(full["id"]), "investment_cny_stated"].to_numpy(float),
        library["investment_cny_stated"].to_numpy(float),
        rtol=1e-12,
    )
    assert by_id.loc["区外", "projects"] == pytest.approx(6, abs=1e-4) and by_id.loc["未定位", "projects"] == 0
