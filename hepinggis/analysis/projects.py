"""Project tables as every function takes them: the bundled ``projects`` layer, the output of
`read_projects` as it comes, or any GeoDataFrame of points, lines or polygons with a name column.

`prepare_projects` is the one place where a project table is validated and completed; the maps,
the static maps, the statistics and ``hepinggis build`` all go through it.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from hepinggis._strict import require_layer
from hepinggis.base._style import CATEGORY_COLORS, EXTRA_COLORS
from hepinggis.errors import LayerSchemaError

__all__ = [
    "MARKER_GAP_M",
    "NAME_COLUMNS",
    "PROJECT_DEFAULTS",
    "SITED",
    "category_colors",
    "category_order",
    "marker_freedom",
    "prepare_projects",
]

#: Column names looked for, in this order, when ``name_col`` is not given.
NAME_COLUMNS: tuple[str, ...] = ("name_zh", "name", "项目名称", "名称", "项目")

#: What a missing optional column (or an empty cell in it) becomes.
PROJECT_DEFAULTS: dict[str, object] = {
    "name_en": "",
    "source": "",
    "category": "未分类",
    "status": "未注明",
    "year": pd.NA,
    "investment_cny": np.nan,
    "accuracy_m": np.nan,  # unknown: shown as "精度未知", never invented
    "method": "",
    "source_doc": "用户数据",
    "source_quote": "",
}

#: ``location_method`` values that mean "we know where it is" (not just "somewhere in this area").
SITED: tuple[str, ...] = ("point", "line", "footprint")

#: Markers closer than this (metres) are drawn apart on the overview.
MARKER_GAP_M = 450.0

_METHOD_BY_TYPE = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "footprint",
    "MultiPolygon": "footprint",
}


def _blank(values: pd.Series) -> np.ndarray:
    return (values.isna() | (values.astype(str).str.strip() == "")).to_numpy()


def prepare_projects(
    projects: gpd.GeoDataFrame, *, name_col: str | None = None, source: str | None = None
) -> gpd.GeoDataFrame:
    """A project table completed to the schema the maps and tables use, index and CRS kept.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        Points, lines or polygons with a CRS and a name column: the bundled layer, ``read_projects(…).projects``
        or your own frame.
    name_col : str, optional
        The column holding the project names; else the first of `NAME_COLUMNS` present.
    source : str, optional
        What ``source_doc`` says where the table has none (e.g. the imported file's name).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``id`` (kept, or ``row<n>`` from an import's row number, or ``p<n>`` by position),
        ``name_zh`` (from the name column), ``category``, ``status``, ``year``, ``investment_cny``,
        ``accuracy_m``, ``method``, ``source_doc``, ``source_quote`` (missing columns and empty
        cells get `PROJECT_DEFAULTS`; categories and statuses are free text, kept as written) and
        ``location_method`` (``point``/``line``/``footprint`` from the geometry where not given).

    Raises
    ------
    LayerSchemaError
        No name column, an empty name, or a repeated id (the message names the column and row).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> mine = gpd.GeoDataFrame({"项目名称": ["新图书馆"]}, geometry=[Point(123.40, 41.75)], crs=4326)
    >>> p = prepare_projects(mine)
    >>> p.loc[0, ["id", "name_zh", "category", "location_method"]].tolist()
    ['p1', '新图书馆', '未分类', 'point']
    """
    require_layer(projects, "projects", allow_empty=True)
    out = projects.copy()
    name_col = _name_column(out, name_col)
    out["name_zh"] = out[name_col].astype(str)
    out["id"] = _ids(out)
    for column, default in PROJECT_DEFAULTS.items():
        if column not in out.columns:
            out[column] = default
        elif isinstance(default, str):
            values = out[column].astype(object)
            out[column] = values.where(~_blank(values), default).astype(str)
    out["year"] = pd.array(pd.to_numeric(out["year"], errors="coerce"), dtype="Int64")
    out["investment_cny"] = pd.to_numeric(out["investment_cny"], errors="coerce").astype(float)
    out["accuracy_m"] = pd.to_numeric(out["accuracy_m"], errors="coerce").astype(float)
    if source is not None:
        out.loc[out["source_doc"] == PROJECT_DEFAULTS["source_doc"], "source_doc"] = source
        out.loc[out["source"] == "", "source"] = source
    out["location_method"] = _location_method(out)
    return out


def _name_column(out: gpd.GeoDataFrame, name_col: str | None) -> str:
    """The column of the names: ``name_col``, else the first of `NAME_COLUMNS`; every row has one."""
    if name_col is not None:
        if name_col not in out.columns:
            raise LayerSchemaError(
                f"projects: no column {name_col!r} for the names (columns: {', '.join(map(str, out.columns))})"
            )
    else:
        name_col = next((c for c in NAME_COLUMNS if c in out.columns), None)
        if name_col is None:
            raise LayerSchemaError(
                f"projects: no name column ({' / '.join(NAME_COLUMNS)}) among {', '.join(map(str, out.columns))}; "
                "pass name_col=…"
            )
    empty = _blank(out[name_col])
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise LayerSchemaError(f"projects: row {_where(out, i)} has no name in column {name_col!r}")
    return name_col


def _location_method(out: gpd.GeoDataFrame) -> pd.Series:
    """``location_method`` as given, else ``point``/``line``/``footprint`` from the geometry."""
    derived = pd.Series(out.geom_type.map(_METHOD_BY_TYPE), index=out.index)
    if "location_method" in out.columns:
        given = out["location_method"].astype(object)
        method = given.where(~_blank(given), derived)
    else:
        method = derived
    unknown = method.isna().to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise LayerSchemaError(
            f"projects: row {_where(out, i)} has a {out.geom_type.iloc[i]} geometry; use points, lines or polygons"
        )
    return method


def _where(frame: pd.DataFrame, i: int) -> str:
    """Row ``i`` as the user knows it: the file's own row number for an imported list."""
    if "row" in frame.columns and pd.notna(frame["row"].iloc[i]):
        return f"{frame['row'].iloc[i]} of the file"
    return repr(frame.index[i])


