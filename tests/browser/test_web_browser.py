"""The web workbench in a real browser: Debian's chromium, headless, driven by Playwright.

Skips when /usr/bin/chromium or the playwright package is absent (install: `apt-get install -y
chromium` and the `dev` extra). Screenshots go to $NARRASCOPE_SCREENSHOTS (default: a temp dir).
"""

from __future__ import annotations

import csv
import io
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")

sys.path.insert(0, str(Path(__file__).parents[1]))
import web_corpus  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, examples_dir):
    from narrascope.web import create_app

    db = tmp_path_factory.mktemp("browser") / "web.db"
    docs = web_corpus.build(db, examples_dir)
    with _serving(create_app(db, analysis=web_corpus.stats_analysis)) as url:
        yield url, docs


@contextmanager
def _serving(app) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port, in a thread, for the block."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("NARRASCOPE_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.errors = []  # console errors and page errors: a CSP violation shows up here
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def test_web_browser_dashboard(server, page, shots):
    base, _ = server
    page.goto(base + "/")
    assert page.locator("h1").first.inner_text() == "Corpus"
    assert page.locator("svg.chart").count() >= 2
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    assert page.errors == []


def test_web_browser_search_open_reader(server, page, shots):
    base, docs = server
    page.goto(base + "/search")
    page.fill("form.search input[name=q]", "CSTO")
    page.click("form.search button[type=submit]")
    page.wait_for_url("**/search?*q=CSTO*")
    assert page.locator("ol.hits mark").count() > 0
    page.screenshot(path=str(shots / "search.png"), full_page=True)
    page.goto(base + f"/doc/{docs['000_8f4d98db21bab007'].id}")
    marks = page.locator("article.doc mark.t")
    assert marks.count() >= 3
    tip = page.locator("article.doc mark.t.multi").first.get_attribute("title")
    assert "Loaded Language" in tip and "Doubt" in tip
    # Marks are coloured (the stylesheet loaded under the CSP).
    colour = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    # Clicking an evidence sentence scrolls to it and flashes it.
    page.click("#panel-narratives a.ev[href='#s-5']")
    assert page.url.endswith("#s-5")
    assert "flash" in (page.locator("#s-5").get_attribute("class") or "")
    assert page.locator("#s-5").evaluate("e => e.getBoundingClientRect().top") < 1000
    page.screenshot(path=str(shots / "reader.png"), full_page=False)
    # The legend toggles a technique's colour off.
    page.click("#legend button.tech-toggle >> nth=0")
    assert page.locator("article.doc mark.t.off").count() > 0
    for panel in ("narratives", "roles", "quotes", "claims", "copies"):
        assert page.locator(f"#panel-{panel}").is_visible()
    assert page.errors == []


def test_web_browser_hostile_page_runs_nothing(server, page, shots):
    base, docs = server
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + f"/doc/{docs['hostile'].id}")
    assert "<script>" in page.locator("h1.doc-title").inner_text()
    assert page.locator("article.doc img").count() == 0
    page.screenshot(path=str(shots / "hostile.png"), full_page=True)
    assert dialogs == []


def test_web_browser_upload_and_download(server, page, shots, examples_dir, tmp_path):
    base, _ = server
    page.goto(base + "/analyze")
    page.set_input_files("#files", str(examples_dir / "004_09b1c19c16810eb5.txt"))
    page.click("form.analyze button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(shots / "upload-result.png"), full_page=False)
    page.wait_for_url("**/doc/*")
    assert page.locator("h1.doc-title").inner_text()
    page.screenshot(path=str(shots / "uploaded.png"), full_page=False)
    page.goto(base + "/search")
    with page.expect_download() as info:
        page.click("#dl-csv")
    path = tmp_path / "results.csv"
    info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) >= 6 and all(row.get("doc_id") or row.get("id") for row in rows)
    assert page.errors == []


