"""Analysts' corrections of labels: who, when, what the label was and is, and why (#19).

One row per verdict (accept, reject, relabel, add), kept after it is undone. No foreign key to
`documents`: a correction is the analyst's work and no cascade may delete it.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "corrections",
        sa.Column("id", big_id, primary_key=True, autoincrement=True),
        sa.Column("doc_id", sa.String(length=16), nullable=False),
        sa.Column("layer", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("old_label", sa.Text(), nullable=True),
        sa.Column("old_start", sa.Integer(), nullable=True),
        sa.Column("old_end", sa.Integer(), nullable=True),
        sa.Column("new_label", sa.Text(), nullable=True),
        sa.Column("new_start", sa.Integer(), nullable=True),
        sa.Column("new_end", sa.Integer(), nullable=True),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=128), nullable=True),
    )
    op.create_index("ix_corrections_doc_id", "corrections", ["doc_id", "id"])
    op.create_index("ix_corrections_layer_label", "corrections", ["layer", "new_label"])


def downgrade() -> None:
    op.drop_index("ix_corrections_layer_label", table_name="corrections")
    op.drop_index("ix_corrections_doc_id", table_name="corrections")
    op.drop_table("corrections")
