"""Corpus view: storyline tables, and (SQLite) an FTS5 index over sentence texts kept in sync.

Triggers on `sentences` index each sentence's text (cut from its document by offsets) when it is
stored and drop it when it goes, so `Store.add` needs no extra call. PostgreSQL searches
without an index for now (see `store/corpus.py`).

Revision ID: 0002c
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002c"
down_revision = "0001"
branch_labels = None
depends_on = None

_FTS = [
    "CREATE VIRTUAL TABLE sentence_fts USING fts5("
    "text, doc_id UNINDEXED, idx UNINDEXED, tokenize='unicode61 remove_diacritics 2')",
    # SQLite's substr counts characters, as Python's offsets do (1-based, hence + 1).
    "CREATE TRIGGER sentence_fts_insert AFTER INSERT ON sentences BEGIN "
    "INSERT INTO sentence_fts(rowid, text, doc_id, idx) "
    'SELECT new.rowid, substr(d.text, new.start + 1, new."end" - new.start), new.doc_id, new.idx '
    "FROM documents d WHERE d.id = new.doc_id; END",
    "CREATE TRIGGER sentence_fts_delete AFTER DELETE ON sentences BEGIN "
    "DELETE FROM sentence_fts WHERE rowid = old.rowid; END",
    "INSERT INTO sentence_fts(rowid, text, doc_id, idx) "
    'SELECT s.rowid, substr(d.text, s.start + 1, s."end" - s.start), s.doc_id, s.idx '
    "FROM sentences s JOIN documents d ON d.id = s.doc_id",
]


def upgrade() -> None:
    op.create_table(
        "storylines",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("label_doc_id", sa.String(length=16), nullable=False),
        sa.Column("label_start", sa.Integer(), nullable=False),
        sa.Column("label_end", sa.Integer(), nullable=False),
        sa.Column("label_vector", sa.LargeBinary(), nullable=False),
        sa.Column("vector_sum", sa.LargeBinary(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("outlets", sa.Integer(), nullable=False),
        sa.Column("first_doc_id", sa.String(length=16), nullable=False),
        sa.Column("first_outlet", sa.String(length=255), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("narratives", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_storylines_last_seen", "storylines", ["last_seen"], unique=False)
    op.create_table(
        "storyline_members",
        sa.Column("doc_id", sa.String(length=16), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("storyline_id", sa.String(length=16), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc_id", "idx"),
    )
    op.create_index(
        "ix_storyline_members_storyline_id", "storyline_members", ["storyline_id"], unique=False
    )
    op.create_table(
        "storyline_docs",
        sa.Column("doc_id", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc_id"),
    )
    op.create_index("ix_storyline_docs_at", "storyline_docs", ["at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in _FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS sentence_fts_delete")
        op.execute("DROP TRIGGER IF EXISTS sentence_fts_insert")
        op.execute("DROP TABLE IF EXISTS sentence_fts")
    op.drop_index("ix_storyline_docs_at", table_name="storyline_docs")
    op.drop_table("storyline_docs")
    op.drop_index("ix_storyline_members_storyline_id", table_name="storyline_members")
    op.drop_table("storyline_members")
    op.drop_index("ix_storylines_last_seen", table_name="storylines")
    op.drop_table("storylines")
