"""Signatures of monitoring packages (审核): one per package, never changed or removed.

Revision ID: s0003
Revises: s0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("figure_id", sa.String(32), primary_key=True),
        sa.Column("signer", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("signed_at", sa.Text, nullable=False),
        sa.Column("package_sha256", sa.String(64), nullable=False),
        sa.Column("files_json", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION hepinggis_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON signatures FROM PUBLIC")
        op.execute(
            "CREATE TRIGGER signatures_no_change BEFORE UPDATE OR DELETE ON signatures "
            "FOR EACH ROW EXECUTE FUNCTION hepinggis_audit_append_only()"
        )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER signatures_no_{what.lower()} BEFORE {what} ON signatures "
                f"BEGIN SELECT RAISE(ABORT, 'signatures are append-only: {what} refused'); END"
            )


def downgrade() -> None:
    raise NotImplementedError("signatures are never dropped by a migration")
