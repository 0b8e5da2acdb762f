"""Attention over time (#17): a search's matching documents per day, week or month, by outlet,
on a true time axis (gaps as zeros, undated apart), normalised by the outlet's volume; counted
in SQL on SQLite and PostgreSQL. The store is built by hand (`attention_corpus.py`)."""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import attention_corpus
from attention_corpus import BIG, SMALL, FixedEncoder

from narrascope.cli import app
from narrascope.corpus.attention import (
    OTHER_OUTLETS,
    attention,
    axis,
    choose_interval,
    on_time_axis,
)
from narrascope.corpus.labels import UnknownLabel
from narrascope.export.report import write_report
from narrascope.store import Store
from narrascope.store.reads import NO_OUTLET
from narrascope.store.search import SearchQuery
from narrascope.web import create_app


@pytest.fixture
def store(database_url):
    attention_corpus.build(database_url)
    with Store.open(database_url) as opened:
        yield opened


def _by_outlet(found):
    return {s.outlet: s for s in found.series}


def test_attention_days_fill_gaps_and_count_undated_apart(store):
    found = attention(store, [SearchQuery(text="fuel")])
    assert found.interval == "day"
    assert found.buckets == [date(2022, 1, d) for d in range(3, 11)]  # 4th, 6th-9th: nothing
    (series,) = found.series
    assert series.counts == (1, 0, 1, 0, 0, 0, 0, 1)
    assert series.totals == (2, 0, 1, 0, 0, 0, 0, 2)  # 23:30 UTC on the 3rd stays the 3rd
    assert series.undated == 1 and series.undated_total == 2
    assert found.undated == {"“fuel”": 1}


def test_attention_weeks_start_on_monday_by_outlet(store):
    found = attention(store, [SearchQuery(text="fuel")], interval="week", by_outlet=True)
    assert found.buckets == [date(2022, 1, 3), date(2022, 1, 10)]
    series = _by_outlet(found)
    assert list(series) == [BIG, SMALL, NO_OUTLET]  # most matches first, no outlet last
    assert series[BIG].counts == (2, 0) and series[BIG].totals == (3, 1)
    assert series[SMALL].counts == (0, 1) and series[SMALL].undated_total == 1
    assert series[NO_OUTLET].counts == (0, 0) and series[NO_OUTLET].undated == 1
    assert found.undated_totals == {"“fuel”": 2}  # every outlet's, not only the shown ones'


def test_attention_normalises_by_the_outlets_volume(store):
    found = attention(store, [SearchQuery(text="fuel")], by_outlet=True, normalize=True)
    big, small = _by_outlet(found)[BIG], _by_outlet(found)[SMALL]
    assert big.shares[0] == 0.5 and big.shares[2] == 1.0 and big.shares[7] == 0.0
    assert big.shares[1] is None  # nothing published that day: no rate, not zero
    assert small.shares[7] == 1.0
    assert found.normalized and big.values(normalize=True)[1] == 0.0
    rows = [r for r in found.rows() if r["outlet"] == BIG and r["start"] == "2022-01-03"]
    assert rows == [
        {
            "query": "“fuel”",
            "outlet": BIG,
            "interval": "day",
            "start": "2022-01-03",
            "documents": 1,
            "outlet_documents": 2,
            "share": 0.5,
        }
    ]


def test_attention_folds_the_rest_into_other_outlets(store):
    found = attention(store, [SearchQuery(text="fuel")], interval="week", by_outlet=True, top=1)
    series = _by_outlet(found)
    assert list(series) == [BIG, OTHER_OUTLETS]
    other = series[OTHER_OUTLETS]
    assert other.counts == (0, 1) and other.totals == (0, 1)  # small.example's volume only
    assert other.undated == 1 and other.undated_total == 2


def test_attention_label_filters_match_sentences(store):
    labelled = attention(store, [SearchQuery(technique="Loaded Language")], interval="week")
    assert labelled.series[0].counts == (1, 0)
    assert labelled.queries == ["technique Loaded_Language"]
    inside = attention(store, [SearchQuery(text="fuel", technique="loaded_language")])
    outside = attention(store, [SearchQuery(text="officials", technique="loaded_language")])
    assert inside.series[0].documents == 1 and outside.series[0].documents == 0
    with pytest.raises(UnknownLabel, match="did you mean"):
        attention(store, [SearchQuery(technique="Loaded Langage")])


