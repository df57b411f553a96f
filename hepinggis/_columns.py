"""Recognising the columns of planners' project lists (Chinese and English names, units)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ._tables import ImportFileError

__all__ = ["COLUMN_NAMES", "find_columns"]

#: Header names recognised for each role (compared after lower-casing and removing spaces,
#: brackets and units); pass ``columns={"name": "…"}`` for anything else.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "项目编号", "序号", "code", "no", "fid"),
    "name": ("name", "名称", "项目名称", "项目", "project", "projectname", "title", "name_zh"),
    "x": ("经度", "lon", "lng", "long", "longitude", "x", "x坐标", "东坐标", "easting", "东经"),
    "y": ("纬度", "lat", "latitude", "y", "y坐标", "北坐标", "northing", "北纬"),
    "category": ("category", "类别", "分类", "类型", "type"),
    "status": ("status", "状态", "进度", "建设状态"),
    "year": ("year", "年份", "年度"),
    "investment": ("investment", "investment_cny", "投资", "总投资", "投资额", "计划投资"),
    # one cell holding "lon,lat" (as AMap's coordinate picker copies it); used when x/y are absent
    "xy": ("坐标", "经纬度", "lnglat", "lonlat", "coordinates", "coordinate", "location", "坐标点"),
}
_UNIT = re.compile(r"[（(\[【].*?[)）\]】]|\s+|_")


def _key(header: str) -> str:
    return _UNIT.sub("", unicodedata.normalize("NFKC", str(header))).lower()


def find_columns(headers: list[str], explicit: Mapping[str, str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    explicit = dict(explicit or {})
    for role, col in explicit.items():
        if role not in COLUMN_NAMES:
            raise ImportFileError(f"unknown column role {role!r}; roles are {', '.join(COLUMN_NAMES)}")
        if col not in headers:
            raise ImportFileError(
                f"column {col!r} given for {role!r} is not in the file (columns: {', '.join(headers)})"
            )
        found[role] = col
    for role, names in COLUMN_NAMES.items():
        if role in found:
            continue
        for name in names:  # the first recognised name wins, in the order of COLUMN_NAMES
            hits = [h for h in headers if _key(h) == _key(name) and h not in found.values()]
            if len(hits) > 1:
                raise ImportFileError(
                    f"several columns could be the {role!r}: {', '.join(hits)}; pass columns={{{role!r}: …}}"
                )
            if hits:
                found[role] = hits[0]
                break
    if "x" in found and "y" in found:
        found.pop("xy", None)
    return found
