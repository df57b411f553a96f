"""Figures that each read fine but together show a clerk's habit, asked about instead of judged:

* a share typed as a fraction among whole percentages (0.22 among 19.5, 21, 20.5): "疑似把 22% 写
  成 0.22" (flag ``scale``);
* running totals typed into 当年新增 rows, the most common slip (35, 63, 109, 161 for exhibitions
  held 35, 28, 46, 52): three or more consecutive years, each larger than the one before, in a
  series that could be running totals — never falling, each year adding about what the first did
  (18, 22, 25, 24, 20 falls; 3.0, 3.2, 3.3 grows slowly: neither is asked) (flag ``running``);
* a figure far outside the row's own series (28.5 among 155–175) (flag ``outlier``).

A flagged figure is kept as typed and not judged until the clerk confirms it in 填报口径
("已核实", "当年新增（已核实）", "累计数"): the pages say the question beside the indicator.
"""

from __future__ import annotations

import itertools

import pandas as pd

__all__ = ["flag_doubts"]

#: A fraction is suspect when ×100 it lies within this factor of the other years' range.
_NEAR = 2.0
#: Consecutive rising 当年新增 years that look like a running total.
RUNNING_YEARS = 3
#: A figure this many times beyond the rest of its series is asked about (28.5 among 155–175).
_FAR = 3.0
#: Running totals add each year about what the first year did: an implied addition below the
#: first year's figure divided by this is slow growth of yearly figures, not a running total.
_STEP = 3.0


def _g(x: float) -> str:
    return f"{x:.6g}"


def _scale(rows: pd.DataFrame) -> dict[int, str]:
    out: dict[int, str] = {}
    for k, rec in rows.iterrows():
        value = float(rec["value"])
        if not 0 < value < 1 or bool(rec["confirmed"]):
            continue
        others = rows.loc[(rows.index != k) & (rows["value"] >= 1), "value"].astype(float)
        if others.empty:
            continue
        scaled = value * 100
        if others.min() / _NEAR <= scaled <= others.max() * _NEAR:
            years = "、".join(str(int(y)) for y in rows.loc[others.index, "year"])
            out[int(str(k))] = (
                f"疑似把 {_g(scaled)}% 写成 {_g(value)}（该指标{years}年为 "
                f"{'、'.join(_g(v) for v in others)}）：若是 {_g(scaled)}%，请改填 {_g(scaled)}；"
                f"若确为 {_g(value)}%，请在“填报口径”填“已核实”"
            )
    return out


def _outliers(rows: pd.DataFrame) -> dict[int, str]:
    """A figure far outside the row's own series (28.5 among 155–175): off by at least
    `_FAR` from the nearest of the other years' figures, with at least two other years."""
    out: dict[int, str] = {}
    # plain lists: one pass per figure over a handful of years (pandas filters cost more here)
    keys = [int(str(k)) for k in rows.index]
    values = [float(v) for v in rows["value"]]
    years = [int(y) for y in rows["year"]]
    confirmed = [bool(c) for c in rows["confirmed"]]
    top = max((v for v in values if v == v), default=0.0)  # NaN aside, as pandas' max
    for i, value in enumerate(values):
        if confirmed[i] or value <= 0 or (0 < value < 1 and top >= 1):
            continue  # a fraction among percentages is the scale question, asked on its own
        others = [(years[j], v) for j, v in enumerate(values) if j != i and v > 0]
        if len(others) < 2:
            continue
        low, high = min(v for _, v in others), max(v for _, v in others)
        if low / _FAR <= value <= high * _FAR:
            continue
        listed = "、".join(str(y) for y, _ in others)
        out[keys[i]] = (
            f"{years[i]}年数值 {_g(value)} 与该指标其他年份（{listed}年：{_g(low)}–{_g(high)}）相差悬殊："
            "疑似多输或漏输了位数、或用错了单位；若无误，请在“填报口径”填“已核实”"
        )
    return out


def _running(rows: pd.DataFrame) -> dict[int, str]:
    adds = rows[(rows["entry"] == "addition") & ~rows["confirmed"].astype(bool) & (rows["year"] >= 2021)]
    adds = adds.sort_values("year")
    if not _like_running_totals([float(v) for v in adds["value"]]):
        return {}
    out: dict[int, str] = {}
    run: list[int] = []
    years = {int(k): int(y) for k, y in zip(adds.index, adds["year"], strict=True)}
    figures = {int(k): float(v) for k, v in zip(adds.index, adds["value"], strict=True)}
    for k in years:
        prev = run[-1] if run else None
        if prev is not None and years[k] == years[prev] + 1 and figures[k] > figures[prev]:
            run.append(k)
        else:
            if len(run) >= RUNNING_YEARS:
                out |= _ask(adds.loc[run])
            run = [k]
    if len(run) >= RUNNING_YEARS:
        out |= _ask(adds.loc[run])
    return out


def _like_running_totals(series: list[float]) -> bool:
    """Whether the 当年新增 figures could be running totals: they never fall (a running total
    cannot), and each year's implied addition (the difference) is of the size of the first year's
    (3.0, 3.2, 3.3 would mean additions of 3.0, 0.2, 0.1: slow growth, not running totals)."""
    if len(series) < RUNNING_YEARS or any(b < a for a, b in itertools.pairwise(series)):
        return False
    steps = [b - a for a, b in itertools.pairwise(series)]
    return series[0] > 0 and min(steps) >= series[0] / _STEP


def _ask(run: pd.DataFrame) -> dict[int, str]:
    years = f"{int(run['year'].iloc[0])}–{int(run['year'].iloc[-1])}"
    figures = "、".join(_g(float(v)) for v in run["value"])
    question = (
        f"{years}年的“当年新增”逐年上升（{figures}），疑似填的是累计数：若是累计数，请在“填报口径”改填“累计数”；"
        "若确为当年新增，请填“当年新增（已核实）”"
    )
    return {int(k): question for k in run.index}


def flag_doubts(values: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """``values`` with ``flag`` (``scale``, ``running`` or "") and ``question`` (the Chinese
    question to the clerk) set; ``known`` is the indicator table indexed by id.

    Examples
    --------
    >>> import pandas as pd
    >>> from hepinggis.monitor.indicators import indicators
    >>> v = pd.DataFrame({"indicator_id": ["nanshichang_retail_share"] * 3, "year": [2021, 2022, 2023],
    ...                   "value": [21.0, 0.22, 20.5], "entry": None, "confirmed": False, "flag": "",
    ...                   "question": ""})
    >>> flag_doubts(v, indicators().set_index("id"))["question"][1][:19]
    '疑似把 22% 写成 0.22（该指标'
    """
    values = values.copy()
    if values.empty:
        return values
    values["flag"] = values["flag"].fillna("").astype(str)
    values["question"] = values["question"].fillna("").astype(str)
    for iid, rows in values.groupby("indicator_id", sort=False):
        if str(iid) not in known.index:
            continue
        ind = known.loc[str(iid)]
        found: dict[int, str] = {}
        if ind["unit"] == "%":
            found = _scale(rows)
            for k, q in found.items():
                values.loc[k, ["flag", "question"]] = ["scale", q]
        running: dict[int, str] = {}
        if ind["basis"] == "cumulative":
            running = _running(rows)
            for k, q in running.items():
                values.loc[k, ["flag", "question"]] = ["running", q]
        if ind["basis"] != "cumulative" or not running:  # yearly additions may vary: outliers apart
            for k, q in _outliers(rows[rows["year"] >= 2020]).items():
                if k not in found and k not in running:
                    values.loc[k, ["flag", "question"]] = ["outlier", q]
    return values
