"""The shared encoding path (benchmark/embeddings.py): sorted batches, 1e-6 invariance, threads, prepare."""
from __future__ import annotations

import numpy as np
import pytest

from rewrite_bench.baselines.neural import MiniLMAlignment, MiniLMCosine
from rewrite_bench import embeddings
from rewrite_bench.embeddings import THREADS_ENV, default_threads, embed
from rewrite_bench.models import resolve_model
from rewrite_bench.runner import score_dataset
from rewrite_bench.types import BenchError
from rewrite_bench.tasks.pair import METADATA as PAIR
from tests.test_rewriters import ENCYCLOPEDIA, NEWS_1, NEWS_2

SPUN = NEWS_1.replace("unchanged", "steady").replace("economy", "market")
SENTENCES = ["Prices rose.", "The central bank left interest rates unchanged on Tuesday.", "Prices rose.",
             "A much longer sentence about the weather, the markets, and what the minister said at the press "
             "conference in Canberra yesterday afternoon.", "Rain."]
ORIGINALS = [NEWS_1, NEWS_1, NEWS_2, ENCYCLOPEDIA, NEWS_2, SPUN]
CANDIDATES = [SPUN, ENCYCLOPEDIA, NEWS_1, ENCYCLOPEDIA.split("\n\n")[0], SPUN, NEWS_2]


def test_embed_matches_sentence_transformers_and_is_a_pure_function():
    vectors = embed(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(vectors[0], vectors[2])  # a repeated text is encoded once
    # The library's own encode (its own sorting and padding) gives the same vectors to 1e-6.
    reference = embeddings.minilm().encode(SENTENCES, normalize_embeddings=True, show_progress_bar=False)
    np.testing.assert_allclose(vectors, reference, rtol=0, atol=1e-6)
    # Alone or in company, in any batch size: the same vector to 1e-6; nothing is remembered.
    for batch_size in (1, 2, 64):
        np.testing.assert_allclose(embed(SENTENCES, batch_size=batch_size), vectors, rtol=0, atol=1e-6)
    np.testing.assert_allclose(embed(SENTENCES[3:4])[0], vectors[3], rtol=0, atol=1e-6)
    assert embed([]).shape == (0, 384)


def test_model_calls_are_length_sorted_without_filler(monkeypatch):
    calls = []
    model = embeddings.minilm()
    real = model.forward

    def spy(features, **kwargs):
        calls.append(tuple(features["input_ids"].shape))
        return real(features, **kwargs)

    monkeypatch.setattr(model, "forward", spy)
    lengths = [len(model.tokenizer(s)["input_ids"]) for s in dict.fromkeys(SENTENCES)]
    embed(SENTENCES, batch_size=2)
    # 4 distinct texts, longest first, two per call, each call as long as its longest row.
    assert calls == [(2, sorted(lengths)[-1]), (2, sorted(lengths)[1])]


@pytest.mark.parametrize("cls", [MiniLMCosine, MiniLMAlignment])
def test_minilm_scores_agree_to_1e6_however_they_are_batched(cls):
    """Real MiniLM: harness batches of 1, 3 and 64 pairs, model calls of 1, 3 and 64 rows."""
    reference = np.asarray(cls().score_pairs(ORIGINALS, CANDIDATES))
    for size in (1, 3, 64):
        model = cls(batch_size=size)
        scores = [s for start in range(0, len(ORIGINALS), size)
                  for s in model.score_pairs(ORIGINALS[start : start + size], CANDIDATES[start : start + size])]
        np.testing.assert_allclose(scores, reference, rtol=0, atol=1e-6, err_msg=f"batches of {size}")


def test_threads_default_to_the_cpus_other_processes_leave_idle_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setattr(embeddings.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    for busy, threads in ((0.0, 4), (0.3, 4), (1.0, 3), (2.6, 1), (7.0, 1)):
        monkeypatch.setattr(embeddings, "_busy_elsewhere", lambda: busy)
        assert default_threads() == threads, busy
    monkeypatch.undo()
    assert 0.0 <= embeddings._busy_elsewhere(0.05) <= (embeddings.os.cpu_count() or 1) + 0.5  # a real sample
    monkeypatch.setenv(THREADS_ENV, "1")
    assert default_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "zero")
    with pytest.raises(BenchError, match=THREADS_ENV):
        default_threads()
    model = resolve_model("minilm", {"threads": 1})
    assert model.obj.encoder.threads == 1
    with pytest.raises(BenchError, match="threads must be a positive integer"):
        resolve_model("minilm", {"threads": 0})


def test_harness_shows_a_preparing_model_its_items_ahead(monkeypatch):
    from datasets import Dataset

    from rewrite_bench import runner

    class Recorder:
        def __init__(self):
            self.calls = []

        def prepare_pairs(self, originals, candidates):
            self.calls.append(("prepare", list(originals)))

        def score_pairs(self, originals, candidates):
            self.calls.append(("score", list(originals)))
            return [float(len(a) + len(b)) for a, b in zip(originals, candidates)]

    texts = [f"text {i}" for i in range(11)]
    items = Dataset.from_dict({"id": [f"i{i}" for i in range(11)], "original": texts, "candidate": texts})
    monkeypatch.setattr(runner, "PREPARE_ITEMS", 8)
    recorder = Recorder()
    model = resolve_model("tests.test_encoding:Recorder")
    model.obj = recorder
    scores = score_dataset(model, PAIR, items, batch_size=3, progress=False, desc="")
    assert scores.tolist() == [2.0 * len(t) for t in texts]
    # 8 // 3 * 3 = 6 items ahead, then scored 3 at a time.
    assert recorder.calls == [("prepare", texts[:6]), ("score", texts[:3]), ("score", texts[3:6]),
                              ("prepare", texts[6:]), ("score", texts[6:9]), ("score", texts[9:])]


class Recorder:  # resolved by name above, then replaced by the test's own instance
    def score_pairs(self, originals, candidates):
        return [0.0] * len(originals)
