"""Documents carry their page type and its evidence: article, listing, legal, product… (#15).

Documents stored before page types existed read as articles (the column is empty), which is
what they were treated as when they were analyzed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("page_type", sa.String(length=16), nullable=True))
    op.add_column("documents", sa.Column("page_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of `documents` would break the
    # full-text triggers that name it.
    op.drop_column("documents", "page_reason")
    op.drop_column("documents", "page_type")