@pytest.fixture(scope="module")
def storyline_server(tmp_path_factory):
    """A server over the workbench store: one dated storyline across two outlets, one undated."""
    import workbench_corpus

    from narrascope.web import create_app

    db = workbench_corpus.build(str(tmp_path_factory.mktemp("storylines") / "w.db"))
    with _serving(create_app(db)) as url:
        yield url


def test_web_browser_storylines_list_filter_and_open_one(storyline_server, page, shots):
    page.goto(storyline_server + "/storylines")
    rows = page.locator("table.storylines tbody tr")
    assert rows.count() == 2
    page.select_option("select[name=sort]", "first_seen")
    page.select_option("select[name=outlet]", "tass.com")
    page.click("#storyline-filters button[type=submit]")
    page.wait_for_url("**/storylines?*outlet=tass.com*")
    assert page.locator("table.storylines tbody tr").count() == 1
    page.screenshot(path=str(shots / "storylines.png"), full_page=True)
    page.click("a.storyline-link")
    page.wait_for_url("**/storyline/*")
    assert "journal-neo.org" in page.locator("#first-seen").inner_text()
    assert page.locator("svg.timeline circle").count() == 2
    assert page.locator("#members mark").count() >= 1  # the reworded member's drift
    page.screenshot(path=str(shots / "storyline.png"), full_page=True)
    assert not page.errors


def test_web_browser_undated_storyline_has_no_first_seen(storyline_server, page):
    page.goto(storyline_server + "/storylines?sort=first_seen")
    page.locator("a.storyline-link").last.click()
    page.wait_for_url("**/storyline/*")
    assert "no dated member" in page.locator("#first-seen").inner_text()
    assert page.locator("svg.timeline").count() == 0
    assert not page.errors


@pytest.fixture(scope="module")
def attention_server(tmp_path_factory):
    """A server over the attention store: two outlets over eight days, two undated documents."""
    import attention_corpus

    from narrascope.web import create_app

    db = attention_corpus.build(str(tmp_path_factory.mktemp("attention") / "a.db"))
    with _serving(create_app(db)) as url:
        yield url


def test_web_browser_attention_chart_from_a_search(attention_server, page, shots):
    """#17: the search links to its attention chart: one point per day on a true time axis,
    a second query side by side on the same scale, and the CSV of every bucket."""
    page.goto(attention_server + "/search?q=fuel")
    page.click("#attention-link")
    page.wait_for_url("**/attention?*q=fuel*")
    charts = page.locator("#attention-charts svg.timechart")
    assert charts.count() == 1
    assert charts.first.locator("circle.pt").count() == 8  # 3rd..10th January, gaps as zeros
    box = charts.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    # The dots sit at their dates: the 4th is as far from the 3rd as the 9th from the 10th.
    xs = [float(x) for x in charts.first.locator("circle.pt").evaluate_all(
        "cs => cs.map(c => c.getAttribute('cx'))")]  # fmt: skip
    assert abs((xs[1] - xs[0]) - (xs[7] - xs[6])) < 0.5
    assert "1 matching of 2 undated documents" in page.locator(".undated").inner_text()
    page.fill("#attention-form input[name=compare]", "weather")
    page.select_option("#attention-form select[name=by]", "outlet")
    page.click("#attention-form button[type=submit]")
    page.wait_for_url("**/attention?*compare=weather*")
    assert charts.count() == 2
    assert charts.nth(0).locator("polyline").count() == 3  # big, small, no outlet
    assert charts.nth(1).locator("circle.pt").count() == 8
    colour = charts.nth(0).locator("circle.pt").first.evaluate("c => getComputedStyle(c).fill")
    assert colour not in ("none", "rgb(0, 0, 0)")  # the palette loaded under the CSP
    page.screenshot(path=str(shots / "attention.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#attention-csv")
    path = Path(info.value.path())
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert {r["query"] for r in rows} == {"“fuel”", "“weather”"}
    assert not page.errors
