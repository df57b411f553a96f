"""How far each zone (and the district) is from its 2025 targets (规划实施监测评估).

`evaluate` judges every indicator by rules a planning reviewer would sign, and writes the rule it
applied on the row, in words: the trajectory, where the base came from, how the yearly figures
were combined and the year judged. `zone_summary` counts the verdicts per zone over the
indicators that have data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hepinggis.errors import InvalidOptionError
from hepinggis.monitor._judging import _judge, _relative
from hepinggis.monitor._read_actuals import ActualsResult
from hepinggis.monitor._statuses import BEHIND_RATIO, GOOD, JUDGED, STATUS_ZH, STATUSES
from hepinggis.monitor._targets import indicators, known_figures, target_words

__all__ = [
    "BEHIND_RATIO",
    "GOOD",
    "JUDGED",
    "STATUSES",
    "STATUS_ZH",
    "YEAR_RANGE",
    "check_year",
    "evaluate",
    "target_words",
    "zone_summary",
]

#: The years a package may be asked for: the plan period and five years after it.
YEAR_RANGE = (2021, 2030)
#: The plan period's years judged.
PLAN_PERIOD = (2021, 2025)


def check_year(year: int | None) -> int | None:
    """``year`` if a package may be made for it (2021–2030), else `InvalidOptionError` in Chinese."""
    if year is not None and not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
        raise InvalidOptionError(
            f"监测年份 {year} 不在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 年之间（规划期为2021–2025年，其后五年可作跟踪）"
        )
    return year


def default_year(values: pd.DataFrame) -> int | None:
    """The latest year of the plan period with any figure (figures before 2021 or after 2025 never
    set the package's year)."""
    years = values["year"].astype(int) if len(values) else pd.Series(dtype=int)
    inside = years[(years >= PLAN_PERIOD[0]) & (years <= PLAN_PERIOD[1])]
    return int(inside.max()) if len(inside) else None


def asked_year(actuals: ActualsResult | pd.DataFrame) -> int | None:
    """The year a package is for when none is asked: the latest of the plan period with a figure
    typed — read, or refused (a refused figure is asked about, it does not move the year back)."""
    asked = default_year(_values(actuals))
    typed = [y for by in _refused(actuals).values() for y in by if PLAN_PERIOD[0] <= y <= PLAN_PERIOD[1]]
    if typed and (asked is None or max(typed) > asked):
        asked = max(typed)
    return asked


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

    Parameters
    ----------
    actuals : ActualsResult or pandas.DataFrame
        The figures: `read_actuals`'s result, or a table with ``indicator_id``, ``year`` and
        ``value`` (and optionally ``entry``, ``note`` …).
    year : int, optional
        The year asked (default: the latest year with any figure).

    Returns
    -------
    pandas.DataFrame
        One row per indicator of `indicators`: ``indicator_id``, ``kind``, ``target``, ``year``,
        ``judged_year``, ``latest``, ``required``, ``progress_pct``, ``status`` and the rule
        columns above.

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
    asked = check_year(year) if year is not None else asked_year(actuals)
    refused = _refused(actuals)
    names = {str(k): str(v) for k, v in known_figures()["indicator_zh"].items()}
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
            "question": "",
            "both_ways": "",
            "year_note": "",
            "at_least": False,
            "strict": bool(ind.get("strict")),
            "target_zh": "",
            "rule_zh": "",
            "note": "",
            "tool_note": "",
        }
        mine = values[values["indicator_id"] == ind["id"]].sort_values("year")
        if "note" in mine.columns:
            notes = [str(n) for n in mine.loc[mine["year"] <= (asked or 0), "note"] if isinstance(n, str) and n]
            row["note"] = "；".join(dict.fromkeys(notes))  # each distinct note once, in year order
        mine_refused = refused.get(str(ind["id"]), {})
        if ind["kind"] == "above_reference" and (asked is not None or len(mine)):
            ref = values[values["indicator_id"] == ind["reference_id"]].sort_values("year")
            ref_name = names.get(str(ind["reference_id"]), str(ind["reference_id"])).split("（")[0]
            at = asked if asked is not None else PLAN_PERIOD[1]
            judged = _relative(ind, mine, ref, at, ref_name)
            stopped = {y: m for y, m in mine_refused.items() if y == min(at, int(ind["target_year"]))}
            stopped |= {y: m for y, m in refused.get(str(ind["reference_id"]), {}).items() if y == min(at, 2025)}
            if stopped:
                judged["status_as_typed"] = judged.get("status", "no_data")
                judged["status"] = "to_confirm"
                judged["question"] = "；".join(f"{y}年填报的数值未读入：{m}" for y, m in stopped.items())
                judged.pop("year_note", None)
            row.update({k: v for k, v in judged.items() if k in row or k.startswith("status_")})
        elif ind["kind"] != "qualitative" and (asked is not None or len(mine) or mine_refused):
            judged = _judge(ind, mine, asked if asked is not None else PLAN_PERIOD[1], mine_refused)
            row.update({k: v for k, v in judged.items() if k in row or k.startswith("status_")})
        row["target_zh"] = target_words(ind, row["base"])
        if row["judged_year"] is not None:
            row["rule_zh"] = _rule_words(row)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["status"] = frame["status"].where(frame["status"].isin(STATUSES), "no_data")
    return frame


