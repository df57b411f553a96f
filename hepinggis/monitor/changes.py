"""The project register over the years: what changed between two yearly project lists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from hepinggis.analysis.identity import match_projects, normalise_name
from hepinggis.analysis.projects import prepare_projects
from hepinggis.base.measure import MEASURE_CRS
from hepinggis.errors import HepingGISError
from hepinggis.plan.layers import load

if TYPE_CHECKING:  # the importer is loaded where yearly lists are read, not by every monitoring run
    from hepinggis.io.importer import ImportResult

__all__ = [
    "CHANGES_ZH",
    "CHANGE_ZH",
    "COMPLETED",
    "MOVED_M",
    "SITE_MOVED_M",
    "compare_registers",
    "normalise_name",
    "project_changes",
    "yearly_project_lists",
]

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


def _match(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> list[tuple[int | None, int | None, str]]:
    """Pairs of row positions (old, new) by identity (`hepinggis.analysis.identity.match_projects`):
    the file's ids, then names, then renamed projects at the same site; never row positions."""
    table = match_projects(old, new, with_unmatched=True)
    table = table[table["how"] != "ambiguous"]
    out: list[tuple[int | None, int | None, str]] = []
    for i, j, how in zip(table["old"], table["new"], table["how"], strict=True):
        if how == "removed":
            out.append((int(i), None, ""))
        elif how == "added":
            out.append((None, int(j), ""))
        else:
            out.append((int(i), int(j), str(how)))
    return out


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

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame
        The earlier and the later project list.
    moved_m : float, default 100
        How far (metres) a site must move to count as ``moved``.
    name_col : str, optional
        The name column, where it is not one of the usual ones.
    refused : pandas.DataFrame, optional
        The rejected rows of the new list's import report (``row``, ``field``, ``message`` …).

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
    for i, j, how in _match(_named(old, name_col), _named(new, name_col)):
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
    from hepinggis.io.importer import read_projects

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


def _named(frame: Any, name_col: str | None) -> Any:
    """The frame with its names under ``name_zh`` when a name column was named."""
    frame = getattr(frame, "projects", frame)
    if name_col is None or name_col not in frame.columns:
        return frame
    out = frame.copy()
    out["name_zh"] = out[name_col]
    return out


# -- versions of one register ----------------------------------------------------------------------
#: The changes between two versions of a register, as the bureau reads them.
CHANGES_ZH = {
    "added": "新增",
    "removed": "不再列出",
    "moved": "位置变化",
    "status": "状态变化",
    "investment": "投资变化",
    "renamed": "更名",
    "refused": "未读入（清单中有，导入时被拒）",
}
#: A site that moved more than this (metres) has moved; less is the precision coordinates are typed with.
SITE_MOVED_M = 10.0
#: Two investments that differ by less than this (元) are the same (rounding of 万元 to 元).
_SAME_YUAN = 0.5
_COLUMNS = [
    "change",
    "change_zh",
    "how",
    "score",
    "row_old",
    "row_new",
    "id_old",
    "id_new",
    "name_old",
    "name_new",
    "name_zh",
    "status_old",
    "status_new",
    "investment_old",
    "investment_new",
    "moved_m",
    "lon_old",
    "lat_old",
    "lon_new",
    "lat_new",
    "note",
]


def _texts(frame: gpd.GeoDataFrame, col: str) -> list[str]:
    if col not in frame.columns:
        return [""] * len(frame)
    values = frame[col].tolist()  # not value by value from an Arrow-backed column: slow
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip() for v in values]


def _money(frame: gpd.GeoDataFrame) -> list[float]:
    if "investment_cny" not in frame.columns:
        return [float("nan")] * len(frame)
    return [float(v) for v in pd.to_numeric(frame["investment_cny"], errors="coerce")]


def _lonlat(frame: gpd.GeoDataFrame) -> tuple[list[float], list[float]]:
    if not len(frame):
        return [], []
    pts = frame.geometry.to_crs(4326).representative_point()
    return [round(float(v), 6) for v in pts.x], [round(float(v), 6) for v in pts.y]


def _same_money(a: float, b: float) -> bool:
    if a != a and b != b:  # both NaN: neither stated
        return True
    return a == a and b == b and abs(a - b) < _SAME_YUAN


