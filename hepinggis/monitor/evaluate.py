"""How far each zone (and the district) is from its 2025 targets (规划实施监测评估).

`evaluate` judges every indicator by rules a planning reviewer would sign, and writes the rule it
applied on the row, in words: the trajectory, where the base came from, how the yearly figures
were combined and the year judged. `zone_summary` counts the verdicts per zone over the
indicators that have data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hepinggis.monitor.indicators import ActualsResult, indicators

__all__ = ["BEHIND_RATIO", "GOOD", "JUDGED", "STATUSES", "evaluate", "zone_summary"]

#: Every verdict, best first; `JUDGED` are those resting on figures.
STATUSES = ("achieved_early", "on_track", "behind", "at_risk", "achieved", "missed", "no_data", "qualitative")
JUDGED = ("achieved_early", "on_track", "behind", "at_risk", "achieved", "missed")
#: Verdicts that count as "on track" in a zone's share.
GOOD = ("achieved_early", "on_track", "achieved")
#: Below the required trajectory but with at least this share of the required progress: "behind".
BEHIND_RATIO = 0.8


@dataclass
class _Reading:
    """What the figures of one indicator say by the year judged."""

    latest: float = math.nan
    latest_year: int | None = None
    aggregation: str = ""
    tool_notes: list[str] = field(default_factory=list)


def _values(actuals: ActualsResult | pd.DataFrame) -> pd.DataFrame:
    frame = actuals.values if isinstance(actuals, ActualsResult) else actuals
    missing = {"indicator_id", "year", "value"} - set(frame.columns)
    if missing:
        raise ValueError(f"actuals: missing column(s) {', '.join(sorted(missing))}")
    frame = frame.copy()
    if "entry" not in frame.columns:
        frame["entry"] = None
    frame["year"] = frame["year"].astype(int)
    return frame


def _cumulative(rows: pd.DataFrame, start: int) -> _Reading:
    """The running total to the last year given: the last running total entered, plus the
    additions after it; every year must be there (a missing year is no data, never zero)."""
    last = int(rows["year"].iloc[-1])
    totals = rows[rows["entry"] == "running_total"]
    if len(totals):
        from_year = int(totals["year"].iloc[-1])
        total = float(totals["value"].iloc[-1])
        how = f"{from_year}年填报的累计数"
    else:
        from_year, total, how = start - 1, 0.0, ""
    additions = rows[(rows["year"] > from_year) & (rows["entry"] != "running_total")]
    missing = sorted(set(range(from_year + 1, last + 1)) - set(additions["year"]))
    if missing:
        gaps = "、".join(str(y) for y in missing)
        return _Reading(tool_notes=[f"缺少{gaps}年的数值：累计类指标缺年按无数据处理，不按 0 计"])
    total += float(additions["value"].sum())
    if len(additions):
        span = f"{int(additions['year'].iloc[0])}–{last}年新增数之和"
        how = f"{how} + {span}" if how else span
    return _Reading(total, last, how)


def _read(ind: dict[str, Any], mine: pd.DataFrame, judged: int) -> _Reading:
    base_year = int(ind["base_year"])
    period = mine[(mine["year"] > base_year) & (mine["year"] <= judged)]
    if not len(period):
        note = f"仅有{base_year}年（基期）数值，规划期内尚无数据" if len(mine[mine["year"] == base_year]) else ""
        return _Reading(tool_notes=[note] if note else [])
    last = int(period["year"].iloc[-1])
    if ind["basis"] == "cumulative":
        return _cumulative(period, base_year + 1)
    if ind["basis"] == "per_year":
        n, first = len(period), int(period["year"].iloc[0])
        how = f"{last}年数值" if n == 1 else f"{first}–{last}年中已报{n}年的平均值"
        return _Reading(float(period["value"].mean()), last, how)
    return _Reading(float(period["value"].iloc[-1]), last, f"{last}年数值")


def _base(ind: dict[str, Any], mine: pd.DataFrame) -> tuple[float | None, str]:
    unit = ind["unit"] or ""
    if ind["basis"] in ("per_year", "cumulative"):
        return None, f"不需要（{int(ind['base_year']) + 1}年起计）"
    if ind["base_value"] is not None and not pd.isna(ind["base_value"]):
        return float(ind["base_value"]), f"规划写明（{float(ind['base_value']):g}{unit}）"
    at_base = mine[mine["year"] == int(ind["base_year"])]
    if len(at_base):
        return float(at_base["value"].iloc[0]), f"{int(ind['base_year'])}年填报值"
    return None, f"无（未填{int(ind['base_year'])}年数值）"


def _required(ind: dict[str, Any], base: float | None, year: int) -> tuple[float, str]:
    """What the plan's trajectory asks by ``year`` (capped at the target year), and its name."""
    kind, target = ind["kind"], float(ind["target"])
    base_year, end = int(ind["base_year"]), int(ind["target_year"])
    t = min(max((year - base_year) / (end - base_year), 0.0), 1.0)
    if ind["basis"] == "per_year":
        return target, "每年不低于目标值"
    if ind["basis"] == "cumulative":
        return target * t, f"自{base_year + 1}年起按年线性累计至{end}年目标"
    if kind in ("count_at_least", "share_at_least"):
        if base is None:
            return target, f"无基数：直接与{end}年目标比较"
        if base >= target:
            return target, "基数已达目标：保持不低于目标"
        return base + (target - base) * t, f"自基数线性增至{end}年目标"
    if base is None:
        return math.nan, ""
    if kind == "annual_growth_at_least":
        return base * (1 + target / 100) ** (min(year, end) - base_year), f"按年均增长{target:g}%复合增长"
    return base * target**t, f"按{end - base_year}年{target:g}倍的几何轨迹"


