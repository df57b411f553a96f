"""The filter of a register's list (the filter panel, its exports and the filtered package): the
conditions (`ProjectFilter`), the projects that pass them with the filter in Chinese words
(`filtered`), and the counts per zone and 街道 of what passed (`per_area`)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, fields
from typing import Any

from hepinggis.errors import BadUpload
from hepinggis.web.registers._history import with_warnings
from hepinggis.web.store._store import Store

__all__ = ["ProjectFilter", "filtered", "per_area"]


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
    #: The unit the clerk typed the range in (元, 万元, 亿元): the words say the bounds in it; the
    #: bounds themselves are in 元. Not a condition of its own.
    unit: str | None = None

    def active(self) -> dict[str, Any]:
        """The conditions set (the typed unit is no condition)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "unit" and getattr(self, f.name) not in (None, "")
        }

    def params(self) -> dict[str, Any]:
        """The conditions and, where a range is set, the unit it was typed in (a job's parameters)."""
        out = self.active()
        if self.unit and ("min_yuan" in out or "max_yuan" in out):
            out["unit"] = self.unit
        return out

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


_UNIT_FACTORS = {"元": 1.0, "万元": 1e4, "亿元": 1e8}


def _yuan_words(v: float, unit: str | None = None) -> str:
    """An amount in 元 said in the unit the clerk typed it in (else 亿元 from 1,000 万元 up)."""
    if unit in _UNIT_FACTORS:
        return f"{v / _UNIT_FACTORS[unit]:,.10g} {unit}"
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
        words.append(f"投资不低于 {_yuan_words(flt.min_yuan, flt.unit)}")
    if flt.max_yuan is not None:
        keep &= np.nan_to_num(inv, nan=np.inf) <= flt.max_yuan
        words.append(f"投资不高于 {_yuan_words(flt.max_yuan, flt.unit)}")
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
