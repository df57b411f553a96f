"""One indicator judged against the plan's trajectory: its figures read by the year judged
(running totals, yearly averages, held every year), its base, the trajectory's requirement, the
verdict, and the questions that hold it back (待核实, figures typed but not read)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hepinggis.monitor._statuses import BEHIND_RATIO, STATUS_ZH


@dataclass
class _Reading:
    """What the figures of one indicator say by the year judged (``at_least``: only a lower bound
    is known, the sum of the years reported, some years missing)."""

    latest: float = math.nan
    latest_year: int | None = None
    aggregation: str = ""
    tool_notes: list[str] = field(default_factory=list)
    at_least: bool = False
    years_used: list[int] = field(default_factory=list)


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
    used = [int(y) for y in additions["year"]] + ([from_year] if len(totals) else [])
    total += float(additions["value"].sum())
    if missing:
        gaps = "、".join(str(y) for y in missing)
        known = "、".join(str(int(y)) for y in additions["year"])
        how_low = f"{how} + " if how else ""
        return _Reading(
            total,
            last,
            f"{how_low}已报年份（{known}年）新增数之和，缺{gaps}年：实际累计至少为此数",
            [f"缺少{gaps}年的数值：累计数只知下限（缺年不按 0 计，也不估算）"],
            at_least=True,
            years_used=used,
        )
    if len(additions):
        span = f"{int(additions['year'].iloc[0])}–{last}年新增数之和"
        how = f"{how} + {span}" if how else span
    return _Reading(total, last, how, years_used=used)


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
        n, first = len(period), base_year + 1
        reported = [int(y) for y in period["year"]]
        gaps = sorted(set(range(first, last + 1)) - set(reported))
        each = ind.get("per_year_rule") == "each"
        if each:
            value, how = float(period["value"].min()), "已报年份中最少的一年（每年均须达到）"
        else:
            value = float(period["value"].mean())
            how = f"{last}年数值" if n == 1 else f"已报{n}年（{'、'.join(map(str, reported))}年）的平均值"
        notes = []
        if gaps:
            notes.append(
                f"只报了{'、'.join(map(str, reported))}年（缺{'、'.join(map(str, gaps))}年）："
                f"按已报年份判断，不代表{first}–{last}年{'每年' if each else '全期'}的情况"
            )
        return _Reading(value, last, how, notes, years_used=reported)
    if ind.get("every_year"):
        reported = [int(y) for y in period["year"]]
        worst = int(period["year"].iloc[int(period["value"].to_numpy().argmin())])
        how = f"{last}年数值" if len(period) == 1 else f"已报年份中最差的一年（{worst}年；保持：每年均须达到）"
        return _Reading(float(period["value"].min()), last, how, years_used=reported)
    return _Reading(float(period["value"].iloc[-1]), last, f"{last}年数值", years_used=[last])


def _base(ind: dict[str, Any], mine: pd.DataFrame) -> tuple[float | None, str]:
    unit = ind["unit"] or ""
    base_year = int(ind["base_year"])
    if ind["basis"] in ("per_year", "cumulative"):
        return None, f"不需要（{base_year + 1}年起计）"
    if ind.get("every_year"):
        return None, "不需要（每年均须达到）"
    at_base = mine[mine["year"] == base_year]
    if ind["base_value"] is not None and not pd.isna(ind["base_value"]):
        stated = float(ind["base_value"])
        said = f"规划写明（{_as_stated(stated, unit)}）"
        if len(at_base):
            typed = float(at_base["value"].iloc[0])
            same = "，与规划一致" if typed == stated else "，按规划写明的基数判断"
            said += f"；填报的{base_year}年数值为 {typed:g}{unit}{same}"
        return stated, said
    if len(at_base):
        return float(at_base["value"].iloc[0]), f"{base_year}年填报值"
    return None, f"无（未填{base_year}年数值）"


def _as_stated(value: float, unit: str) -> str:
    """A base as the plan states it: 0.6814 万人 is “6,814人” (chapter 1 says 6814 人)."""
    if unit.startswith("万") and len(unit) > 1 and round(value, 2) != value and (value * 1e4).is_integer():
        return f"{value * 1e4:,.0f}{unit[1:]}"
    return f"{value:g}{unit}"


def _required(ind: dict[str, Any], base: float | None, year: int) -> tuple[float, str]:
    """What the plan's trajectory asks by ``year`` (capped at the target year), and its name."""
    kind, target = ind["kind"], float(ind["target"])
    base_year, end = int(ind["base_year"]), int(ind["target_year"])
    t = min(max((year - base_year) / (end - base_year), 0.0), 1.0)
    if ind["basis"] == "per_year" or ind.get("every_year"):
        return target, "每年不低于目标值" + ("（保持）" if ind.get("every_year") else "")
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


def _reaches(ind: dict[str, Any], value: float, need: float) -> bool:
    """Whether ``value`` meets ``need``: 突破 (strict) asks for more than it, else at least it."""
    return value > need if ind.get("strict") else value >= need


