"""The store's tables as SQLAlchemy Core objects: the one place that names them.

Portable types only (SQLite by default, PostgreSQL by URL). Documents are keyed by their text's
hash (`Document.id`), so every write can be an idempotent upsert and concurrent writers cannot
collide. The Alembic migrations in `migrations/versions/` create exactly these tables; a test
compares the two.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
BigId = BigInteger().with_variant(Integer(), "sqlite")
DocId = String(16)
"""`Document.id`: 16 hex digits of the clean text's SHA-256."""


def _doc_fk(name: str = "doc_id", **kw: Any) -> Column[str]:
    return Column(name, DocId, ForeignKey("documents.id", ondelete="CASCADE"), **kw)


meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("sources", JSON, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("counts", JSON),
)

problems = Table(
    "problems",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), index=True),
    Column("source", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

outlets = Table(
    "outlets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
)

documents = Table(
    "documents",
    metadata,
    Column("id", DocId, primary_key=True),
    Column("text", Text, nullable=False),
    Column("url", Text),
    Column("outlet_id", Integer, ForeignKey("outlets.id")),
    Column("title", Text),
    Column("authors", JSON, nullable=False),
    Column("published", String(40)),  # ISO 8601 as given (keeps the time zone exactly)
    Column("published_utc", DateTime),  # the same instant, naive UTC, for ordering
    Column("date_source", String(64)),
    Column("language", String(16)),
    Column("page_type", String(16)),  # empty: stored before page types, an article (0005)
    Column("page_reason", Text),
    Column("words", Integer, nullable=False),
    Column("location", Text, nullable=False),  # the first input that produced this text
    Column("record", Text),
    Column("raw_sha256", String(64), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("added_at", DateTime, nullable=False),
    Index("ix_documents_outlet_id", "outlet_id", "id"),
    Index("ix_documents_language", "language", "id"),
    Index("ix_documents_published_utc", "published_utc"),
    # Covers a search's facet pass: the row's text sits before these columns (#17, 0009).
    Index("ix_documents_facets", "id", "outlet_id", "language"),
)

publications = Table(
    "publications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("location", Text, nullable=False),
    Column("record", Text, nullable=False),  # "" when the input has no records
    Column("raw_sha256", String(64), nullable=False),
    _doc_fk(nullable=False, index=True),
    Column("url", Text),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), index=True),
    Column("published", String(40)),
    Column("published_utc", DateTime),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("added_at", DateTime, nullable=False),
    UniqueConstraint("location", "record", "raw_sha256", name="uq_publications_input"),
)


def _spans(name: str) -> Table:
    """A segmentation table: one `(start, end)` character span per row, in document order."""
    return Table(
        name,
        metadata,
        _doc_fk(primary_key=True),
        Column("idx", Integer, primary_key=True),
        Column("start", Integer, nullable=False),
        Column("end", Integer, nullable=False),
    )


paragraphs = _spans("paragraphs")
sentences = _spans("sentences")

