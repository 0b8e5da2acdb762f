"""Pages that are not articles in a run (#15): stored and listed with the reason, not analyzed
(a `not-analyzed` note says why), left out of corpus counts; `--analyze-all` analyzes them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.model import Layer, PageType
from narrascope.store import Store

PAGES = Path(__file__).parent / "data" / "pages"
ARTICLE = "000_8f4d98db21bab007.txt"


@pytest.fixture
def inputs(tmp_path, examples_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(examples_dir / ARTICLE, folder / ARTICLE)
    for name in ("impressum-de.html", "tag-archive-en.html"):
        shutil.copy(PAGES / name, folder / name)
    return folder


def _run(inputs: Path, db: Path, *extra: str) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(inputs), "--db", str(db), "--only", "stats", *extra]
    )
    assert result.exit_code == 0, result.output


def _by_type(store: Store) -> dict[PageType, str]:
    return {doc.page_type: doc.id for doc in store.documents()}


def test_pagetype_run_skips_not_articles_with_reason(inputs, tmp_path):
    db = tmp_path / "run.db"
    _run(inputs, db)
    with Store.open(db) as store:
        ids = _by_type(store)
        assert set(ids) == {PageType.ARTICLE, PageType.LEGAL, PageType.LISTING}
        article = list(store.annotations(ids[PageType.ARTICLE]))
        assert [a.label for a in article] == ["counts"]
        legal = list(store.annotations(ids[PageType.LEGAL]))
        assert [(a.layer, a.label) for a in legal] == [(Layer.STATS, "not-analyzed")]
        assert legal[0].attrs["reason"].startswith("not an article: legal page: title 'Impressum'")
        assert store.vectors(ids[PageType.LEGAL]) is None  # not encoded either
        # the skip is recorded as a run of that version: a re-analysis can tell it was considered
        version = next(iter(store.analyzers_run(ids[PageType.ARTICLE])))
        assert store.analyzers_run(ids[PageType.LEGAL]) == {version}
        assert store.analyzers_run(ids[PageType.LISTING]) == {version}
        assert set(store.documents_without(version)) == set()
        outlets = {name for name, *_ in store.corpus.outlet_counts()}
        assert outlets == {store.document(ids[PageType.ARTICLE]).outlet}
    listing = CliRunner().invoke(app, ["list", "--db", str(db)])
    assert listing.exit_code == 0, listing.output
    assert "[not an article: legal page: title 'Impressum'" in listing.output
    assert "[not an article: listing page: title 'Tag: city council'" in listing.output


def test_pagetype_run_analyze_all_overrides(inputs, tmp_path):
    db = tmp_path / "all.db"
    _run(inputs, db, "--analyze-all")
    with Store.open(db) as store:
        ids = _by_type(store)
        legal = list(store.annotations(ids[PageType.LEGAL]))
        assert [a.label for a in legal] == ["counts"]
        assert store.document(ids[PageType.LEGAL]).page_type is PageType.LEGAL  # still named


def test_pagetype_reanalyze_leaves_not_articles_alone(inputs, tmp_path):
    from narrascope.reanalyze import reanalyze

    db = tmp_path / "re.db"
    _run(inputs, db)
    with Store.open(db) as store:
        legal = _by_type(store)[PageType.LEGAL]
        before = list(store.annotations(legal))
        report = reanalyze(store, only=["stats"])
        assert report.counts["not an article"] == 2
        assert list(store.annotations(legal)) == before
