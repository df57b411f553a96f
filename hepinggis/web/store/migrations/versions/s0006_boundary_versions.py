"""The history of the boundaries in force (issue 35): each adoption, choice or rollback on the 边界
page is a version — which upload (or the bundled boundaries), the file, its SHA-256, who, when and
what changed — so that any one can be put back in a click. Append-only.

Revision ID: s0006
Revises: s0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boundary_versions",
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("boundary_id", sa.String(32)),  # the upload put in force; NULL: the bundled boundaries
        sa.Column("action", sa.String(16), nullable=False),  # adopt / choose / rollback / bundled
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("as_layer", sa.String(16), nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),  # UTC, ISO 8601
        sa.Column("changes_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("boundary_versions")
