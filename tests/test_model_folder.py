"""Per-corpus models (#19): `--model DIR` reads every head from a model folder instead of the
package; a folder without the head, or with a head of another encoder, is one clear error line;
`evaluate --compare` needs a folder to compare with."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
from accurate_profile import RUSSIAN, sure_techniques_folder
from typer.testing import CliRunner

from narrascope.cli import app
from narrascope.heads import RESOURCES, LinearHead
from narrascope.model import Layer
from narrascope.store import Store
from narrascope.training import seed_model_folder

FIRST = "000_8f4d98db21bab007.txt"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error(result) -> str:
    """The error message of a failed command, checked to be a single `error:` and no traceback
    (the terminal may wrap it: the CLI prints it as one line)."""
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "Traceback" not in result.output
    return " ".join(result.output.split("error:", 1)[1].split())


@pytest.fixture
def one_article(tmp_path, examples_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(examples_dir / FIRST, folder / FIRST)
    return folder


def frames_stored(db) -> list[str]:
    with Store.open(str(db)) as store:
        doc = next(iter(store.documents()))
        return sorted(a.label for a in store.annotations(doc.id, layer=Layer.FRAME))


def test_model_folder_heads_replace_the_shipped_ones(tmp_path, one_article):
    folder = tmp_path / "corpus-model"
    folder.mkdir()
    assert seed_model_folder(folder) == len(list(RESOURCES.glob("*.safetensors")))
    shipped = LinearHead.from_file(RESOURCES / "frames-v3.safetensors")
    # A frames head that is sure of every frame: only this folder's head can give all 14.
    sure = replace(
        shipped,
        bias=np.full_like(shipped.bias, 30.0),
        thresholds=np.zeros_like(shipped.thresholds),
    )
    sure.save(folder / "frames-v3.safetensors")
    plain = run("analyze", one_article, "--db", tmp_path / "a.db", "--only", "frames")
    assert plain.exit_code == 0, plain.output
    corpus = run(
        "analyze", one_article, "--db", tmp_path / "b.db", "--only", "frames", "--model", folder
    )
    assert corpus.exit_code == 0, corpus.output
    assert len(frames_stored(tmp_path / "b.db")) == len(shipped.labels) == 14
    assert len(frames_stored(tmp_path / "a.db")) < 14


def test_model_folder_without_the_head_is_one_error(tmp_path, one_article):
    empty = tmp_path / "empty-model"
    empty.mkdir()
    result = run(
        "analyze", one_article, "--db", tmp_path / "c.db", "--only", "frames", "--model", empty
    )
    message = one_error(result)
    assert "has no frames-v3.safetensors" in message
    assert "narrascope train frames --out" in message
    missing = run(
        "analyze",
        one_article,
        "--db",
        tmp_path / "d.db",
        "--only",
        "frames",
        "--model",
        tmp_path / "nope",
    )
    assert "no such model folder" in one_error(missing)


def test_model_folder_head_of_another_encoder_is_one_error(tmp_path, one_article):
    folder = tmp_path / "foreign-model"
    folder.mkdir()
    seed_model_folder(folder)
    shipped = LinearHead.from_file(RESOURCES / "frames-v3.safetensors")
    replace(shipped, encoder="some-other-encoder").save(folder / "frames-v3.safetensors")
    result = run(
        "analyze", one_article, "--db", tmp_path / "e.db", "--only", "frames", "--model", folder
    )
    assert "trained on encoder 'some-other-encoder'" in one_error(result)


def test_evaluate_compare_needs_a_model_folder(tmp_path):
    result = run("evaluate", "frames", "--data", tmp_path, "--compare")
    assert "--compare needs --model DIR" in one_error(result)
    empty = tmp_path / "empty-model"
    empty.mkdir()
    result = run("evaluate", "frames", "--data", tmp_path, "--model", empty)
    assert "has no frames-v3.safetensors" in one_error(result)


def test_evaluate_compare_sets_scores_side_by_side():
    from narrascope.training import Report, compare

    shipped = Report("narratives", {"PT_f1_fine_official": 0.30, "PT_f1_coarse_official": 0.41})
    corpus = Report("narratives", {"PT_f1_fine_official": 0.36, "PT_f1_coarse_official": 0.40})
    lines = compare(shipped, corpus, names=("shipped", "corpus-model")).splitlines()
    assert "shipped" in lines[0] and "corpus-model" in lines[0]
    assert lines[1].split() == ["PT_f1_fine_official", "0.3000", "0.3600", "+0.0600"]
    assert lines[2].split() == ["PT_f1_coarse_official", "0.4100", "0.4000", "-0.0100"]


def test_model_folder_genre_head_replaces_the_shipped_one(tmp_path, one_article):
    folder = tmp_path / "corpus-model"
    folder.mkdir()
    seed_model_folder(folder)
    shipped = LinearHead.from_file(RESOURCES / "genre-v4.safetensors")
    # A genre head sure of satire: only this folder's head calls the article satire.
    sure = replace(shipped, bias=np.array([0.0, 0.0, 30.0], dtype=np.float32))
    sure.save(folder / "genre-v4.safetensors")
    for db, model in (("a.db", ()), ("b.db", ("--model", folder))):
        result = run("analyze", one_article, "--db", tmp_path / db, "--only", "genre", *model)
        assert result.exit_code == 0, result.output
    genres = {}
    for db in ("a.db", "b.db"):
        with Store.open(str(tmp_path / db)) as store:
            doc = next(iter(store.documents()))
            genres[db] = [a.label for a in store.annotations(doc.id, layer=Layer.GENRE)]
    assert genres["a.db"] != ["satire"] and genres["b.db"] == ["satire"]


@pytest.mark.parametrize(
    ("only", "head"),
    [(("genre",), "genre-v4"), (("entities", "roles"), "roles-v4-fine")],
)
def test_model_folder_genre_and_roles_heads_are_read_from_it(tmp_path, one_article, only, head):
    folder = tmp_path / "partial-model"
    folder.mkdir()
    seed_model_folder(folder)
    (folder / f"{head}.safetensors").unlink()
    chosen = [arg for name in only for arg in ("--only", name)]
    result = run("analyze", one_article, "--db", tmp_path / "f.db", *chosen, "--model", folder)
    assert f"has no {head}.safetensors" in one_error(result)


def genre_labels(db) -> list[tuple[str, str]]:
    """(label, model) of the stored genre labels of the one document."""
    with Store.open(str(db)) as store:
        doc = next(iter(store.documents()))
        return sorted((a.label, a.model) for a in store.annotations(doc.id, layer=Layer.GENRE))


def sure_genre_folder(folder, genre: str, strength: float = 30.0):
    """A model folder whose genre head is sure of `genre` (a per-corpus model of its own)."""
    folder.mkdir()
    seed_model_folder(folder)
    shipped = LinearHead.from_file(RESOURCES / "genre-v4.safetensors")
    bias = np.zeros(3, dtype=np.float32)
    bias[shipped.labels.index(genre)] = strength
    replace(shipped, bias=bias).save(folder / "genre-v4.safetensors")
    return folder


def test_model_folder_has_its_own_model_id(tmp_path, one_article):
    import json
    import sqlite3

    from narrascope.analyzers import model_version
    from narrascope.analyzers.frames import FrameAnalyzer
    from narrascope.analyzers.genre import GenreAnalyzer
    from narrascope.heads import model_folder_id

    seeded = tmp_path / "seeded"
    seeded.mkdir()
    seed_model_folder(seeded)
    assert model_folder_id(seeded) is None  # the shipped heads, copied: the shipped model
    assert model_version(GenreAnalyzer, seeded) == "genre-v4"
    corpus = sure_genre_folder(tmp_path / "corpus", "satire")
    folder_id = model_folder_id(corpus)
    assert folder_id and folder_id.startswith("m")
    assert model_version(GenreAnalyzer, corpus) == f"genre-v4-{folder_id}"
    assert model_version(FrameAnalyzer, corpus) == "frames-v3"  # its head is the shipped one
    db = tmp_path / "a.db"
    result = run("analyze", one_article, "--db", db, "--only", "genre", "--model", corpus)
    assert result.exit_code == 0, result.output
    assert genre_labels(db) == [("satire", f"genre-v4-{folder_id}")]
    with sqlite3.connect(db) as conn:
        settings = json.loads(conn.execute("SELECT settings FROM runs").fetchone()[0])
    assert settings["model_id"] == folder_id and settings["analyzers"] == [f"genre-v4-{folder_id}"]


def test_reanalyze_with_another_model_folder_replaces_its_labels(tmp_path, one_article):
    from narrascope.heads import model_folder_id
    from narrascope.review import Review

    first = sure_genre_folder(tmp_path / "first", "satire")
    second = sure_genre_folder(tmp_path / "second", "opinion")
    third = sure_genre_folder(tmp_path / "third", "satire", strength=31.0)
    db = tmp_path / "r.db"
    assert run("analyze", one_article, "--db", db, "--only", "genre").exit_code == 0
    shipped = genre_labels(db)
    assert [model for _, model in shipped] == ["genre-v4"]

    def rerun(*model):
        result = run("reanalyze", "--db", db, "--only", "genre", *model)
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    assert "1 re-analyzed" in rerun("--model", first)
    assert genre_labels(db) == [("satire", f"genre-v4-{model_folder_id(first)}")]
    assert "0 re-analyzed, 1 up to date" in rerun("--model", first)
    assert "1 re-analyzed" in rerun("--model", second)  # another model: its labels, not both
    assert genre_labels(db) == [("opinion", f"genre-v4-{model_folder_id(second)}")]
    # An analyst's verdict outranks every model, the next per-corpus one included.
    with Store.open(str(db)) as store:
        doc = next(iter(store.documents()))
        (row, _), *_ = store.corrections.annotated(doc.id)
        Review(store).correct("relabel", user="ana", annotation_id=row, label="reporting")
    assert "1 re-analyzed" in rerun("--model", third)
    # One genre per article: the third model's satire is hidden, not shown beside it.
    assert genre_labels(db) == [("reporting", "correction")]
    assert "1 re-analyzed" in rerun()  # back to the shipped model: no folder's label stays
    assert genre_labels(db) == [("reporting", "correction")]
    with Store.open(str(db)) as store:
        (done,) = store.corrections.of()
        Review(store).undo(done.id, user="ana")  # the shipped model's genre, as it is now
    labels = genre_labels(db)
    assert len(labels) == 1 and labels[0][1] == "genre-v4"


def test_model_folder_analyzers_name_every_head_they_read(tmp_path, encoder):
    """`head_files` decides whether a folder changes an analyzer's model: a folder holding only
    the files an analyzer names must be enough to load it."""
    from narrascope.analyzers import available, select

    for cls in select(available()):
        folder = tmp_path / cls.name
        folder.mkdir()
        for name in getattr(cls, "head_files", ()):
            shutil.copyfile(RESOURCES / name, folder / name)
        cls.load(encoder, models=folder)  # a head it reads but does not name: ModelFileError


def test_model_folder_accurate_profile_fallback_labels_carry_the_folders_model_id(
    tmp_path, encoder, accurate_without_model
):
    """`--profile accurate --model DIR` (#19): a language the fine-tuned model does not read
    gets the fast technique head, and that is the folder's head: its labels and the note
    name the per-corpus fast head's version, not the shipped `techniques-v5` nor the
    fine-tuned model that did not label them."""
    from narrascope.analyzers import load_analyzers, select
    from narrascope.analyzers.techniques import TechniqueAnalyzer
    from narrascope.heads import model_folder_id
    from narrascope.model import Document, SourceRef
    from narrascope.text import segment

    accurate = accurate_without_model
    folder = sure_techniques_folder(tmp_path / "corpus-model")
    shipped = LinearHead.from_file(RESOURCES / TechniqueAnalyzer.head_files[0])
    folder_id = model_folder_id(folder)
    [analyzer] = load_analyzers(select(["techniques"], profile="accurate"), encoder, models=folder)
    assert analyzer.version == f"{accurate.ANALYZER_VERSION}-{folder_id}"
    doc = segment(Document(text=RUSSIAN, source=SourceRef("ru.txt"), language="ru"))
    anns = analyzer.analyze(doc, encoder.encode(doc.sentence_texts()))
    techniques = [a for a in anns if a.layer == Layer.TECHNIQUE]
    assert len({a.label for a in techniques}) == len(shipped.labels)  # the folder's head ran
    assert {a.model for a in techniques} == {f"{TechniqueAnalyzer.version}-{folder_id}"}
    (note,) = [a for a in anns if a.layer == Layer.STATS]
    assert f"({TechniqueAnalyzer.version}-{folder_id})" in note.attrs["reason"]


def test_reanalyze_accurate_profile_with_a_model_folder_replaces_the_fallback_labels(
    tmp_path, accurate_without_model
):
    """Analysed in the accurate profile with the shipped heads, then re-analysed with a model
    folder (#19): the fallback's labels and note are the analyzer's output, replaced whole, so
    none of the shipped head's labels or notes stays beside the folder's."""
    from narrascope import pipeline
    from narrascope.analyzers.techniques import TechniqueAnalyzer
    from narrascope.heads import model_folder_id
    from narrascope.reanalyze import reanalyze
    from narrascope.run import load_analyzers

    folder = sure_techniques_folder(tmp_path / "corpus-model")
    source = tmp_path / "in"
    source.mkdir()
    (source / "ru.txt").write_text(RUSSIAN * 3, encoding="utf-8")
    db = str(tmp_path / "ru.db")
    with Store.open(db) as store:
        pipeline.analyze([source], store, only=["techniques"], profile="accurate")
        doc = next(iter(store.documents()))
        assert doc.language == "ru"
        before = list(store.annotations(doc.id, layer=Layer.TECHNIQUE))
        assert {a.model for a in before} <= {TechniqueAnalyzer.version}
        analyzers = load_analyzers(["techniques"], profile="accurate", models=folder)
        assert reanalyze(store, analyzers=analyzers).counts["reanalyzed"] == 1
        after = list(store.annotations(doc.id))
    per_corpus = f"{TechniqueAnalyzer.version}-{model_folder_id(folder)}"
    assert {a.model for a in after if a.layer == Layer.TECHNIQUE} == {per_corpus}
    (note,) = [a for a in after if a.layer == Layer.STATS]
    assert per_corpus in note.attrs["reason"]


def test_reanalyze_profile_switch_replaces_the_other_profiles_technique_labels_issue_19(
    tmp_path, accurate_without_model
):
    """`reanalyze --profile fast` on a database analysed in the accurate profile (and back):
    the other profile's technique labels and notes are replaced, never left beside the new
    ones, and an analyst's rejection holds across both switches and undoes to one label."""
    from narrascope.analyzers.techniques import TechniqueAnalyzer
    from narrascope.heads import model_folder_id
    from narrascope.review import Review

    folder = sure_techniques_folder(tmp_path / "corpus-model")
    folder_id = model_folder_id(folder)
    source = tmp_path / "in"
    source.mkdir()
    (source / "ru.txt").write_text(RUSSIAN * 3, encoding="utf-8")
    db = tmp_path / "ru.db"

    def stored() -> tuple[list[tuple], list[str], set[str]]:
        with Store.open(str(db)) as store:
            doc = next(iter(store.documents()))
            anns = list(store.annotations(doc.id))
            return (
                sorted((a.label, a.start, a.end) for a in anns if a.layer == Layer.TECHNIQUE),
                [a.attrs["reason"] for a in anns if a.layer == Layer.STATS],
                {v.removesuffix(f"-{folder_id}") for v in store.analyzers_run(doc.id)},
            )

    def rerun(profile: str) -> str:
        args = ("reanalyze", "--db", db, "--only", "techniques", "--model", folder)
        result = run(*args, "--profile", profile)
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split())

    args = ("analyze", source, "--db", db, "--only", "techniques", "--model", folder)
    assert run(*args, "--profile", "accurate").exit_code == 0
    labels, notes, runs = stored()
    assert labels and len(set(labels)) == len(labels) and len(notes) == 1
    assert runs == {"techniques-accurate-v1.1"}
    with Store.open(str(db)) as store:
        doc = next(iter(store.documents()))
        row, first = store.corrections.annotated(doc.id)[0]
        assert first.layer == Layer.TECHNIQUE
        rejected = Review(store).correct("reject", user="ana", annotation_id=row)
    kept = [label for label in labels if label != (first.label, first.start, first.end)]
    assert "1 re-analyzed" in rerun("fast")
    assert stored() == (kept, [], {TechniqueAnalyzer.version})  # no accurate label or note stays
    assert "0 re-analyzed, 1 up to date" in rerun("fast")
    assert "1 re-analyzed" in rerun("accurate")  # and back: the fast labels go
    assert stored() == (kept, notes, {"techniques-accurate-v1.1"})
    with Store.open(str(db)) as store:
        Review(store).undo(rejected.id, user="ana")
    assert stored() == (labels, notes, {"techniques-accurate-v1.1"})


def test_reanalyze_keeps_the_profile_of_the_latest_run_by_default_issue_19(
    tmp_path, accurate_without_model
):
    """Without `--profile`, `reanalyze` of an accurate-profile database stays accurate: it
    never switches an analyst's corpus to the fast profile behind their back."""
    source = tmp_path / "in"
    source.mkdir()
    (source / "ru.txt").write_text(RUSSIAN * 3, encoding="utf-8")
    db = tmp_path / "ru.db"
    first = run("analyze", source, "--db", db, "--only", "techniques", "--profile", "accurate")
    assert first.exit_code == 0, first.output
    result = run("reanalyze", "--db", db, "--only", "techniques")
    assert result.exit_code == 0, result.output
    assert "1 up to date" in " ".join(result.output.split())
    with Store.open(str(db)) as store:
        doc = next(iter(store.documents()))
        assert store.analyzers_run(doc.id) == {"techniques-accurate-v1.1"}
        assert store.corpus.last_run_settings()["profile"] == "accurate"
