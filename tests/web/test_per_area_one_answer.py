"""Projects per zone and per 街道 are answered in one place: the web app's tables (`per_area`) are
the library's `projects_by_zone` / `projects_by_jiedao`, the statistics workbook's too, and the
SQL functions of PostGIS (``hepinggis_projects_by_zone`` / ``_by_jiedao``) equal them — on the
bundled projects (polygons, lines, points) together with a clerk's register holding 区外 rows and a
project without a position (未定位), stored as the import job stores it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _server_env import pg_schemas, pg_url  # noqa: F401 - fixtures
from conftest import GBK_TITLE
from sqlalchemy import insert

import hepinggis
from hepinggis.stats import stats_tables
from hepinggis.web import _schema as s
from hepinggis.web._engine import make_engine
from hepinggis.web._insql import by_area_sql, sync_layers
from hepinggis.web._migrate import upgrade
from hepinggis.web._work import _project_rows, _where, per_area, places

LIBRARY = {"zones": hepinggis.projects_by_zone, "jiedao": hepinggis.projects_by_jiedao}


@pytest.fixture(scope="module")
def register() -> hepinggis.ImportResult:
    """A clerk's register (60 points, 6 of them outside the district) with the bundled projects
    (31 polygons, lines and points, with stated amounts) and one project without a position."""
    result = hepinggis.read_projects(GBK_TITLE, crs="wgs84")
    clerk = result.projects
    bundled = hepinggis.load("projects")
    extra = gpd.GeoDataFrame(
        {
            "row": np.arange(len(bundled) + 1) + int(clerk["row"].max()) + 1,
            "id": [*bundled["id"].astype(str), "nowhere"],
            "name": [*bundled["name_zh"].astype(str), "未定位项目"],
            "category": [*bundled["category"].astype(str), "其他"],
            "status": [*bundled["status"].astype(str), "在建"],
            "investment_cny": [*(np.arange(len(bundled)) * 1.5e7 + 1e6), 3e6],
        },
        geometry=[*bundled.geometry, shapely.Point()],
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
        conn.execute(
            insert(s.registers).values(
                id="r1",
                file_name=GBK_TITLE.name,
                sha256="0" * 64,
                kind="csv",
                size=1,
                uploaded_at="2026-01-01T00:00:00+00:00",
                uploader="t",
                crs="EPSG:4326",
                columns_json="{}",
                rows_in=len(pr),
                imported=len(pr),
                refused=0,
                warned=0,
                report_json="[]",
                per_zone_json="[]",
                per_jiedao_json="[]",
                boundaries="",
            )
        )
        conn.execute(insert(s.projects), rows)
    return engine


@pytest.mark.parametrize("layer", ["zones", "jiedao"])
def test_web_sql_workbook_and_library_agree(
    register: hepinggis.ImportResult,
    pg_url: str,  # noqa: F811
    tmp_path: object,
    layer: str,
) -> None:
    pr = register.projects
    areas = hepinggis.load(layer)
    library = LIBRARY[layer](pr, areas)
    place, _dist = places(pr, _where(pr, areas, "id"))
    web = per_area(pr, areas, place, layer=layer)
    engine = _stored(register, pg_url, tmp_path)
    try:
        sql = by_area_sql(engine, "r1", layer=layer)
    finally:
        engine.dispose()  # type: ignore[attr-defined]
    in_areas = [r for r in web if r["id"] not in ("outside", "unplaced")]
    assert [r["id"] for r in in_areas] == list(library.index) == list(sql.index) == list(areas["id"])
    for r in in_areas:
        lib = library.loc[r["id"]]
        assert r["projects"] == pytest.approx(lib["projects"], abs=1e-9)
        assert r["investment_cny"] == pytest.approx(lib["investment_cny_stated"], rel=1e-12, abs=1e-6)
        assert r["with_investment"] == lib["n_with_investment"]
    for col in ("projects", "projects_any_share", "investment_cny_stated", "n_with_investment"):
        np.testing.assert_allclose(sql[col].to_numpy(float), library[col].to_numpy(float), rtol=1e-9, atol=1e-6)

    # the table ends with 区外 and 未定位, so its 合计 is every project imported
    places_ = {r["id"]: r["projects"] for r in web if r["id"] in ("outside", "unplaced")}
    assert places_ == {"outside": 6, "unplaced": 1}
    assert sum(r["projects"] for r in web) == pytest.approx(len(pr))

    # the statistics workbook's sheet holds the same figures and the same two rows
    sheet = stats_tables(projects=pr)[f"projects_by_{'zone' if layer == 'zones' else 'jiedao'}"]
    key = sheet.columns[0]
    by_id = sheet.set_index(key)
    np.testing.assert_allclose(
        by_id.loc[list(areas["id"]), "projects"].to_numpy(float), library["projects"].to_numpy(float), atol=1e-9
    )
    assert by_id.loc["区外", "projects"] == pytest.approx(6) and by_id.loc["未定位", "projects"] == 1
