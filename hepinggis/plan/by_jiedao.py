"""Projects per 街道 against the 街道 layer in use: `hepinggis.analysis.assign.projects_by_jiedao`
with the layer defaulted to the bundled one (or the adopted one under `hepinggis.use_boundaries`).

The default lives here, in the plan stage that owns the layers, so that the analysis stage never
imports the plan stage (tests/test_layering.py).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hepinggis.analysis import assign
from hepinggis.plan.layers import load

__all__ = ["projects_by_jiedao"]


def projects_by_jiedao(
    projects: gpd.GeoDataFrame,
    jiedao: gpd.GeoDataFrame | None = None,
    *,
    jiedao_id: str = "id",
    category: str = "category",
    status: str = "status",
    investment: str = "investment_cny",
) -> pd.DataFrame:
    """Per 街道: the same table as `hepinggis.projects_by_zone`, for the 街道 (sub-district) layer.

    Parameters
    ----------
    projects
        The project table (any geometry), in the CRS of ``jiedao``.
    jiedao
        The 街道 layer; by default the bundled one (the district's ten 街道), or the adopted one
        under `hepinggis.use_boundaries`.
    jiedao_id, category, status, investment
        Column names, as in `hepinggis.analysis.assign.projects_by_jiedao`.

    Returns
    -------
    pandas.DataFrame
        One row per 街道 in layer order, indexed by ``jiedao_id``; see
        `hepinggis.analysis.assign.projects_by_jiedao` for the columns.

    Examples
    --------
    >>> import hepinggis
    >>> table = hepinggis.projects_by_jiedao(hepinggis.load("projects"))
    >>> table.index.name, len(table), table.loc["nanhu", "name_zh"]
    ('jiedao_id', 10, '南湖街道')
    """
    return assign.projects_by_jiedao(
        projects,
        load("jiedao") if jiedao is None else jiedao,
        jiedao_id=jiedao_id,
        category=category,
        status=status,
        investment=investment,
    )