def _refused(actuals: ActualsResult | pd.DataFrame) -> dict[str, dict[int, str]]:
    """Per indicator and year, the reason a typed figure was not read (from the reading report)."""
    if not isinstance(actuals, ActualsResult):
        return {}
    out: dict[str, dict[int, str]] = {}
    for rec in actuals.rejected.to_dict("records"):
        iid, year = rec.get("indicator_id"), rec.get("year")
        if "已在第" in str(rec["message"]):  # a second figure for a year: the first is kept and judged
            continue
        if isinstance(iid, str) and iid and year is not None and not pd.isna(year):
            out.setdefault(iid, {}).setdefault(int(year), str(rec["message"]))
    return out


def _rule_words(row: dict[str, object]) -> str:
    """The rule applied, in one sentence; the year of the figure judged said once."""
    last = row.get("latest_year")
    parts = [f"按{last}年数值判断" if last else f"按{row['judged_year']}年判断"]
    if row.get("year_note"):
        parts[0] += f"（{str(row['year_note']).split('，')[0]}）"
    for label, key in (("轨迹", "trajectory"), ("基数", "base_source"), ("取值", "aggregation")):
        if row[key]:
            parts.append(f"{label}：{row[key]}")
    scale = _log_scale_words(row)
    if scale:
        parts.append(scale)
    return "；".join(parts)


def _log_scale_words(row: dict[str, object]) -> str:
    """Where the progress of a growth target (翻一番, 年均增长) is on the log scale of its compound
    trajectory, say so with a figure a reviewer can check, and give the linear share beside it.

    Examples
    --------
    >>> _log_scale_words({"kind": "multiple_of_base", "status": "behind", "base": 100.0,
    ...                   "final_required": 200.0, "latest": 150.0, "progress_pct": 58.496})
    '进度：按增长倍数的对数计（与复合增长的规划轨迹同一尺度，增至基数的1.41倍即为50%），按增量线性计为50%'
    """
    if row.get("kind") not in ("annual_growth_at_least", "multiple_of_base") or row.get("status") not in JUDGED:
        return ""
    try:
        base, final = float(row["base"]), float(row["final_required"])  # type: ignore[arg-type]
        latest, progress = float(row["latest"]), float(row["progress_pct"])  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not all(math.isfinite(v) for v in (base, final, latest, progress)) or not 0 < base < final:
        return ""  # no base, or a base already at the target: progress is figure / requirement
    half = math.sqrt(final / base)
    linear = f"{(latest - base) / (final - base) * 100:.1f}".removesuffix(".0")
    scale = f"与复合增长的规划轨迹同一尺度，增至基数的{half:.2f}倍即为50%"
    return f"进度：按增长倍数的对数计（{scale}），按增量线性计为{linear}%"


def zone_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Per zone (axis, belt, district): how many indicators have each status, how many have data
    (``with_data`` of ``quantitative``), and the share on track (`GOOD`) among those with data.

    Parameters
    ----------
    results : pandas.DataFrame
        The verdicts of `evaluate` (one row per indicator, with ``target_id``, ``status`` and
        ``indicator_id``).

    Returns
    -------
    pandas.DataFrame
        One row per target (zone, axis, belt, ``district``) in the catalogue's order, indexed by
        ``target_id``: a column per status with its count, ``with_data``, ``quantitative`` and
        ``on_track_pct`` (NaN where no indicator has data).

    Examples
    --------
    >>> import pandas as pd
    >>> s = zone_summary(evaluate(pd.DataFrame(columns=["indicator_id", "year", "value"])))
    >>> int(s.loc["manrong", "qualitative"]), int(s.loc["district", "quantitative"])
    (2, 48)
    """
    tally: dict[str, dict[str, int]] = {}  # counted by hand: a pivot table costs more than the package's pages
    for tid, status, iid in zip(results["target_id"], results["status"], results["indicator_id"], strict=True):
        row = tally.setdefault(str(tid), dict.fromkeys(STATUSES, 0))
        if status in row and not pd.isna(iid):
            row[status] += 1
    counts = pd.DataFrame.from_dict(tally, orient="index", columns=list(STATUSES)).astype("int64")
    counts.columns.name = "status"
    counts["with_data"] = counts[list(JUDGED)].sum(axis=1)
    counts["quantitative"] = counts["with_data"] + counts[["to_confirm", "no_base", "no_data"]].sum(axis=1)
    good = counts[list(GOOD)].sum(axis=1)
    counts["on_track_pct"] = (good / counts["with_data"].where(counts["with_data"] > 0) * 100).round(1)
    order = list(dict.fromkeys(indicators()["target_id"]))
    return counts.reindex(order).rename_axis("target_id")