def _share_of_way(ind: dict[str, Any], value: float, need: float, base: float | None) -> float:
    """The part of the way from the base to ``need`` covered by ``value`` (1 = all of it)."""
    if base is None or ind["basis"] in ("per_year", "cumulative") or base >= need:
        return value / need if need else math.inf
    if ind["kind"] in ("annual_growth_at_least", "multiple_of_base"):
        if base <= 0 or value <= 0:
            return -math.inf if value < base else math.inf
        return math.log(value / base) / math.log(need / base)
    return (value - base) / (need - base)


def _status(ind: dict[str, Any], latest: float, year: int, required: float, final: float, base: float | None) -> str:
    if year >= int(ind["target_year"]):
        return "achieved" if latest >= final else "missed"
    if latest >= final and ind["basis"] != "per_year":
        return "achieved_early"
    if latest >= required:
        return "on_track"
    return "behind" if _share_of_way(ind, latest, required, base) >= BEHIND_RATIO else "at_risk"


def _later(ind: dict[str, Any], mine: pd.DataFrame, asked: int) -> str:
    after = mine[(mine["year"] > int(ind["target_year"])) & (mine["year"] <= asked)]
    unit = ind["unit"] or ""
    pairs = zip(after["year"].tolist(), after["value"].tolist(), strict=True)
    return "；".join(f"{int(y)}年 {v:,.6g}{unit}" for y, v in pairs)


def _judge(ind: dict[str, Any], mine: pd.DataFrame, asked: int) -> dict[str, object]:
    end = int(ind["target_year"])
    judged = min(asked, end)
    base, base_source = _base(ind, mine)
    reading = _read(ind, mine, judged)
    row: dict[str, object] = {
        "judged_year": judged,
        "base": np.nan if base is None else base,
        "base_source": base_source,
    }
    notes = list(reading.tool_notes)
    if asked > end:
        notes.append(f"{end}年后的年份单独列示，不改变规划期（至{end}年）的结论")
        row["later"] = _later(ind, mine, asked)
    needs_base = ind["kind"] in ("annual_growth_at_least", "multiple_of_base")
    if reading.latest_year is not None and needs_base and base is None:
        notes.append(f"缺少{int(ind['base_year'])}年基数，无法按增长目标判断")
        reading = _Reading(tool_notes=notes)
    row["tool_note"] = "；".join(notes)
    if reading.latest_year is None:
        return row
    last = reading.latest_year
    required, trajectory = _required(ind, base, last)
    final, _ = _required(ind, base, end)
    if last < judged:
        notes.append(f"{judged}年尚无数据：按{last}年判断")
    progress = _share_of_way(ind, reading.latest, final, base) * 100
    row.update(
        {
            "latest_year": last,
            "latest": reading.latest,
            "required": required,
            "final_required": final,
            "progress_pct": progress if math.isfinite(progress) else np.nan,
            "status": _status(ind, reading.latest, last, required, final, base),
            "trajectory": trajectory,
            "aggregation": reading.aggregation,
            "tool_note": "；".join(notes),
        }
    )
    return row


