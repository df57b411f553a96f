"""Every row of a register accounted for, as the API and the pages say it: rows in = imported +
refused + skipped (skipped counted by kind), the counted lines at the top of the report (hidden and
filtered rows, formulas without a value, amounts not read, projects outside the district or in no
zone), the 区外 and 未定位 rows every per-area table ends with, and the report's lines in the page's
words: a report stored since the catalogue worded every message for the page (`PAGE_WORDS` on each
line) is shown as stored; an older one through `hepinggis.base.messages.for_page`.

No stage imports: the worker computes the places (`_work`), this module only reads what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hepinggis.base.messages import crs_name, for_page

__all__ = [
    "FIELD_ZH",
    "OUTSIDE_ID",
    "PAGE_WORDS",
    "SKIP_KIND_ZH",
    "UNPLACED_ID",
    "classify",
    "headline",
    "page_line",
    "place_rows",
    "skipped_by_kind",
]

#: The ids of the two rows every per-area table ends with.
OUTSIDE_ID, UNPLACED_ID = "outside", "unplaced"
PLACE_ZH = {OUTSIDE_ID: "区外", UNPLACED_ID: "未定位"}
#: Kinds of rows set aside, as a clerk names them.
SKIP_KIND_ZH = {
    "filtered": "Excel 中筛选掉的行",
    "hidden": "Excel 中隐藏的行",
    "total": "合计/小计行",
    "section": "分部标题行",
    "footer": "表尾注释行",
    "blank": "空行",
    "other": "其他非项目行",
}
#: The mark of a report line whose message was stored in the page's words (`Said.page`).
PAGE_WORDS = ("words", "page")
#: Report fields that are codes, as a page names them.
FIELD_ZH = {"geometry": "位置", "crs": "坐标系", "": ""}


def classify(line: dict[str, Any]) -> str:
    """The kind of one report line: ``refused``, a skipped kind, ``hidden``/``filtered`` (imported),
    ``formula``, ``amount``, ``outside``, ``unplaced``, ``note`` or ``other`` (a warning)."""
    outcome = line.get("outcome")
    message = str(line.get("message") or "")
    if outcome == "rejected":
        return "refused"
    if outcome == "skipped":
        return str(line.get("kind") or _skip_kind(message))
    if outcome == "note":
        return "note"
    if line.get("kind"):
        return str(line["kind"])
    if "筛选隐藏" in message:
        return "filtered"
    if "此行被隐藏" in message:
        return "hidden"
    if "公式未计算" in message or "没有保存计算结果" in message:
        return "formula"
    if "按缺失处理" in message:
        return "amount"
    if line.get("field") == "geometry" and "区外" in message:
        return "outside"
    return "other"


def _skip_kind(message: str) -> str:
    for kind, word in (("filtered", "筛选"), ("hidden", "隐藏"), ("total", "合计"), ("section", "分部标题")):
        if word in message:
            return kind
    if "注释" in message:
        return "footer"
    return "blank" if "空行" in message else "other"


def skipped_by_kind(lines: list[dict[str, Any]]) -> dict[str, int]:
    """Rows set aside (not projects, or skipped by the clerk's choice), counted by kind."""
    out: dict[str, int] = {}
    seen: set[Any] = set()
    for line in lines:
        if line.get("outcome") == "skipped" and line.get("row") not in seen:
            seen.add(line.get("row"))
            kind = classify(line)
            out[kind] = out.get(kind, 0) + 1
    return out


def _rows_of(lines: list[dict[str, Any]], kind: str) -> list[int]:
    return sorted({int(x["row"]) for x in lines if x.get("row") is not None and classify(x) == kind})


def headline(reg: dict[str, Any]) -> list[dict[str, Any]]:
    """The counted lines at the top of a register's report: each ``{"kind", "count", "text"}``;
    every kind that occurred has a line, none is folded away."""
    lines: list[dict[str, Any]] = json.loads(reg["report_json"])
    out: list[dict[str, Any]] = []

    def add(kind: str, count: int, text: str) -> None:
        if count:
            out.append({"kind": kind, "count": count, "text": text})

    skipped = skipped_by_kind(lines)
    for kind in ("filtered", "hidden"):
        rows = _rows_of([x for x in lines if x.get("outcome") == "imported"], kind)
        add(
            f"{kind}_imported",
            len(rows),
            f"{SKIP_KIND_ZH[kind]} {len(rows)} 行：仍已导入（行号 {_span(rows)}）；如是作废项目，请删除这些行，"
            "或重新上传并勾选“跳过 Excel 中隐藏或筛选掉的行”",
        )
        add(
            f"{kind}_skipped",
            skipped.get(kind, 0),
            f"{SKIP_KIND_ZH[kind]} {skipped.get(kind, 0)} 行：按所选已跳过，未导入"
            f"（行号 {_span(_rows_of(lines, kind))}，逐行列在下面）",
        )
    formula = _rows_of(lines, "formula")
    add(
        "formula",
        len(formula),
        f"公式没有保存计算结果的行 {len(formula)} 行（行号 {_span(formula)}）：这些单元格按缺失处理，投资未计入合计；"
        "请在 Excel 中打开该文件、保存一次后重新上传",
    )
    amount = [r for r in _rows_of(lines, "amount") if r not in set(formula)]
    add(
        "amount",
        len(amount),
        f"投资额为空或不是金额的行 {len(amount)} 行（行号 {_span(amount)}）：按缺失处理，投资未计入合计",
    )
    places = json.loads(reg.get("per_zone_json") or "[]")
    for pid, word in PLACE_ZH.items():
        n = next((int(p["projects"]) for p in places if p.get("id") == pid), 0)
        rows = _rows_of(lines, pid)
        where = f"（行号 {_span(rows)}）" if rows else ""
        what = "位于和平区外" if pid == OUTSIDE_ID else "在区内但不在任何功能区内"
        add(pid, n, f"{what}的项目 {n} 项{where}：已导入，在各统计表中列为“{word}”一行")
    others = {k: v for k, v in skipped.items() if k not in ("filtered", "hidden")}
    if others:
        words = "、".join(f"{SKIP_KIND_ZH.get(k, k)} {v} 行" for k, v in others.items())
        add("not_projects", sum(others.values()), f"不是项目的行：{words}，未计入（逐行列在下面）")
    add("refused", int(reg.get("refused") or 0), f"拒绝 {reg.get('refused')} 行：见下表，可下载改好后重新上传")
    return out


def _span(rows: list[int], most: int = 12) -> str:
    shown = "、".join(str(r) for r in rows[:most])
    return shown + (f" 等 {len(rows)} 行" if len(rows) > most else "")


def page_line(line: dict[str, Any]) -> dict[str, Any]:
    """A report line in the page's words: the message without flags or codes, the field named."""
    out = dict(line)
    message = str(line.get("message") or "")
    out["message"] = message if out.pop(PAGE_WORDS[0], None) == PAGE_WORDS[1] else for_page(message)
    field = line.get("field")
    out["field"] = FIELD_ZH.get(str(field), str(field)) if field is not None else ""
    return out


def place_rows(counts: Mapping[Any, Any], money: Mapping[Any, Any], stated: Mapping[Any, Any]) -> list[dict[str, Any]]:
    """The 区外 and 未定位 rows of a per-area table (always both, 0 when none)."""
    return [
        {
            "id": pid,
            "name": word,
            "area_km2": None,
            "projects": int(counts.get(pid, 0)),
            "investment_cny": float(money.get(pid, 0.0)),
            "with_investment": int(stated.get(pid, 0)),
        }
        for pid, word in PLACE_ZH.items()
    ]


def crs_label(code: str | None) -> str:
    """The coordinate system of a register as its page names it."""
    return crs_name(code)