def compare_registers(
    old: Any,
    new: Any,
    *,
    refused: pd.DataFrame | None = None,
    confirmed: Any = (),
    moved_m: float = SITE_MOVED_M,
) -> pd.DataFrame:
    """What changed between two versions of a register, project by project, by identity.

    Projects are paired by `hepinggis.match_projects` (the file's ids, confirmed pairs, names,
    renamed projects at the same site), never by row position. A pair gives one row per change:

    ``renamed`` (the normalised name differs), ``moved`` (more than ``moved_m`` metres, with the
    distance), ``status`` (the status text differs), ``investment`` (the amount in 元 differs,
    old → new); an old project without a partner is ``removed`` and a new one ``added``. When
    ``new`` is a `read_projects` result (or ``refused`` its rejected rows are given), a row the
    import refused is never ``removed``: an old project with the name of a refused row is
    ``refused``, with the reason; refused rows of no old project are ``refused`` too.

    Parameters
    ----------
    old, new : geopandas.GeoDataFrame or ImportResult
        Two versions, as `read_projects` gives them (or any project frames with names and a CRS).
    refused : pandas.DataFrame, optional
        The rejected rows of ``new`` (default: ``new.rejected`` for an ImportResult).
    confirmed : iterable of (str, str)
        (old name, new name) pairs a clerk confirmed.
    moved_m : float
        A site that moved more than this many metres has moved (default `SITE_MOVED_M`).

    Returns
    -------
    pandas.DataFrame
        ``change`` (added, removed, moved, status, investment, renamed, refused), ``change_zh``,
        ``how`` and ``score`` (how the pair was matched), ``row_old``/``row_new`` (Excel rows),
        ``id_old``/``id_new``, ``name_old``/``name_new``/``name_zh``, ``status_old``/``status_new``,
        ``investment_old``/``investment_new`` (元), ``moved_m``, sites (``lon_old`` …) and
        ``note``. ``attrs["ambiguous"]`` holds the pairs listed for confirmation.

    Examples
    --------
    >>> import hepinggis
    >>> old = hepinggis.load("projects")
    >>> new = old.iloc[::-1].copy()  # reordered
    >>> new.loc[new["id"] == "sensor_iot_park", "status"] = "completed"
    >>> compare_registers(old, new)["change"].tolist()
    ['status']
    """
    if refused is None and hasattr(new, "rejected"):
        refused = new.rejected
    a, b = _frame_of(old), _frame_of(new)
    pairs = match_projects(a, b, confirmed=confirmed, with_unmatched=True)
    side_a, side_b = _side(a), _side(b)
    refused_names = _refused_lines(refused)
    out: list[dict[str, Any]] = []
    ambiguous: list[dict[str, Any]] = []
    for rec in pairs.to_dict("records"):
        i, j, base = _pair_row(rec, side_a, side_b)
        if rec["how"] == "ambiguous":
            ambiguous.append({**base, "moved_m": rec["distance_m"]})
        else:
            out.extend(_pair_changes(rec, i, j, base, side_a, side_b, refused_names, moved_m=moved_m))
    out.extend(_other_refused(refused_names))
    table = _change_table(out)
    table.attrs["ambiguous"] = ambiguous
    return table


def _side(frame: gpd.GeoDataFrame) -> dict[str, list[Any]]:
    """One version's names, statuses, amounts (元) and sites (lon, lat), in its row order."""
    lon, lat = _lonlat(frame)
    return {
        "name": _texts(frame, _name_col(frame)),
        "status": _texts(frame, "status"),
        "money": _money(frame),
        "lon": lon,
        "lat": lat,
    }


def _pair_row(
    rec: dict[Any, Any], old: dict[str, list[Any]], new: dict[str, list[Any]]
) -> tuple[int | None, int | None, dict[str, Any]]:
    """A pair of `match_projects` (or a project of one version alone): its positions in the old
    and the new version, and the columns every change of it shares."""
    i = None if pd.isna(rec["old"]) else int(rec["old"])
    j = None if pd.isna(rec["new"]) else int(rec["new"])
    base: dict[str, Any] = {
        "how": rec["how"] if i is not None and j is not None else "",
        "score": None if pd.isna(rec["score"]) else float(rec["score"]),
        "row_old": rec["row_old"] if i is not None else None,
        "row_new": rec["row_new"] if j is not None else None,
        "id_old": rec["id_old"],
        "id_new": rec["id_new"],
        "name_old": old["name"][i] if i is not None else None,
        "name_new": new["name"][j] if j is not None else None,
        "name_zh": new["name"][j] if j is not None else old["name"][i] if i is not None else None,
        "status_old": old["status"][i] if i is not None else None,
        "status_new": new["status"][j] if j is not None else None,
        "investment_old": old["money"][i] if i is not None else None,
        "investment_new": new["money"][j] if j is not None else None,
        "moved_m": None,
        "lon_old": old["lon"][i] if i is not None else None,
        "lat_old": old["lat"][i] if i is not None else None,
        "lon_new": new["lon"][j] if j is not None else None,
        "lat_new": new["lat"][j] if j is not None else None,
        "note": "",
    }
    return i, j, base


