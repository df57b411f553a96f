"""How far each zone is from its 2025 targets (规划实施监测评估): per indicator and per zone."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .indicators import ActualsResult, indicators

__all__ = ["BEHIND_RATIO", "STATUSES", "evaluate", "zone_summary"]

STATUSES = ("on_track", "behind", "at_risk", "no_data", "qualitative")
#: Below the required trajectory but with at least this share of the required progress: "behind".
BEHIND_RATIO = 0.8


class _Indicator:
    """One row of `indicators` with typed attributes."""

    def __init__(self, rec: dict[str, Any]) -> None:
        self.id = str(rec["id"])
        self.target_id = str(rec["target_id"])
        self.indicator_zh = str(rec["indicator_zh"])
        self.kind = str(rec["kind"])
        self.unit = rec["unit"]
        self.basis: str | None = None if rec["basis"] is None or pd.isna(rec["basis"]) else str(rec["basis"])
        self.target = rec["target"]
        self.target_year = int(rec["target_year"])
        self.base_year = rec["base_year"]
        self.base_value = rec["base_value"]


def _values(actuals: ActualsResult | pd.DataFrame) -> pd.DataFrame:
    frame = actuals.values if isinstance(actuals, ActualsResult) else actuals
    missing = {"indicator_id", "year", "value"} - set(frame.columns)
    if missing:
        raise ValueError(f"actuals: missing column(s) {', '.join(sorted(missing))}")
    return frame


def _required(
    kind: str, basis: str | None, target: float, base: float | None, base_year: int, year: int, end: int
) -> float:
    """The value the plan's trajectory requires by ``year`` (see `evaluate`)."""
    t = min(max((year - base_year) / (end - base_year), 0.0), 1.0)
    if kind == "count_at_least" and basis == "per_year":
        return target
    if kind in ("count_at_least", "share_at_least"):
        return target if base is None else base + (target - base) * t
    if base is None:
        return math.nan
    if kind == "annual_growth_at_least":
        return base * (1 + target / 100) ** (year - base_year)
    if kind == "multiple_of_base":
        return base * target**t
    raise ValueError(kind)


def _ratio(kind: str, basis: str | None, value: float, required: float, base: float | None) -> float:
    """Share of the progress required by now that was achieved (1 = on the trajectory)."""
    if (kind == "count_at_least" and basis == "per_year") or base is None:
        return value / required if required else math.inf
    if kind in ("annual_growth_at_least", "multiple_of_base"):
        if base <= 0 or value <= 0:
            return -math.inf if value < base else math.inf
        need = math.log(required / base)
        return math.log(value / base) / need if need > 0 else (math.inf if value >= base else -math.inf)
    need = required - base
    return (value - base) / need if need > 0 else (math.inf if value >= base else -math.inf)


