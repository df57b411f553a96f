"""The yearly series of one indicator against the plan's trajectory: a table, an inline SVG for the
map panels (no script, no external file: it works offline and in any briefing) and the points of
the PDFs' trend lines (`hepinggis.monitor._pdf_pages`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hepinggis.monitor._judging import _base, _flip, _required
from hepinggis.monitor._layers import memo
from hepinggis.monitor._targets import indicator_record

__all__ = ["trend", "trend_svg"]


def _running(rows: pd.DataFrame, first: int) -> dict[int, float]:
    """Running totals by year for a cumulative count, as far as the years are complete."""
    cols = zip(rows["year"].tolist(), rows["value"].tolist(), rows["entry"].tolist(), strict=True)
    by_year = {int(y): (float(v), e) for y, v, e in cols}
    out: dict[int, float] = {}
    total = 0.0
    for year in range(first, max(by_year, default=first - 1) + 1):
        if year not in by_year:
            break
        value, entry = by_year[year]
        total = value if entry == "running_total" else total + value
        out[year] = total
    return out


def _rows(values: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """``values``' rows of ``indicator_id`` by year, as a filter and a sort give them; split once
    per package (`hepinggis.monitor._layers.memo`: a package asks for every trend, some twice)."""

    def split() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        return values, {str(k): g.sort_values("year") for k, g in values.groupby("indicator_id", sort=False)}

    kept, groups = memo(("trend rows", id(values)), split)
    if kept is not values:  # another frame now has that id: split it afresh
        kept, groups = split()
    found = groups.get(indicator_id)
    return found.copy() if found is not None else values[values["indicator_id"] == indicator_id]


def trend(values: pd.DataFrame, indicator_id: str, *, last_year: int | None = None) -> pd.DataFrame:
    """``year``, ``value`` (as judged: running totals for cumulative counts) and ``required`` (the
    trajectory) for one indicator, from its base year to 2025 or the last year given; empty for a
    target stated only in words.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"indicator_id": ["beishichang_new_culture_firms"] * 2, "year": [2021, 2022],
    ...                   "value": [18.0, 22.0], "entry": ["addition", "addition"]})
    >>> trend(f, "beishichang_new_culture_firms")[["year", "value", "required"]].head(3).values.tolist()
    [[2021.0, 18.0, 20.0], [2022.0, 40.0, 40.0], [2023.0, nan, 60.0]]
    >>> len(trend(f, "manrong_qualitative_1"))
    0
    >>> a = pd.DataFrame({"indicator_id": "district_approval_time_share", "year": [2020, 2021], "value": [80.0, 78.0]})
    >>> trend(a, "district_approval_time_share")["required"].round(1).tolist()  # 80 → 70 by 2025, linear
    [80.0, 78.0, 76.0, 74.0, 72.0, 70.0]
    """
    ind: dict[str, Any] = indicator_record(indicator_id)
    if ind["kind"] == "qualitative":
        return pd.DataFrame({"year": [], "value": [], "required": []}, dtype=float)
    mine = _rows(values, indicator_id)
    if "entry" not in mine.columns:
        mine = mine.assign(entry=None)
    if ind["kind"] == "above_reference":  # the figure it must exceed, year by year, as the "trajectory"
        ref = _rows(values, str(ind["reference_id"]))
        ref_by_year = {int(y): float(v) for y, v in zip(ref["year"], ref["value"], strict=True)}
        years = sorted(set(int(y) for y in mine["year"]) | set(ref_by_year))
        own = {int(y): float(v) for y, v in zip(mine["year"], mine["value"], strict=True)}
        return pd.DataFrame(
            {
                "year": years,
                "value": [own.get(y, math.nan) for y in years],
                "required": [ref_by_year.get(y, math.nan) for y in years],
            },
            dtype=float,
        )
    lower = ind["kind"] == "share_at_most"
    if lower:  # lower is better: the trajectory is computed as evaluate does, on negated figures
        ind, mine = _flip(ind, mine)
    base, _ = _base(ind, mine)
    start = int(ind["base_year"]) + (1 if ind["basis"] in ("per_year", "cumulative") else 0)
    end = max(int(ind["target_year"]), int(mine["year"].max()) if len(mine) else 0, last_year or 0)
    if ind["basis"] == "cumulative":
        shown: dict[int, float] = _running(mine[mine["year"] >= start], start)
    else:
        shown = {int(y): float(v) for y, v in zip(mine["year"].tolist(), mine["value"].tolist(), strict=True)}
    if base is not None and int(ind["base_year"]) not in shown:
        shown[int(ind["base_year"])] = base
        start = int(ind["base_year"])
    years = list(range(start, end + 1))
    required = [_required(ind, base, y)[0] if y <= int(ind["target_year"]) else math.nan for y in years]
    sign = -1.0 if lower else 1.0
    return pd.DataFrame(
        {
            "year": years,
            "value": [sign * shown.get(y, math.nan) for y in years],
            "required": [sign * r for r in required],
        },
        dtype=float,
    )


def trend_svg(series: pd.DataFrame, *, colour: str, width: int = 150, height: int = 34) -> str:
    """A sparkline: the trajectory as a dashed grey line, the figures as dots joined in ``colour``,
    the first and last year under it. Empty when there is nothing to draw."""
    # plain arrays, not DataFrame filters: a package draws some eighty of these
    year = series["year"].to_numpy(dtype=float)
    value = series["value"].to_numpy(dtype=float)
    required = series["required"].to_numpy(dtype=float)
    has_value, has_required = ~np.isnan(value), ~np.isnan(required)
    if not has_value.any():
        return ""
    ys = np.concatenate([value[has_value], required[has_required]])
    lo, hi = float(ys.min()), float(ys.max())
    lo, hi = (lo - 1, hi + 1) if hi == lo else (lo, hi)
    x0, x1 = float(np.nanmin(year)), float(np.nanmax(year))
    span = x1 - x0 or 1.0

    def pt(x: float, y: float) -> str:
        return f"{4 + (x - x0) / span * (width - 8):.1f},{height - 12 - (y - lo) / (hi - lo) * (height - 16):.1f}"

    path = " ".join(pt(x, y) for x, y in zip(year[has_required], required[has_required], strict=True))
    line = " ".join(pt(x, y) for x, y in zip(year[has_value], value[has_value], strict=True))
    dots = "".join(
        f'<circle cx="{pt(x, y).split(",")[0]}" cy="{pt(x, y).split(",")[1]}" r="2" fill="{colour}"/>'
        for x, y in zip(year[has_value], value[has_value], strict=True)
    )
    return (
        f'<svg class="hg-trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="趋势：实线为填报值，虚线为规划轨迹">'
        f'<polyline points="{path}" fill="none" stroke="#888" stroke-dasharray="3,2" stroke-width="1"/>'
        f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5"/>{dots}'
        f'<text x="2" y="{height - 1}" font-size="9" fill="#555">{int(x0)}</text>'
        f'<text x="{width - 2}" y="{height - 1}" font-size="9" fill="#555" text-anchor="end">{int(x1)}</text></svg>'
    )
