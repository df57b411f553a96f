"""The settings 安全管理 keeps (issue 33), in the store's ``settings`` table: the OGC public set,
read auditing, password expiry and history, audit retention. Read and written here for the 安全
page (`auth.routes`) and the command line (``hepinggis users policy``, ``audit prune``)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from hepinggis.errors import AccountError
from hepinggis.web.auth._accounts import PASSWORD_LIMITS, PASSWORD_SETTINGS, password_rules
from hepinggis.web.store._schema import settings

__all__ = ["AUDIT_KEEP_DAYS", "checked_settings", "put_settings", "security_settings"]

#: Default days the audit trail is kept by ``hepinggis audit prune`` (等保: at least six months).
AUDIT_KEEP_DAYS = 180
_COLLECTION = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_WORDS = {
    "password_max_age_days": "密码有效期（天）",
    "password_history": "不得重复使用最近几次的密码",
}


def _get(conn: Any, key: str, default: str = "") -> str:
    value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
    return default if value is None else str(value)


def security_settings(engine: Engine) -> dict[str, Any]:
    """The settings as in force (defaults filled in)."""
    from hepinggis.base.settings import settings

    env = settings()
    with engine.connect() as conn:
        rules = password_rules(conn)
        public, reads, keep = (_get(conn, k) for k in ("ogc_public", "audit_reads", "audit_keep_days"))
    try:
        days = max(int(keep or AUDIT_KEEP_DAYS), AUDIT_KEEP_DAYS)
    except ValueError:
        days = AUDIT_KEEP_DAYS
    return {
        "ogc_public": public,
        "audit_reads": reads.strip() in ("1", "true", "yes", "是"),
        **rules,
        "audit_keep_days": days,
        # a value from the server's environment wins over the setting (`ogc._access`)
        "set_by_environment": [
            k
            for k, v in (("HEPINGGIS_OGC_PUBLIC", env.ogc_public), ("HEPINGGIS_AUDIT_READS", env.audit_reads))
            if v is not None
        ],
    }


def checked_settings(values: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The settings to store (key → text) from ``values`` (None: unchanged), and the Chinese words of
    what changed; AccountError with one Chinese line for a value out of range."""
    out: dict[str, str] = {}
    words: list[str] = []
    if values.get("ogc_public") is not None:
        ids = [p.strip() for p in str(values["ogc_public"]).replace("，", ",").split(",") if p.strip()]
        if len(ids) > 200 or any(not _COLLECTION.match(p) for p in ids):
            raise AccountError("公开图层须为图层编号（字母、数字、下划线、连字符），以逗号分隔")
        out["ogc_public"] = ",".join(ids)
        words.append(f"公开图层：{'、'.join(ids) or '无'}")
    if values.get("audit_reads") is not None:
        out["audit_reads"] = "1" if values["audit_reads"] else "0"
        words.append("记录清单读取：" + ("是" if values["audit_reads"] else "否"))
    for key in PASSWORD_SETTINGS:
        value = values.get(key)
        if value is not None:
            low, high = PASSWORD_LIMITS[key]
            if not low <= int(value) <= high:
                raise AccountError(f"{_WORDS[key]}须在 {low} 至 {high} 之间（0 为不限）")
            out[key] = str(int(value))
            words.append(f"{_WORDS[key]}：{int(value)}")
    if values.get("audit_keep_days") is not None:
        days = int(values["audit_keep_days"])
        if not AUDIT_KEEP_DAYS <= days <= 36_500:
            raise AccountError(f"审计日志保存天数须不少于 {AUDIT_KEEP_DAYS} 天（等保 2.0 要求不少于六个月）")
        out["audit_keep_days"] = str(days)
        words.append(f"审计日志保存：{days} 天")
    return out, words


def put_settings(engine: Engine, values: dict[str, str]) -> None:
    """Store ``values`` (from `checked_settings`) in one transaction."""
    with engine.begin() as conn:
        for key, value in values.items():
            if not conn.execute(update(settings).where(settings.c.key == key).values(value=value)).rowcount:
                conn.execute(insert(settings).values(key=key, value=value))
