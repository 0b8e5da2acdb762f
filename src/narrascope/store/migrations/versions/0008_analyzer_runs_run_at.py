"""An index on `analyzer_runs.run_at`: every cached web page checks the last re-analysis (#17).

`change_stamp()` takes the largest `run_at` on each request; without an index that scans a row
per document and analyzer (~30 ms at 120,000 rows), more than a cached search costs.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_analyzer_runs_run_at", "analyzer_runs", ["run_at"])


def downgrade() -> None:
    op.drop_index("ix_analyzer_runs_run_at", table_name="analyzer_runs")
