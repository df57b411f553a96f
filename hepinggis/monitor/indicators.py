"""The plan's 2025 targets as indicators, and the entry workbook a planning bureau fills in.

`indicators` loads ``geodata/src/indicators.json`` (one row per target: the zones', axes' and
belt's of chapter 6 and the district's of chapters 3 and 5, each with its exact quote);
`write_template` writes the entry workbook (one row per indicator and year, Chinese headers,
numbers and entry modes validated); `read_actuals` (in `hepinggis.monitor._read_actuals`, re-exported
here) reads it back — XLSX or CSV, GBK or UTF-8 — row by row: every row is read or reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from hepinggis.errors import ImportFileError
from hepinggis.monitor._figures import ENTRY_ZH
from hepinggis.monitor._read_actuals import HEADERS, YEARS, ActualsResult, read_actuals
from hepinggis.monitor._targets import KINDS, coverage, indicators, not_monitored, references, target_words

if TYPE_CHECKING:  # openpyxl writes the entry template only: not loaded to read or judge figures
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

__all__ = ["KINDS", "YEARS", "ActualsResult", "indicators", "read_actuals", "write_template"]


def _target_text(row: pd.Series) -> str:
    return target_words({str(k): v for k, v in row.items()}, None)


def _template_years(row: pd.Series, years: range) -> list[int]:
    """The years a row is offered for: the base year only where the plan does not state the base
    and the kind uses one (not for per-year or cumulative counts, which start in 2021)."""
    base_year = int(row["base_year"]) if pd.notna(row["base_year"]) else 2020
    no_base = row["basis"] in ("per_year", "cumulative") or pd.notna(row["base_value"])
    return [y for y in years if not (y <= base_year and no_base)]


def _validation(kind: str, **limits: str) -> DataValidation:
    from openpyxl.worksheet.datavalidation import DataValidation

    rule = DataValidation(type=kind, allow_blank=True, showErrorMessage=True, errorTitle="数值不符合该指标", **limits)
    return rule


def write_template(path: str | Path, *, years: range = range(2020, 2026)) -> Path:
    """Write the entry workbook: one row per quantitative indicator and year (the base year where
    the kind needs one and the plan does not state it), Chinese headers, the target beside it, a
    validation per kind on the value column (shares 0–100, counts whole and ≥ 0, amounts ≥ 0), the
    entry mode (当年新增 / 累计数) for cumulative counts and a notes column.

    Parameters
    ----------
    path : str or Path
        The workbook to write (an ``.xlsx`` name).
    years : range, default 2020–2025
        The years with a row.

    Returns
    -------
    Path
        ``path``, written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write_template(pathlib.Path(tempfile.mkdtemp()) / "monitor.xlsx")
    >>> out.suffix
    '.xlsx'
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ImportFileError(f"{path}: the template is an Excel workbook; name it .xlsx")
    from hepinggis.plan.layers import load

    zones = load("zones")
    from openpyxl import Workbook

    book = Workbook()
    _entry_sheet(book, zones, years)
    _about_sheet(book)
    _listing_sheet(book, zones)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _value_rules() -> dict[str, DataValidation]:
    """The validation of the value column for each kind of figure (shares, counts, rates, amounts)."""
    return {
        "share": _validation(
            "decimal", operator="between", formula1="0", formula2="100", error="占比填 0–100 之间的数：52% 填 52。"
        ),
        "count": _validation("whole", operator="greaterThanOrEqual", formula1="0", error="数量填不小于 0 的整数。"),
        "rate": _validation(
            "decimal", operator="between", formula1="-100", formula2="100", error="增速填百分数本身：5.5% 填 5.5。"
        ),
        "amount": _validation(
            "decimal", operator="greaterThanOrEqual", formula1="0", error="金额填不小于 0 的数（单位见“单位”栏）。"
        ),
    }


