"""The web store's tables (registers, projects, jobs, figures, boundaries, mappings, settings) as
`hepinggis.web.store._schema` defines them at the first release.

This baseline creates whatever of ``_schema.metadata`` is missing; from the first release on, every
change to ``_schema`` must come with a new revision that alters the tables (``op.add_column`` …).

Revision ID: s0000
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "s0000"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from hepinggis.web.store._schema import metadata

    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    raise NotImplementedError("the store's tables are never dropped by a migration")
