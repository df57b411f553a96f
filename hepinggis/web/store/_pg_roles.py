"""PostgreSQL: the app connects as a role that does not own the schema (issue 33).

The migration role (the one ``hepinggis store …``/``users`` and the first start run as, owner of
every table) creates and upgrades the schema; `grant_app_role` then gives the server's own role
what it needs and no more: SELECT, INSERT, UPDATE and DELETE on the working tables, but only
SELECT and INSERT on ``audit_log`` and ``signatures`` — it cannot change, delete, truncate them,
nor disable their triggers (only an owner may). See docs/security.md for the commands.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Engine

from hepinggis.errors import InvalidOptionError

__all__ = ["APPEND_ONLY", "grant_app_role"]

#: Tables the app role may only read and append to.
APPEND_ONLY = ("audit_log", "signatures")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_app_role(engine: Engine, role: str) -> str:
    """Grant ``role`` the app's rights on the store's schema (run as the schema's owner); the schema.

    Raises
    ------
    InvalidOptionError
        ``role`` is not a plain lower-case PostgreSQL name, or the store is not PostgreSQL.
    """
    if not _NAME.match(role):
        raise InvalidOptionError(f"角色名 {role!r} 须为小写字母、数字和下划线")
    if engine.dialect.name != "postgresql":
        raise InvalidOptionError("只有 PostgreSQL 存储需要为服务器单独授权（SQLite 由文件权限保护）")
    with engine.begin() as conn:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar())
        q = f'"{schema}"'
        conn.execute(text(f"GRANT USAGE ON SCHEMA {q} TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {q} TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q} TO {role}"))
        for table in APPEND_ONLY:
            conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER ON {q}.{table} FROM {role}"))
    return schema
