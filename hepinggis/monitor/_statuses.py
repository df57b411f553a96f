"""The verdicts `evaluate` gives an indicator, in the bureau's words, and the threshold between
"behind" and "at risk"."""

from __future__ import annotations

#: Every verdict, best first; `JUDGED` are those resting on figures. ``to_confirm``: a figure is
#: asked about (待核实) and not judged; ``no_base``: a growth target whose base is missing or 0.
STATUSES = (
    "achieved_early",
    "on_track",
    "behind",
    "at_risk",
    "achieved",
    "missed",
    "to_confirm",
    "no_base",
    "no_data",
    "qualitative",
)
#: The verdicts in the bureau's words.
STATUS_ZH = {
    "achieved_early": "提前达成",
    "on_track": "达到进度",
    "behind": "略有滞后",
    "at_risk": "明显滞后",
    "achieved": "已达成",
    "missed": "未达成",
    "to_confirm": "待核实",
    "no_base": "无法评估",
    "no_data": "无数据",
    "qualitative": "定性目标",
}
JUDGED = ("achieved_early", "on_track", "behind", "at_risk", "achieved", "missed")

#: Verdicts that count as "on track" in a zone's share.
GOOD = ("achieved_early", "on_track", "achieved")
#: Below the required trajectory but with at least this share of the required progress: "behind".
BEHIND_RATIO = 0.8
