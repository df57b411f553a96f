"""Registers as series of versions: which register a new upload continues, the versions of a
series, the changes between any two versions by identity, the clerk's confirmations of ambiguous
pairs, a project's history (一项目一档), the filter of the list and its exports.

The series columns of ``registers`` (migration s0004) and the confirmations table are described
here, not in `_schema`, so that the import job and the pages read them through this module only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, func, insert, select, update

from hepinggis.errors import BadUpload
from hepinggis.web._store import Store, now_iso

__all__ = [
    "ProjectFilter",
    "confirm",
    "confirmations",
    "filtered",
    "history",
    "link_version",
    "propose",
    "series_info",
    "version_changes",
    "versions",
]

_meta = MetaData()
#: The series columns of ``registers`` (added by migration s0004).
series_t = Table(
    "registers",
    _meta,
    Column("id", String(32), primary_key=True),
    Column("file_name", Text),
    Column("uploaded_at", String(32)),
    Column("uploader", Text),
    Column("imported", Integer),
    Column("refused", Integer),
    Column("columns_json", Text),
    Column("series_id", String(32)),
    Column("version", Integer),
    Column("as_of", String(10)),
    Column("merged_into", String(32)),
)
#: Pairs a clerk confirmed (old name → new name) within a series, used for every later comparison.
confirmations_t = Table(
    "identity_confirmations",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_id", String(32), nullable=False, index=True),
    Column("old_name", Text, nullable=False),
    Column("new_name", Text, nullable=False),
    Column("confirmed_by", Text, nullable=False),
    Column("confirmed_at", String(32), nullable=False),
)

BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing_date(iso_utc: str | None = None) -> str:
    """The date in Beijing of a UTC ISO time (default now), as YYYY-MM-DD."""
    when = dt.datetime.fromisoformat(iso_utc) if iso_utc else dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(BEIJING).date().isoformat()


def check_as_of(text: str | None) -> str | None:
    """A version date typed by the clerk (YYYY-MM-DD), or None."""
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise BadUpload("版本日期应写作 2025-03-31 这样的日期") from None


# -- series ----------------------------------------------------------------------------------------
def series_info(bind: Any, rid: str) -> dict[str, Any] | None:
    """A register's series fields (a register uploaded before series is a series of its own)."""
    q = select(series_t).where(series_t.c.id == rid)
    if isinstance(bind, Connection):
        row = bind.execute(q).first()
    else:
        with bind.connect() as conn:
            row = conn.execute(q).first()
    if row is None:
        return None
    out = dict(row._mapping)
    out["series_id"] = out["series_id"] or out["id"]
    out["version"] = out["version"] or 1
    out["as_of"] = out["as_of"] or beijing_date(out["uploaded_at"])
    return out


def link_version(
    conn: Connection, rid: str, *, replaces: str | None, as_of: str | None, merged_into: str | None = None
) -> dict[str, Any]:
    """Give the register ``rid`` (just inserted, in the same transaction) its place in a series:
    the next version of ``replaces``'s series, or version 1 of its own."""
    if replaces:
        base = series_info(conn, replaces)
        if base is None:
            raise BadUpload("要接续的清单不存在（可能已被删除）")
        series_id = base["series_id"]
        latest = conn.execute(
            select(func.max(series_t.c.version)).where(
                (series_t.c.series_id == series_id) | (series_t.c.id == series_id)
            )
        ).scalar()
        version = int(latest or 1) + 1
    else:
        series_id, version = rid, 1
    values = {"series_id": series_id, "version": version, "as_of": as_of or beijing_date(), "merged_into": merged_into}
    conn.execute(update(series_t).where(series_t.c.id == rid).values(**values))
    return values