def _pair_changes(
    rec: dict[Any, Any],
    i: int | None,
    j: int | None,
    base: dict[str, Any],
    old: dict[str, list[Any]],
    new: dict[str, list[Any]],
    refused_names: dict[str, list[dict[Any, Any]]],
    *,
    moved_m: float,
) -> list[dict[str, Any]]:
    """The changes of one pair: ``added``; ``removed``, or ``refused`` with the reason where the
    import refused a row of its name (that row is used up); or, for a pair, ``renamed``,
    ``moved``, ``status`` and ``investment``."""
    how = rec["how"]
    if how == "added":
        return [{"change": "added", **base}]
    if how == "removed":
        assert i is not None
        lines = refused_names.get(normalise_name(old["name"][i]))
        if lines:
            line = lines.pop(0)
            return [{"change": "refused", **base, "row_new": line.get("row"), "note": _why(line)}]
        return [{"change": "removed", **base}]
    assert i is not None and j is not None
    out: list[dict[str, Any]] = []
    if normalise_name(old["name"][i]) != normalise_name(new["name"][j]):
        out.append({"change": "renamed", **base})
    dist = float(rec["distance_m"])
    if dist > moved_m:
        out.append({"change": "moved", **base, "moved_m": round(dist, 1)})
    if old["status"][i] != new["status"][j]:
        out.append({"change": "status", **base})
    if not _same_money(old["money"][i], new["money"][j]):
        out.append({"change": "investment", **base})
    return out


def _other_refused(refused_names: dict[str, list[dict[Any, Any]]]) -> list[dict[str, Any]]:
    """The refused rows no old project's removal used, each once: ``refused`` with the reason."""
    out: list[dict[str, Any]] = []
    seen: set[Any] = set()
    for lines in refused_names.values():
        for line in lines:
            if line.get("row") not in seen:
                seen.add(line.get("row"))
                out.append(
                    {"change": "refused", "row_new": line.get("row"), "name_zh": line.get("name"), "note": _why(line)}
                )
    return out


def _change_table(out: list[dict[str, Any]]) -> pd.DataFrame:
    """The changes as a table: in the bureau's words, Excel rows as integers, ordered by kind of
    change and then by row."""
    table = pd.DataFrame(out, columns=[c for c in _COLUMNS if c != "change_zh"] + ["change_zh"])
    table["change_zh"] = table["change"].map(CHANGES_ZH)
    table = table[_COLUMNS]
    for c in ("row_old", "row_new"):
        table[c] = pd.to_numeric(table[c], errors="coerce").astype("Int64")
    order = {k: n for n, k in enumerate(CHANGES_ZH)}
    table = table.assign(_o=table["change"].map(order)).sort_values(["_o", "row_new", "row_old"], kind="stable")
    return table.drop(columns="_o").reset_index(drop=True)


def _frame_of(table: Any) -> gpd.GeoDataFrame:
    frame = getattr(table, "projects", table)
    return frame.reset_index(drop=True)


def _name_col(frame: gpd.GeoDataFrame) -> str:
    return next((c for c in ("name_zh", "name", "项目名称", "名称", "项目") if c in frame.columns), "name")


def _refused_lines(refused: pd.DataFrame | None) -> dict[str, list[dict[Any, Any]]]:
    """The rejected rows by normalised name, one entry per row (a row refused for several fields once)."""
    lines: dict[str, list[dict[Any, Any]]] = {}
    if refused is None or not len(refused):
        return lines
    seen: set[Any] = set()
    for rec in refused.to_dict("records"):
        if rec.get("row") in seen:
            continue
        seen.add(rec.get("row"))
        lines.setdefault(normalise_name(rec.get("name")), []).append(rec)
    return lines


def _why(rec: dict[Any, Any]) -> str:
    return f"第{rec.get('row')}行未读入：{rec.get('field') or ''} {rec.get('message') or ''}".strip()
