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
from hepinggis.errors import LayerSchemaError

__all__ = ["KINDS", "indicators", "target_words"]

KINDS = (
    "count_at_least",
    "share_at_least",
    "share_at_most",
    "annual_growth_at_least",
    "multiple_of_base",
    "qualitative",
)


def indicators(path: Path | None = None) -> pd.DataFrame:
    """The plan's targets, one row each, validated (unique ids, known kinds, numeric targets).

    Examples
    --------
    >>> table = indicators()
    >>> int((table["kind"] != "qualitative").sum()), int((table["kind"] == "qualitative").sum())
    (51, 9)
    >>> int(((table["target_id"] == "district") & (table["kind"] != "qualitative")).sum())
    29
    """
    path = path or data_dir() / "src" / "indicators.json"
    return _loaded(str(path), path.stat().st_mtime_ns).copy()  # a copy: callers may change theirs


@functools.lru_cache(maxsize=4)
def _loaded(path: str, mtime_ns: int) -> pd.DataFrame:
    """The validated table of ``path`` (read once per file version: every page asks for it)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    table = pd.DataFrame(data["indicators"])
    dup = table["id"][table["id"].duplicated()].tolist()
    if dup:
        raise LayerSchemaError(f"indicators: id {dup[0]!r} is used twice")
    bad = sorted(set(table["kind"]) - set(KINDS))
    if bad:
        raise LayerSchemaError(f"indicators: unknown kind(s) {', '.join(bad)}; kinds: {', '.join(KINDS)}")
    quantitative = table["kind"] != "qualitative"
    if table.loc[quantitative, "target"].isna().any():
        raise LayerSchemaError("indicators: a quantitative indicator has no target value")
    return table


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
    if kind == "share_at_least":
        return f"{end}年 ≥ {_num(target)}%"
    if kind == "share_at_most":
        return f"{end}年 ≤ {_num(target)}%"
    if kind == "count_at_least":
        if ind["basis"] == "per_year":
            word = "每年" if ind.get("per_year_rule") == "each" else "年均"
            return f"{word} ≥ {_num(target)}{unit}"
        if ind["basis"] == "cumulative":
            return f"2021–{end}年累计 ≥ {_num(target)}{unit}"
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
