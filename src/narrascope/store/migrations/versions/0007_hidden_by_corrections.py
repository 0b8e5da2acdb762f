"""Corrections keep the model's labels they take out, so that undo can put them back (#19).

A rejected or relabelled label, and on a one-label layer (genre per document, main role per
entity) every other label of that document or entity, is taken out of `annotations` and kept
whole in the correction's `hidden`, as the model that ran last gave it. Corrections stored
before hold none (empty): their undo puts back the label as it was corrected, as before.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("corrections", sa.Column("hidden", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("corrections", "hidden")
