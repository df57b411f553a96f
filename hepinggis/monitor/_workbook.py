"""The monitoring workbook's tables, in Chinese: sheet names, headers, statuses and messages (the
English ids stay as the 编号 columns, for joining)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hepinggis.base._credits import boundaries_credit
from hepinggis.monitor._figures import ENTRY_ZH
from hepinggis.monitor._layers import layer
from hepinggis.monitor._targets import coverage, not_monitored
from hepinggis.monitor._words import STATUS_ZH, Coverage, target_name
from hepinggis.monitor.changes import CHANGE_ZH
from hepinggis.monitor.evaluate import zone_summary
from hepinggis.monitor.indicators import ActualsResult, indicators

__all__ = ["monitor_tables", "sheet_names"]

_RESULT_HEADERS = {
    "indicator_id": "指标编号",
    "target_name": "功能区/轴/带/全区",
    "indicator_zh": "指标",
    "quote": "规划原文",
    "unit": "单位",
    "target_zh": "目标（含单位）",
    "year": "评估年份",
    "judged_year": "判断年份",
    "latest_year": "数值年份",
    "latest": "数值",
    "base": "基数",
    "required": "当年应达",
    "final_required": "2025年需达",
    "progress_pct": "进度（%）",
    "status_zh": "状态",
    "question": "待核实的问题",
    "trajectory": "轨迹",
    "base_source": "基数来源",
    "aggregation": "取值方式",
    "rule_zh": "判断规则",
    "later": "规划期后年份",
    "note": "填报备注",
    "tool_note": "系统说明",
    "target_id": "功能区编号",
}
_TARGET_HEADERS = {
    "id": "指标编号",
    "target_id": "功能区编号",
    "plan_section": "规划章节",
    "indicator_zh": "指标",
    "unit": "单位",
    "kind": "类型",
    "basis": "计数方式",
    "target": "2025年目标值",
    "target_max": "目标区间上限",
    "base_year": "基期",
    "base_value": "规划写明的基数",
    "base_quote": "基数原文",
    "entry": "默认填报口径",
    "quote": "规划原文",
    "note": "说明",
}
_KIND_ZH = {
    "count_at_least": "数量不少于",
    "share_at_least": "占比不低于",
    "annual_growth_at_least": "年均增长不低于",
    "multiple_of_base": "为基期的倍数",
    "share_at_most": "占比不高于",
    "above_reference": "高于比较对象",
    "qualitative": "定性目标",
}
_BASIS_ZH = {"per_year": "每年", "cumulative": "累计", "level": "年末存量"}
_CHANGE_HEADERS = {
    "years": "年份",
    "change_zh": "变化",
    "name_zh": "项目名称",
    "id_old": "原编号",
    "id_new": "新编号",
    "matched_by": "匹配方式",
    "status_old": "原状态",
    "status_new": "新状态",
    "moved_m": "位移（米）",
    "note": "说明",
}


def _typed(value: object) -> object:
    """A figure as the clerk typed it: whole numbers as integers, the rest unchanged."""
    if not isinstance(value, (int, float)) or pd.isna(value):
        return value
    return int(value) if float(value).is_integer() and abs(float(value)) < 1e15 else float(value)


def _significant(value: object) -> object:
    """A computed requirement without float noise (345.6, not 345.59999999999997)."""
    if not isinstance(value, (int, float)) or pd.isna(value):
        return value
    return _typed(float(f"{float(value):.10g}"))


def _results(results: pd.DataFrame) -> pd.DataFrame:
    zones = layer("zones")
    quotes = indicators().set_index("id")["quote"]
    frame = results.assign(
        status_zh=results["status"].map(STATUS_ZH),
        target_name=[target_name(str(t), zones) for t in results["target_id"]],
        progress_pct=results["progress_pct"].round(1),
        quote=results["indicator_id"].map(quotes),
    )
    for col in ("latest", "base"):  # the figures as typed (0.22 stays 0.22): a reviewer's own sheets compare them
        frame[col] = pd.Series([_typed(v) for v in frame[col]], dtype=object)
    for col in ("required", "final_required"):  # computed: kept to 10 significant digits, not rounded to the unit
        frame[col] = pd.Series([_significant(v) for v in frame[col]], dtype=object)
    for col in ("year", "judged_year", "latest_year"):
        frame[col] = [None if pd.isna(v) else int(v) for v in frame[col]]
    return frame[list(_RESULT_HEADERS)].rename(columns=_RESULT_HEADERS)


def _summary(results: pd.DataFrame) -> pd.DataFrame:
    zones = layer("zones")
    s = zone_summary(results).reset_index()
    out = pd.DataFrame({"功能区/轴/带/全区": [target_name(str(t), zones) for t in s["target_id"]]})
    out["定量指标"] = s["quantitative"]
    out["有数据"] = s["with_data"]
    for status, zh in STATUS_ZH.items():
        out[zh] = s[status]
    out["达到进度占比（%，有数据的指标中）"] = s["on_track_pct"]
    out["功能区编号"] = s["target_id"]
    return out


def _targets() -> pd.DataFrame:
    table = indicators()
    table = table.assign(
        kind=table["kind"].map(_KIND_ZH),
        basis=table["basis"].map(_BASIS_ZH),
        entry=table["entry"].map(ENTRY_ZH),
    )
    return table[list(_TARGET_HEADERS)].rename(columns=_TARGET_HEADERS)


def _figures(actuals: ActualsResult) -> pd.DataFrame:
    v = actuals.values
    return pd.DataFrame(
        {
            "行号": v["row"],
            "指标编号": v["indicator_id"],
            "年份": v["year"],
            "数值": v["value"],
            "填报口径": v["entry"].map(ENTRY_ZH),
            "待核实": v["question"],
            "备注": v["note"],
        }
    )


def _not_monitored() -> pd.DataFrame:
    """What the plan states with a number but is not monitored, each with its reason, and which
    chapters the monitoring covers."""
    rows = [{"规划章节": n["plan_section"], "规划原文": n["quote"], "原因": n["reason"]} for n in not_monitored()]
    rows.append({"规划章节": "全文", "规划原文": "", "原因": coverage()})
    return pd.DataFrame(rows, columns=["规划章节", "规划原文", "原因"])


def _coverage(results: pd.DataFrame, actuals: ActualsResult) -> pd.DataFrame:
    c = Coverage(results, len(actuals.rejected))
    blank = int((actuals.report["outcome"] == "blank").sum())
    return pd.DataFrame(
        {
            "项目": [
                "填报文件",
                "文件行数",
                "读入数值",
                "未读入行",
                "未填行",
                "定量指标",
                "有数据的指标",
                "示例数据",
                "边界",
            ],
            "内容": [
                Path(actuals.source).name + (f"（工作表“{actuals.sheet}”）" if actuals.sheet else ""),
                actuals.rows_in,
                len(actuals.values),
                c.refused_rows,
                blank,
                c.quantitative,
                c.with_data,
                "是" if actuals.is_example else "否",
                boundaries_credit(),
            ],
        }
    )


def sheet_names(*, changes: bool) -> list[str]:
    """The sheets `monitor_tables` gives, in order (the index names them before they are written,
    `tests/monitor/test_forked_pdfs.py` checks they agree)."""
    return [*_SHEETS, *(["项目变化"] if changes else [])]


_SHEETS = ("指标评估", "功能区汇总", "数据覆盖", "规划目标", "填报数据", "读取报告", "来源", "未监测的规划目标")


def monitor_tables(
    results: pd.DataFrame, actuals: ActualsResult, changes: pd.DataFrame | None, credits: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The sheets of ``monitoring.xlsx``, by Chinese sheet name; ``credits`` (from
    `hepinggis.monitor._credits.credit_lines`) become the 来源 sheet."""
    tables = {
        "指标评估": _results(results),
        "功能区汇总": _summary(results),
        "数据覆盖": _coverage(results, actuals),
        "规划目标": _targets(),
        "填报数据": _figures(actuals),
        "读取报告": actuals.report_zh(),
        "来源": pd.DataFrame({"来源": credits or []}),
        "未监测的规划目标": _not_monitored(),
    }
    if changes is not None:
        frame = changes.assign(change_zh=changes["change"].map(CHANGE_ZH))
        frame = frame.reindex(columns=list(_CHANGE_HEADERS)).rename(columns=_CHANGE_HEADERS)
        tables["项目变化"] = frame
    return tables
