"""The audit trail: append-only in the database itself, exported without formulas, on both stores."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from _server_env import pg_schemas, pg_url, store_url  # noqa: F401 - fixtures
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hepinggis.base.clock import local_time
from hepinggis.web.auth import _audit
from hepinggis.web.store._engine import make_engine
from hepinggis.web.store._migrate import upgrade

HOSTILE = json.loads((Path(__file__).resolve().parent.parent / "data" / "hostile.json").read_text("utf-8"))["corpus"]


@pytest.fixture
def engine(tmp_path: Path, store_url: str | None):  # noqa: F811
    eng = make_engine(tmp_path / "data", store_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET username = 'someone else'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_the_database_refuses_to_change_the_trail(engine, sql: str) -> None:
    _audit.record(engine, action="upload_register", username="张三", object="清单.xlsx", sha256="ab" * 32)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    rows = _audit.entries(engine)
    assert [(r["username"], r["object"]) for r in rows] == [("张三", "清单.xlsx")]


def test_truncate_refused_on_postgis(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    eng = make_engine(tmp_path, pg_url)
    upgrade(eng)
    _audit.record(eng, action="login", username="a")
    with pytest.raises(DBAPIError, match="append-only"), eng.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    assert _audit.count(eng) == 1
    eng.dispose()


def test_newest_first_and_exports_keep_hostile_text_as_text(engine, tmp_path: Path) -> None:
    values = [h["text"] if isinstance(h, dict) else str(h) for h in HOSTILE]
    for i, value in enumerate(values):
        _audit.record(engine, action="upload_register", username=f"用户{i}", object=value, detail=value)
    rows = _audit.entries(engine)
    assert [r["username"] for r in rows] == [f"用户{i}" for i in reversed(range(len(values)))]
    book = openpyxl.load_workbook(_audit.write_export(engine, tmp_path / "a.xlsx", fmt="xlsx"))
    sheet = book["审计日志"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["序号", "时间（北京时间）", "用户", "角色"] and "操作" in header
    newest = sheet.cell(row=2, column=2).value  # Beijing time to the second, never UTC's +00:00
    assert newest == local_time(rows[0]["at"], seconds=True) and "+00:00" not in newest and "T" not in newest
    objects = [sheet.cell(row=r, column=header.index("对象") + 1) for r in range(2, sheet.max_row + 1)]
    assert all(c.data_type == "s" for c in objects if c.value is not None)  # never a formula
    written = {c.value for c in objects}
    for value in values:
        printable = (
            value.encode("unicode_escape").decode("ascii")
            if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value)
            else value
        )
        assert value in written or printable in written or value[:1000] in written
    with open(_audit.write_export(engine, tmp_path / "a.csv", fmt="csv"), encoding="utf-8-sig", newline="") as f:
        cells = [row[header.index("对象")] for row in csv.reader(f)][1:]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
