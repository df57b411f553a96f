"""The tables of the bureau's server (users, sessions, login failures, audit trail), as SQLAlchemy
Core objects for queries. They are created and upgraded by the Alembic migrations in
``hepinggis/web/store/migrations`` (never by ``create_all``), on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Integer, MetaData, Table, Text

__all__ = ["audit_log", "login_failures", "password_history", "server_metadata", "sessions", "signatures", "users"]

server_metadata = MetaData()
_ID = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only

users = Table(
    "users",
    server_metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("duties", Text, nullable=False, default=""),  # 用户管理,安全管理,审计查看 (revision s0007, `_duties`)
    Column("password_changed_at", Text, nullable=True),  # NULL: set by an administrator, changed at next login
)

sessions = Table(
    "sessions",
    server_metadata,
    Column("id_hash", Text, primary_key=True),  # sha256 of the cookie value: a dump leaks no live session
    Column("user_id", _ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("must_change", Boolean, nullable=False, default=False),  # password expired: only a change allowed
)

login_failures = Table(
    "login_failures",
    server_metadata,
    Column("key", Text, primary_key=True),  # "user:NAME" or "addr:ADDRESS"
    Column("failures", Integer, nullable=False),
    Column("last_at", Float, nullable=False),
    Column("locked_until", Float, nullable=False),
)

audit_log = Table(
    "audit_log",
    server_metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),  # ISO 8601 UTC, millisecond precision
    Column("username", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("object", Text, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("chain", Text, nullable=True),  # HMAC-SHA-256 chain (revision s0005, `_audit`)
)

signatures = Table(
    "signatures",
    server_metadata,
    Column("figure_id", Text, primary_key=True),
    Column("signer", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("signed_at", Text, nullable=False),
    Column("package_sha256", Text, nullable=False),
    Column("files_json", Text, nullable=False),
)

#: The hashes of an account's earlier passwords, newest kept (revision s0007): a change may not
#: reuse one of the last N (`_auth.Accounts.set_password`).
password_history = Table(
    "password_history",
    server_metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("user_id", _ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("password_hash", Text, nullable=False),
    Column("retired_at", Text, nullable=False),
)
