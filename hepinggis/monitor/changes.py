"""The project register over the years: what changed between two yearly project lists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hepinggis.analysis.projects import prepare_projects
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import HepingGISError
from hepinggis.io.importer import ImportResult, read_projects
from hepinggis.plan.layers import load

__all__ = ["CHANGE_ZH", "COMPLETED", "MOVED_M", "normalise_name", "project_changes", "yearly_project_lists"]

#: The change kinds as the bureau reads them.
CHANGE_ZH = {
    "new": "新增",
    "completed": "建成",
    "status_changed": "状态变化",
    "moved": "位置变化",
    "vanished": "不再列出",
    "refused": "未读入（清单中有，导入时被拒）",
}

#: Status values that mean "built" (the bundled English one and common Chinese ones).
COMPLETED = ("completed", "已建成", "建成", "竣工", "已竣工", "完成", "已完成")
#: A project whose site moved further than this between the lists is reported as moved.
MOVED_M = 100.0
_SPACE_PUNCT = re.compile(r"[\s\u3000·•．.,，、:：;；'\"“”‘’()（）\[\]【】\-—_/]+")


def normalise_name(name: object) -> str:
    """A project name for matching across years: NFKC (full-width → half-width), lower case, no
    blanks or punctuation.

    Examples
    --------
    >>> normalise_name("和平湾（首开区） ") == normalise_name("和平湾首开区")
    True
    """
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).lower()
    return _SPACE_PUNCT.sub("", text)


def _match(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> list[tuple[int | None, int | None, str]]:
    """Pairs of row positions (old, new) and how they were matched: by id first, then by name."""
    pairs: list[tuple[int | None, int | None, str]] = []
    new_by_id = {str(v): i for i, v in enumerate(new["id"])}
    used_new: set[int] = set()
    unmatched_old = []
    for i, oid in enumerate(old["id"]):
        j = new_by_id.get(str(oid))
        if j is not None and j not in used_new:
            pairs.append((i, j, "id"))
            used_new.add(j)
        else:
            unmatched_old.append(i)
    new_by_name: dict[str, list[int]] = {}
    for j, name in enumerate(new["name_zh"]):
        if j not in used_new:
            new_by_name.setdefault(normalise_name(name), []).append(j)
    for i in unmatched_old:
        candidates = new_by_name.get(normalise_name(old["name_zh"].iloc[i]), [])
        if candidates:
            j = candidates.pop(0)
            pairs.append((i, j, "name"))
            used_new.add(j)
        else:
            pairs.append((i, None, ""))
    pairs += [(None, j, "") for j in range(len(new)) if j not in used_new]
    return pairs


def _refused(rows: list[tuple[object, ...]], refused: pd.DataFrame | None) -> list[tuple[object, ...]]:
    """Rows the new list holds but its import refused: an old project "vanished" under such a
    name is refused instead, and every other refused row is listed too (nothing is silent)."""
    if refused is None or not len(refused):
        return rows
    lines: dict[str, list[dict[Any, Any]]] = {}
    for rec in refused.to_dict("records"):
        lines.setdefault(normalise_name(rec.get("name")), []).append(rec)

    def why(rec: dict[Any, Any]) -> str:
        return f"第{rec.get('row')}行未读入：{rec.get('field') or ''} {rec.get('message') or ''}".strip()

    out: list[tuple[object, ...]] = []
    for row in rows:
        same = lines.get(normalise_name(row[3])) if row[0] == "vanished" and row[3] else None
        if same:
            rec = same.pop(0)
            out.append(("refused", row[1], None, row[3], "name", row[5], None, None, why(rec)))
        else:
            out.append(row)
    seen_rows: set[object] = set()
    for recs in lines.values():
        for rec in recs:
            if rec.get("row") not in seen_rows:  # a row refused for several fields is one change
                seen_rows.add(rec.get("row"))
                out.append(("refused", None, None, rec.get("name"), "", None, None, None, why(rec)))
    return out


def project_changes(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    *,
    moved_m: float = MOVED_M,
    name_col: str | None = None,
    refused: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What changed from one year's project list to the next.

    Projects are matched by id, then (for those left) by normalised name (`normalise_name`). Each
    matched pair may give several rows: ``completed`` (the status became one of `COMPLETED`),
    ``status_changed`` (any other status change), ``moved`` (the site moved more than ``moved_m``
    metres, measured in EPSG:4550 between representative points); unmatched old projects are
    ``vanished`` and unmatched new ones ``new``. ``refused`` (the rejected rows of the new list's
    import report, e.g. ``read_projects(…).rejected``) turns a "vanished" project whose name is on
    a refused row into ``refused``, and lists every other refused row as ``refused``: a row the
    import refused is never reported as a project that disappeared. Both lists go through
    `hepinggis.projects.prepare_projects`, so ``read_projects(…).projects`` works as it comes.

    Returns
    -------
    pandas.DataFrame
        ``change``, ``id_old``, ``id_new``, ``name_zh``, ``matched_by`` (id / name), ``status_old``,
        ``status_new``, ``moved_m``, ``note`` (why a row was refused). `CHANGE_ZH` names the changes
        in Chinese.

    Examples
    --------
    >>> import hepinggis
    >>> old = hepinggis.load("projects")
    >>> new = old.copy()
    >>> new.loc[new["id"] == "sensor_iot_park", "status"] = "completed"
    >>> project_changes(old, new)["change"].tolist()
    ['completed']
    """
    a = prepare_projects(old, name_col=name_col).reset_index(drop=True)
    b = prepare_projects(new, name_col=name_col).reset_index(drop=True)
    pa = a.geometry.to_crs(MEASURE_CRS).representative_point()
    pb = b.geometry.to_crs(MEASURE_CRS).representative_point()
    rows: list[tuple[object, ...]] = []
    for i, j, how in _match(a, b):
        if j is None:
            assert i is not None
            rows.append(
                ("vanished", a["id"].iloc[i], None, a["name_zh"].iloc[i], "", a["status"].iloc[i], None, None, "")
            )
            continue
        if i is None:
            rows.append(("new", None, b["id"].iloc[j], b["name_zh"].iloc[j], "", None, b["status"].iloc[j], None, ""))
            continue
        s_old, s_new = a["status"].iloc[i], b["status"].iloc[j]
        base = (a["id"].iloc[i], b["id"].iloc[j], b["name_zh"].iloc[j], how, s_old, s_new)
        if s_old != s_new:
            kind = "completed" if s_new in COMPLETED and s_old not in COMPLETED else "status_changed"
            rows.append((kind, *base, None, ""))
        dist = float(pa.iloc[i].distance(pb.iloc[j]))
        if dist > moved_m:
            rows.append(("moved", *base, round(dist, 1), ""))
    rows = _refused(rows, refused)
    columns = ["change", "id_old", "id_new", "name_zh", "matched_by", "status_old", "status_new", "moved_m", "note"]
    return pd.DataFrame(rows, columns=columns)


def yearly_project_lists(folder: Path, crs: str | None) -> dict[int, gpd.GeoDataFrame | ImportResult]:
    """One project list per year from ``folder`` (the year is the 4-digit number in each file
    name), each as `read_projects` returns it (its refused rows are listed as refused, never as
    vanished); the bundled projects of the 2022 work report stand for 2022 unless the folder has
    that year. Each list's import summary is printed."""
    if not folder.is_dir():
        raise HepingGISError(f"{folder} is not a folder of yearly project lists")
    lists: dict[int, gpd.GeoDataFrame | ImportResult] = {2022: load("projects")}
    found = 0
    for path in sorted(folder.iterdir()):
        match = re.search(r"(20[2-3]\d)", path.stem)
        if match and path.suffix.lower() in {".csv", ".xlsx", ".geojson", ".gpkg", ".shp"}:
            result = read_projects(path, crs=crs)
            print(result.summary())
            lists[int(match.group(1))] = result
            found += 1
    if not found:
        raise HepingGISError(f"{folder}: no project list whose name holds a year (e.g. 2023.csv)")
    return lists
