"""The import report: one line per rejected row (its first reason), per warning and per imported row."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ENCODING_PAGE", "FIELD_PAGE", "LEVEL_ZH", "OUTCOME_ZH", "REPORT_ZH", "Rejections", "Report"]


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
        """Add lines; build ``frame``'s message column as ``pd.Series(…, dtype=object)``, or pandas
        turns each `hepinggis.base.messages.Said` into a plain string."""
        self.chunks.append(frame)

    def frame(self) -> pd.DataFrame:
        cols = ["row", "id", "name", "outcome", "level", "field", "message"]
        own = pd.DataFrame(self.rows, columns=cols)
        # messages stay objects: a `Said` keeps its condition (pandas would make them plain strings)
        own["message"] = pd.Series([r["message"] for r in self.rows], index=own.index, dtype=object)
        parts = [own, *(c[cols] for c in self.chunks)]
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
#: Report fields that are codes, as the bureau reads them (the frame keeps the codes).
FIELD_PAGE = {"geometry": "位置", "crs": "坐标系", "__x": "坐标", "__y": "坐标"}
#: Encodings as the bureau names them.
ENCODING_PAGE = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030", "gbk": "GBK", "ascii": "UTF-8"}
