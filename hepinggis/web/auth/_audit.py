"""The audit trail: one appended row per upload, build, signature, adoption, deletion, account
change and login. The table refuses UPDATE and DELETE itself (triggers from the migrations), and
nothing in the app offers either; on PostgreSQL the app's role may only INSERT and SELECT it
(docs/security.md), and every row is chained to the one before by HMAC-SHA-256 with a key kept
outside the store (`_keys`), so that `verify` (``hepinggis audit verify``) finds any row changed,
removed or inserted by whoever can write the database itself."""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from hepinggis.base.settings import settings
from hepinggis.io._sheets import write_csv, write_workbook
from hepinggis.web.auth._accounts import now_iso
from hepinggis.web.auth._keys import mac, signing_key
from hepinggis.web.store._server_schema import audit_log

__all__ = [
    "ACTION_WORDS",
    "COLUMN_WORDS",
    "count",
    "entries",
    "forward",
    "record",
    "row_mac",
    "usernames",
    "verify",
    "write_export",
]

ACTION_WORDS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "upload_register": "上传项目清单",
    "delete_register": "删除项目清单",
    "read_register": "读取项目清单（OGC 服务）",
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
    "retry_job": "重新运行任务",
    "preview_register": "预览清单",
    "user_duties": "授予或撤销管理职责",
    "security_settings": "修改安全设置",
    "release_lockout": "解除登录锁定",
}
COLUMN_WORDS = {
    "id": "序号",
    "at": "时间（北京时间）",
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
    """Append one audit row (its own transaction, so a failed request is still recorded), chained
    to the previous row by HMAC-SHA-256 with the key kept outside the store (`_keys`), and
    forwarded to syslog when ``$HEPINGGIS_SYSLOG`` names a server (`forward`)."""
    values = {
        "at": now_iso(),
        "username": username,
        "role": role,
        "address": address,
        "action": action,
        "object": object[:1000],
        "sha256": sha256,
        "outcome": outcome,
        "detail": detail[:2000],
    }
    key = signing_key()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock before the previous row is read
        else:
            conn.begin()
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
        try:
            prev = conn.execute(select(audit_log.c.chain).order_by(audit_log.c.id.desc()).limit(1)).scalar()
            if prev is None:  # an empty trail: it chains on from the rows retention removed, if any
                from hepinggis.web.auth._audit_retention import ANCHOR_KEY
                from hepinggis.web.store._schema import settings

                prev = conn.execute(select(settings.c.value).where(settings.c.key == ANCHOR_KEY)).scalar() or None
            values["chain"] = row_mac(key, prev, values)
            conn.execute(insert(audit_log).values(**values))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    forward(values)


#: pg_advisory_xact_lock key: appends to the trail one after the other, so each sees its predecessor
_CHAIN_LOCK = 7_342_105_533
_CHAINED = ("at", "username", "role", "address", "action", "object", "sha256", "outcome", "detail")
_syslog: logging.Logger | None = None


def row_mac(key: bytes, prev: str | None, row: dict[str, Any]) -> str:
    """The chain value of ``row`` after a row whose chain is ``prev``."""
    return mac(key, (prev or "").encode(), *(str(row[c] or "").encode("utf-8") for c in _CHAINED))


def verify(engine: Engine) -> tuple[int, list[str]]:
    """Check the whole trail's chain: (rows checked, one Chinese line per problem; empty when whole).

    A row removed, changed, inserted or moved breaks the chain at the row after it; rows from
    before the chain began (revision s0005) are accepted only before the first chained row.
    """
    from hepinggis.web.auth._audit_retention import anchor

    key = signing_key(create=False)
    problems: list[str] = []
    prev: str | None = anchor(engine)  # the last row removed by retention (`_audit_retention.prune`)
    started = prev is not None
    n = 0
    with engine.connect() as conn:
        for row in conn.execute(select(audit_log).order_by(audit_log.c.id)):
            n += 1
            r = dict(row._mapping)
            if r["chain"] is None:
                if started:
                    problems.append(f"第 {r['id']} 行没有链值（链开始后不应出现）：被插入或改动")
                continue
            started = True
            if not hmac.compare_digest(row_mac(key, prev, r), str(r["chain"])):
                problems.append(f"第 {r['id']} 行与链不符：该行或其前一行被改动、删除或插入")
            prev = str(r["chain"])
    return n, problems


def forward(row: dict[str, Any]) -> None:
    """Send the row to syslog (facility AUTHPRIV) when ``$HEPINGGIS_SYSLOG`` is ``/dev/log``,
    ``host`` or ``host:port`` (UDP 514 by default); nothing otherwise."""
    global _syslog
    target = settings().syslog
    if not target:
        return
    if _syslog is None:
        from logging.handlers import SysLogHandler

        host, _, port = target.partition(":")
        address: Any = target if target.startswith("/") else (host, int(port or 514))
        handler = SysLogHandler(address=address, facility=SysLogHandler.LOG_AUTHPRIV)
        handler.setFormatter(logging.Formatter("hepinggis-audit: %(message)s"))
        _syslog = logging.getLogger("hepinggis.audit.syslog")
        _syslog.propagate = False
        _syslog.addHandler(handler)
        _syslog.setLevel(logging.INFO)
    _syslog.info(json.dumps({k: row[k] for k in (*_CHAINED, "chain") if k in row}, ensure_ascii=False))


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
    """The whole trail, newest first, with Chinese headers and times in Beijing time to the second
    (`hepinggis.base.clock`; the store keeps UTC), as ``xlsx`` or ``csv`` (no cell is ever a
    formula: `hepinggis.io._sheets`)."""
    from hepinggis.base.clock import local_time

    frame = pd.DataFrame(entries(engine), columns=list(COLUMN_WORDS))
    frame["at"] = [local_time(t, seconds=True) for t in frame["at"]]
    frame = frame.rename(columns=COLUMN_WORDS)
    if fmt == "xlsx":
        return write_workbook({"审计日志": frame}, path)
    return write_csv(frame, path)
