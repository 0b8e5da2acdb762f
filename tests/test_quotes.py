"""Quotes: who is quoted saying what in the example corpus, quote styles, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narrascope.analyzers.entities import EntityAnalyzer
from narrascope.analyzers.quotes import QuoteAnalyzer, quote_spans
from narrascope.model import Annotation, Document, Layer, SourceRef
from narrascope.text import segment

NO_VECTORS = np.zeros((0, 512), dtype=np.float32)


@pytest.fixture(scope="module")
def entities() -> EntityAnalyzer:
    return EntityAnalyzer.load()


def _doc(text: str, language: str = "en") -> Document:
    return segment(Document(text=text, source=SourceRef("test"), language=language))


def _quotes(doc: Document, entities: EntityAnalyzer | None) -> list[Annotation]:
    prior = entities.analyze(doc, NO_VECTORS) if entities else []
    anns = QuoteAnalyzer.load().analyze(doc, NO_VECTORS, prior=tuple(prior))
    for ann in anns:
        assert ann.layer == Layer.QUOTE and ann.label in ("direct", "indirect")
        assert doc.text[ann.start : ann.end].strip()
        assert set(ann.attrs) >= {"speaker", "speaker_span", "cue", "cue_span"}
        if ann.attrs["cue_span"]:
            a, b = ann.attrs["cue_span"]
            assert doc.text[a:b] == ann.attrs["cue"]
    return anns


def _said(anns: list[Annotation], doc: Document) -> set[tuple[str | None, str]]:
    return {(a.attrs["speaker"], " ".join(doc.text[a.start : a.end].split())) for a in anns}


def _assert_quoted(said: set[tuple[str | None, str]], speaker: str | None, phrase: str) -> None:
    assert any(s == speaker and phrase in content for s, content in said), (speaker, phrase)


# --- the example corpus: every unambiguous quoted person, read off the articles ----------------

EXPECTED = {
    "000_8f4d98db21bab007": [
        ("Antony Blinken", "once Russians are in your house"),
        ("Maria Zakharova", "in a typical boorish manner, joked about the tragic events"),
        ("Maria Zakharova", "When there are Americans in your house, it can be difficult to stay"),
        ("Jen Psaki", "has questions about the legality of Kazakhstan’s request"),
        ("Maria Zakharova", "some representatives of Washington do not understand everything"),
        ("Josep Borrell", "evokes memories of situations that should be avoided"),
    ],
    "001_964a688ff88cd9e1": [
        ("Liz Truss", "We must respect the fact that Kazakhstan has a sovereign choice"),
        ("Liz Truss", "must have a clear mission and act in proportion"),
        ("Margarita Simonyan", "Of course you have to help"),
        ("Margarita Simonyan", "For there is no reason to"),
        ("Tengiz Ablotia", "There will be no normal life in Georgia"),
        ("Aizhan Yesmagambetova", "fines will be imposed on workers who refuse"),
    ],
    "002_74977be9488212fe": [
        ("Kassym-Jomart Tokayev", "foreign-trained terrorist gangs"),
    ],
    "003_4fa640b94b0919dd": [
        ("Ministry of Internal Affairs", "all measures are being taken to arrest the violators"),
        ("Russian Foreign Ministry", "an externally inspired attempt to violently"),
        ("Jennifer Psaki", "insane and false"),
        ("Jennifer Psaki", "We have heard a number of insane Russian statements"),
        ("Alexander Shapkovsky", "the Americans struck the first blow"),
        ("Gennady Zyuganov", "was provoked by the government itself"),
        ("Gennady Zyuganov", "This time they are trying to crush Kazakhstan"),
        ("Mikhail Pogrebinsky", "it is impossible for me to believe in the spontaneity"),
        ("Mikhail Aleksandrov", "I said a few months ago that a sharp aggravation"),
        (
            "Mikhail Aleksandrov",
            "I would say that there was, first of all, internal destabilization",
        ),
        ("Konstantin Blokhin", "Is this tension in line with the interests of the United States?"),
    ],
    "004_09b1c19c16810eb5": [
        (None, "We don’t want jobs. We don’t want factories."),
    ],
}


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_quotes_example_corpus_speakers(stem, examples_dir, entities):
    doc = _doc((examples_dir / f"{stem}.txt").read_text(encoding="utf-8"))
    said = _said(_quotes(doc, entities), doc)
    for speaker, phrase in EXPECTED[stem]:
        _assert_quoted(said, speaker, phrase)


def test_quotes_cue_and_spans_on_telegram_retort(examples_dir, entities):
    doc = _doc((examples_dir / "000_8f4d98db21bab007.txt").read_text(encoding="utf-8"))
    retort = next(a for a in _quotes(doc, entities) if "boorish" in doc.text[a.start : a.end])
    assert retort.attrs["cue"] == "replied back on Telegram"
    assert (
        retort.attrs["speaker"] == "Maria Zakharova" and retort.attrs["speaker_id"] == "m-zakharova"
    )
    s, e = retort.attrs["speaker_span"]
    assert doc.text[s:e] == "the Russian Foreign Affairs spokeswoman"
    # The nested, never-closed inner quote stays inside the outer one.
    assert doc.text[retort.start : retort.end].endswith("will tell a lot about this.")


def test_quotes_unattributed_retort_has_no_speaker(examples_dir, entities):
    doc = _doc((examples_dir / "000_8f4d98db21bab007.txt").read_text(encoding="utf-8"))
    said = _said(_quotes(doc, entities), doc)
    _assert_quoted(said, None, "twice a day and a broken clock shows the correct time")


# --- quotation styles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "“We will not leave,” the minister said.",
        "‘We will not leave,’ the minister said.",
        '"We will not leave," the minister said.',
        "«We will not leave», — the minister said.",
        "„We will not leave“, the minister said.",
    ],
)
def test_quotes_every_quotation_style(text, entities):
    doc = _doc(text)
    anns = _quotes(doc, entities)
    assert [doc.text[a.start : a.end].rstrip(",") for a in anns] == ["We will not leave"]
    assert anns[0].attrs["cue"] == "said"


def test_quotes_split_around_the_cue_share_the_speaker(entities):
    doc = _doc(
        "Jane Austen spoke at the meeting. “We are ready,” she said, “and we will not wait "
        "for anyone.”"
    )
    anns = _quotes(doc, entities)
    assert [a.attrs["speaker"] for a in anns] == ["Jane Austen", "Jane Austen"]
    assert "we will not wait for anyone" in doc.text[anns[1].start : anns[1].end]


def test_quotes_pronoun_resolves_to_compatible_person(entities):
    doc = _doc(
        "Maria Zakharova answered a question about Antony Blinken. "
        "“The West does not understand the region at all,” she said."
    )
    anns = _quotes(doc, entities)
    assert [a.attrs["speaker"] for a in anns] == ["Maria Zakharova"]


def test_quotes_indirect_speech(entities):
    doc = _doc(
        "Antony Blinken said that Russia must withdraw its forces from the border. "
        "According to Maria Zakharova, the statement was a provocation by Washington."
    )
    said = {(a.label, a.attrs["speaker"]) for a in _quotes(doc, entities)}
    assert said == {("indirect", "Antony Blinken"), ("indirect", "Maria Zakharova")}


def test_quotes_what_a_name_owns_speaks_not_the_name(entities):
    """A real RT report: the public defender's office speaks, not the country (#15)."""
    doc = _doc(
        "In addition to the three fatalities at a fuel plant on Tuesday, Bolivia’s public "
        "defender’s office said another 30 people had been injured in the skirmishes. "
        "Public Ombudsman Nadia Cruz’s office said the deaths were caused by gunshot wounds."
    )
    first, second = _quotes(doc, entities)
    assert first.attrs["speaker"] is None  # unnamed, not "Bolivia"
    a, b = first.attrs["speaker_span"]
    assert doc.text[a:b] == "Bolivia’s public defender’s office"
    assert second.attrs["speaker"] == "Nadia Cruz"  # her office speaks for her


