"""What every monitoring product credits, in one place: the plan the targets are quoted from and
the figures' file (its name and sheet, never a path on this machine or in the source tree).

`credit_lines` is the only function that writes these lines; the maps, PDFs, index and workbook
all call it, so a new credit (e.g. the boundary layers a bureau adopted) is added here once, by
passing it in ``extra``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hepinggis.base._credits import boundaries_credit

__all__ = ["PLAN_SOURCE_ZH", "credit_lines"]

#: The document the targets and their quotes come from.
PLAN_SOURCE_ZH = "《沈阳市和平区国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要》（2021）"


def credit_lines(
    source: str | Path | None, *, sheet: str | None = None, example: bool = False, extra: Iterable[str] = ()
) -> list[str]:
    """The credit lines of a monitoring product.

    ``source`` is the figures' file (only its name is shown), ``sheet`` the sheet read, ``extra``
    further lines (layers, adopted boundaries) appended as given.

    Examples
    --------
    >>> lines = credit_lines("/home/clerk/2023年填报.xlsx", sheet="填报")
    >>> lines[1]
    '监测数据：2023年填报.xlsx（工作表“填报”）'
    >>> lines[0].startswith("目标与原文：《沈阳市和平区国民经济和社会发展第十四个五年规划")
    True
    """
    name = Path(str(source)).name if source else "—"
    where = f"（工作表“{sheet}”）" if sheet else ""
    lines = [
        f"目标与原文：{PLAN_SOURCE_ZH}第二至八章、第十章（数值目标全部纳入；未监测的见“未监测的规划目标”）",
        f"监测数据：{name}{where}{'（示例数据，非真实统计）' if example else ''}",
        boundaries_credit(),
    ]
    lines.extend(str(x) for x in extra)
    return lines
