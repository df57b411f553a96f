"""Registers as series of versions: which register a new upload continues, the versions of a
series, the changes between any two versions by identity, the clerk's confirmations of ambiguous
pairs.

A version as a table (cached) is `_frames`'s, a project's history (一项目一档) `_history`'s, the
filter of the list `_filter`'s.

The series columns of ``registers`` (migration s0004) and the confirmations table are described
here, not in `_schema`, so that the import job and the pages read them through this module only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

from sqlalchemy import Column, Connection, Float, Integer, MetaData, String, Table, Text, func, insert, select, update

from hepinggis.errors import BadUpload
from hepinggis.web.registers._frames import _cached, frame
from hepinggis.web.store._store import Store, now_iso

__all__ = [
    "compare",
    "confirm",
    "confirmations",
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
    Column("units_json", Text),  # migration s0008: the unit each amount column was typed in
)
#: Pairs a clerk confirmed within a series, used for every later comparison: each side by its
#: project's identity (migration s0008: the file's id, else the normalised name and the site; rows
#: confirmed before keep only their names).
confirmations_t = Table(
    "identity_confirmations",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series_id", String(32), nullable=False, index=True),
    Column("old_name", Text, nullable=False),
    Column("new_name", Text, nullable=False),
    Column("confirmed_by", Text, nullable=False),
    Column("confirmed_at", String(32), nullable=False),
    *(
        Column(f"{side}_{name}", kind)
        for side in ("old", "new")
        for name, kind in (("file_id", Text), ("key", Text), ("lon", Float), ("lat", Float))
    ),
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
    conn: Connection,
    rid: str,
    *,
    replaces: str | None,
    as_of: str | None,
    merged_into: str | None = None,
    units: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Give the register ``rid`` (just inserted, in the same transaction) its place in a series:
    the next version of ``replaces``'s series, or version 1 of its own; ``units`` (`typed_units`)
    is kept with it."""
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
    stored = {"units_json": json.dumps(units, ensure_ascii=False)} if units is not None else {}
    conn.execute(update(series_t).where(series_t.c.id == rid).values(**values, **stored))
    return values


#: The amount columns of a stored version and the column roles they were read from.
AMOUNT_ROLES = {
    "investment_cny": "investment",
    "annual_plan_cny": "annual_plan",
    "completed_cny": "completed_investment",
}
#: 元 per unit, for the units amounts are typed in.
UNIT_FACTORS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "亿元": 1e8}


def typed_units(result: Any) -> dict[str, str]:
    """The unit each amount column of an import was typed in (``{"investment_cny": "万元", …}``;
    ``未注明`` where the sheet stated none: the figures were kept as typed)."""
    out = {}
    for column, role in AMOUNT_ROLES.items():
        header = result.columns.get(role)
        unit = result.units.get(header) if header else None
        if unit is not None:
            out[column] = unit.name
    return out


def register_units(store: Store, rid: str) -> dict[str, str]:
    """The unit each amount column of a stored version was typed in: as recorded at import; for
    a version imported before units were recorded, the unit its header states, else 元."""
    from hepinggis.io._money import header_unit

    info = series_info(store.engine, rid) or {}
    try:
        recorded = json.loads(info.get("units_json") or "{}")
    except json.JSONDecodeError:
        recorded = {}
    out = {}
    try:
        columns = json.loads(info.get("columns_json") or "{}")
    except json.JSONDecodeError:
        columns = {}
    names = {f: u for u, f in UNIT_FACTORS.items()}
    for column, role in AMOUNT_ROLES.items():
        stated = header_unit(columns[role]) if columns.get(role) else None
        out[column] = str(recorded.get(column) or names.get(stated or 1.0, "元"))
    return out


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
            rec.pop("units_json", None)
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
def confirmations(store: Store, series_id: str) -> list[Any]:
    """The series' confirmations (`hepinggis.analysis.identity.Confirmation`), oldest first."""
    from hepinggis.analysis.identity import Confirmation

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(confirmations_t).where(confirmations_t.c.series_id == series_id).order_by(confirmations_t.c.id)
        )
        out = []
        for r in rows:
            if r.old_key is None and r.new_key is None and not r.old_file_id and not r.new_file_id:
                out.append(Confirmation.of_names(r.old_name, r.new_name))  # confirmed before identities
                continue
            out.append(
                Confirmation(
                    r.old_name,
                    r.new_name,
                    old_id=r.old_file_id or "",
                    new_id=r.new_file_id or "",
                    old_key=r.old_key or "",
                    new_key=r.new_key or "",
                    old_site=None if r.old_lon is None else (r.old_lon, r.old_lat),
                    new_site=None if r.new_lon is None else (r.new_lon, r.new_lat),
                )
            )
        return out


