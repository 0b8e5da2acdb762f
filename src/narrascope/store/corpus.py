"""`Store.corpus`: the SQL behind the corpus views, one module per concept, joined in one object.

`narrascope.corpus` computes the analyst's cross-document views; these are the only parts of
them that know table names:
- `store/reads.py`: document metadata, texts, sentence offsets and vectors (and the shared base);
- `store/counts.py`: label, attribute, entity and publication counts (counts, profiles, copies);
- `store/search.py`: full-text search, the one `SearchQuery` and the one cursor codec;
- `store/attention.py`: a search's matching documents per day, week or month and outlet;
- `store/storylines.py`: the storyline tables, read and written.
"""

from __future__ import annotations

from narrascope.store.attention import AttentionCounts
from narrascope.store.counts import LabelCounts
from narrascope.store.reads import DocumentReads
from narrascope.store.search import FullTextSearch
from narrascope.store.storylines import StorylineTables


class CorpusIndex(DocumentReads, LabelCounts, AttentionCounts, FullTextSearch, StorylineTables):
    """Aggregates, full-text search, attention counts and storylines over one database."""