def versions(store: Store, rid: str) -> list[dict[str, Any]]:
    """Every version of ``rid``'s series, oldest first."""
    info = series_info(store.engine, rid)
    if info is None:
        return []
    sid = info["series_id"]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(series_t)
            .where((series_t.c.series_id == sid) | (series_t.c.id == sid))
            .order_by(series_t.c.uploaded_at)
        )
        out = []
        for r in rows:
            rec = dict(r._mapping)
            rec["series_id"] = rec["series_id"] or rec["id"]
            rec["version"] = rec["version"] or 1
            rec["as_of"] = rec["as_of"] or beijing_date(rec["uploaded_at"])
            rec.pop("columns_json", None)
            out.append(rec)
    return sorted(out, key=lambda r: (r["version"], r["uploaded_at"]))


def previous_version(store: Store, rid: str) -> str | None:
    """The version before ``rid`` in its series (None for a first version)."""
    vs = versions(store, rid)
    ids = [v["id"] for v in vs]
    k = ids.index(rid) if rid in ids else 0
    return ids[k - 1] if k > 0 else None


def previous_register(store: Store, rid: str) -> dict[str, Any] | None:
    """The version before ``rid`` in its series; for a first version, the register uploaded just
    before it (as before registers had versions)."""
    prev = previous_version(store, rid)
    return store.get_register(prev) if prev else store.previous_register(rid)


_STEM_NOISE = re.compile(r"[\d\s\-_.()（）\[\]【】年月日版第期]+")


def _stem(name: str) -> str:
    """A file name without its dates, numbers and suffix: ``2025年3月重点项目清单.xlsx`` → ``重点项目清单``."""
    text = unicodedata.normalize("NFKC", name).rsplit(".", 1)[0]
    return _STEM_NOISE.sub("", text).lower()


def propose(store: Store, *, file_name: str, columns: dict[str, str] | None) -> dict[str, Any] | None:
    """The register a new upload is probably the next version of: the latest version of the series
    whose file name (without dates and numbers) or whose column roles are the same."""
    stem = _stem(file_name or "")
    want = sorted((columns or {}).items())
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(series_t).order_by(series_t.c.uploaded_at.desc()))]
    for r in rows:
        same_name = bool(stem) and _stem(r["file_name"] or "") == stem
        try:
            cols = sorted(json.loads(r["columns_json"] or "{}").items())
        except json.JSONDecodeError:
            cols = []
        same_cols = bool(want) and cols == want
        if same_name or same_cols:
            info = series_info(store.engine, r["id"])
            assert info is not None
            latest = versions(store, r["id"])[-1]
            return {
                "id": latest["id"],
                "file_name": latest["file_name"],
                "version": latest["version"],
                "as_of": latest["as_of"],
                "why": "文件名相同（日期、序号除外）" if same_name else "表头各列相同",
            }
    return None


# -- confirmations ---------------------------------------------------------------------------------
def confirmations(store: Store, series_id: str) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(confirmations_t.c.old_name, confirmations_t.c.new_name).where(
                confirmations_t.c.series_id == series_id
            )
        )
        return [(r.old_name, r.new_name) for r in rows]


def confirm(store: Store, rid: str, old_name: str, new_name: str, user: str) -> None:
    """Remember that ``old_name`` is ``new_name`` in ``rid``'s series (for this and later versions)."""
    info = series_info(store.engine, rid)
    if info is None:
        raise BadUpload("找不到该清单")
    old_name, new_name = old_name.strip()[:500], new_name.strip()[:500]
    if not old_name or not new_name:
        raise BadUpload("请给出原名称和新名称")
    with store.begin() as conn:
        conn.execute(
            insert(confirmations_t).values(
                series_id=info["series_id"],
                old_name=old_name,
                new_name=new_name,
                confirmed_by=user,
                confirmed_at=now_iso(),
            )
        )
    _CACHE.clear()


# -- a version as a table --------------------------------------------------------------------------
_CACHE: OrderedDict[Any, Any] = OrderedDict()
_LOCK = threading.Lock()


def _cached(key: Any, make: Any) -> Any:
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = make()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > 32:
            _CACHE.popitem(last=False)
    return value


_PROPS = (
    "owner",
    "address",
    "planned_start",
    "actual_start",
    "planned_end",
    "progress_text",
    "annual_plan_cny",
    "completed_cny",
    "investment_text",
)


