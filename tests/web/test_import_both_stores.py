"""The import job (read, counted per area, stored with its report) stores the same register on
SQLite and on PostGIS (COPY): every row of a CSV with refused, warned, set-aside, quoted, hostile
and far-off rows is stored once or reported once with its row number, column and Chinese
reason, and both stores hold the same projects, report and tables, value for value."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

from _server_env import pg_schemas, pg_url  # noqa: F401 - fixtures
from sqlalchemy import select

from hepinggis.web.jobs import _work
from hepinggis.web.store import _schema as s
from hepinggis.web.store._store import Store

_CORPUS = json.loads((Path(__file__).parents[1] / "data" / "hostile.json").read_text("utf-8"))["corpus"]
HOSTILE = [h["text"] for h in _CORPUS]


def _register(path: Path) -> Path:
    rng = random.Random(5)
    lines = ["和平区重点项目清单", "项目编号,项目名称,类别,经度,纬度,总投资（万元）,备注"]
    for k in range(400):
        x, y = 123.39 + rng.random() * 0.06, 41.72 + rng.random() * 0.06
        name = HOSTILE[k % len(HOSTILE)].replace('"', '""') if k % 3 == 0 else f"项目{k}"
        line = f'HP{k:04d},"{name}",城建,{x:.6f},{y:.6f},{rng.choice(["1,200", "35", "", "约50", "abc"])},备注\x1b{k}'
        line = line.replace(",1,200,", ',"1,200",')
        if k % 50 == 7:
            line = f"HP{k:04d},缺坐标项目,城建,,,10,"  # refused: no coordinates
        if k % 50 == 9:
            line = f"HP{k:04d},区外项目,城建,116.40,39.90,10,"  # far outside (Beijing)
        if k % 50 == 11:
            line = f"HP{k - 1:04d},重复编号,城建,{x:.6f},{y:.6f},10,"  # refused: repeated id
        if k % 50 == 13:
            line = 'HP9999,"引号未闭合,城建,123.4,41.7,10,'  # refused: quote left open
        lines.append(line)
    lines += ["合计,,,,,99999,", "注：数据截至本月"]
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    return path


def _import(data: Path, url: str | None, csv: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    store = Store(data, url)
    store.create()
    sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    upload = data / "upload"
    shutil.copyfile(csv, upload)
    store.keep_file(upload, sha, "csv")
    params = {"sha256": sha, "kind": "csv", "size": csv.stat().st_size, "file_name": csv.name, "crs": "gcj02"}
    params |= {"uploader": "clerk", "data_dir": str(store.data_dir), "uploaded_at": "2026-12-07T08:00:00+00:00"}
    try:
        store.add_job("import", params, submitter="clerk")
        job = store.claim_job(("import",))
        assert job is not None
        _work.run(store, job)
        done = store.get_job(job["id"])
        assert done is not None and done["status"] == "done", done
        with store.engine.connect() as conn:
            reg = dict(conn.execute(select(s.registers)).one()._mapping)
            rows = [dict(r._mapping) for r in conn.execute(select(s.projects).order_by(s.projects.c.row))]
        return reg, rows, json.loads(done["result_json"])
    finally:
        store.dispose()


def test_sqlite_and_postgis_store_the_same_register(tmp_path: Path, pg_url: str) -> None:  # noqa: F811
    csv = _register(tmp_path / "清单.csv")
    lite_reg, lite_rows, lite_result = _import(tmp_path / "lite", None, csv)
    pg_reg, pg_rows, pg_result = _import(tmp_path / "pg", pg_url, csv)
    report = json.loads(lite_reg["report_json"])
    stored = [r["row"] for r in lite_rows]
    assert len(stored) == len(set(stored)) == lite_reg["imported"] > 300  # each project stored once
    refused = {r["row"] for r in report if r["outcome"] == "rejected"}
    skipped = {r["row"] for r in report if r["outcome"] == "skipped"}
    assert refused and skipped and not (refused & set(stored)) and not (skipped & set(stored))
    data_rows = set(range(3, 3 + 400 + 2))  # below the title and the header, with 合计 and 注
    assert set(stored) | refused | skipped == data_rows  # every row stored or reported, none lost
    refusals = [r for r in report if r["outcome"] == "rejected"]
    assert all(r["message"] and (r["field"] or "引号" in r["message"]) for r in refusals)  # a column, but
    assert all(r["message"] for r in report if r["outcome"] == "skipped")  # for a row that cannot be split
    assert any("控制字符" in r["message"] for r in report) and any(r["field"] == "项目编号" for r in refusals)
    for key in ("rows_in", "imported", "refused", "warned", "report_json", "per_zone_json", "per_jiedao_json"):
        assert lite_reg[key] == pg_reg[key], key
    drop = {"pk", "register_id"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in lite_rows] == [
        {k: v for k, v in r.items() if k not in drop} for r in pg_rows
    ]
    ids = {"id", "series_id"}  # new ids of each store
    lite_answer = {k: v for k, v in lite_result.items() if k not in ids}
    assert lite_answer == {k: v for k, v in pg_result.items() if k not in ids}