removed = Table(
    "removed",
    metadata,
    _doc_fk(primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

annotations = Table(
    "annotations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _doc_fk(nullable=False),
    Column("layer", String(32), nullable=False),
    Column("label", Text, nullable=False),
    Column("start", Integer),
    Column("end", Integer),
    Column("score", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("attrs", JSON, nullable=False),
    Column("model", String(128), nullable=False),
    Column("analyzer", String(128), nullable=False),  # the model's name without its version
    Index("ix_annotations_doc_layer", "doc_id", "layer"),
    Index("ix_annotations_doc_analyzer", "doc_id", "analyzer"),
    Index("ix_annotations_layer_label", "layer", "label"),
)

analyzer_runs = Table(
    "analyzer_runs",
    metadata,
    _doc_fk(primary_key=True),
    Column("analyzer", String(128), primary_key=True),
    Column("version", String(128), nullable=False),
    Column("run_at", DateTime, nullable=False),
    # Every cache of the web app checks the latest re-analysis per request (`change_stamp`).
    Index("ix_analyzer_runs_run_at", "run_at"),
)

vectors = Table(
    "vectors",
    metadata,
    _doc_fk(primary_key=True),
    Column("encoder", String(128), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("dim", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # float16, row-major, one row per sentence
)

fingerprints = Table(
    "fingerprints",
    metadata,
    _doc_fk(primary_key=True),
    Column("signature", LargeBinary, nullable=False),  # MinHash values as uint32
    Column("words", Integer, nullable=False),
    Column("words_sha", String(16), nullable=False, index=True),  # hash of the word sequence
    Column("cluster_id", DocId, nullable=False, index=True),
)

lsh_bands = Table(
    "lsh_bands",
    metadata,
    Column("band", SmallInteger, primary_key=True),
    Column("hash", BigInteger, primary_key=True),
    _doc_fk(primary_key=True),
    sqlite_with_rowid=False,  # the key is the whole row: keep it once (migration 0003)
)

passages = Table(
    "passages",
    metadata,
    Column("hash", BigInteger, primary_key=True),  # a winnowed n-word window of the text
    _doc_fk(primary_key=True),
    Column("position", Integer, nullable=False),  # word index of its first occurrence
    sqlite_with_rowid=False,
)

copies = Table(
    "copies",
    metadata,
    _doc_fk("copy_id", primary_key=True),
    _doc_fk("original_id", primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("similarity", Float, nullable=False),
    Column("spans", JSON, nullable=False),  # [[copy_start, copy_end, orig_start, orig_end, words]]
    Index("ix_copies_original_id", "original_id"),
)

clusters = Table(
    "clusters",
    metadata,
    Column("id", DocId, primary_key=True),
    Column("canonical_id", DocId, nullable=False),
    Column("size", Integer, nullable=False),
)

# Storylines (migration 0002c); `narrascope.corpus.storylines` computes them.
storylines = Table(
    "storylines",
    metadata,
    Column("id", DocId, primary_key=True),  # 16 hex digits of the seed sentence's hash
    Column("label", Text, nullable=False),  # the member sentence closest to the centroid
    Column("label_doc_id", DocId, nullable=False),
    Column("label_start", Integer, nullable=False),
    Column("label_end", Integer, nullable=False),
    Column("label_vector", LargeBinary, nullable=False),  # float32
    Column("vector_sum", LargeBinary, nullable=False),  # float32 sum of member vectors
    Column("members", Integer, nullable=False),
    Column("documents", Integer, nullable=False),
    Column("outlets", Integer, nullable=False),
    Column("first_doc_id", DocId, nullable=False),
    Column("first_outlet", String(255)),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("narratives", JSON, nullable=False),  # {narrative label: member sentences carrying it}
    Column("updated_at", DateTime, nullable=False),
    Index("ix_storylines_last_seen", "last_seen"),
)

storyline_members = Table(
    "storyline_members",
    metadata,
    _doc_fk(primary_key=True),
    Column("idx", Integer, primary_key=True),  # sentence index in the document
    Column("storyline_id", DocId, nullable=False),
    Column("similarity", Float, nullable=False),  # to the centroid when the sentence joined
    Index("ix_storyline_members_storyline_id", "storyline_id"),
)

storyline_docs = Table(
    "storyline_docs",
    metadata,
    _doc_fk(primary_key=True),
    Column("at", DateTime, nullable=False),  # when or, undated, added: the storyline clock
    Column("processed_at", DateTime, nullable=False),
    Index("ix_storyline_docs_at", "at"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # No foreign key: a correction outlives its document being dropped and stored again
    # (the id hashes the text), and the analyst's work is never deleted by a cascade.
    Column("doc_id", DocId, nullable=False),
    Column("layer", String(32), nullable=False),
    Column("action", String(16), nullable=False),
    Column("user", String(128), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("subject", Text, nullable=False),  # entity of a role, speaker of a quote, or ""
    Column("old_label", Text),  # the label as the model stored it (none when adding)
    Column("old_start", Integer),
    Column("old_end", Integer),
    Column("new_label", Text),  # the label as it is now (none when rejecting)
    Column("new_start", Integer),
    Column("new_end", Integer),
    Column("model", String(128), nullable=False),  # what produced the original ("" when adding)
    Column("old", JSON),  # the original annotation whole (score, evidence, attrs), to undo
    Column("new", JSON),
    # The model's labels the correction takes out as they are now (annotation rows), for undo
    Column("hidden", JSON),
    Column("note", Text, nullable=False),
    Column("undone_at", DateTime),
    Column("undone_by", String(128)),
    Index("ix_corrections_doc_id", "doc_id", "id"),
    Index("ix_corrections_layer_label", "layer", "new_label"),
)
