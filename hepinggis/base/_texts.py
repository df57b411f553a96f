"""Chinese wording for the maps' popups: document titles instead of file names, and where a
project is, said the way a planner would say it."""

from __future__ import annotations

import math
import re

from hepinggis.base._style import LOCATION_ZH

__all__ = ["PLAN_DOC_ZH", "doc_title", "location_zh", "plan_source_zh"]

PLAN_DOC_ZH = "和平区“十四五”规划纲要（2021）"
_SEED = re.compile(r"^\S+\.txt\s*\((?P<title>.+)\)\s*$")


def doc_title(source_doc: object) -> str:
    """The document's title: ``"000_e76b….txt (和平区2022年政府工作报告)"`` → ``"和平区2022年政府工作报告"``;
    anything else (a user's file name, say) is returned as it is.

    Examples
    --------
    >>> doc_title("000_e76b08ddd3e096b3.txt (和平区2022年政府工作报告)")
    '和平区2022年政府工作报告'
    >>> doc_title("我的清单.xlsx")
    '我的清单.xlsx'
    """
    text = "" if source_doc is None else str(source_doc)
    match = _SEED.match(text)
    return match.group("title") if match else text


def plan_source_zh(section: object) -> str:
    """The plan and its section, e.g. ``和平区“十四五”规划纲要（2021）第六章第三节``."""
    return f"{PLAN_DOC_ZH}{'' if section is None else section}"


def location_zh(method: str, accuracy_m: float, where: str | None = None) -> str:
    """How precisely a project is placed, in Chinese.

    Examples
    --------
    >>> location_zh("zone_extent", 5220.0, "满融国际化生态科技示范区")
    '仅知位于满融国际化生态科技示范区内，图上标于区内（范围 ±5220 m）'
    >>> location_zh("point", float("nan"))
    '点位（精度未知）'
    """
    acc = "精度未知" if accuracy_m is None or math.isnan(accuracy_m) else f"±{accuracy_m:.0f} m"
    if method in ("point", "line", "footprint"):
        return f"{LOCATION_ZH[method]}（{acc}）"
    place = {
        "zone_extent": f"{where or '功能区'}内",
        "sub_area_extent": f"发展重点片区内{'（' + where + '）' if where else ''}",
        "belt_extent": "浑河文体旅生态发展带内",
    }.get(method, LOCATION_ZH.get(method, method))
    return f"仅知位于{place}，图上标于区内（范围 {acc}）"