def _entry_sheet(book: Workbook, zones: pd.DataFrame, years: range) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    """The 填报 sheet: a row per quantitative indicator and year, then the reference figures, each
    value cell validated by its kind and the entry mode of cumulative counts by a list."""
    from hepinggis.monitor._figures import value_rule
    from hepinggis.monitor._words import target_name

    table = indicators()
    table = table[table["kind"] != "qualitative"]
    sheet = book.active
    assert sheet is not None
    sheet.title = "填报"
    sheet.append(list(HEADERS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    value_at = get_column_letter(list(HEADERS).index("value") + 1)
    entry_at = get_column_letter(list(HEADERS).index("entry") + 1)
    rules = _value_rules()
    entries = _validation("list", formula1='"' + ",".join(ENTRY_ZH.values()) + '"', error="填“当年新增”或“累计数”。")
    for _, row in table.iterrows():
        target = _target_text(row)
        rule = rules[value_rule(str(row["kind"]), row["unit"])]
        cumulative = row["basis"] == "cumulative"
        for year in _template_years(row, years):
            entry = ENTRY_ZH[str(row["entry"] or "addition")] if cumulative else None
            zone = target_name(str(row["target_id"]), zones)
            sheet.append([row["id"], zone, row["indicator_zh"], row["unit"], target, year, entry, None, None])
            rule.add(f"{value_at}{sheet.max_row}")
            if cumulative:
                entries.add(f"{entry_at}{sheet.max_row}")
    for _, ref in references().iterrows():  # the figures a relative target is compared with
        for year in years:
            if year <= 2020:
                continue
            sheet.append(
                [ref["id"], "比较对象", ref["indicator_zh"], ref["unit"], "不设目标（比较用）", year, None, None]
            )
            rules["rate"].add(f"{value_at}{sheet.max_row}")
    for rule in (*rules.values(), entries):
        sheet.add_data_validation(rule)
    for col, width in zip("ABCDEFGHI", (36, 30, 34, 8, 24, 8, 10, 12, 40), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"


def _about_sheet(book: Workbook) -> None:
    """The 说明 sheet: how to fill the figures in, one line each."""
    about = book.create_sheet("说明")
    for line in (
        "每行一个指标、一个年份。在“数值”栏填写该年的统计数，备注栏写口径或来源。",
        "百分比填数字本身：52% 填 52（把单元格设为百分比格式后输入 52% 也可，系统按显示值读取）。",
        "小数点用“.”：16.5 不要写成 16,5（逗号只作千位分隔，如 3,000）。",
        "年均增长、翻一番类指标须填写2020年（基期）数值；规划已写明基数的指标不再列出2020年。",
        "某年没有统计数时填“/”或“无”（按无数据处理），不要填 0：0 会被当作真实数值。",
        "单位以“单位”栏为准：金额为“亿元”的行请按亿元填写（151,000万元 填 15.1）。",
        "确认无误但系统提示“待核实”的数值，在“填报口径”栏填“已核实”（累计类填“当年新增（已核实）”或“累计数”）。",
        "“（累计）”类指标：“填报口径”为“当年新增”时填当年新增数，系统自2021年起累计；"
        "填“累计数”时填2021年起截至当年的累计总数。每年都须填写，缺年按无数据处理，不按 0 计。",
        "填好后在 hepinggis 网页的“规划监测”页上传本文件，即可看到评估结果并生成监测包。",
    ):
        about.append([line])
    about.append(
        ["相对目标（如“全区地区生产总值增速力争高于全市水平”）：同时填写比较对象一行（全市增速），相等不算高于。"]
    )


def _listing_sheet(book: Workbook, zones: pd.DataFrame) -> None:
    """The 指标一览 sheet: every indicator with its target and the plan's words, what is not
    monitored and why, and the coverage."""
    from hepinggis.monitor._words import target_name

    listing = book.create_sheet("指标一览")
    listing.append(["指标编号", "功能区/轴/带", "指标", "单位", "目标", "规划原文", "规划章节"])
    for _, row in indicators().iterrows():
        listing.append(
            [
                row["id"],
                target_name(str(row["target_id"]), zones),
                row["indicator_zh"],
                row["unit"],
                _target_text(row),
                row["quote"],
                row["plan_section"],
            ]
        )
    for item in not_monitored():
        listing.append(["（不监测）", "", item["reason"], "", "", item["quote"], item["plan_section"]])
    listing.append(["（覆盖范围）", "", coverage()])
