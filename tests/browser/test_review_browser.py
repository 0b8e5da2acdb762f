"""Keyboard review in the reader (#19), in real Chromium: j/k move, a accept, r reject,
e relabel, u undo; corrections show who and when; a refused one shows its reason.

Its own server over its own database: the corrections it makes must not leak into the other
browser tests. Skips like them when Chromium or Playwright is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
import test_web_browser as shared
import web_corpus

browser, page, shots = shared.browser, shared.page, shared.shots  # the shared fixtures

FIRST = "000_8f4d98db21bab007"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory, examples_dir):
    from narrascope.web import create_app

    db = tmp_path_factory.mktemp("review-browser") / "web.db"
    docs = web_corpus.build(db, examples_dir)
    with shared._serving(create_app(db)) as base:
        yield base, docs, db


def _row(page, label: str):
    return page.locator("#panel-review li.rv", has_text=label).first


def test_review_browser_keyboard_flow(review_server, page, shots):
    base, docs, db = review_server
    page.goto(base + f"/doc/{docs[FIRST].id}")
    rows = page.locator("#panel-review li.rv")
    rows.first.wait_for()
    assert "sel" in (rows.first.get_attribute("class") or "")
    labels = [rows.nth(i).inner_text() for i in range(rows.count())]
    doubt = next(i for i, text in enumerate(labels) if "Doubt" in text)
    for _ in range(doubt):
        page.keyboard.press("j")
    page.keyboard.press("r")  # reject Doubt
    page.locator("#panel-review li.rejected").wait_for()
    assert "rejected by local" in _row(page, "Doubt").inner_text()
    assert "rejected" in page.locator(".review-status").inner_text()
    # Relabel Flag_Waving as Slogans through the form the e key opens.
    page.locator("#panel-review li.rv", has_text="Flag Waving").click()
    page.keyboard.press("e")
    form = page.locator("form.relabel")
    form.wait_for(state="visible")  # after the layer's labels load into its list
    form.locator("input[name=label]").fill("Slogans")
    form.locator("input[name=note]").fill("a slogan, not flag-waving")
    form.locator("input[name=label]").press("Enter")
    _row(page, "Slogans").wait_for()
    assert "relabeled by local" in _row(page, "Slogans").inner_text()
    page.screenshot(path=str(shots / "review.png"), full_page=False)
    # A refused relabel shows its reason and changes nothing.
    _row(page, "Loaded Language").click()
    page.keyboard.press("e")
    form.wait_for(state="visible")
    form.locator("input[name=label]").fill("Not_A_Technique")
    form.locator("input[name=label]").press("Enter")
    status = page.locator(".review-status.error")
    status.wait_for()
    assert "unknown technique label" in status.inner_text()
    # u on the rejected label brings Doubt back.
    _row(page, "Doubt").click()
    page.keyboard.press("u")
    page.wait_for_function(
        "() => ![...document.querySelectorAll('#panel-review li.rejected')].length"
    )
    assert "undone" in page.locator(".review-status").inner_text()
    from narrascope.store import Store

    with Store.open(db) as store:
        kept = store.corrections.of(undone=True)
    assert [(c.action.value, c.user, c.undone_by) for c in kept] == [
        ("reject", "local", "local"),
        ("relabel", "local", ""),
    ]
    assert kept[1].note == "a slogan, not flag-waving"
    # The refused relabel's 400 is the only console error: no script or CSP failure.
    assert [e for e in page.errors if "400 (Bad Request)" not in e] == []
