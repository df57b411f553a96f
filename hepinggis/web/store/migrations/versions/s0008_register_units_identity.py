"""Registers as living lists, continued (issue 31): the unit each amount column was typed in (so
that exports give amounts as typed), and confirmations keyed by the projects' identity — the file's
id where the row has one, else the normalised name and the site — instead of by names alone, so
that a confirmation survives a later rename. Confirmations made before keep their names and match
by names, as they did.

Revision ID: s0008
Revises: s0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None

_SIDES = ("old", "new")


def upgrade() -> None:
    with op.batch_alter_table("registers") as batch:
        batch.add_column(sa.Column("units_json", sa.Text, nullable=True))
    with op.batch_alter_table("identity_confirmations") as batch:
        for side in _SIDES:
            batch.add_column(sa.Column(f"{side}_file_id", sa.Text, nullable=True))
            batch.add_column(sa.Column(f"{side}_key", sa.Text, nullable=True))
            batch.add_column(sa.Column(f"{side}_lon", sa.Float, nullable=True))
            batch.add_column(sa.Column(f"{side}_lat", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_confirmations") as batch:
        for side in reversed(_SIDES):
            for name in ("lat", "lon", "key", "file_id"):
                batch.drop_column(f"{side}_{name}")
    with op.batch_alter_table("registers") as batch:
        batch.drop_column("units_json")
