"""Progress warnings of a register's projects (逾期 / 滞后 / 正常 / 无法判断), by rules stated in
Chinese and configured in one place (`RULES`).

The rules read the progress columns as `read_projects` keeps them (``planned_start``,
``actual_start``, ``planned_end`` as typed; ``completed_cny`` and ``investment_cny`` in 元;
``status`` and ``progress_text`` as typed) on the version's as-of date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RULES", "WARNING_CODES", "WarningRules", "parse_period", "progress_warnings", "rules_zh"]

#: The four verdicts, their codes and colours.
WARNING_CODES = {"逾期": "overdue", "滞后": "lagging", "正常": "normal", "无法判断": "unknown"}
WARNING_COLORS = {"逾期": "#c0392b", "滞后": "#d68910", "正常": "#1e8449", "无法判断": "#7f8c8d"}


@dataclass(frozen=True)
class WarningRules:
    """Every setting of the warning rules (the one place to change them)."""

    #: 滞后 when the completed share of the investment is more than this many percentage points
    #: below the elapsed share of the planned period.
    lag_points: float = 20.0
    #: Statuses (or 形象进度) that mean the project is completed.
    completed: tuple[str, ...] = ("已建成", "建成", "竣工", "已竣工", "完工", "已完工", "完成", "已完成", "completed")
    #: Statuses that mean the project has started (besides an actual start date typed).
    started: tuple[str, ...] = ("在建", "续建", "开工", "已开工", "施工", "施工中", "建设中", "under_construction")
    completed_words: tuple[str, ...] = field(default=("竣工", "建成", "完工"))


RULES = WarningRules()


def rules_zh(rules: WarningRules = RULES) -> list[str]:
    """The rules in Chinese, as the pages and the docs state them (in the order they apply)."""
    return [
        "以清单版本的日期为判断日期（“截至”日期）；日期可写作 2024-03-05、2024/3/5、2024年3月、2024.3 或 2024 等，"
        "只写到月（或年）的，以该月（或该年）最后一天为准。",
        f"已竣工：状态为“{'、'.join(rules.completed[:8])}”之一，或形象进度中写有"
        f"“{'、'.join(rules.completed_words)}”的项目，判为正常。",
        f"已开工：填有实际开工日期（不晚于判断日期），或状态为“{'、'.join(rules.started[:7])}”之一，或已竣工。",
        "逾期（红）：计划开工日期已过而未开工；或计划竣工日期已过而未竣工。",
        "滞后（黄）：已开工未竣工，累计完成投资占总投资的比例，比计划工期已过去的比例"
        f"低 {rules.lag_points:g} 个百分点以上（计划工期自计划开工至计划竣工）。",
        "正常（绿）：已竣工，或填有计划开工或计划竣工日期且不属于逾期、滞后。",
        "无法判断（灰）：未竣工且既无可读的计划开工日期也无可读的计划竣工日期；原因中写明缺什么。",
    ]


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_period(text: object) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the period a date cell names, or None when it names none.

    Examples
    --------
    >>> parse_period("2024年3月")
    (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31))
    >>> parse_period("2024-03-05")[1]
    datetime.date(2024, 3, 5)
    >>> parse_period("年底") is None
    True
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    if isinstance(text, dt.datetime):
        return text.date(), text.date()
    if isinstance(text, dt.date):
        return text, text
    s = unicodedata.normalize("NFKC", str(text)).strip()
    try:
        if m := _DAY.match(s):
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
            return d, d
        if m := _MONTH.match(s):
            y, mo = int(m[1]), int(m[2])
            return dt.date(y, mo, 1), dt.date(y, mo, calendar.monthrange(y, mo)[1])
        if m := _YEAR.match(s):
            y = int(m[1])
            return dt.date(y, 1, 1), dt.date(y, 12, 31)
    except ValueError:  # 2024-13 or 2024-02-30: not a date
        return None
    return None


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return f


def _one(rec: dict[str, Any], as_of: dt.date, rules: WarningRules) -> dict[str, Any]:
    status, progress = _text(rec.get("status")), _text(rec.get("progress_text"))
    completed = status in rules.completed or any(w in progress for w in rules.completed_words)
    ps_text, as_text, pe_text = (_text(rec.get(k)) for k in ("planned_start", "actual_start", "planned_end"))
    ps, act, pe = parse_period(ps_text), parse_period(as_text), parse_period(pe_text)
    started = completed or status in rules.started or (act is not None and act[0] <= as_of)
    out: dict[str, Any] = {"warning": "正常", "reason": "", "elapsed_pct": np.nan, "done_pct": np.nan}
    if completed:
        out["reason"] = "已竣工"
        return out
    reasons: list[str] = []
    if ps is not None and as_of > ps[1] and not started:
        reasons.append(f"计划开工（{ps_text}）已过，未开工")
    if pe is not None and as_of > pe[1]:
        reasons.append(f"计划竣工（{pe_text}）已过，未竣工")
    if ps is not None and pe is not None and pe[1] > ps[0]:
        span = (pe[1] - ps[0]).days
        elapsed = min(1.0, max(0.0, (as_of - ps[0]).days / span))
        total, done = _num(rec.get("investment_cny")), _num(rec.get("completed_cny"))
        out["elapsed_pct"] = round(100 * elapsed, 1)
        if np.isfinite(total) and total > 0 and np.isfinite(done):
            out["done_pct"] = round(100 * done / total, 1)
    if reasons:
        out.update(warning="逾期", reason="；".join(reasons))
        return out
    if started and np.isfinite(out["done_pct"]) and out["done_pct"] < out["elapsed_pct"] - rules.lag_points:
        out.update(
            warning="滞后",
            reason=f"累计完成投资 {out['done_pct']:g}%，计划工期已过 {out['elapsed_pct']:g}%，"
            f"低 {out['elapsed_pct'] - out['done_pct']:.1f} 个百分点（超过 {rules.lag_points:g}）",
        )
        return out
    if ps is None and pe is None:
        missing = [
            f"{label}“{t}”不是日期" if t else f"未填{label}"
            for label, t in (("计划开工", ps_text), ("计划竣工", pe_text))
        ]
        out.update(warning="无法判断", reason="；".join(missing))
        return out
    out["reason"] = "未逾期，进度不滞后"
    return out


def progress_warnings(projects: Any, as_of: dt.date | str, *, rules: WarningRules = RULES) -> pd.DataFrame:
    """Each project's warning on ``as_of``, with the reason in Chinese.

    Parameters
    ----------
    projects : DataFrame or ImportResult
        The projects as `read_projects` gives them (``planned_start``, ``actual_start``,
        ``planned_end``, ``progress_text``, ``status``, ``investment_cny``, ``completed_cny``;
        missing columns count as empty).
    as_of : date or ISO text
        The version's date.
    rules : WarningRules
        The settings (default `RULES`; `rules_zh` states them).

    Returns
    -------
    pandas.DataFrame
        Aligned with ``projects``: ``warning`` (逾期 / 滞后 / 正常 / 无法判断), ``warning_code``
        (overdue / lagging / normal / unknown), ``reason``, ``elapsed_pct`` and ``done_pct``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"planned_start": ["2024-01"], "planned_end": ["2024年6月"], "status": ["在建"]})
    >>> progress_warnings(t, "2024-07-01")["warning"].tolist()
    ['逾期']
    """
    frame = getattr(projects, "projects", projects)
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of)[:10])
    cols = [
        "status",
        "progress_text",
        "planned_start",
        "actual_start",
        "planned_end",
        "investment_cny",
        "completed_cny",
    ]
    present = [c for c in cols if c in frame.columns]
    records = pd.DataFrame(frame[present]).astype(object).to_dict("records")
    rows = [_one({str(k): v for k, v in r.items()}, day, rules) for r in records]
    out = pd.DataFrame(rows, index=frame.index, columns=["warning", "reason", "elapsed_pct", "done_pct"])
    out.insert(1, "warning_code", out["warning"].map(WARNING_CODES))
    return out
