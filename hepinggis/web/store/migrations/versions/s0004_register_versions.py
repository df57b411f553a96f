"""Registers as series of versions (issue 31): each register's series, version number, as-of date
and the version fixed rows were merged into; the clerk's confirmations of matched projects.

Revision ID: s0004
Revises: s0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0004"
down_revision = "s0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registers") as batch:
        batch.add_column(sa.Column("series_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer, nullable=True))
        batch.add_column(sa.Column("as_of", sa.String(10), nullable=True))
        batch.add_column(sa.Column("merged_into", sa.String(32), nullable=True))
    op.create_index("ix_registers_series", "registers", ["series_id"])
    op.execute("UPDATE registers SET series_id = id, version = 1 WHERE series_id IS NULL")
    op.create_table(
        "identity_confirmations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("series_id", sa.String(32), nullable=False, index=True),
        sa.Column("old_name", sa.Text, nullable=False),
        sa.Column("new_name", sa.Text, nullable=False),
        sa.Column("confirmed_by", sa.Text, nullable=False),
        sa.Column("confirmed_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("identity_confirmations")
    op.drop_index("ix_registers_series", "registers")
    with op.batch_alter_table("registers") as batch:
        for name in ("merged_into", "as_of", "version", "series_id"):
            batch.drop_column(name)
