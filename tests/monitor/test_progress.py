"""Progress warnings equal a hand computation of the documented rules (docs/registers.md), row by row."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import hepinggis
from hepinggis.monitor.progress import RULES, parse_period, progress_warnings, rules_zh

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"

# (status, 形象进度, 计划开工, 实际开工, 计划竣工, 总投资, 累计完成) → verdict, worked by hand for 2025-06-30
HAND = [
    ("计划", "", "2025-03", "", "2027-12", 100, 0, "逾期"),  # start passed (2025-03-31), not started
    ("计划", "", "2025年7月", "", "2027-12", 100, 0, "正常"),  # start not yet passed
    ("计划", "", "2025-06", "", "2027-12", 100, 0, "正常"),  # June not over on 06-30
    ("在建", "主体施工", "2023-01-01", "2023-02-01", "2025-05", 100, 90, "逾期"),  # completion passed
    ("在建", "竣工验收", "2023-01-01", "2023-02-01", "2025-05", 100, 90, "正常"),  # 形象进度 says 竣工
    ("已建成", "", "2020", "", "2021", 100, 10, "正常"),  # completed
    ("计划", "已竣工", "2020", "", "2021", 100, 10, "正常"),  # 形象进度 says completed
    # elapsed: 2024-01-01 → 2025-12-31 is 730 days, 546 gone = 74.8 %; done 50 % → 24.8 points behind
    ("在建", "", "2024-01", "2024-02-01", "2025年12月", 100, 50, "滞后"),
    ("在建", "", "2024-01", "2024-02-01", "2025年12月", 100, 55, "正常"),  # 19.8 points behind
    ("", "", "2024-01", "2024-02-01", "2025年12月", 100, 10, "滞后"),  # started by the date typed
    ("", "", "2024-01", "2025-08-01", "2025年12月", 100, 10, "逾期"),  # start typed is after the as-of date
    ("在建", "", "", "", "", 100, 10, "无法判断"),
    ("在建", "", "年内", "", "待定", 100, 10, "无法判断"),
    ("在建", "", "2024-01", "", "", None, 10, "正常"),  # no completion date, no total: nothing late
    ("在建", "", "2025-02-30", "", "2026-13", 100, 10, "无法判断"),  # not dates
]


def test_hand_cases() -> None:
    cols = ["status", "progress_text", "planned_start", "actual_start", "planned_end"]
    cols += ["investment_cny", "completed_cny"]
    frame = pd.DataFrame([h[:7] for h in HAND], columns=cols)
    got = progress_warnings(frame, AS_OF)
    for k, (h, (w, reason)) in enumerate(zip(HAND, zip(got["warning"], got["reason"], strict=True), strict=True)):
        assert w == h[7], (k, h, w, reason)
    assert got.loc[7, "elapsed_pct"] == 74.8 and got.loc[7, "done_pct"] == 50.0
    assert set(got["warning_code"]) == {"overdue", "lagging", "normal", "unknown"}
    assert all(reason for reason in got["reason"])


def test_periods() -> None:
    assert parse_period("2024/3/5") == (dt.date(2024, 3, 5), dt.date(2024, 3, 5))
    assert parse_period("2024.2") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert parse_period("2024年") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert parse_period("2024-03-05 00:00:00") == (dt.date(2024, 3, 5), dt.date(2024, 3, 5))
    assert parse_period("") is None and parse_period(None) is None and parse_period("2024-00") is None


def _last_day(text: str) -> dt.date | None:
    """The documented reading of a date cell, written again independently (whole-string forms only)."""
    import re

    t = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", t) or re.fullmatch(r"(\d{4})年(\d{1,2})月", t):
        y, mo = int(m[1]), int(m[2])
        return (pd.Timestamp(y, mo, 1) + pd.offsets.MonthEnd(0)).date()
    return None


def _first_day(text: str) -> dt.date | None:
    last = _last_day(text)
    if last is None:
        return None
    return last if len(text.strip()) == 10 else last.replace(day=1)


def test_the_series_register_row_by_row(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_register_series", ROOT / "tools" / "make_register_series.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    sys.modules["make_register_series"] = tool
    spec.loader.exec_module(tool)
    truth = tool.make_series(tmp_path, n=2000, seed=11)
    result = hepinggis.read_projects(tmp_path / "v01.csv", crs="wgs84")
    as_of = dt.date.fromisoformat(truth["versions"][0]["as_of"])
    got = progress_warnings(result, as_of)
    p = result.projects
    want = []
    for raw in p.to_dict("records"):
        rec = {k: (v if isinstance(v, str) or k.endswith("_cny") else "") for k, v in raw.items()}
        status, prog = rec["status"], rec["progress_text"]
        done = status in RULES.completed or any(w in prog for w in ("竣工", "建成", "完工"))
        act = _first_day(rec["actual_start"])
        started = done or status in RULES.started or (act is not None and act <= as_of)
        ps_last, pe_last = _last_day(rec["planned_start"]), _last_day(rec["planned_end"])
        ps_first = _first_day(rec["planned_start"])
        if done:
            want.append("正常")
        elif (ps_last and as_of > ps_last and not started) or (pe_last and as_of > pe_last):
            want.append("逾期")
        elif ps_first and pe_last and started and rec["investment_cny"] > 0 and not np.isnan(rec["completed_cny"]):
            elapsed = min(1, max(0, (as_of - ps_first).days / (pe_last - ps_first).days))
            share = rec["completed_cny"] / rec["investment_cny"]
            want.append("滞后" if round(100 * share, 1) < round(100 * elapsed, 1) - 20 else "正常")
        elif ps_last is None and pe_last is None:
            want.append("无法判断")
        else:
            want.append("正常")
    assert got["warning"].tolist() == want
    counts = got["warning"].value_counts()
    assert min(counts.get(w, 0) for w in ("逾期", "滞后", "正常")) > 20  # every verdict is exercised


def test_rules_are_stated_in_chinese() -> None:
    text = "".join(rules_zh())
    assert "20 个百分点" in text and "逾期" in text and "无法判断" in text
