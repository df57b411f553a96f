"""The filter of a register's list as the URL gives it (the list page, its exports, the warnings and
the filtered package alike): a FastAPI dependency (`FilterDep`) that reads the conditions and the
amounts as the clerk typed them (元, 万元 or 亿元) into a `_filter.ProjectFilter`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from hepinggis.errors import BadUpload
from hepinggis.web.registers import _filter

__all__ = ["FilterDep", "project_filter"]

_UNIT_FACTOR = {"元": 1.0, "万元": 1e4, "亿元": 1e8}


def project_filter(
    zone: Annotated[str | None, Query(max_length=100, description="功能区：编号（如 manrong）或中文名")] = None,
    jiedao: Annotated[str | None, Query(max_length=100, description="街道：编号或中文名")] = None,
    category: Annotated[str | None, Query(max_length=200, description="类别，可用逗号分隔多个")] = None,
    status: Annotated[str | None, Query(max_length=200, description="状态，可用逗号分隔多个")] = None,
    warning: Annotated[str | None, Query(max_length=100, description="预警：逾期、滞后、正常、无法判断")] = None,
    min_yuan: Annotated[float | None, Query(ge=0, description="投资下限（元）")] = None,
    max_yuan: Annotated[float | None, Query(ge=0, description="投资上限（元）")] = None,
    q: Annotated[str | None, Query(max_length=100, description="名称、编号、建设单位或地址中的文字")] = None,
    min: Annotated[str | None, Query(max_length=30, description="投资下限，按 unit 的单位")] = None,
    max: Annotated[str | None, Query(max_length=30, description="投资上限，按 unit 的单位")] = None,
    unit: Annotated[str | None, Query(max_length=4, description="min/max 的单位：元、万元、亿元")] = None,
) -> _filter.ProjectFilter:
    """The filter of the URL. ``min``/``max`` with ``unit`` are the amounts as the clerk typed them
    on the page (元, 万元 or 亿元); ``min_yuan``/``max_yuan`` the same in 元."""
    factor = _UNIT_FACTOR.get(unit or "元")
    if factor is None:
        raise BadUpload("投资单位只能是 元、万元、亿元")

    def amount(text: str | None, given: float | None) -> float | None:
        if given is not None:
            return given
        if text is None or not text.strip():
            return None
        try:
            value = float(text.strip().replace(",", ""))
        except ValueError:
            raise BadUpload(f"投资金额“{text[:30]}”不是数字") from None
        if not value >= 0:
            raise BadUpload("投资金额不能为负")
        return value * factor

    blank = lambda t: t.strip() or None if t else None  # noqa: E731
    return _filter.ProjectFilter(
        zone=blank(zone),
        jiedao=blank(jiedao),
        category=blank(category),
        status=blank(status),
        warning=blank(warning),
        min_yuan=amount(min, min_yuan),
        max_yuan=amount(max, max_yuan),
        q=blank(q),
        unit=(unit or "元") if (blank(min) or blank(max)) and min_yuan is None and max_yuan is None else None,
    )


FilterDep = Annotated[_filter.ProjectFilter, Depends(project_filter)]
