"""A register's rows for the ``projects`` table (`_work_import._project_rows`) are what they were
before the columns were taken by ``tolist`` and points kept as their own point on surface: the old
code is kept here as the reference, and both are run on a register of odd values — hostile text,
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


def _project_rows_reference(
    rid: str,
    result: ImportResult,
    zone: pd.Series,
    jiedao_id: pd.Series,
    *,
    jiedao: gpd.GeoDataFrame | None = None,
) -> list[dict[str, Any]]:
    """`_work_import._project_rows` before its columns were taken by ``tolist`` (and points kept as
    their own point on surface)."""
    import shapely

    pr = result.projects
    if not len(pr):
        return []
    layer = load("jiedao") if jiedao is None else jiedao
    jd_names = dict(zip(layer["id"], layer["name_zh"], strict=True))
    pts = shapely.point_on_surface(pr.geometry.to_numpy())
    core = ["row", "id", "name", "category", "status", "investment_cny"]
    extras = [c for c in pr.columns if c not in core and c != pr.geometry.name]

    def column(name: str) -> list[Any]:
        if name not in pr.columns:
            return [None] * len(pr)
        values = pr[name].astype(object)
        return values.where(values.notna(), None).tolist()

    def text(name: str) -> list[str | None]:
        return [None if v is None else str(v) for v in column(name)]

    props = pd.DataFrame(pr[extras]).astype(object)
    prop_cols = props.where(props.notna(), None).to_dict("list")  # native values, as to_dict("records") gives
    props_json = _json_objects(prop_cols, len(pr))
    columns: dict[str, list[Any]] = {
        "row": [int(v) for v in column("row")] if "row" in pr.columns else list(range(1, len(pr) + 1)),
        "project_id": text("id"),
        "name": text("name"),
        "category": text("category"),
        "status": text("status"),
        "investment_cny": [None if v is None else float(v) for v in column("investment_cny")],
        "zone_id": zone.tolist(),
        "jiedao": [jd_names.get(j) if j is not None else None for j in jiedao_id.tolist()],
        "lon": shapely.get_x(pts).tolist(),
        "lat": shapely.get_y(pts).tolist(),
        "geom_wkt": shapely.to_wkt(pr.geometry.to_numpy(), rounding_precision=-1).tolist(),
        "properties_json": props_json,
    }
    return [
        {
            "register_id": rid,
            "row": row,
            "project_id": pid,
            "name": name,
            "category": category,
            "status": status,
            "investment_cny": money,
            "zone_id": zid,
            "jiedao": jd,
            "lon": lon,
            "lat": lat,
            "geom_wkt": wkt,
            "properties_json": props,
        }
        for row, pid, name, category, status, money, zid, jd, lon, lat, wkt, props in zip(
            *columns.values(), strict=True
        )  # in the order of ``columns``; a dict display per row (dict(zip(…)) took twice as long)
    ]


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