def _status(ind: dict[str, Any], reading: _Reading, required: float, final: float, base: float | None) -> str:
    latest, year = reading.latest, int(reading.latest_year or 0)
    if reading.at_least:  # only a lower bound: judged only where it already suffices
        if _reaches(ind, latest, final):
            return "achieved" if year >= int(ind["target_year"]) else "achieved_early"
        return "on_track" if latest >= required and year < int(ind["target_year"]) else "no_data"
    every = bool(ind.get("every_year")) or (ind["basis"] == "per_year" and ind.get("per_year_rule") == "each")
    if every:  # 每年 / 保持: one year below the target and the target is missed for the period
        return ("achieved" if year >= int(ind["target_year"]) else "on_track") if latest >= final else "missed"
    if year >= int(ind["target_year"]):
        return "achieved" if _reaches(ind, latest, final) else "missed"
    if _reaches(ind, latest, final) and ind["basis"] != "per_year":
        return "achieved_early"
    if latest >= required:
        return "on_track"
    return "behind" if _share_of_way(ind, latest, required, base) >= BEHIND_RATIO else "at_risk"


def _later(ind: dict[str, Any], mine: pd.DataFrame, asked: int) -> str:
    after = mine[(mine["year"] > int(ind["target_year"])) & (mine["year"] <= asked)]
    unit = ind["unit"] or ""
    pairs = zip(after["year"].tolist(), after["value"].tolist(), strict=True)
    return "；".join(f"{int(y)}年 {v:,.6g}{unit}" for y, v in pairs)


