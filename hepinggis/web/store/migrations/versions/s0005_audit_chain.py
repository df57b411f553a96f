"""The audit trail chained by a keyed hash (issue 33): each row's ``chain`` is the HMAC-SHA-256 of
the previous row's ``chain`` and its own fields (`hepinggis.web.auth._audit`); rows written before this
revision have none.

Revision ID: s0005
Revises: s0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on both (SQLite's batch mode would copy the table and lose its triggers)
    op.add_column("audit_log", sa.Column("chain", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("chain")