def test_attention_date_range_keeps_undated_apart(store):
    found = attention(store, [SearchQuery(text="fuel", since=date(2022, 1, 4))])
    assert found.buckets[0] == date(2022, 1, 5) and found.buckets[-1] == date(2022, 1, 10)
    (series,) = found.series
    assert series.counts == (1, 0, 0, 0, 0, 1) and series.undated == 1


def test_attention_compares_queries_on_one_axis(store):
    found = attention(
        store, [SearchQuery(text="fuel"), SearchQuery(text="weather")], interval="week"
    )
    assert found.queries == ["“fuel”", "“weather”"]
    assert [s.counts for s in found.series] == [(2, 1), (1, 0)]


def test_attention_like_finds_documents_by_meaning(store):
    found = attention(
        store,
        [SearchQuery(text="petrol")],  # no such word: the vectors match
        like=True,
        encoder=FixedEncoder(),
        interval="month",
    )
    assert found.buckets == [date(2022, 1, 1)]
    assert found.series[0].counts == (3,) and found.series[0].undated == 1
    assert found.queries == ["like “petrol”"]


def test_attention_axis_and_interval_by_span():
    assert choose_interval(date(2022, 1, 1), date(2022, 3, 1)) == "day"
    assert choose_interval(date(2022, 1, 1), date(2023, 1, 1)) == "week"
    assert choose_interval(date(2018, 1, 1), date(2023, 1, 1)) == "month"
    assert axis(date(2022, 1, 31), date(2022, 3, 2), "month") == [
        date(2022, 1, 1),
        date(2022, 2, 1),
        date(2022, 3, 1),
    ]
    assert axis(date(2022, 1, 2), date(2022, 1, 3), "week") == [
        date(2021, 12, 27),
        date(2022, 1, 3),
    ]
    with pytest.raises(ValueError, match="wider interval"):
        axis(date(1900, 1, 1), date(2022, 1, 1), "day")


def test_attention_empty_store_has_no_axis(database_url):
    with Store.open(database_url) as empty:
        found = attention(empty, [SearchQuery(text="fuel")])
    assert found.buckets == [] and found.series[0].counts == ()


@pytest.fixture(scope="module")
def db_file(tmp_path_factory) -> str:
    return attention_corpus.build(str(tmp_path_factory.mktemp("attention") / "a.db"))


def test_cli_attention_writes_every_bucket_to_csv(db_file, tmp_path):
    out = tmp_path / "fuel.csv"
    args = ["attention", "fuel", "--db", db_file, "--by", "outlet", "--interval", "week"]
    result = CliRunner().invoke(app, [*args, "--csv", str(out), "--compare", "weather"])
    assert result.exit_code == 0, result.output
    assert "undated (not on the axis): 1 of 2 undated documents match “fuel”" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["query"] for r in rows} == {"“fuel”", "“weather”"}
    big = [(r["start"], r["documents"], r["outlet_documents"]) for r in rows
           if r["query"] == "“fuel”" and r["outlet"] == BIG]  # fmt: skip
    assert big == [("2022-01-03", "2", "3"), ("2022-01-10", "0", "1")]
    nameless = [(r["start"], r["documents"]) for r in rows
                if r["outlet"] == NO_OUTLET and r["query"] == "“fuel”"]  # fmt: skip
    assert nameless == [("2022-01-03", "0"), ("2022-01-10", "0"), ("undated", "1")]
    assert f"{len(rows)} rows" in result.output


def test_cli_attention_normalised_shows_shares_and_gaps(db_file):
    result = CliRunner().invoke(
        app, ["attention", "fuel", "--db", db_file, "--by", "outlet", "--normalize"]
    )
    assert result.exit_code == 0, result.output
    assert "share of the outlet's documents per day" in result.output
    day = next(line for line in result.output.splitlines() if "2022-01-03" in line)
    assert "50.0%" in day
    gap = next(line for line in result.output.splitlines() if "2022-01-04" in line)
    assert "%" not in gap and "–" in gap  # nothing published: no rate