def test_quotes_a_place_that_describes_the_speaker_is_not_the_speaker(entities):
    """A real AP live blog (SFGate): the transit chief speaks, unnamed, not California; and
    "The Chronicle", a short form the tagger missed, is the newspaper named in full before."""
    doc = _doc(
        "A California transit chief says a man has been stabbed to death on a San Francisco "
        "Bay Area commuter train during a fight.\n\n"
        "The San Francisco Chronicle says police are looking into whether the victim was a good "
        "Samaritan. The man ran from the station. The Chronicle says he was arrested a block "
        "away after employees of a car dealership said he tried to steal a van."
    )
    quotes = {" ".join(doc.text[a.start : a.end].split())[:20]: a for a in _quotes(doc, entities)}
    chief = quotes["a man has been stabb"]
    assert chief.attrs["speaker"] is None  # not "California"
    a, b = chief.attrs["speaker_span"]
    assert doc.text[a:b] == "A California transit chief"
    assert quotes["he was arrested a bl"].attrs["speaker"] == "San Francisco Chronicle"


def test_quotes_russian_indirect_and_direct(entities):
    doc = _doc(
        "Мария Захарова заявила, что США вмешиваются в дела Казахстана. "
        "«Это недопустимо и опасно для всех», — сказала Захарова. "
        "По словам Сергея Лаврова, Москва не будет вести переговоры под давлением.",
        language="ru",
    )
    anns = _quotes(doc, entities)
    said = _said(anns, doc)
    _assert_quoted(said, "Сергей Лавров", "Москва не будет вести переговоры под давлением")
    _assert_quoted(said, "Мария Захарова", "США вмешиваются в дела Казахстана")
    _assert_quoted(said, "Мария Захарова", "Это недопустимо и опасно для всех")


