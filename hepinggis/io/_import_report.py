"""The import report: one line per rejected row (its first reason), per warning and per imported row."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Rejections", "Report"]


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
