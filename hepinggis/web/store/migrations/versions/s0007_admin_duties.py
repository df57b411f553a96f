"""The three administrative duties and password expiry and history (issue 33, 等保 2.0).

* ``users.duties``: 用户管理, 安全管理, 审计查看 (`hepinggis.web.auth._duties`), held apart or together;
  every account of 管理 made before this revision gets all three — it keeps doing what it did;
* ``users.role`` may also be 无 (an administrator with duties only, no part in the bureau's work);
* ``users.password_changed_at``: when the password was last set by its owner (NULL: set by an
  administrator — changed at next login); existing accounts count from this upgrade, so that
  nobody is sent to change a password the moment the server is upgraded;
* ``sessions.must_change``: the session of an expired password may only change it;
* ``password_history``: earlier argon2 hashes, so that a change may not reuse the last N.

Revision ID: s0007
Revises: s0006
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ROLES_OLD = "role IN ('填报', '审核', '管理')"
_ROLES_NEW = "role IN ('填报', '审核', '管理', '无')"


def upgrade() -> None:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("users_role_known", "users", type_="check")
        op.create_check_constraint("users_role_known", "users", _ROLES_NEW)
        op.add_column("users", sa.Column("duties", sa.Text, nullable=False, server_default=""))
        op.add_column("users", sa.Column("password_changed_at", sa.Text, nullable=True))
    else:  # SQLite changes a CHECK constraint only by copying the table (no trigger on users is lost)
        with op.batch_alter_table("users", recreate="always") as batch:
            batch.drop_constraint("users_role_known", type_="check")
            batch.create_check_constraint("users_role_known", _ROLES_NEW)
            batch.add_column(sa.Column("duties", sa.Text, nullable=False, server_default=""))
            batch.add_column(sa.Column("password_changed_at", sa.Text, nullable=True))
    users = sa.table("users", sa.column("role", sa.Text), sa.column("duties", sa.Text))
    op.execute(users.update().where(users.c.role == "管理").values(duties="用户管理,安全管理,审计查看"))
    op.execute(sa.text("UPDATE users SET password_changed_at = :now").bindparams(now=now))
    op.add_column("sessions", sa.Column("must_change", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "password_history",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", _ID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("retired_at", sa.Text, nullable=False),
    )
    op.create_index("password_history_user_id", "password_history", ["user_id"])


def downgrade() -> None:
    op.drop_index("password_history_user_id", "password_history")
    op.drop_table("password_history")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("must_change")
    op.execute("DELETE FROM users WHERE role = '无'")
    with op.batch_alter_table("users", recreate="always") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("duties")
        batch.drop_constraint("users_role_known", type_="check")
        batch.create_check_constraint("users_role_known", _ROLES_OLD)