# --- bad input ---------------------------------------------------------------------------------


def test_quotes_unbalanced_marks_end_with_the_sentence():
    text = 'She said on Monday, "We must respect the choice. Then she left the room quietly.'
    doc = _doc(text)
    spans = quote_spans(doc.text, doc.paragraphs, doc.sentences)
    assert [doc.text[s:e] for _, _, s, e in spans] == ["We must respect the choice."]


def test_quotes_nested_marks_keep_the_outer_quote():
    text = "He said: “They told us ‘leave now’ and we stayed for a week.” Then silence."
    doc = _doc(text)
    spans = quote_spans(doc.text, doc.paragraphs, doc.sentences)
    assert [doc.text[s:e] for _, _, s, e in spans] == [
        "They told us ‘leave now’ and we stayed for a week."
    ]


def test_quotes_multi_paragraph_quote(entities):
    text = (
        "Margarita Simonyan published a post on Twitter:\n"
        '"Of course you have to help.\n'
        "1. Crimea must be recognized.\n"
        '2. For there is no reason to."\n'
        "The post was shared widely."
    )
    doc = _doc(text)
    anns = _quotes(doc, entities)
    assert len(anns) == 1 and anns[0].attrs["speaker"] == "Margarita Simonyan"
    content = doc.text[anns[0].start : anns[0].end]
    assert content.startswith("Of course") and content.endswith("no reason to.")


def test_quotes_article_that_is_one_long_quote(entities):
    body = " ".join(["We have heard many statements and they are false."] * 40)
    doc = _doc(f"“{body}\n{body}”")
    anns = _quotes(doc, entities)
    assert len(anns) == 1 and anns[0].attrs["speaker"] is None
    assert anns[0].end - anns[0].start > 2 * len(body)


def test_quotes_non_latin_speaker_names(entities):
    doc = _doc("“我们不会离开这里的，永远不会离开。” 王毅 said on Tuesday in Beijing.")
    anns = _quotes(doc, entities)
    assert len(anns) == 1 and anns[0].attrs["cue"] == "said"
    assert anns[0].attrs["speaker"] == "王毅"
    doc = _doc("“Мы не уйдём отсюда никогда и ни за что,” said Мария Захарова on Friday.")
    assert [a.attrs["speaker"] for a in _quotes(doc, entities)] == ["Мария Захарова"]


def test_quotes_without_entities_degrade_gracefully():
    doc = _doc("“We will never accept these terms,” said Maria Zakharova on Friday.")
    anns = _quotes(doc, None)
    assert anns[0].attrs["speaker"] == "Maria Zakharova"


def test_quotes_interview_dash_answers(entities):
    text = (
        "Mikhail Aleksandrov, an expert at MGIMO, believes that the unrest was internal.\n"
        "– I said a few months ago that a war of clans is possible in Kazakhstan.\n"
        "These are family ties, blood ties, and they run very deep in the country.\n"
        "“SP”: – So you do not agree that the protest was inspired from the outside?\n"
        "– I would say that there was, first of all, internal destabilization."
    )
    doc = _doc(text)
    answers = [a for a in _quotes(doc, entities) if a.attrs["cue"] == "interview answer"]
    assert [a.attrs["speaker"] for a in answers] == ["Mikhail Aleksandrov"] * 2
    assert doc.text[answers[0].start : answers[0].end].endswith("run very deep in the country.")


def test_quotes_dateline_is_no_speaker(entities):
    """A real Economic Times lead: "NEW DELHI:" opens the story, nobody says it (#15)."""
    doc = _doc(
        "Share market update: PSU bank shares gain\n"
        "NEW DELHI: Shares of PSU banks were trading with gains in Thursday's morning session.\n"
        "Shares of Central Bank of India, Canara Bank and Punjab National Bank were among the "
        "top gainers, while the BSE Sensex was up 152.71 points at 41268.09."
    )
    assert [a.attrs["speaker"] for a in _quotes(doc, entities)] == []


