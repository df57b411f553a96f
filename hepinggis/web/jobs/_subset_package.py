"""The briefing package of a selection of a register (issue 31): one version, as of its date, and
a filter — exactly the projects the filter page and its downloads list.

The projects are the version's stored rows that pass the filter (`_filter.filtered`, the same
function as the page and every download), with the geometry and the columns they were imported
with; they are credited and titled as the selection (`base._credits.ListCredit`'s ``subset``:
the version, its date and the filter in Chinese), and the selection is kept in the package's
manifest (``about``). The build is the register package's job (`_work._package`), under the
register's lock (`_builds`), into ``packages/{version id}-{key}``: ``key`` is a digest of the filter,
so the same selection asked twice is one package, built once at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from hepinggis.base._credits import ListCredit
from hepinggis.web.registers import _filter
from hepinggis.web.registers import _versions as v
from hepinggis.web.store._store import Store

__all__ = ["KEY_PATTERN", "package_key", "package_name", "subset_projects", "subset_words"]

#: A filtered package's key in its URLs (12 hexadecimal digits of the filter's digest).
KEY_PATTERN = re.compile(r"^[0-9a-f]{12}$")
#: Stored properties that are numbers (JSON keeps them as numbers or nulls).
_NUMBERS = ("annual_plan_cny", "completed_cny", "source_x", "source_y", "accuracy_m")


def package_key(params: dict[str, Any]) -> str:
    """The digest naming the package of a filter (its conditions as a job's parameters)."""
    text = json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def package_name(rid: str, params: dict[str, Any]) -> str:
    """The folder (under ``packages``) of the package of version ``rid`` filtered by ``params``."""
    return f"{rid}-{package_key(params)}"


def subset_words(info: dict[str, Any], words: list[str]) -> str:
    """The selection in Chinese: ``第 3 版（截至 2025-03-31）筛选结果：功能区：满融…；状态：在建``."""
    what = "筛选结果：" + "；".join(words) if words else "全部项目"
    return f"第 {info.get('version')} 版（截至 {info.get('as_of')}）{what}"


def _frame(rows: list[dict[str, Any]]) -> Any:
    """Stored project rows as the GeoDataFrame `read_projects` gave at import (EPSG:4326)."""
    import geopandas as gpd
    import shapely

    props = [json.loads(r["properties_json"] or "{}") for r in rows]
    data: dict[str, Any] = {
        "row": np.array([int(r["row"]) for r in rows], dtype="int64"),
        "id": [r["project_id"] for r in rows],
        "name": [r["name"] for r in rows],
        "category": [r["category"] for r in rows],
        "status": [r["status"] for r in rows],
        "investment_cny": np.array(
            [np.nan if r["investment_cny"] is None else float(r["investment_cny"]) for r in rows], dtype=float
        ),
    }
    extras: list[str] = []
    for p in props:
        extras += [k for k in p if k not in data and k not in extras]
    for k in extras:
        values = [p.get(k) for p in props]
        if k in _NUMBERS:
            data[k] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
        elif k == "year":
            data[k] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("Int64").array
        else:
            data[k] = values
    geometry = shapely.from_wkt(np.array([r["geom_wkt"] for r in rows], dtype=object))
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def subset_projects(
    store: Store, reg: dict[str, Any], params: dict[str, Any]
) -> tuple[Any, ListCredit, dict[str, Any]]:
    """The projects of version ``reg`` that pass the filter ``params`` (`ProjectFilter` fields), as a
    GeoDataFrame, its credit (titled as the selection) and what the manifest says of it.

    Raises
    ------
    BadUpload
        A condition names no zone or 街道, or no warning (as the page and the downloads say).
    """
    import datetime as dt

    from hepinggis.base.clock import local_date

    flt = _filter.ProjectFilter(**params)
    sub, words = _filter.filtered(store, reg, flt)
    info = v.series_info(store.engine, reg["id"]) or {}
    keep = {int(r) for r in sub["row"]}
    frame = _frame([r for r in store.register_projects(reg["id"]) if int(r["row"]) in keep])
    subset = subset_words(info, words) if flt.active() else None
    when = dt.date.fromisoformat(local_date(reg["uploaded_at"])) if reg.get("uploaded_at") else None
    credit = ListCredit.of(str(reg["file_name"]).replace("/", "／"), when=when, subset=subset)
    if "source_doc" not in frame.columns:
        frame["source_doc"] = str(reg["file_name"])
    total = float(frame["investment_cny"].sum(min_count=1)) if len(frame) else 0.0
    about = {
        "register": reg["file_name"],
        "register_id": reg["id"],
        "version": info.get("version"),
        "as_of": info.get("as_of"),
        "filter": flt.params(),
        "filter_zh": words,
        "title": subset,
        "projects": len(frame),
        "investment_cny": total if np.isfinite(total) else 0.0,
    }
    return frame, credit, about