def frame(store: Store, rid: str) -> Any:
    """The stored projects of a version as a GeoDataFrame (points at each project's site)."""

    def make() -> Any:
        import geopandas as gpd
        import numpy as np
        import shapely

        rows = store.register_projects(rid)
        props = [json.loads(r["properties_json"] or "{}") for r in rows]
        data: dict[str, Any] = {
            "row": [r["row"] for r in rows],
            "id": [r["project_id"] for r in rows],
            "name": [r["name"] or "" for r in rows],
            "category": [r["category"] for r in rows],
            "status": [r["status"] for r in rows],
            "investment_cny": np.array(
                [np.nan if r["investment_cny"] is None else r["investment_cny"] for r in rows], dtype=float
            ),
            "zone_id": [r["zone_id"] for r in rows],
            "jiedao": [r["jiedao"] for r in rows],
            "lon": [r["lon"] for r in rows],
            "lat": [r["lat"] for r in rows],
        }
        for k in _PROPS:
            data[k] = [p.get(k) for p in props]
        for k in ("annual_plan_cny", "completed_cny"):
            data[k] = np.array([np.nan if v is None else float(v) for v in data[k]], dtype=float)
        pts = shapely.points(np.array(data["lon"], dtype=float), np.array(data["lat"], dtype=float))
        return gpd.GeoDataFrame(data, geometry=pts, crs="EPSG:4326")

    return _cached(("frame", rid), make)


def with_warnings(store: Store, rid: str) -> Any:
    """The version's projects with each one's warning on the version's date."""

    def make() -> Any:
        from hepinggis.monitor.progress import progress_warnings

        info = series_info(store.engine, rid)
        assert info is not None
        f = frame(store, rid).copy()
        w = progress_warnings(f, info["as_of"])
        for c in w.columns:
            f[c] = w[c].to_numpy()
        return f

    return _cached(("warn", rid), make)


# -- changes ---------------------------------------------------------------------------------------
def _refused(reg: dict[str, Any]) -> Any:
    import pandas as pd

    lines = [r for r in json.loads(reg["report_json"]) if r.get("outcome") == "rejected"]
    return pd.DataFrame(lines) if lines else None


def compare(store: Store, old: dict[str, Any], new: dict[str, Any]) -> Any:
    """`compare_registers` of two stored versions (with the series' confirmations), cached."""
    info = series_info(store.engine, new["id"])
    assert info is not None
    confirmed = tuple(confirmations(store, info["series_id"]))

    def make() -> Any:
        from hepinggis.monitor.changes import compare_registers

        return compare_registers(
            frame(store, old["id"]), frame(store, new["id"]), refused=_refused(new), confirmed=confirmed
        )

    return _cached(("compare", old["id"], new["id"], confirmed), make)


def _jsonable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import math

    out = []
    for r in records:
        rec: dict[str, Any] = {}
        for k, v in r.items():
            if v is None or (isinstance(v, float) and math.isnan(v)):
                rec[k] = None
            elif hasattr(v, "item"):
                rec[k] = v.item()
            elif type(v).__name__ == "NAType":
                rec[k] = None
            else:
                rec[k] = v
        out.append(rec)
    return out


