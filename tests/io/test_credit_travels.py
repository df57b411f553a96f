"""A register's credit (its file name and the day it was imported) travels with the import result
(`ImportResult.credit`), not in ``DataFrame.attrs``: every product credits the list it is given as
the result, or as a table with its credit, also when the table was rebuilt on the way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import hepinggis
from hepinggis.base._credits import ListCredit, projects_credit
from hepinggis.maps.interactive import map_data
from hepinggis.maps.static import static_data
from hepinggis.stats import stats_tables

SAMPLE = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "项目清单示例.csv"


@pytest.fixture(scope="module")
def result() -> hepinggis.ImportResult:
    return hepinggis.read_projects(SAMPLE, crs="gcj02")


def test_the_result_carries_the_credit_and_the_table_none(result: hepinggis.ImportResult) -> None:
    assert result.credit == ListCredit(SAMPLE.name, dt.date.today().isoformat())
    assert result.projects.attrs == {}  # nothing hidden on the table


def test_every_product_credits_the_list_it_is_given(result: hepinggis.ImportResult) -> None:
    line = f"项目：{SAMPLE.name}（{dt.date.today().isoformat()} 导入），共 {result.n_imported} 项"
    assert projects_credit(result.projects, result.credit) == line
    # a table rebuilt on the way (as the web app rebuilds it from the store) keeps no attrs: the
    # credit is passed beside it
    rebuilt = gpd.GeoDataFrame(pd.DataFrame(result.projects).copy(), crs=result.projects.crs)
    for given, credit in ((result, None), (rebuilt, result.credit)):
        data = map_data(given, credit=credit)
        assert projects_credit(data.projects, data.credit) == line
        assert static_data(given, credit=credit).credit == result.credit
        sources = stats_tables(projects=given, credit=credit)["sources"].set_index("item")["source"]
        assert sources["项目"] == line
    # a table without its credit is not credited by a file it cannot know
    assert SAMPLE.name not in projects_credit(rebuilt)
    assert map_data(rebuilt).credit is None