def evaluate(actuals: ActualsResult | pd.DataFrame, *, year: int | None = None) -> pd.DataFrame:
    """Evaluate every indicator against the plan's trajectory to 2025.

    ``year`` (default: the latest year with any figure) is the year asked; the year judged is that
    year, or 2025 when later (the plan-period verdict stays; later figures are listed in ``later``).

    * **figure**: the latest figure after the base year up to the year judged — for cumulative
      counts the running total from 2021 (additions summed, or the running total entered, every
      year needed: a missing year is no data, never zero); for per-year counts the average of the
      years reported from 2021. A base-year figure alone is no data.
    * **required**: the trajectory's value by that year — linear from the base to the target for
      counts and shares (the base stated by the plan, else the 2020 figure; without one, or when
      the base already meets the target, the target itself), compound ``base × (1+g)^n`` for
      annual growth, geometric ``base × m^(n/5)`` for multiples, linear from 0 for cumulative
      counts, the target every year for per-year counts; all capped at 2025.
    * **status**: before 2025, ``achieved_early`` when the figure already reaches the 2025
      requirement (提前达成), ``on_track`` when it reaches the trajectory, ``behind`` with at least
      `BEHIND_RATIO` of the progress required by now, ``at_risk`` below; at 2025 ``achieved`` or
      ``missed``; ``no_data`` without a figure (or without the base a growth target needs);
      ``qualitative`` for targets stated in words.
    * **progress_pct**: the way from the base to the 2025 requirement covered (log scale for growth
      and multiples; figure / requirement where there is no base or it already met the target).

    Every row states its rule: ``trajectory``, ``base_source``, ``aggregation``, ``judged_year``
    and ``rule_zh`` (the four in one sentence); ``note`` holds the bureau's notes, ``tool_note``
    this tool's.

    Examples
    --------
    >>> import pandas as pd
    >>> figures = pd.DataFrame({"indicator_id": ["sanhaojie_high_tech_firms"] * 2,
    ...                         "year": [2020, 2022], "value": [40.0, 64.0]})
    >>> r = evaluate(figures).set_index("indicator_id").loc["sanhaojie_high_tech_firms"]
    >>> float(r["required"]), r["status"], r["base_source"]
    (64.0, 'on_track', '2020年填报值')
    """
    values = _values(actuals)
    asked = year if year is not None else (int(values["year"].max()) if len(values) else None)
    rows = []
    for rec in indicators().to_dict("records"):
        ind = {str(k): v for k, v in rec.items()}
        row: dict[str, object] = {
            "indicator_id": ind["id"],
            "target_id": ind["target_id"],
            "indicator_zh": ind["indicator_zh"],
            "kind": ind["kind"],
            "unit": ind["unit"],
            "target": ind["target"],
            "target_year": ind["target_year"],
            "year": asked,
            "judged_year": None,
            "latest_year": None,
            "latest": np.nan,
            "base": np.nan,
            "required": np.nan,
            "final_required": np.nan,
            "progress_pct": np.nan,
            "status": "qualitative" if ind["kind"] == "qualitative" else "no_data",
            "trajectory": "",
            "base_source": "",
            "aggregation": "",
            "later": "",
            "rule_zh": "",
            "note": "",
            "tool_note": "",
        }
        mine = values[values["indicator_id"] == ind["id"]].sort_values("year")
        if "note" in mine.columns:
            notes = [str(n) for n in mine.loc[mine["year"] <= (asked or 0), "note"] if isinstance(n, str) and n]
            row["note"] = "；".join(dict.fromkeys(notes))  # each distinct note once, in year order
        if ind["kind"] != "qualitative" and asked is not None:
            row.update(_judge(ind, mine, asked))
        if row["judged_year"] is not None:
            row["rule_zh"] = _rule_words(row)
        rows.append(row)
    return pd.DataFrame(rows)


def _rule_words(row: dict[str, object]) -> str:
    parts = [f"按{row['judged_year']}年判断"]
    for label, key in (("轨迹", "trajectory"), ("基数", "base_source"), ("取值", "aggregation")):
        if row[key]:
            parts.append(f"{label}：{row[key]}")
    return "；".join(parts)


def zone_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per zone (axis, belt, district): how many indicators have each status, how many have data
    (``with_data`` of ``quantitative``), and the share on track (`GOOD`) among those with data.

    Examples
    --------
    >>> import pandas as pd
    >>> s = zone_summary(evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"])))
    >>> int(s.loc["manrong", "qualitative"]), int(s.loc["district", "quantitative"])
    (2, 8)
    """
    counts = results.pivot_table(
        index="target_id", columns="status", values="indicator_id", aggfunc="count", fill_value=0
    )
    for status in STATUSES:
        if status not in counts.columns:
            counts[status] = 0
    counts = counts[list(STATUSES)]
    counts["with_data"] = counts[list(JUDGED)].sum(axis=1)
    counts["quantitative"] = counts["with_data"] + counts["no_data"]
    good = counts[list(GOOD)].sum(axis=1)
    counts["on_track_pct"] = (good / counts["with_data"].where(counts["with_data"] > 0) * 100).round(1)
    order = list(dict.fromkeys(indicators()["target_id"]))
    return counts.reindex(order).rename_axis("target_id")
