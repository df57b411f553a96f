"""The plan's monitoring targets (indicators.json) as a validated table, and each target in
words: the one module that the reader of yearly figures (`hepinggis.monitor._read_actuals`), the
entry template (`hepinggis.monitor.indicators`) and the judgement (`hepinggis.monitor.evaluate`)
all use, so that none of them imports another in a loop."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from hepinggis._paths import data_dir
from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.errors import LayerSchemaError

__all__ = [
    "KINDS",
    "TARGET_NAMES_ZH",
    "coverage",
    "indicator_record",
    "indicators",
    "known_figures",
    "not_monitored",
    "references",
    "target_name",
    "target_words",
]

KINDS = (
    "count_at_least",
    "share_at_least",
    "share_at_most",
    "annual_growth_at_least",
    "multiple_of_base",
    "above_reference",
    "qualitative",
)


TARGET_NAMES_ZH = {
    "district": "和平区（全区）",
    "nanjingjie_axis": "南京街发展轴",
    "sanhaojie_axis": "三好街—长白北路—领事馆路发展轴",
    "hunhe_belt": "浑河文体旅生态发展带",
}


def target_name(target_id: str, zones: pd.DataFrame | None = None) -> str:
    """The Chinese name of a zone, axis, belt or the district."""
    if zones is not None:
        for zid, name in zip(zones["id"], zones["name_zh"], strict=True):  # a handful of rows: no index built
            if zid == target_id:
                return str(name)
    return TARGET_NAMES_ZH.get(target_id, ZONE_SHORT_ZH.get(target_id, target_id))


def indicators(path: Path | None = None) -> pd.DataFrame:
    """The plan's targets, one row each, validated (unique ids, known kinds, numeric targets).

    Parameters
    ----------
    path : Path, optional
        An indicators file in the form of the bundled ``geodata/src/indicators.json`` (the default).

    Returns
    -------
    pandas.DataFrame
        One row per indicator: ``id``, ``target_id`` (a zone id or ``district``), ``indicator_zh``,
        ``unit``, ``kind``, ``target``, ``target_year``, ``base_year``, ``base_value``, ``quote``
        (the plan's own sentence) and the reading rules of its figures; a copy the caller may change.

    Examples
    --------
    >>> table = indicators()
    >>> int((table["kind"] != "qualitative").sum()), int((table["kind"] == "qualitative").sum())
    (70, 13)
    >>> int(((table["target_id"] == "district") & (table["kind"] != "qualitative")).sum())
    48
    """
    return _loaded(*_source(path))[0].copy()  # a copy: callers may change theirs


def indicator_record(indicator_id: str, path: Path | None = None) -> dict[str, Any]:
    """One indicator's row as a dict (a copy), without building a table: the pages of a package
    ask for each indicator several times, and `indicators` copies the whole table each time.

    Examples
    --------
    >>> indicator_record("sanhaojie_high_tech_firms")["unit"]
    '家'
    """
    return dict(_records(*_source(path))[indicator_id])


@functools.lru_cache(maxsize=4)
def _records(path: str, mtime_ns: int) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): {str(k): v for k, v in r.items()} for r in _loaded(path, mtime_ns)[0].to_dict("records")}


def _source(path: Path | None) -> tuple[str, int]:
    path = path or _bundled()
    return str(path), path.stat().st_mtime_ns


@functools.cache
def _bundled() -> Path:
    """The bundled indicators file (finding the data folder resolves paths: once is enough)."""
    return data_dir() / "src" / "indicators.json"


def references(path: Path | None = None) -> pd.DataFrame:
    """The figures a relative target is compared with (全市地区生产总值增速): entered like an
    indicator's, never judged themselves."""
    return _loaded(*_source(path))[1].copy()


def known_figures(path: Path | None = None) -> pd.DataFrame:
    """Every id a figure may be entered for: the indicators and the reference figures, by id."""
    table, refs, _ = _loaded(*_source(path))
    return pd.concat([table, refs], ignore_index=True).set_index("id")


def not_monitored(path: Path | None = None) -> list[dict[str, str]]:
    """The plan's sentences with a number that are not monitored, each with its reason."""
    return [dict(x) for x in _loaded(*_source(path))[2]["not_monitored"]]


def coverage(path: Path | None = None) -> str:
    """Which chapters' targets are monitored, in the bureau's words."""
    return str(_loaded(*_source(path))[2]["coverage"])


@functools.lru_cache(maxsize=4)
def _loaded(path: str, mtime_ns: int) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The validated table of ``path``, the reference figures and the rest of the file (read
    once per file version: every page asks for it)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    table = pd.DataFrame(data["indicators"])
    for flag in ("every_year", "strict"):
        table[flag] = table[flag].fillna(False).astype(bool) if flag in table else False
    if "reference_id" not in table:
        table["reference_id"] = None
    dup = table["id"][table["id"].duplicated()].tolist()
    if dup:
        raise LayerSchemaError(f"indicators: id {dup[0]!r} is used twice")
    bad = sorted(set(table["kind"]) - set(KINDS))
    if bad:
        raise LayerSchemaError(f"indicators: unknown kind(s) {', '.join(bad)}; kinds: {', '.join(KINDS)}")
    quantitative = table["kind"] != "qualitative"
    if table.loc[quantitative, "target"].isna().any():
        raise LayerSchemaError("indicators: a quantitative indicator has no target value")
    refs = pd.DataFrame(data.get("references", []), columns=["id", "indicator_zh", "unit", "plausible_max", "note"])
    refs = refs.assign(kind="reference", target_id="reference", basis=None, entry=None, quote="")
    ids = set(table["id"]) | set(refs["id"])
    for rec in table[table["kind"] == "above_reference"].to_dict("records"):
        if rec["reference_id"] not in ids:
            raise LayerSchemaError(f"indicators: {rec['id']} compares with unknown {rec['reference_id']!r}")
    rest = {"not_monitored": data.get("not_monitored", []), "coverage": data.get("coverage", "")}
    return table, refs, rest


def _num(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) < 1000 else f"{x:,.0f}"


def target_words(ind: dict[str, Any], base: object) -> str:
    """The plan's target in words with its unit, and the absolute figure where the plan gives a
    rate or a multiple and the base is known (``年均增长 ≥ 5%（2025年需达 127.63亿元）``)."""
    kind, unit = str(ind["kind"]), ind["unit"] if isinstance(ind["unit"], str) else ""
    if kind == "qualitative":
        return "定性目标（文字表述，不设数值）"
    target, end = float(ind["target"]), int(ind["target_year"])
    base_ok = isinstance(base, (int, float)) and math.isfinite(float(base)) and float(base) > 0
    every = bool(ind.get("every_year"))
    if kind == "above_reference":
        return "每年高于比较对象（相等不算高于）"
    if kind == "share_at_least":
        return f"每年 ≥ {_num(target)}%（保持）" if every else f"{end}年 ≥ {_num(target)}%"
    if kind == "share_at_most":
        return f"每年 ≤ {_num(target)}%" if every else f"{end}年 ≤ {_num(target)}%"
    if kind == "count_at_least":
        if ind["basis"] == "per_year":
            word = "每年" if ind.get("per_year_rule") == "each" else "年均"
            return f"{word} ≥ {_num(target)}{unit}"
        if ind["basis"] == "cumulative":
            return f"2021–{end}年累计 ≥ {_num(target)}{unit}"
        if ind.get("strict"):
            return f"{end}年 > {_num(target)}{unit}（突破）"
        return f"{end}年 ≥ {_num(target)}{unit}"
    years = end - int(ind["base_year"])
    if kind == "annual_growth_at_least":
        span = (
            f"（规划区间 {_num(target)}%–{_num(float(ind['target_max']))}%）" if pd.notna(ind.get("target_max")) else ""
        )
        need = f"；{end}年需达 {_num(float(base) * (1 + target / 100) ** years)}{unit}" if base_ok else ""  # type: ignore[arg-type]
        return f"年均增长 ≥ {_num(target)}%{span}{need}"
    need = f"；{end}年需达 {_num(float(base) * target)}{unit}" if base_ok else ""  # type: ignore[arg-type]
    return f"{end}年为{int(ind['base_year'])}年的 {_num(target)} 倍{need}"