def test_quotes_transcript_labels_still_speak(entities):
    doc = _doc(
        "Transcript of the interview\n"
        "CARLSON: You have said that the talks failed because the West walked away from them.\n"
        "PUTIN: We were ready to sign the agreement in Istanbul, and they told us to wait.\n"
        "CARLSON: Why did you not sign it then?"
    )
    speakers = [a.attrs["speaker"] for a in _quotes(doc, entities)]
    assert speakers[:2] == ["CARLSON", "PUTIN"]


def test_quotes_list_after_a_quote_is_no_interview_answer(entities):
    """The "Related" links under a real Live Science story were read as Paul Torrey's answers."""
    doc = _doc(
        '"There\'s a huge road ahead of us now that we have these simulations completed," '
        "Paul Torrey said.\n"
        "- 15 Amazing Images of Stars\n"
        "- 11 Fascinating Facts About Our Milky Way Galaxy\n"
        "- The 11 Biggest Unanswered Questions About Dark Matter\n"
        "Originally published on Live Science."
    )
    cues = [a.attrs["cue"] for a in _quotes(doc, entities)]
    assert "interview answer" not in cues


def test_quotes_titles_in_a_list_are_not_said(entities):
    """Billboard on a band's tour: the hits it will play were "said" by "LN" (#15)."""
    doc = _doc(
        "According to LN, expect to hear a wide range of the veteran band’s hits on the 2020 "
        "outing, including “Listen To The Music,” “Takin’ It To The Streets,” “Long Train "
        "Running,” “What A Fool Believes” and “Jesus Is Just Alright With Me.”\n"
        "“That’s really good, maybe we should go on the road,” Tom Johnston said."
    )
    said = _said(_quotes(doc, entities), doc)
    assert not any("Listen To The Music" in content for _, content in said)
    _assert_quoted(said, "Tom Johnston", "maybe we should go on the road")


def test_quotes_the_name_right_before_the_cue_speaks(entities):
    """SpaceNews, its byline run into the lead: NASA announced, not the reporter (#15)."""
    doc = _doc(
        "Seeking a bigger role for a big rocket by Jeff Foust Monday, November 18, 2019 Earlier "
        "this month, NASA announced that workers completed installation of the four engines.\n"
        "John Smith of the Brookings Institution said that the rocket would fly next year."
    )
    said = _said(_quotes(doc, entities), doc)
    _assert_quoted(said, "NASA", "workers completed installation of the four engines")
    _assert_quoted(said, "John Smith", "the rocket would fly next year")


def test_quotes_russian_as_x_said(entities):
    """mk.ru on Lukashenko's inauguration: "Как сказал Песков, …" was given to "Как" (#15)."""
    doc = _doc(
        "Все прошло стремительно, как и положено спецоперации. Как сказал Песков, об инаугурации "
        "в Кремле не знали, Путина на нее не звали.",
        language="ru",
    )
    said = _said(_quotes(doc, entities), doc)
    _assert_quoted(said, "Песков", "об инаугурации в Кремле не знали")


def test_quotes_datelines_salutations_and_sections_do_not_speak(entities):
    """Real pages: an AP-style dateline, Dear Abby's salutations, a fact check's sections."""
    doc = _doc(
        "CHICAGO (NewsNation Now) — A spokesman says President Donald Trump’s eldest son, Donald "
        "Trump Jr., has been infected with the coronavirus.\n"
        "DEAR ABBY: My husband and I were getting ready to leave after dinner at a restaurant.\n"
        "DEAR FEELING: You are not being unreasonable, and you should tell him so.\n"
        "THE CLAIM: Harris is ineligible to serve as vice president because of her parents.\n"
        "THE FACTS: That’s false. Harris was born in Oakland, California, in 1964.\n"
        "John Smith — the group’s leader — said the talks had failed."
    )
    speakers = {a.attrs["speaker"] for a in _quotes(doc, entities)}
    assert not speakers & {
        "CHICAGO",
        "DEAR ABBY",
        "DEAR FEELING",
        "THE CLAIM",
        "THE FACTS",
        "FACTS",
    }
    assert "John Smith" in speakers