def evaluate(actuals: ActualsResult | pd.DataFrame, *, year: int | None = None) -> pd.DataFrame:
    """Evaluate every indicator against the plan's trajectory to 2025.

    Rules (per indicator; ``year`` defaults to the latest year with any figure):

    * **latest**: the figure for the latest year ≤ ``year`` that has one (for cumulative counts:
      the sum of the yearly additions from 2021 to that year; for per-year counts: the average of
      the years reported);
    * **required**: what the trajectory asks by that year — linear from the base to the target
      for counts and shares (the base is the stated base value, else the base-year figure; without
      one the 2025 target itself), compound ``base × (1+g)^(y−base_year)`` for annual growth, and
      ``base × m^((y−base_year)/(2025−base_year))`` for a multiple of the base; a per-year count
      requires its target every year;
    * **progress_pct**: the way from the base to the 2025 target covered (log scale for growth and
      multiples; value / target where there is no base);
    * **status**: ``on_track`` when latest ≥ required; ``behind`` when at least `BEHIND_RATIO`
      (80 %) of the progress required by now was made; ``at_risk`` below that; ``no_data`` when
      there is no figure (or no base-year figure where the kind needs one: growth, multiples);
      ``qualitative`` for targets stated in words.

    Returns one row per indicator, in the order of `hepinggis.indicators`.

    Examples
    --------
    >>> import pandas as pd
    >>> figures = pd.DataFrame({"indicator_id": ["sanhaojie_high_tech_firms"] * 2,
    ...                         "year": [2020, 2022], "value": [40.0, 64.0]})
    >>> r = evaluate(figures).set_index("indicator_id").loc["sanhaojie_high_tech_firms"]
    >>> float(r["required"]), r["status"]
    (64.0, 'on_track')
    """
    table = indicators()
    values = _values(actuals)
    latest_year = int(values["year"].max()) if len(values) else None
    when = year if year is not None else latest_year
    rows = []
    for rec in table.to_dict("records"):
        ind = _Indicator({str(k): v for k, v in rec.items()})
        base_row: dict[str, object] = {
            "indicator_id": ind.id,
            "target_id": ind.target_id,
            "indicator_zh": ind.indicator_zh,
            "kind": ind.kind,
            "unit": ind.unit,
            "target": ind.target,
            "year": when,
            "latest_year": None,
            "latest": np.nan,
            "base": np.nan,
            "required": np.nan,
            "progress_pct": np.nan,
            "status": "qualitative" if ind.kind == "qualitative" else "no_data",
            "note": "",
        }
        if ind.kind == "qualitative" or when is None:
            rows.append(base_row)
            continue
        mine = values[(values["indicator_id"] == ind.id) & (values["year"] <= when)].sort_values("year")
        base_year = int(ind.base_year) if ind.base_year is not None and not pd.isna(ind.base_year) else 2020
        at_base = mine[mine["year"] == base_year]
        base: float | None
        if ind.base_value is not None and not pd.isna(ind.base_value):
            base = float(ind.base_value)
        elif len(at_base):
            base = float(at_base["value"].iloc[0])
        else:
            base = None
        after = mine[mine["year"] > base_year]
        if ind.kind == "count_at_least" and ind.basis == "cumulative":
            reported = after
            latest = float(reported["value"].sum()) if len(reported) else math.nan
        elif ind.kind == "count_at_least" and ind.basis == "per_year":
            reported = after
            latest = float(reported["value"].mean()) if len(reported) else math.nan
        else:
            reported = mine
            latest = float(mine["value"].iloc[-1]) if len(mine) else math.nan
        notes = [str(n) for n in mine.get("note", pd.Series(dtype=str)) if isinstance(n, str) and n]
        note = "; ".join(dict.fromkeys(notes))  # each distinct note once, in year order
        base_row["note"] = note
        if not len(reported) or math.isnan(latest):
            rows.append(base_row)
            continue
        last_year = int(reported["year"].iloc[-1])
        needs_base = ind.kind in ("annual_growth_at_least", "multiple_of_base")
        base_row.update({"latest_year": last_year, "latest": latest, "base": np.nan if base is None else base})
        if needs_base and base is None:
            base_row["note"] = (note + "; " if note else "") + f"缺少{base_year}年基数"
            rows.append(base_row)
            continue
        end = int(ind.target_year)
        required = _required(ind.kind, ind.basis, float(ind.target), base, base_year, last_year, end)
        final = _required(ind.kind, ind.basis, float(ind.target), base, base_year, end, end)
        if (ind.kind == "count_at_least" and ind.basis == "per_year") or base is None:
            progress = latest / final * 100 if final else math.nan
        elif needs_base:
            progress = (
                math.log(latest / base) / math.log(final / base) * 100
                if latest > 0 and base > 0 and final != base
                else math.nan
            )
        else:
            progress = (latest - base) / (final - base) * 100 if final != base else math.nan
        ratio = _ratio(ind.kind, ind.basis, latest, required, base)
        status = "on_track" if latest >= required or ratio >= 1 else "behind" if ratio >= BEHIND_RATIO else "at_risk"
        base_row.update({"required": required, "progress_pct": progress, "status": status})
        rows.append(base_row)
    return pd.DataFrame(rows)


def zone_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per zone (axis, belt): how many indicators have each status, and the share on track among
    those with data.

    Examples
    --------
    >>> import pandas as pd
    >>> s = zone_summary(evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"])))
    >>> int(s.loc["manrong", "qualitative"])
    2
    """
    counts = results.pivot_table(
        index="target_id", columns="status", values="indicator_id", aggfunc="count", fill_value=0
    )
    for status in STATUSES:
        if status not in counts.columns:
            counts[status] = 0
    counts = counts[list(STATUSES)]
    judged = counts[["on_track", "behind", "at_risk"]].sum(axis=1)
    counts["on_track_pct"] = (counts["on_track"] / judged.where(judged > 0) * 100).round(1)
    order = list(dict.fromkeys(indicators()["target_id"]))
    return counts.reindex(order).rename_axis("target_id")