def _position(frame: Any, row: int | None, name: str | None, what: str) -> int:
    """The position in ``frame`` of Excel row ``row``, else of the one project named ``name``."""
    from hepinggis.analysis.identity import normalise_name

    if row is not None:
        hit = frame.index[frame["row"] == row]
        if not len(hit):
            raise BadUpload(f"{what}中没有第 {row} 行的项目")
        return int(frame.index.get_loc(hit[0]))
    key = normalise_name(name)
    hits = [k for k, n in enumerate(frame["name"].tolist()) if key and normalise_name(n) == key]
    if len(hits) != 1:
        raise BadUpload(f"{what}中{'没有' if not hits else '有不止一个'}名为“{(name or '')[:50]}”的项目，请按行确认")
    return hits[0]


def confirm(
    store: Store,
    rid: str,
    user: str,
    *,
    against: str | None = None,
    old_row: int | None = None,
    new_row: int | None = None,
    old_name: str | None = None,
    new_name: str | None = None,
) -> dict[str, Any]:
    """Remember that a project of the version ``against`` (default: the version before ``rid``) is
    a project of ``rid``, for this and every later comparison in the series. Each side is given by
    its Excel row (or its name, where one project has it) and kept by its identity: the file's id,
    else its normalised name and site (`identity.confirmation`), so a later rename keeps it."""
    from hepinggis.analysis.identity import confirmation

    info = series_info(store.engine, rid)
    if info is None:
        raise BadUpload("找不到该清单")
    old_name, new_name = (old_name or "").strip()[:500] or None, (new_name or "").strip()[:500] or None
    if (old_row is None and not old_name) or (new_row is None and not new_name):
        raise BadUpload("请给出原版本和新版本中的项目（行号或名称）")
    old_id = against or previous_version(store, rid)
    if old_id is None or series_info(store.engine, old_id) is None:
        raise BadUpload("没有可对照的上一版本")
    old_f, new_f = frame(store, old_id), frame(store, rid)
    i = _position(old_f, old_row, old_name, "原版本")
    j = _position(new_f, new_row, new_name, "新版本")
    c = confirmation(old_f, i, new_f, j)
    with store.begin() as conn:
        conn.execute(
            insert(confirmations_t).values(
                series_id=info["series_id"],
                old_name=c.old_name,
                new_name=c.new_name,
                confirmed_by=user,
                confirmed_at=now_iso(),
                old_file_id=c.old_id or None,
                new_file_id=c.new_id or None,
                old_key=c.old_key,
                new_key=c.new_key,
                old_lon=None if c.old_site is None else c.old_site[0],
                old_lat=None if c.old_site is None else c.old_site[1],
                new_lon=None if c.new_site is None else c.new_site[0],
                new_lat=None if c.new_site is None else c.new_site[1],
            )
        )
    # nothing cached to drop: comparisons are cached under the series' confirmations
    return {
        "old": {"row": int(old_f["row"].iloc[i]), "name": c.old_name, "id": c.old_id or None},
        "new": {"row": int(new_f["row"].iloc[j]), "name": c.new_name, "id": c.new_id or None},
        "confirmed": [c.old_name, c.new_name],
    }


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