def version_changes(store: Store, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``{"counts", "counts_zh", "items", "ambiguous", "old", "new"}`` between two versions
    (``items`` is also given as ``changes`` for the pages written before series)."""
    from hepinggis.monitor.changes import CHANGES_ZH

    if old is None:
        return {
            "old": None,
            "new": new["id"],
            "counts": {},
            "counts_zh": {},
            "items": [],
            "changes": [],
            "ambiguous": [],
        }
    table = compare(store, old, new)
    items = _jsonable(table.astype(object).where(table.notna(), None).to_dict("records"))
    counts = {code: int((table["change"] == code).sum()) for code in CHANGES_ZH if (table["change"] == code).any()}
    old_info = series_info(store.engine, old["id"]) or {}
    new_info = series_info(store.engine, new["id"]) or {}
    return {
        "old": {
            "id": old["id"],
            "file_name": old["file_name"],
            "uploaded_at": old["uploaded_at"],
            "version": old_info.get("version"),
            "as_of": old_info.get("as_of"),
        },
        "new": new["id"],
        "new_version": new_info.get("version"),
        "counts": counts,
        "counts_zh": {CHANGES_ZH[k]: v for k, v in counts.items()},
        "items": items,
        "changes": items,
        "ambiguous": _jsonable(table.attrs.get("ambiguous", [])),
    }


# -- a project's history ---------------------------------------------------------------------------
def history(store: Store, rid: str, row: int) -> dict[str, Any] | None:
    """The project at Excel row ``row`` of version ``rid`` in every version of its series (by
    identity: each neighbouring pair of versions is matched), oldest first."""
    from hepinggis.monitor.changes import compare_registers  # noqa: F401  (the same matching)

    vs = versions(store, rid)
    ids = [v["id"] for v in vs]
    k0 = ids.index(rid)
    here = with_warnings(store, rid)
    hit = here.index[here["row"] == row]
    if not len(hit):
        return None
    positions: dict[int, int] = {k0: int(hit[0])}
    info = series_info(store.engine, rid)
    assert info is not None
    confirmed = tuple(confirmations(store, info["series_id"]))

    def pairs(a: str, b: str) -> dict[int, int]:
        def make() -> dict[int, int]:
            from hepinggis.analysis.identity import match_projects

            m = match_projects(frame(store, a), frame(store, b), confirmed=confirmed)
            return {int(o): int(n) for o, n in zip(m["old"], m["new"], strict=True)}

        return _cached(("pairs", a, b, confirmed), make)

    # walk out from this version both ways; a version that does not list the project (refused
    # that month, say) is skipped: the next one is matched against the last that listed it
    last = k0
    for t in range(k0 + 1, len(ids)):
        nxt = pairs(ids[last], ids[t]).get(positions[last])
        if nxt is not None:
            positions[t], last = nxt, t
    last = k0
    for t in range(k0 - 1, -1, -1):
        back = {n: o for o, n in pairs(ids[t], ids[last]).items()}.get(positions[last])
        if back is not None:
            positions[t], last = back, t
    rows = []
    for kk, v in enumerate(vs):
        if kk not in positions:
            rows.append({"version": v["version"], "register_id": v["id"], "as_of": v["as_of"], "listed": False})
            continue
        f = with_warnings(store, v["id"])
        rec = f.drop(columns=[f.geometry.name]).iloc[positions[kk]].to_dict()
        rows.append({"version": v["version"], "register_id": v["id"], "as_of": v["as_of"], "listed": True, **rec})
    return {"register_id": rid, "row": row, "versions": _jsonable(rows)}


# -- the filter ------------------------------------------------------------------------------------
@dataclass
class ProjectFilter:
    """What the filter panel and the export URLs take (every field optional)."""

    zone: str | None = None
    jiedao: str | None = None
    category: str | None = None
    status: str | None = None
    warning: str | None = None
    min_yuan: float | None = None
    max_yuan: float | None = None
    q: str | None = None

    def active(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in self.active().items()})


_WORDS = {
    "zone": "功能区",
    "jiedao": "街道",
    "category": "类别",
    "status": "状态",
    "warning": "预警",
    "min_yuan": "投资不低于",
    "max_yuan": "投资不高于",
    "q": "名称含",
}
_WARNING_NAMES = {"overdue": "逾期", "lagging": "滞后", "normal": "正常", "unknown": "无法判断"}


def _yuan_words(v: float) -> str:
    return f"{v / 1e8:,.4g} 亿元" if v >= 1e7 else f"{v:,.0f} 元"


def _area(value: str, table: list[dict[str, Any]], what: str) -> tuple[str, str]:
    """(id, name) of a zone or 街道 given by its id or its Chinese name."""
    text = unicodedata.normalize("NFKC", value).strip()
    for a in table:
        if text in (str(a["id"]), unicodedata.normalize("NFKC", str(a["name"]))):
            return str(a["id"]), str(a["name"])
    starts = [a for a in table if text and unicodedata.normalize("NFKC", str(a["name"])).startswith(text)]
    if len(starts) == 1:  # the short name a meeting uses (满融 for 满融国际化生态科技示范区)
        return str(starts[0]["id"]), str(starts[0]["name"])
    names = "、".join(str(a["name"]) for a in table)
    raise BadUpload(f"没有这个{what}：“{value[:50]}”（可选：{names}）")


def _norm(text: Any) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).lower().strip()


def filtered(store: Store, reg: dict[str, Any], flt: ProjectFilter) -> tuple[Any, list[str]]:
    """The version's projects (with warnings) that pass ``flt``, and the filter in Chinese words."""
    import numpy as np

    f = with_warnings(store, reg["id"])
    keep = np.ones(len(f), dtype=bool)
    words: list[str] = []
    if flt.zone:
        zid, name = _area(flt.zone, json.loads(reg["per_zone_json"]), "功能区")
        keep &= (f["zone_id"] == zid).to_numpy()
        words.append(f"功能区：{name}")
    if flt.jiedao:
        _jid, name = _area(flt.jiedao, json.loads(reg["per_jiedao_json"]), "街道")
        keep &= (f["jiedao"] == name).to_numpy()
        words.append(f"街道：{name}")
    for key in ("category", "status"):
        value = getattr(flt, key)
        if value:
            wanted = {_norm(v) for v in str(value).split(",") if v.strip()}
            keep &= f[key].map(_norm).isin(wanted).to_numpy()
            words.append(f"{_WORDS[key]}：{'、'.join(v.strip() for v in str(value).split(',') if v.strip())}")
    if flt.warning:
        wanted_w = {_WARNING_NAMES.get(v.strip(), v.strip()) for v in flt.warning.split(",") if v.strip()}
        bad = wanted_w - set(_WARNING_NAMES.values())
        if bad:
            raise BadUpload(f"预警只能是 {'、'.join(_WARNING_NAMES.values())}")
        keep &= f["warning"].isin(wanted_w).to_numpy()
        words.append(f"预警：{'、'.join(sorted(wanted_w))}")
    inv = f["investment_cny"].to_numpy(dtype=float)
    if flt.min_yuan is not None:
        keep &= np.nan_to_num(inv, nan=-np.inf) >= flt.min_yuan
        words.append(f"投资不低于 {_yuan_words(flt.min_yuan)}")
    if flt.max_yuan is not None:
        keep &= np.nan_to_num(inv, nan=np.inf) <= flt.max_yuan
        words.append(f"投资不高于 {_yuan_words(flt.max_yuan)}")
    if flt.q:
        needle = _norm(flt.q)
        hay = (
            f["name"].map(_norm)
            + "|"
            + f["id"].map(_norm)
            + "|"
            + f["owner"].map(_norm)
            + "|"
            + f["address"].map(_norm)
        )
        keep &= hay.str.contains(needle, regex=False).to_numpy()
        words.append(f"名称、编号或单位含“{flt.q.strip()}”")
    return f[keep], words


def per_area(sub: Any, reg: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Projects, investment and warnings per zone and per 街道 of a (filtered) table."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, table, col, match_on in (
        ("zones", json.loads(reg["per_zone_json"]), "zone_id", "id"),
        ("jiedao", json.loads(reg["per_jiedao_json"]), "jiedao", "name"),
    ):
        rows = []
        for a in table:
            part = sub[sub[col] == a[match_on]]
            counts = part["warning"].value_counts()
            rows.append(
                {
                    "id": a["id"],
                    "name": a["name"],
                    "projects": len(part),
                    "investment_cny": float(part["investment_cny"].sum(min_count=1) or 0) if len(part) else 0.0,
                    **{w: int(counts.get(w, 0)) for w in ("逾期", "滞后", "正常", "无法判断")},
                }
            )
        out[key] = rows
    return out
