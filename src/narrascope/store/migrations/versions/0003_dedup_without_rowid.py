"""Dedup index tables without SQLite rowids: half the disk for passage and LSH band hashes.

A rowid table keeps its primary key twice (the table and an index beside it); these tables
are nothing but their key. PostgreSQL is unchanged.

Revision ID: 0003
Revises: 0002c
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002c"
branch_labels = None
depends_on = None


def _lsh_bands(name: str, *, rowid: bool) -> None:
    op.create_table(
        name,
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("doc_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "hash", "doc_id"),
        sqlite_with_rowid=rowid,
    )


def _passages(name: str, *, rowid: bool) -> None:
    op.create_table(
        name,
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.Column("doc_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["doc_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("hash", "doc_id"),
        sqlite_with_rowid=rowid,
    )


def _rebuild(*, rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, create, columns in (
        ("lsh_bands", _lsh_bands, "band, hash, doc_id"),
        ("passages", _passages, "hash, doc_id, position"),
    ):
        create(f"{name}_new", rowid=rowid)
        # Names and columns are the constants above.
        copy = f"INSERT INTO {name}_new ({columns}) SELECT {columns} FROM {name}"  # noqa: S608
        op.execute(copy)
        op.drop_table(name)
        op.rename_table(f"{name}_new", name)


def upgrade() -> None:
    _rebuild(rowid=False)


def downgrade() -> None:
    _rebuild(rowid=True)