def _flip(ind: dict[str, Any], mine: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    """A lower-is-better share (审批时限 ≤ 70 %) as a higher-is-better one: every figure negated."""
    flipped = dict(ind, kind="share_at_least", target=-float(ind["target"]))
    if ind["base_value"] is not None and not pd.isna(ind["base_value"]):
        flipped["base_value"] = -float(ind["base_value"])
    return flipped, mine.assign(value=-mine["value"].astype(float))


def _verdict(ind: dict[str, Any], mine: pd.DataFrame, judged: int) -> dict[str, object]:
    """The verdict on ``mine`` (the figures as they stand) by ``judged``; an empty dict without
    a figure, ``{"status": "no_base", …}`` where a growth target has no usable base."""
    lower = ind["kind"] == "share_at_most"
    if lower:
        ind, mine = _flip(ind, mine)
    base, base_source = _base(ind, mine)
    reading = _read(ind, mine, judged)
    out: dict[str, object] = {"base": np.nan if base is None else base, "base_source": base_source}
    notes = list(reading.tool_notes)
    growth = ind["kind"] in ("annual_growth_at_least", "multiple_of_base")
    if reading.latest_year is not None and growth and (base is None or base <= 0):
        why = (
            f"{int(ind['base_year'])}年基数填报为 0：增长目标无从计算（若当年确无统计，请填“/”并补报基数）"
            if base is not None
            else f"缺少{int(ind['base_year'])}年基数，无法按增长目标判断"
        )
        out.update({"status": "no_base", "tool_notes": [*notes, why], "latest_year": reading.latest_year})
        out.update({"latest": -reading.latest if lower else reading.latest, "aggregation": reading.aggregation})
        return out
    out["tool_notes"] = notes
    if reading.latest_year is None:
        return out
    last = reading.latest_year
    required, trajectory = _required(ind, base, last)
    final, _ = _required(ind, base, int(ind["target_year"]))
    progress = _share_of_way(ind, reading.latest, final, base) * 100
    sign = -1.0 if lower else 1.0
    out.update(
        {
            "latest_year": last,
            "latest": sign * reading.latest,
            "at_least": reading.at_least,
            "required": sign * required,
            "final_required": sign * final,
            "progress_pct": progress if math.isfinite(progress) else np.nan,
            "status": _status(ind, reading, required, final, base),
            "trajectory": trajectory.replace("增至", "降至") if lower else trajectory,
            "aggregation": reading.aggregation,
            "years_used": reading.years_used,
        }
    )
    if lower:
        out["base"] = np.nan if base is None else -base
        out["base_source"] = base_source.replace("-", "")
    return out


def _refused_in_use(ind: dict[str, Any], refused: dict[int, str], judged: int) -> dict[int, str]:
    """The refused figures the verdict would have used: the year judged, every year of the
    period for counts summed or held every year, and the base year where the plan states none."""
    base_year = int(ind["base_year"])
    all_years = ind["basis"] in ("per_year", "cumulative") or bool(ind.get("every_year"))
    needs_base = ind["kind"] in ("annual_growth_at_least", "multiple_of_base") and pd.isna(ind.get("base_value"))
    wanted = {judged} | (set(range(base_year + 1, judged + 1)) if all_years else set())
    wanted |= {base_year} if needs_base else set()
    return {y: m for y, m in sorted(refused.items()) if y in wanted}


def _judge(
    ind: dict[str, Any], mine: pd.DataFrame, asked: int, refused: dict[int, str] | None = None
) -> dict[str, object]:
    end = int(ind["target_year"])
    judged = min(asked, end)
    period = mine[mine["year"] <= judged]
    verdict = _verdict(ind, period, judged)
    notes: list[str] = list(verdict.pop("tool_notes", []))  # type: ignore[call-overload]
    row: dict[str, object] = {"judged_year": judged, **verdict}
    used = set(verdict.get("years_used", []) or [])  # type: ignore[call-overload]
    outside = mine[(mine["year"] < int(ind["base_year"] or 2020))]
    if len(outside):
        notes.append(f"{'、'.join(str(int(y)) for y in outside['year'])}年不在规划期内：仅列示，不参与判断")
    if asked > end:
        notes.append(f"{end}年后的年份单独列示，不改变规划期（至{end}年）的结论")
        row["later"] = _later(ind, mine, asked)
    doubts = period[period.get("flag", pd.Series("", index=period.index)).fillna("").astype(str) != ""]
    if len(doubts) and "status" in row:
        row["question"] = "；".join(dict.fromkeys(str(q) for q in doubts["question"]))
        if (doubts["flag"] == "running").any():
            _both_ways(ind, period, judged, row, notes)
        elif set(int(y) for y in doubts["year"]) & used or not used:
            row["status_as_typed"] = row["status"]
            row["status"] = "to_confirm"
            notes.append("有待核实的数值：核实前不作判断")
    last = row.get("latest_year")
    stopped = _refused_in_use(ind, refused or {}, judged)
    if stopped:  # a figure was typed but not read: asked about, never judged on an earlier year
        said = "；".join(f"{y}年填报的数值未读入：{m}" for y, m in stopped.items())
        row["status_as_typed"] = row.get("status", "no_data")
        row["status"] = "to_confirm"
        row["question"] = "；".join(q for q in (str(row.get("question") or ""), said) if q)
        notes.append("有未读入的数值：改正后再作判断")
    elif isinstance(last, int) and last < asked and last <= end and row.get("status") not in (None, "no_data"):
        row["year_note"] = f"{asked if asked <= end else end}年尚无数值，按{last}年数值判断"
    row["tool_note"] = "；".join(notes)
    return row


def _relative(
    ind: dict[str, Any], mine: pd.DataFrame, ref: pd.DataFrame, asked: int, ref_name: str
) -> dict[str, object]:
    """A target relative to another figure (增速高于全市水平): the year judged, or the latest year
    with both figures; higher is strictly higher (相等不算高于)."""
    end = int(ind["target_year"])
    judged = min(asked, end)
    both = mine[(mine["year"] <= judged) & (mine["year"] > int(ind["base_year"]))].merge(
        ref[["year", "value"]].rename(columns={"value": "ref"}), on="year"
    )
    row: dict[str, object] = {"judged_year": judged, "base_source": f"比较对象：{ref_name}"}
    if not len(both):
        if len(mine[mine["year"] <= judged]):
            row.update({"status": "no_base", "tool_note": f"缺少同年的{ref_name}：无法比较"})
        return row
    last = both.iloc[-1]
    year, value, other = int(last["year"]), float(last["value"]), float(last["ref"])
    above = value > other
    status = ("achieved" if above else "missed") if year >= end else ("on_track" if above else "behind")
    row.update(
        {
            "latest_year": year,
            "latest": value,
            "required": other,
            "final_required": np.nan,
            "status": status,
            "trajectory": f"每年须高于{ref_name}（相等不算高于）",
            "aggregation": f"{year}年数值与同年{ref_name}比较",
        }
    )
    if year < judged:
        row["year_note"] = f"{judged}年尚无两项数值，按{year}年判断"
    return row


def _both_ways(ind: dict[str, Any], period: pd.DataFrame, judged: int, row: dict[str, object], notes: list) -> None:
    """Running totals typed as 当年新增: judged as typed and as running totals; a verdict only
    where both readings agree."""
    as_totals = period.assign(entry=np.where(period["flag"] == "running", "running_total", period["entry"]))
    other = _verdict(ind, as_totals, judged)
    a, b = str(row["status"]), str(other.get("status", "no_data"))
    unit = ind["unit"] or ""
    words = {"as_typed": a, "as_totals": b}
    row["status_as_typed"], row["status_as_totals"] = words["as_typed"], words["as_totals"]
    said = (
        f"按当年新增相加为 {float(row['latest']):.6g}{unit}（{STATUS_ZH[a]}）；"  # type: ignore[arg-type]
        f"按累计数为 {float(other.get('latest', math.nan)):.6g}{unit}（{STATUS_ZH[b]}）"  # type: ignore[arg-type]
    )
    if a == b:
        notes.append(f"两种口径结论相同：{said}")
    else:
        row["status"] = "to_confirm"
        notes.append(f"两种口径结论不同，待确认填报口径：{said}")
    row["both_ways"] = said
