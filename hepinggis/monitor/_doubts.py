"""Figures that each read fine but together show a clerk's habit, asked about instead of judged:

* a share typed as a fraction among whole percentages (0.22 among 19.5, 21, 20.5): "疑似把 22% 写
  成 0.22" (flag ``scale``);
* running totals typed into 当年新增 rows, the most common slip (35, 63, 109, 161 for exhibitions
  held 35, 28, 46, 52): three or more consecutive years, each larger than the one before (flag
  ``running``).

A flagged figure is kept as typed and not judged until the clerk confirms it in 填报口径
("已核实", "当年新增（已核实）", "累计数"): the pages say the question beside the indicator.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["flag_doubts"]

#: A fraction is suspect when ×100 it lies within this factor of the other years' range.
_NEAR = 2.0
#: Consecutive rising 当年新增 years that look like a running total.
RUNNING_YEARS = 3


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


def _running(rows: pd.DataFrame) -> dict[int, str]:
    adds = rows[(rows["entry"] == "addition") & ~rows["confirmed"].astype(bool) & (rows["year"] >= 2021)]
    adds = adds.sort_values("year")
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
        if ind["basis"] == "cumulative":
            for k, q in _running(rows).items():
                values.loc[k, ["flag", "question"]] = ["running", q]
    return values
