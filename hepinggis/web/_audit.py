"""The audit trail: one appended row per upload, build, signature, adoption, deletion, account
change and login. The table refuses UPDATE and DELETE itself (triggers from the migrations), and
nothing in the app offers either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.web._auth import now_iso
from hepinggis.web._server_schema import audit_log

__all__ = ["ACTION_WORDS", "COLUMN_WORDS", "count", "entries", "record", "usernames", "write_export"]

ACTION_WORDS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "upload_register": "上传项目清单",
    "delete_register": "删除项目清单",
    "build_package": "生成简报包",
    "upload_figures": "上传监测数据",
    "build_monitoring": "生成监测成果包",
    "sign_monitoring": "签署监测成果包",
    "upload_boundaries": "上传官方边界",
    "adopt_boundaries": "采用边界",
    "rollback_boundaries": "回退边界",
    "user_add": "新增用户",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "user_password": "修改密码",
    "user_role": "修改角色",
    "store_restore": "恢复数据库备份",
}
COLUMN_WORDS = {
    "id": "序号",
    "at": "时间（UTC）",
    "username": "用户",
    "role": "角色",
    "address": "地址",
    "action": "操作代码",
    "action_zh": "操作",
    "object": "对象",
    "sha256": "文件 SHA-256",
    "outcome": "结果",
    "detail": "说明",
}


def record(
    engine: Engine,
    *,
    action: str,
    username: str,
    role: str = "",
    address: str = "",
    object: str = "",
    sha256: str = "",
    outcome: str = "成功",
    detail: str = "",
) -> None:
    """Append one audit row (its own transaction, so a failed request is still recorded)."""
    with engine.begin() as conn:
        conn.execute(
            insert(audit_log).values(
                at=now_iso(),
                username=username,
                role=role,
                address=address,
                action=action,
                object=object[:1000],
                sha256=sha256,
                outcome=outcome,
                detail=detail[:2000],
            )
        )


def _where(query: Any, username: str | None, action: str | None) -> Any:
    if username is not None:
        query = query.where(audit_log.c.username == username)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    return query


def count(engine: Engine, *, username: str | None = None, action: str | None = None) -> int:
    """How many rows the trail holds (of ``username`` and/or ``action`` when given)."""
    query = _where(select(func.count()).select_from(audit_log), username, action)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def usernames(engine: Engine) -> list[str]:
    """Every user name the trail mentions, sorted (for the 审计 page's filter)."""
    with engine.connect() as conn:
        return [
            str(n)
            for n in conn.execute(select(audit_log.c.username).distinct().order_by(audit_log.c.username)).scalars()
        ]


def entries(
    engine: Engine,
    *,
    limit: int | None = None,
    offset: int = 0,
    username: str | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """The rows, newest first, each with ``action_zh`` (the action in Chinese); only those of
    ``username`` and/or ``action`` (exact match) when given."""
    query = _where(select(audit_log), username, action).order_by(audit_log.c.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["action_zh"] = ACTION_WORDS.get(row["action"], row["action"])
    return rows


def write_export(engine: Engine, path: Path, *, fmt: str) -> Path:
    """The whole trail, newest first, with Chinese headers, as ``xlsx`` or ``csv`` (no cell is
    ever a formula: `hepinggis.io._sheets`)."""
    frame = pd.DataFrame(entries(engine), columns=list(COLUMN_WORDS))
    frame = frame.rename(columns=COLUMN_WORDS)
    if fmt == "xlsx":
        return write_workbook({"审计日志": frame}, path)
    return write_csv(frame, path)