def _ids(frame: gpd.GeoDataFrame) -> pd.Series:
    if "row" in frame.columns:
        generated = [f"row{r}" for r in frame["row"]]
    elif "feature" in frame.columns:
        generated = [f"feature{r}" for r in frame["feature"]]
    else:
        generated = [f"p{k}" for k in range(1, len(frame) + 1)]
    if "id" not in frame.columns:
        ids = pd.Series(generated, index=frame.index)
    else:
        given = frame["id"].astype(object)
        ids = given.where(~_blank(given), pd.Series(generated, index=frame.index)).astype(str)
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((ids == ids.iloc[i]).to_numpy())[0])
        raise LayerSchemaError(
            f"projects: id {ids.iloc[i]!r} of row {_where(frame, i)} repeats row {_where(frame, first)}; "
            "ids must be unique"
        )
    return ids


def category_colors(categories: Iterable[object]) -> dict[str, str]:
    """A colour for every category: the built-in English ones keep their fixed colours; any other
    text (``商业``, ``文旅`` …) gets one of `EXTRA_COLORS`, in sorted order, so the same set of
    categories always gets the same colours in every map of a build.

    Examples
    --------
    >>> category_colors(["商业", "commerce", "文旅"])["commerce"]
    '#e15759'
    >>> category_colors(["文旅", "商业"]) == category_colors(["商业", "文旅"])
    True
    """
    cats = sorted({str(c) for c in categories})
    colors = {c: CATEGORY_COLORS[c] for c in cats if c in CATEGORY_COLORS}
    free = [c for c in EXTRA_COLORS if c not in colors.values()]
    for k, cat in enumerate(c for c in cats if c not in CATEGORY_COLORS):
        colors[cat] = free[k % len(free)]
    return colors


def category_order(categories: Iterable[object]) -> list[str]:
    """Legend order: the built-in categories in their fixed order, then the others sorted."""
    cats = {str(c) for c in categories}
    known = [c for c in CATEGORY_COLORS if c in cats]
    return known + sorted(cats - set(known))


def marker_freedom(projects: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which markers may be drawn off their exact spot so that none hides another, and how far a
    point may go (metres): every project known only by its extent (within the extent), and every
    point whose stated accuracy is at least `MARKER_GAP_M` (within that accuracy: displacing it by
    less says nothing the data does not). Sites known better than that never move."""
    sited = projects["location_method"].isin(SITED).to_numpy()
    accuracy = pd.to_numeric(projects["accuracy_m"], errors="coerce").to_numpy(dtype=float)
    loose_point = sited & (projects.geom_type == "Point").to_numpy() & (np.nan_to_num(accuracy) >= MARKER_GAP_M)
    movable = ~sited | loose_point
    slack = np.where(loose_point, accuracy, 0.0)
    return movable, slack