def test_cli_attention_refuses_what_it_cannot_read(db_file):
    runner = CliRunner()
    unknown = runner.invoke(app, ["attention", "--db", db_file, "--technique", "Loaded Langage"])
    assert unknown.exit_code == 1 and "did you mean" in unknown.output
    bad = runner.invoke(app, ["attention", "fuel", "--db", db_file, "--interval", "year"])
    assert bad.exit_code == 1 and "unknown interval" in bad.output
    assert runner.invoke(app, ["attention", "--db", db_file, "--by", "x"]).exit_code == 1


@pytest.fixture(scope="module")
def client(db_file):
    with TestClient(create_app(db_file)) as c:
        c.app.state.encoder = FixedEncoder()
        yield c


def test_web_attention_page_draws_one_point_per_bucket_side_by_side(client):
    page = client.get("/attention", params={"q": "fuel", "compare": "weather", "by": "outlet"})
    assert page.status_code == 200
    charts = re.findall(r'<svg class="chart timechart".*?</svg>', page.text, re.S)
    assert len(charts) == 2  # one per query, on the same axis
    fuel, weather = charts
    assert fuel.count('class="line s') == 3 and fuel.count("<circle") == 3 * 8
    assert weather.count('class="line s') == 1 and weather.count("<circle") == 8
    assert "2022-01-03" in fuel and "2022-01-10" in fuel
    assert "Undated, not on the axis: 1 matching of 2 undated documents" in page.text
    assert 'id="attention-csv"' in page.text
    assert 'id="attention-link"' in client.get("/search", params={"q": "fuel"}).text


def test_web_attention_json_csv_and_errors(client):
    data = client.get("/api/v1/attention", params={"q": "fuel", "normalize": "1"}).json()["data"]
    assert data["buckets"][0] == "2022-01-03" and len(data["buckets"]) == 8
    (series,) = data["series"]
    assert series["documents"] == [1, 0, 1, 0, 0, 0, 0, 1]
    assert series["shares"][:2] == [0.5, None] and series["undated"] == 1
    download = client.get(
        "/api/v1/attention/download", params={"q": "fuel", "interval": "week", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["start"], r["documents"]) for r in rows] == [
        ("2022-01-03", "2"),
        ("2022-01-10", "1"),
        ("undated", "1"),
    ]
    bad = client.get("/api/v1/attention", params={"technique": "Loaded Langage"})
    assert bad.status_code == 400 and "did you mean" in bad.json()["error"]
    like = client.get("/api/v1/attention", params={"q": "petrol", "like": "1"}).json()["data"]
    assert like["queries"] == ["like “petrol”"] and like["series"][0]["undated"] == 1


def test_web_attention_escapes_the_query_and_hides_empty_charts(client):
    page = client.get("/attention", params={"q": '<img src=x onerror="alert(1)">'}).text
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "timechart" not in page and "No dated document matches." in page


def test_attention_on_time_axis_fills_gaps_for_label_counts():
    found = on_time_axis(
        [
            ("A", "2022-01-03", 1),
            ("A", "2022-01-06", 2),
            ("B", "2022-01-04", 1),
            ("B", "undated", 1),
        ]
    )
    assert found.interval == "day" and found.buckets == [date(2022, 1, d) for d in range(3, 7)]
    assert found.series == {"A": [1, 0, 0, 2], "B": [0, 1, 0, 0]} and found.undated == {"B": 1}


def test_web_dashboard_shows_rates_and_hides_an_empty_copy_graph(client):
    """#17: the technique mix is a share of each outlet's articles (big.example: 1 of 4), and
    "Who copies whom" hides when nothing was copied."""
    page = client.get("/").text
    grid = re.search(r'<svg class="chart rategrid".*?</svg>', page, re.S).group(0)
    assert ">25%<" in grid and "1 of 4 articles" in grid
    assert "panel-copy_graph" not in page and "Who copies whom" not in page
    rows = client.get("/api/v1/panels/technique_mix/download?format=csv").text
    assert "share" in rows.splitlines()[0] and ",0.25" in rows


def test_report_rates_fit_and_copies_hide(db_file, tmp_path):
    with Store.open(db_file) as opened:
        write_report(opened, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert '<div class="scroll"><svg class="chart rategrid"' in index
    assert ">25%<" in index and "Who copies whom" not in index
    assert "Narratives over time" not in index  # no narrative stored: the section hides
