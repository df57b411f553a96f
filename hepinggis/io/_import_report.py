"""The import report: one line per rejected row (its first reason), per warning and per imported row."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LEVEL_ZH", "OUTCOME_ZH", "REPORT_ZH", "Rejections", "Report"]


class Report:
    def __init__(self, label: str) -> None:
        self.rows: list[dict[str, object]] = []
        self.chunks: list[pd.DataFrame] = []
        self.label = label

    def add(
        self, row: int | None, rid: object, name: object, outcome: str, level: str, fieldname: str | None, message: str
    ) -> None:
        self.rows.append(
            {
                "row": row,
                "id": rid,
                "name": name,
                "outcome": outcome,
                "level": level,
                "field": fieldname,
                "message": message,
            }
        )

    def extend(self, frame: pd.DataFrame) -> None:
        self.chunks.append(frame)

    def frame(self) -> pd.DataFrame:
        cols = ["row", "id", "name", "outcome", "level", "field", "message"]
        parts = [pd.DataFrame(self.rows, columns=cols), *(c[cols] for c in self.chunks)]
        return pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)


class Rejections:
    """The first reason each row is rejected for (later checks do not overwrite earlier ones)."""

    def __init__(self, n: int) -> None:
        self.field = np.full(n, None, dtype=object)
        self.message = np.full(n, None, dtype=object)
        self.ok = np.ones(n, dtype=bool)

    def add(self, mask: np.ndarray, fieldname: str | None, message: str | list[str]) -> None:
        take = mask & self.ok
        if isinstance(message, str):
            self.message[take] = message
        else:
            self.message[take] = np.asarray(message, dtype=object)[take]
        self.field[take] = fieldname
        self.ok &= ~take


#: The report's words for a clerk: outcomes, levels and headers (the frame keeps English codes).
OUTCOME_ZH = {"imported": "已导入", "rejected": "未导入", "skipped": "非项目行", "note": "说明"}
LEVEL_ZH = {"error": "错误", "warning": "警告", "info": "提示", "": ""}
REPORT_ZH = {
    "row": "行号",
    "id": "编号",
    "name": "名称",
    "outcome": "结果",
    "level": "级别",
    "field": "字段",
    "message": "说明",
}
