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


def _select(page, sentence: int, *, skip: int = 0) -> None:
    """Select sentence `sentence` of the article as a mouse would, from `skip` characters in."""
    page.evaluate(
        """([id, skip]) => {
            const el = document.getElementById(id);
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const first = walker.nextNode();
            let last = first;
            for (let n = walker.nextNode(); n; n = walker.nextNode()) last = n;
            const range = document.createRange();
            range.setStart(first, skip);
            range.setEnd(last, last.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [f"s-{sentence}", skip],
    )


def test_review_browser_adds_on_a_selection_and_edits_speaker_and_entity(
    review_server, page, shots
):
    """n on selected text adds a label on exactly that span; e edits a quote's speaker and an
    entity mention's entity; each shows as corrected with who; a refused one changes nothing."""
    base, docs, db = review_server
    doc = docs[FIRST]
    page.goto(base + f"/doc/{doc.id}")
    page.locator("#panel-review li.rv").first.wait_for()
    _select(page, 8)
    page.keyboard.press("n")
    adding = page.locator("form.add")
    adding.wait_for(state="visible")
    assert "on “" in adding.locator(".add-span").inner_text()
    adding.locator("input[name=label]").fill("Whataboutism")
    adding.locator("input[name=label]").press("Enter")
    _row(page, "Whataboutism").wait_for()
    assert "added by local" in _row(page, "Whataboutism").inner_text()
    # A mention of an entity, selected from inside a technique's mark (text split in pieces).
    _select(page, 2, skip=3)
    page.keyboard.press("n")
    adding.wait_for(state="visible")
    adding.locator("select[name=layer]").select_option("entity")
    assert (
        adding.locator("input[name=entity]").input_value()
        == doc.text[doc.sentences[2][0] + 3 : doc.sentences[2][1]].strip()
    )
    adding.locator("input[name=entity]").fill("Collective Security Treaty Organization")
    adding.locator("input[name=label]").fill("ORG")
    adding.locator("input[name=label]").press("Enter")
    _row(page, "→ Collective Security Treaty Organization").wait_for()
    # The quote's speaker and the CSTO mention's entity, through the e form.
    form = page.locator("form.relabel")
    _row(page, "speaker: Kassym-Jomart Tokayev").click()
    page.keyboard.press("e")
    form.wait_for(state="visible")
    assert form.locator("input[name=speaker]").input_value() == "Kassym-Jomart Tokayev"
    form.locator("input[name=speaker]").fill("Askar Mamin")
    form.locator("input[name=speaker]").press("Enter")
    _row(page, "speaker: Askar Mamin").wait_for()
    assert "relabeled by local" in _row(page, "speaker: Askar Mamin").inner_text()
    _row(page, "→ CSTO").click()
    page.keyboard.press("e")
    form.wait_for(state="visible")
    form.locator("input[name=entity]").fill("NATO")
    form.locator("input[name=entity]").press("Enter")
    _row(page, "→ NATO").wait_for()
    page.screenshot(path=str(shots / "review-add.png"), full_page=False)
    # The same label again on an overlapping selection: refused, with the reason.
    _select(page, 8, skip=2)
    page.keyboard.press("n")
    adding.wait_for(state="visible")
    adding.locator("select[name=layer]").select_option("technique")  # it keeps the last one
    adding.locator("input[name=label]").fill("Whataboutism")
    adding.locator("input[name=label]").press("Enter")
    status = page.locator(".review-status.error")
    status.wait_for()
    assert "overlaps" in status.inner_text()
    from narrascope.store import Store

    with Store.open(db) as store:
        made = [c for c in store.corrections.of() if c.action.value in ("add", "relabel")]
    by_layer = {(c.layer.value, c.action.value): c for c in made}
    start, end = doc.sentences[8]
    added = by_layer[("technique", "add")].new
    assert (added.label, added.start, added.end) == ("Whataboutism", start, end)
    mention = by_layer[("entity", "add")].new
    assert (mention.start, mention.end) == (doc.sentences[2][0] + 3, doc.sentences[2][1])
    assert mention.attrs["entity"] == "Collective Security Treaty Organization"
    assert by_layer[("quote", "relabel")].new.attrs["speaker"] == "Askar Mamin"
    assert by_layer[("entity", "relabel")].new.attrs["entity_id"] == "nato"
    assert all(c.user == "local" and c.created_at for c in made)
    assert [e for e in page.errors if "400 (Bad Request)" not in e] == []
