"""Full-text search on both databases: SQLite's FTS5 and PostgreSQL's tsvector index.

The same example articles go into a SQLite file and a PostgreSQL database; every query must
find the same sentences on both, page without repeats (ranked and broad listings), and never
read a user's words as query syntax.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from postgres import scratch_database

from narrascope import pipeline
from narrascope.corpus import search
from narrascope.store import Store
from narrascope.store import search as store_search
from narrascope.store.search import pg_tsquery

QUERIES = ["talks", "Kazakhstan protests", '"upcoming talks"', "Kazakh*", "Tokayev"]


@pytest.fixture(scope="module")
def stores(examples_dir: Path, tmp_path_factory, postgres_server) -> Iterator[dict[str, Store]]:
    with scratch_database(postgres_server) as url:
        sqlite = tmp_path_factory.mktemp("search") / "k.db"
        with Store.open(sqlite) as lite, Store.open(url) as pg:
            opened = {"sqlite": lite, "postgresql": pg}
            for store in opened.values():
                pipeline.analyze([examples_dir], store, only=["stats"])
            yield opened


def _all_hits(store: Store, text: str, limit: int = 3) -> list[search.SearchHit]:
    hits, cursor = [], None
    while True:
        page = search.search(store, search.SearchQuery(text, limit=limit, cursor=cursor))
        hits += page.hits
        cursor = page.next_cursor
        if cursor is None:
            return hits


@pytest.mark.parametrize("text", QUERIES)
def test_search_finds_the_same_sentences_on_sqlite_and_postgresql(stores, text):
    found = {}
    for kind, store in stores.items():
        hits = _all_hits(store, text)
        keys = [(h.doc_id, h.sentence) for h in hits]
        assert len(keys) == len(set(keys))  # paging repeats nothing
        assert len(hits) == search.search(store, search.SearchQuery(text)).total
        for hit in hits:  # the snippet is the stored sentence, with the words marked
            assert store.document(hit.doc_id).text[hit.start : hit.end] == hit.snippet
            assert hit.highlights
        found[kind] = set(keys)
    assert found["sqlite"], text
    assert found["postgresql"] == found["sqlite"]


def test_search_phrase_is_narrower_than_its_words(stores):
    for store in stores.values():
        phrase = search.search(store, search.SearchQuery('"upcoming talks"')).total
        words = search.search(store, search.SearchQuery("upcoming talks")).total
        assert 0 < phrase <= words


def test_search_postgresql_ranks_by_relevance_and_pages_in_rank_order(stores):
    store = stores["postgresql"]
    hits = _all_hits(store, "Kazakhstan", limit=2)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_search_sqlite_without_facets_ranks_the_index_alone(stores):
    """#17: a search without facets on SQLite ranks the index's rows alone and pages after
    (rank, rowid); with a facet it pages after (rank, doc_id, idx). Both list the same hits
    best first, and neither reads the other's cursor."""
    store = stores["sqlite"]
    plain = _all_hits(store, "Kazakhstan", limit=2)
    total = search.search(store, search.SearchQuery("Kazakhstan")).total
    keys = [(h.doc_id, h.sentence) for h in plain]
    assert len(set(keys)) == len(keys) == total > 4
    assert [h.score for h in plain] == sorted((h.score for h in plain), reverse=True)
    assert all(h.start is not None and h.end is not None for h in plain)
    language = store.document(plain[0].doc_id).language
    faceted, cursor = [], None
    while True:
        query = search.SearchQuery("Kazakhstan", language=language, limit=2, cursor=cursor)
        page = search.search(store, query)
        faceted += page.hits
        cursor = page.next_cursor
        if cursor is None:
            break
    assert {(h.doc_id, h.sentence) for h in faceted} <= set(keys)
    assert [h.score for h in faceted] == sorted((h.score for h in faceted), reverse=True)
    first = search.search(store, search.SearchQuery("Kazakhstan", limit=2)).next_cursor
    other = search.SearchQuery("Kazakhstan", language=language, limit=2, cursor=first)
    with pytest.raises(store_search.BadCursor):
        search.search(store, other)


def test_search_broad_queries_list_newest_first_on_both(stores, monkeypatch):
    monkeypatch.setattr(store_search, "SEARCH_CAP", 3)  # any query of more than 3 matches is broad
    for store in stores.values():
        first = search.search(store, search.SearchQuery("Kazakhstan", limit=2))
        assert first.capped and first.total == 3 and first.next_cursor
        hits = _all_hits(store, "Kazakhstan", limit=2)
        keys = [(h.doc_id, h.sentence) for h in hits]
        assert len(keys) == len(set(keys)) > 3


def test_search_user_syntax_is_never_query_syntax(stores):
    hostile = ['AND OR " NEAR(', "a & b | !c <-> d:*", "'); DROP TABLE sentences; --", "*", "\\"]
    for store in stores.values():
        for text in hostile:
            search.search(store, search.SearchQuery(text))  # no syntax error from either engine
        assert store.stats().documents == 5


def test_search_postgresql_uses_its_full_text_index(stores):
    store = stores["postgresql"]
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in conn.exec_driver_sql(
                "EXPLAIN SELECT rowid FROM sentence_fts WHERE tsv @@ to_tsquery('simple', %(q)s)",
                {"q": pg_tsquery("talks")},
            )
        )
    assert "sentence_fts_tsv" in plan


def test_search_postgresql_index_follows_the_sentences(stores):
    store = stores["postgresql"]
    with store.engine.connect() as conn:
        indexed = conn.exec_driver_sql("SELECT count(*) FROM sentence_fts").scalar_one()
        sentences = conn.exec_driver_sql("SELECT count(*) FROM sentences").scalar_one()
    assert indexed == sentences > 0


def test_pg_tsquery_quotes_every_word_as_a_lexeme():
    assert pg_tsquery('"upcoming talks" Kazakh* it\'s') == (
        "('upcoming' <-> 'talks') & ('kazakh':*) & ('it') & ('s')"
    )
    assert pg_tsquery("& | ! <->") == ""
