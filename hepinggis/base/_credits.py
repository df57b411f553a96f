"""What every product says it draws: the plan and, for the projects, the bundled sources or the
user's own list (its file name and the day it was imported).

`read_projects` returns the list's credit with the table (`ListCredit`: its file name and the
day it was imported, ``ImportResult.credit``); every product that draws a list takes that result,
or a table and its credit, explicitly. A table without a credit is credited by its ``source_doc``
values (document titles for the bundled layer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hepinggis.base._layer_source import ADOPTABLE, boundary_credit, layer_source
from hepinggis.base._style import SOURCE_ZH
from hepinggis.base._texts import doc_title

__all__ = [
    "PLAN_CREDIT_ZH",
    "ListCredit",
    "adopted_record",
    "boundaries_credit",
    "boundary_label",
    "projects_credit",
    "source_credit",
    "sources_line",
    "split_credit",
]

#: The plan and the digitizing, credited on every product.
PLAN_CREDIT_ZH = "规划：和平区“十四五”规划纲要（2021）；数字化：hepinggis"


@dataclass(frozen=True)
class ListCredit:
    """Where a project list came from, as its products credit it: the file's name (never its
    path) and the day it was imported (ISO date, Beijing time where the web app gives it), and,
    where the projects are a selection of the list, which (``subset``, in Chinese: a version and a
    filter, ``第 3 版（截至 2025-03-31）筛选结果：功能区：满融…``)."""

    file: str
    imported: str
    subset: str | None = None

    @classmethod
    def of(cls, path: str | Path, *, when: dt.date | None = None, subset: str | None = None) -> ListCredit:
        """The credit of the file ``path`` imported ``when`` (default today).

        Examples
        --------
        >>> ListCredit.of("/tmp/清单.csv", when=dt.date(2026, 12, 1))
        ListCredit(file='清单.csv', imported='2026-12-01', subset=None)
        """
        return cls(Path(path).name, (when or dt.date.today()).isoformat(), subset)


def split_credit(projects: Any) -> tuple[Any, ListCredit | None]:
    """``(table, credit)`` of what a product was given as its projects: an import result
    (`hepinggis.ImportResult`: its projects and its credit), or a table or None (no credit)."""
    if projects is None or isinstance(projects, pd.DataFrame):
        return projects, None
    credit = getattr(projects, "credit", None)
    return projects.projects, credit if isinstance(credit, ListCredit) else None


def projects_credit(projects: pd.DataFrame, credit: ListCredit | None = None) -> str:
    """One line crediting the projects drawn, e.g. ``项目：清单.csv（2026-12-01 导入），共 300 项``:
    the list's ``credit`` where there is one, else the documents of its ``source_doc`` column.

    Examples
    --------
    >>> import hepinggis
    >>> projects_credit(hepinggis.load("projects"))
    '项目：和平区2022年政府工作报告、和平区十四五规划纲要, 2021（随包数据），共 31 项'
    >>> projects_credit(hepinggis.load("projects"), ListCredit("清单.csv", "2026-12-01"))
    '项目：清单.csv（2026-12-01 导入），共 31 项'
    """
    n = len(projects)
    if credit is not None:
        subset = f"，{credit.subset}" if credit.subset else ""
        return f"项目：{credit.file}（{credit.imported} 导入）{subset}，共 {n} 项"
    docs = (
        sorted({doc_title(d) for d in projects["source_doc"].dropna().astype(str)} - {""})
        if "source_doc" in projects.columns
        else []
    )
    if not docs:
        return f"项目：用户数据，共 {n} 项"
    names = "、".join(docs[:3]) + (f" 等 {len(docs)} 个来源" if len(docs) > 3 else "")
    bundled = all(str(d).endswith(")") and ".txt (" in str(d) for d in projects["source_doc"].dropna())
    return f"项目：{names}{'（随包数据）' if bundled else ''}，共 {n} 项"


#: The boundary line of each adoptable layer, as a legend names it.
_LINE_ZH = {"jiedao": "街道界", "zones": "功能区界", "district": "区界"}


def adopted_record(layer: str) -> dict[str, object] | None:
    """``{"file", "on", "accuracy_m"}`` of ``layer`` where the layer in use is adopted (`use_boundaries`),
    else None."""
    source = layer_source(layer)
    if source is None:
        return None
    import pyogrio

    frame = pyogrio.read_dataframe(source, layer=layer, read_geometry=False)
    if not len(frame):
        return None
    said = str(frame["source"].iloc[0]) if "source" in frame.columns else ""
    return {
        # edited in QGIS and adopted again: the original file, its day and the edit's
        "file": said if "再次采用" in said else str(frame["adopted_from"].iloc[0]),
        "on": str(frame["adopted_on"].iloc[0]),
        "accuracy_m": float(frame["accuracy_m"].max()),
    }


def boundary_label(layer: str, default: str) -> str:
    """A legend's label for the lines of ``layer``: ``default`` (e.g. ``街道界（示意）``) for the
    bundled layer, ``街道界（采用：街道.shp，2026-12-01；精度 ±1 m）`` for an adopted one."""
    record = adopted_record(layer)
    if record is None:
        return default
    line = _LINE_ZH.get(layer, ADOPTABLE.get(layer, layer))
    return f"{line}（采用：{record['file']}，{record['on']}；精度 ±{record['accuracy_m']:g} m）"


def boundaries_credit() -> str:
    """One line crediting the boundaries drawn: the adopted files and days, or the bundled ones."""
    return f"边界：{boundary_credit()}" if boundary_credit() else "边界：随包数字化边界（示意）"


def source_credit() -> str:
    """The credit of the bundled reference data drawn: AMap's outline and OSM's stations, or, where
    the bureau's district is adopted (`use_boundaries`), the stations only — an adopted layer replaces
    the bundled outline, which is then neither drawn nor credited."""
    if layer_source("district") is None:
        return SOURCE_ZH
    return "；".join(part for part in SOURCE_ZH.split("；") if not part.startswith("底图边界"))


def sources_line() -> str:
    """The boundaries in use and the reference data drawn, in one line: the adopted files and the
    stations' credit, or the bundled sources."""
    adopted = boundary_credit()
    return f"{adopted}；{source_credit()}" if adopted else SOURCE_ZH
