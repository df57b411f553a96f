"""Which bundled feature each feature of a delivery names (`hepinggis.io.adopt`): the column
of the names (a known column, else the one whose values name the features), and each name matched
in any form an office writes (`hepinggis.plan._names`); a name of the other layer, of another
district, unmatched or repeated is refused, saying so in Chinese."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from hepinggis.base._style import ZONE_SHORT_ZH
from hepinggis.io._delivery import refusal as _fail
from hepinggis.plan._names import closest, kind_of, name_keys, other_district
from hepinggis.plan.layers import load

__all__ = ["NAME_COLUMNS", "_bundled", "_match", "_name_column", "_names"]

#: Columns looked for, in this order, for the names when ``name_col`` is not given (XZQMC:
#: 行政区名称, GNQMC: 功能区名称, JDMC: 街道名称, as the national land survey's tables call them).
NAME_COLUMNS: tuple[str, ...] = (
    "name_zh",
    "名称",
    "NAME",
    "Name",
    "name",
    "街道名称",
    "街道",
    "功能区名称",
    "功能区",
    "区名",
    "XZQMC",
    "GNQMC",
    "JDMC",
    "XZJDMC",
    "GNQ_MC",
    "JD_MC",
    "MC",
)
_LABEL = {"zones": "功能区", "jiedao": "街道", "district": "区界"}
#: A feature of which more than this share lies outside the district is not the district's.
_OUTSIDE_SHARE = 0.5


def _bundled_keys(row: pd.Series, as_layer: str) -> set[str]:
    keys = name_keys(row["name_zh"]) | {str(row["id"]).lower()}
    if as_layer == "zones" and row["id"] in ZONE_SHORT_ZH:  # never for 街道 that share a zone's id
        keys |= name_keys(ZONE_SHORT_ZH[row["id"]])
    return keys


def _name_column(frame: pd.DataFrame, name_col: str | None, bundled: gpd.GeoDataFrame, as_layer: str) -> str | None:
    """The column holding the names: ``name_col``, a column of `NAME_COLUMNS`, else the column whose
    values name most bundled features (at least half of them)."""
    if name_col:
        return name_col
    found = next((c for c in NAME_COLUMNS if c in frame.columns), None)
    if found is not None or as_layer == "district":
        return found
    keys = set().union(*(_bundled_keys(r, as_layer) for _, r in bundled.iterrows()))
    best, hits = None, 0
    for col in frame.columns:
        values = frame[col].astype(str)
        n = sum(bool(name_keys(v) & keys) for v in values)
        if n > hits:
            best, hits = str(col), n
    return best if hits * 2 >= len(frame) and hits else None


def _names(
    shown: str, frame: pd.DataFrame, name_col: str | None, as_layer: str, bundled: gpd.GeoDataFrame
) -> pd.Series:
    col = _name_column(frame, name_col, bundled, as_layer)
    columns = "、".join(map(str, frame.columns)) or "无"
    if col is not None and col not in frame.columns:
        raise _fail(lambda o: f"{shown}：没有列 {col!r}（现有列：{columns}）；{o('name_col')}")
    if col is None:
        if as_layer == "district":  # one feature: no name needed
            return pd.Series(["和平区"] * len(frame), index=frame.index)
        raise _fail(lambda o: f"{shown}：找不到名称列（现有列：{columns}）；{o('name_col')}")
    return frame[col].astype(str).str.strip()


def _match(
    path: Path | str,
    names: pd.Series,
    bundled: gpd.GeoDataFrame,
    as_layer: str,
    *,
    outside: list[float] | None = None,
    matches: dict[str, str] | None = None,
    whole: bool = True,
) -> list[int]:
    """For each feature of the file, the row of the bundled feature it names (``matches``: the
    user's corrections, name as written → bundled id or name; ``outside``: each feature's share
    outside the district)."""
    shown = Path(str(path)).name
    label = _LABEL[as_layer]
    if as_layer == "district":
        if len(names) != 1:
            raise _fail(lambda o: f"{shown}：区界应为一个要素（面或多面），文件有 {len(names)} 个；请先在 QGIS 中融合")
        other = other_district(names.iloc[0])
        if other:
            raise _fail(lambda o: f"{shown}：要素（{names.iloc[0]}）是{other}的区界，不是和平区的；请采用和平区的区界")
        return [0]
    keys = [_bundled_keys(row, as_layer) for _, row in bundled.iterrows()]
    by_name = dict(zip(bundled["name_zh"], keys, strict=True))
    ids = {str(i): k for k, i in enumerate(bundled["id"])} | {str(n): k for k, n in enumerate(bundled["name_zh"])}
    chosen = {str(k): ids[str(v)] for k, v in (matches or {}).items() if str(v) in ids}
    hits = [[chosen[n]] if n in chosen else [i for i, ks in enumerate(keys) if name_keys(n) & ks] for n in names]
    taken = {h[0] for h in hits if len(h) == 1}
    free = {n: ks for i, (n, ks) in enumerate(by_name.items()) if i not in taken}
    other_layer = "zones" if as_layer == "jiedao" else "jiedao"
    rows: list[int] = []
    for k, (name, hit) in enumerate(zip(names, hits, strict=True), start=1):
        where = f"{shown}：第 {k} 个要素（{name!r}）"
        district = other_district(name)
        if name not in chosen and district:
            raise _fail(lambda o, w=where, d=district: f"{w}属于{d}，不在和平区内；请从文件中删去该要素")
        if name not in chosen and outside is not None and outside[k - 1] > _OUTSIDE_SHARE:
            share = outside[k - 1]
            raise _fail(
                lambda o, w=where, s=share: f"{w}有 {s:.0%} 位于和平区区界外，是其他区的要素；请从文件中删去该要素"
            )
        if name not in chosen and (kind_of(name) == other_layer or (not hit and _names_other_layer(name, as_layer))):
            belongs = _LABEL[other_layer]
            raise _fail(
                lambda o, w=where, b=belongs: (
                    f"{w}是{b}的名称，属于{b}图层，不是{label}；若整份文件是{b}，{o('as', other_layer)}；否则请改正名称"
                )
            )
        if len(hit) != 1:
            if hit:
                why = f"同时对应多个{label}（{'、'.join(bundled['name_zh'].iloc[hit])}）"
            else:
                near = closest(name, free or by_name)
                why = f"对应不上任何{label}；最接近的是：{'、'.join(near)}"
            raise _fail(lambda o, w=where, y=why: f"{w}{y}；请改正名称（或{o('match')[1:]}）")
        rows.append(hit[0])
    if not whole:
        return rows
    seen: dict[int, int] = {}
    for k, row in enumerate(rows, start=1):
        if row in seen:
            first, twin = seen[row], bundled["name_zh"].iloc[row]
            raise _fail(
                lambda o, f=first, t=twin, n=k: (
                    f"{shown}：第 {f} 个和第 {n} 个要素都是 {t}；请合并为一个（多）面要素，或改正名称"
                )
            )
        seen[row] = k
    missing = [bundled["name_zh"].iloc[i] for i in range(len(bundled)) if i not in seen]
    if missing:
        raise _fail(lambda o: f"{shown}：缺少 {'、'.join(missing)}；{label}图层须整体采用")
    return rows


def _names_other_layer(name: str, as_layer: str) -> bool:
    """Whether ``name`` (without a kind of unit) names a feature of the other layer only."""
    other = "zones" if as_layer == "jiedao" else "jiedao"
    frame = _bundled(other)
    return any(name_keys(name) & _bundled_keys(row, other) for _, row in frame.iterrows())


def _bundled(name: str) -> gpd.GeoDataFrame:
    from hepinggis.base._layer_source import use_boundaries

    with use_boundaries(None):  # match against the bundled features, whatever is in use
        return load(name)
