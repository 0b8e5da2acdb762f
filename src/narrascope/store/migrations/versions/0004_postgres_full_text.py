"""PostgreSQL full-text search: each sentence's text and `tsvector`, GIN-indexed, kept in sync.

The PostgreSQL counterpart of SQLite's FTS5 table (`0002c`), under the same name, `sentence_fts`,
and like it holding the sentence's text: a trigger on `sentences` indexes each sentence (cut from
its document by offsets) when it is stored, and the foreign key drops it with its sentence, so
`Store.add` needs no extra call.
The `simple` configuration lowercases without stemming, as FTS5's `unicode61` does, so both
databases match the same words. `rowid` numbers sentences in the order they were indexed, for
the newest-first listing of broad queries. SQLite is unchanged.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# A sentence is indexed by its first 100,000 characters: a tsvector holds at most 1 MB, and one
# hostile run-on "sentence" must not make its whole document fail to store.
_UP = [
    "CREATE TABLE sentence_fts ("
    " rowid bigint GENERATED ALWAYS AS IDENTITY,"
    " doc_id varchar(16) NOT NULL,"
    " idx integer NOT NULL,"
    " text text NOT NULL,"
    " tsv tsvector NOT NULL,"
    " PRIMARY KEY (doc_id, idx),"
    " FOREIGN KEY (doc_id, idx) REFERENCES sentences (doc_id, idx) ON DELETE CASCADE)",
    "CREATE INDEX sentence_fts_tsv ON sentence_fts USING gin (tsv)",
    "CREATE UNIQUE INDEX sentence_fts_rowid ON sentence_fts (rowid)",
    "CREATE FUNCTION sentence_fts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO sentence_fts (doc_id, idx, text, tsv) "
    'SELECT NEW.doc_id, NEW.idx, substr(d.text, NEW.start + 1, NEW."end" - NEW.start), '
    "to_tsvector('simple', left(substr(d.text, NEW.start + 1, NEW.\"end\" - NEW.start), 100000)) "
    "FROM documents d WHERE d.id = NEW.doc_id ON CONFLICT DO NOTHING; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER sentence_fts_insert AFTER INSERT ON sentences "
    "FOR EACH ROW EXECUTE FUNCTION sentence_fts_insert()",
    "INSERT INTO sentence_fts (doc_id, idx, text, tsv) "
    'SELECT s.doc_id, s.idx, substr(d.text, s.start + 1, s."end" - s.start), '
    "to_tsvector('simple', left(substr(d.text, s.start + 1, s.\"end\" - s.start), 100000)) "
    "FROM sentences s JOIN documents d ON d.id = s.doc_id ORDER BY s.doc_id, s.idx",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS sentence_fts_insert ON sentences")
        op.execute("DROP FUNCTION IF EXISTS sentence_fts_insert()")
        op.execute("DROP TABLE IF EXISTS sentence_fts")
