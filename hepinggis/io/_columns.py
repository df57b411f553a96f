"""Recognising the columns of planners' project lists (Chinese and English names, units)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from hepinggis.base.messages import Said
from hepinggis.errors import ImportFileError

__all__ = ["COLUMN_NAMES", "ROLE_ZH", "WEAK_NAMES", "find_columns", "leaf", "looks_like_header", "name_position"]

#: Header names recognised for each role (compared after lower-casing and removing spaces,
#: brackets and units); pass ``columns={"name": "…"}`` for anything else.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "项目编号", "项目代码", "统一项目代码", "项目统一代码", "备案编号", "code", "fid"),
    "name": ("name", "名称", "项目名称", "项目名", "项目", "project", "projectname", "title", "name_zh"),
    "x": ("经度", "lon", "lng", "long", "longitude", "x", "x坐标", "东坐标", "easting", "东经"),
    "y": ("纬度", "lat", "latitude", "y", "y坐标", "北坐标", "northing", "北纬"),
    "category": ("category", "类别", "分类", "类型", "项目类型", "项目类别", "项目分类", "行业类别", "type"),
    "status": ("status", "状态", "进度", "建设状态", "项目状态", "建设进度", "进展情况", "建设阶段"),
    "nature": ("nature", "建设性质", "项目性质"),
    "address": ("address", "项目地址", "地址", "建设地点", "建设地址", "项目地点"),
    "year": ("year", "年份", "年度", "开工年份", "建设年份"),
    "investment": (
        "investment",
        "investment_cny",
        "投资",
        "总投资",
        "投资额",
        "计划投资",
        "项目总投资",
        "总投资额",
        "投资总额",
        "估算总投资",
    ),
    # the unit responsible for a project (identity across versions: a renamed project keeps its unit)
    "owner": ("owner", "建设单位", "责任单位", "业主单位", "项目单位", "实施单位", "牵头单位", "建设主体", "项目业主"),
    # progress (read as typed; `hepinggis.monitor.progress` states the warning rules)
    "planned_start": ("planned_start", "计划开工", "计划开工时间", "计划开工日期", "拟开工时间", "计划开工年月"),
    "actual_start": ("actual_start", "实际开工", "实际开工时间", "实际开工日期", "开工时间", "开工日期"),
    "planned_end": (
        "planned_end",
        "计划竣工",
        "计划竣工时间",
        "计划竣工日期",
        "计划完工",
        "计划完工时间",
        "预计竣工时间",
        "竣工时间",
    ),
    "progress_text": ("progress_text", "形象进度", "工程形象进度", "当前形象进度", "形象进度描述"),
    "annual_plan": ("annual_plan", "年度计划投资", "本年计划投资", "年度投资计划", "当年计划投资", "年计划投资"),
    "completed_investment": (
        "completed_investment",
        "累计完成投资",
        "累计完成",
        "累计完成投资额",
        "开工累计完成投资",
        "累计投资",
        "完成投资",
    ),
    # the row number a register counts its rows with: never an identity (it restarts per section)
    "serial": ("序号", "序", "no", "no.", "编号序号", "行号"),
    # one cell holding "lon,lat" (as AMap's coordinate picker copies it); used when x/y are absent
    "xy": ("坐标", "经纬度", "lnglat", "lonlat", "coordinates", "coordinate", "location", "坐标点"),
}
#: Names that give way to any other name of the same role in the same file (a register with
#: 序号 and 项目编号 has its ids in 项目编号; one with 项目 and 项目名称, its names in 项目名称).
WEAK_NAMES: frozenset[str] = frozenset({"fid", "项目", "type", "title", "code"})
_UNIT = re.compile(r"[（(\[【].*?[)）\]】]|\s+|_")


def _key(header: str) -> str:
    return _UNIT.sub("", unicodedata.normalize("NFKC", str(header))).lower()


_ROLE_OF: dict[str, str] = {_key(n): role for role, names in COLUMN_NAMES.items() for n in names}


def leaf(path: str) -> str:
    """The last label of a column's header path (``投资情况（万元）/总投资`` → ``总投资``)."""
    return path.rsplit("/", 1)[-1]


def looks_like_header(cells: list[str]) -> bool:
    """A row that names a project column and its position (x and y, or one lon,lat column), or at
    least three recognised columns: the header of a register, not a title above it."""
    roles = {_ROLE_OF.get(_key(c)) for c in cells if c}
    placed = {"x", "y"} <= roles or "xy" in roles
    return ("name" in roles and placed) or len(roles - {None}) >= 3


def name_position(cells: list[str]) -> int | None:
    """The position of the project-name column among a header row's labels."""
    keys = {_key(n) for n in COLUMN_NAMES["name"]}
    hits = [k for k, c in enumerate(cells) if c and _key(c) in keys]
    strong = [k for k in hits if _key(cells[k]) not in WEAK_NAMES]
    return (strong or hits)[0] if hits else None


def _explicit(col: str, headers: list[str], role: str) -> str:
    """The header a caller named: a full path, or the last label of exactly one path."""
    if col in headers:
        return col
    by_leaf = [h for h in headers if leaf(h) == col]
    if len(by_leaf) == 1:
        return by_leaf[0]
    raise ImportFileError(
        f"为“{ROLE_ZH.get(role, role)}”指定的列“{col}”"
        + (
            f"不唯一（{'、'.join(by_leaf)}），请写出完整路径"
            if by_leaf
            else f"不在文件中（现有列：{'、'.join(headers)}）"
        )
    )


def find_columns(headers: list[str], explicit: Mapping[str, str] | None) -> dict[str, str]:
    """Role → header for every recognised column (matched on the last label of each header path).
    Two headers that could both be one role (and neither is one of `WEAK_NAMES`) are an error
    naming them: the file is never read by a guess."""
    found: dict[str, str] = {}
    explicit = dict(explicit or {})
    for role, col in explicit.items():
        if role not in COLUMN_NAMES:
            raise ImportFileError(f"未知的列角色“{role}”；可用的角色：{'、'.join(COLUMN_NAMES)}")
        found[role] = _explicit(col, headers, role)
    for role, names in COLUMN_NAMES.items():
        if role in found:
            continue
        keys = {_key(n) for n in names}
        hits = [h for h in headers if _key(leaf(h)) in keys and h not in found.values()]
        strong = [h for h in hits if _key(leaf(h)) not in WEAK_NAMES]
        if len(strong) > 1:
            raise ImportFileError(
                Said("role_ambiguous", role_zh=ROLE_ZH.get(role, role), cols="、".join(strong), role=role)
            )
        if strong or hits:
            found[role] = (strong or hits)[0]
    if "x" in found and "y" in found:
        found.pop("xy", None)
    return found


#: The one table of column roles: each role's id and the Chinese name the pages, the preview's
#: column choices and the messages give it, in the order the preview offers them (the web app
#: sends it to the page; ``COLUMN_NAMES`` has the header names recognised for each).
ROLE_ZH: dict[str, str] = {
    "serial": "序号",
    "id": "编号",
    "name": "项目名称",
    "x": "经度/X",
    "y": "纬度/Y",
    "xy": "坐标",
    "category": "类别",
    "status": "状态",
    "nature": "建设性质",
    "address": "地址",
    "year": "年份",
    "investment": "投资",
    "owner": "建设单位",
    "planned_start": "计划开工",
    "actual_start": "实际开工",
    "planned_end": "计划竣工",
    "progress_text": "形象进度",
    "annual_plan": "年度计划投资",
    "completed_investment": "累计完成投资",
}