def test_quotes_russian_dialogue_dashes(entities):
    doc = _doc(
        "Мария Захарова выступила на брифинге в Москве.\n"
        "— Мы не позволим вмешиваться в дела союзников, — сказала Захарова.\n"
        "— Это наша общая позиция, — добавила она.",
        language="ru",
    )
    said = _said(_quotes(doc, entities), doc)
    assert said == {
        ("Мария Захарова", "Мы не позволим вмешиваться в дела союзников"),
        ("Мария Захарова", "Это наша общая позиция"),
    }


def test_quotes_empty_document():
    assert QuoteAnalyzer.load().analyze(_doc(""), NO_VECTORS) == []


def _polnear_paragraph(shared_data: Path, article: str, phrase: str) -> Document:
    """The paragraph of a PolNeAR train article holding `phrase`, read by path."""
    text = (shared_data / "polnear" / "data" / "train" / "text" / f"{article}.txt").read_text()
    paragraph = next(p for p in text.split("\n") if phrase in p)
    return _doc(paragraph)


def _speaker_of(doc: Document, anns: list[Annotation], phrase: str) -> tuple[str | None, str]:
    ann = next(a for a in anns if phrase in " ".join(doc.text[a.start : a.end].split()))
    span = ann.attrs["speaker_span"]
    return ann.attrs["speaker"], doc.text[span[0] : span[1]] if span else ""


@pytest.mark.parametrize(
    ("article", "phrase", "speaker", "span"),
    [  # PolNeAR train: the subject speaks, not a name the clause names as an object
        (
            "breitbart_2016-02-08_the-latest-nh-towns-cast-first-v",
            "special place in hell",
            "Madeleine Albright",
            "Madeleine Albright",
        ),
        (
            "nyt_2016-08-01_pressure-rises-on-trump-after-cr",
            "he lacked the moral character",
            None,
            "Both parents",
        ),
        (
            "breitbart_2016-02-20_the-latest-hillary-clinton-tells",
            "income inequality is most important",
            None,
            "voters who",
        ),
        (  # "a marketing video that said": the one who released it, as PolNeAR credits it
            "wash-post_2016-05-29_internal-trump-university-record",
            "We are going to have professors",
            "Trump",
            "Trump",
        ),
    ],
)
def test_quotes_the_subject_speaks_not_a_name_in_the_object(
    entities, shared_data, article, phrase, speaker, span
):
    doc = _polnear_paragraph(shared_data, article, phrase)
    assert _speaker_of(doc, _quotes(doc, entities), phrase) == (speaker, span)


def test_quotes_a_name_that_qualifies_the_speakers_is_not_the_speaker(entities):
    """Real pages (Asia Pacific Star, The Detroit News): the firefighters, the fire service and
    the officials speak, unnamed; the place that qualifies them did not."""
    doc = _doc(
        "New South Wales firefighters said they finally had the upper hand in the fight against "
        "the vast Gospers Mountain fire on Sydney's northwestern outskirts.\n\n"
        'If that forecast bears out, the New South Wales Rural Fire Service said, "then this '
        "will be all of our Christmas, birthday, engagement, anniversary, wedding and graduation "
        'presents rolled into one. Fingers crossed."\n\n'
        "Ditwan Morgan had gone to a corner store near her home at about 9 p.m. March 17, 2015, "
        "when an argument ensued with men there, Crime Stoppers of Michigan officials said in a "
        "statement."
    )
    anns = _quotes(doc, entities)
    assert _speaker_of(doc, anns, "finally had the upper hand") == (
        None,
        "New South Wales firefighters",
    )
    assert _speaker_of(doc, anns, "Fingers crossed") == (
        None,
        "the New South Wales Rural Fire Service",
    )
    assert _speaker_of(doc, anns, "an argument ensued") == (None, "Michigan officials")


def test_quotes_who_is_told_does_not_speak(entities, shared_data):
    """PolNeAR train (Politico) and a real page (Sputnik): the addressee of "told" is not the
    speaker; the described subject speaks, unnamed, and "He instead told" is the pronoun."""
    article = "politico_2016-07-18_carson-on-why-young-black-men-sh"
    doc = _polnear_paragraph(shared_data, article, "the retired neurosurgeon told")
    assert _speaker_of(doc, _quotes(doc, entities), "they have to stop and listen") == (
        None,
        "the retired neurosurgeon",
    )
    doc = _doc(
        "Prince Andrew said he went to New York to end the friendship. He instead told the BBC "
        "interviewer: “I took the judgement call that because this was serious, and I felt that "
        "doing it over the telephone was the chicken’s way of doing it.”"
    )
    assert _speaker_of(doc, _quotes(doc, entities), "I took the judgement call") == ("Andrew", "He")
