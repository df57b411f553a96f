"""A register's rows for the ``projects`` table (`_work_import._project_rows`, column by column, by
``tolist``, points kept as their own point on surface) are each project's row read one project at
a time (the reference below), on a register of odd values — hostile text,
numbers and numpy scalars in one column, missing values of each kind, dates, whole numbers with
gaps, points, lines and polygons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import hepinggis
from hepinggis.io.importer import ImportResult
from hepinggis.plan.layers import load
from hepinggis.web.jobs._work_import import _json_objects, _project_rows

HOSTILE = [
    h["text"] for h in json.loads((Path(__file__).parents[1] / "data" / "hostile.json").read_text("utf-8"))["corpus"]
]


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _project_rows_reference(
    rid: str,
    result: ImportResult,
    zone: pd.Series,
    jiedao_id: pd.Series,
    *,
    jiedao: gpd.GeoDataFrame,
) -> list[dict[str, Any]]:
    """Each project's row as a plain reading of the table gives it, one project at a time (its
    cells, ``to_dict("records")`` of the other columns, shapely on its own geometry) — written apart
    from `_project_rows`, which works column by column."""
    pr = result.projects
    names = dict(zip(jiedao["id"], jiedao["name_zh"], strict=True))
    core = ["row", "id", "name", "category", "status", "investment_cny"]
    extras = [c for c in pr.columns if c not in core and c != pr.geometry.name]
    others = pd.DataFrame(pr[extras]).astype(object)
    records = others.where(others.notna(), None).to_dict("records")
    rows = []
    for k in range(len(pr)):
        cell = {c: pr[c].iloc[k] for c in core if c in pr.columns}
        geom = pr.geometry.iloc[k]
        inside = shapely.point_on_surface(geom)
        money = cell.get("investment_cny")
        jd = jiedao_id.iloc[k]
        rows.append(
            {
                "register_id": rid,
                "row": int(cell["row"]),
                **{
                    key: None if _missing(cell.get(col)) else str(cell[col])
                    for key, col in (
                        ("project_id", "id"),
                        ("name", "name"),
                        ("category", "category"),
                        ("status", "status"),
                    )
                },
                "investment_cny": None if _missing(money) else float(money),
                "zone_id": zone.iloc[k],
                "jiedao": None if jd is None else names.get(jd),
                "lon": inside.x,
                "lat": inside.y,
                "geom_wkt": shapely.to_wkt(geom, rounding_precision=-1),
                "properties_json": json.dumps(records[k], ensure_ascii=False, default=str),
            }
        )
    return rows


def _odd_register() -> ImportResult:
    n = 40
    rng = np.random.default_rng(3)
    bundled = hepinggis.load("projects")
    shapes = list(bundled.geometry) + [shapely.Point(123.41 + k / 1000, 41.75) for k in range(n)]
    frame = gpd.GeoDataFrame(
        {
            "row": np.arange(2, n + 2),
            "id": [None if k % 5 == 0 else f"HP-{k}" for k in range(n)],
            "name": [HOSTILE[k % len(HOSTILE)] for k in range(n)],
            "category": pd.array([None if k % 7 == 0 else "城建" for k in range(n)], dtype="str"),
            "status": [1.5 if k % 9 == 0 else "在建" for k in range(n)],
            "investment_cny": [None if k % 3 == 0 else np.float64(k * 1e6) for k in range(n)],
            "year": pd.array([None if k % 4 == 0 else 2020 + k % 6 for k in range(n)], dtype="Int64"),
            "mixed": [[np.int64(3), 2.5, "文字", None, np.nan, True, np.float32(0.25)][k % 7] for k in range(n)],
            "ratio": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
            "when": pd.to_datetime(["2024-05-01"] * n),
            "day": [dt.date(2024, 1, 1 + k % 28) for k in range(n)],
            "note": [HOSTILE[(k * 3) % len(HOSTILE)] if k % 2 else None for k in range(n)],
        },
        geometry=shapes[:n],
        crs=4326,
    )
    frame.loc[5, "ratio"] = np.inf
    return ImportResult(frame, pd.DataFrame(), "odd.csv", "utf-8", "wgs84", n, {})


def test_rows_as_before_on_an_odd_register() -> None:
    result = _odd_register()
    pr = result.projects
    zones, jiedao = load("zones"), load("jiedao")
    zone = pd.Series(["heping" if k % 2 else None for k in range(len(pr))], dtype=object)
    jd_ids = list(jiedao["id"])
    jd = pd.Series([jd_ids[k % len(jd_ids)] if k % 3 else None for k in range(len(pr))], dtype=object)
    got = _project_rows("r1", result, zone, jd, jiedao=jiedao)
    want = _project_rows_reference("r1", result, zone, jd, jiedao=jiedao)
    assert set(pr.geom_type) >= {"Point", "Polygon", "LineString"} and zones is not None
    assert len(got) == len(want) == len(pr)
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(b[key], float) and np.isnan(b[key]):
                assert isinstance(a[key], float) and np.isnan(a[key]), key
            else:
                assert a[key] == b[key] and type(a[key]) is type(b[key]), (key, a[key], b[key])


def test_json_of_numpy_scalars_as_pandas_boxes_them() -> None:
    values: dict[Any, list[Any]] = {"a": [np.int64(3), None], "b": [np.float32(0.25), 1.5]}
    assert _json_objects(values, 2) == [
        json.dumps(dict(zip(values, r, strict=True)), ensure_ascii=False, default=str)
        for r in zip(*values.values(), strict=True)
    ]
