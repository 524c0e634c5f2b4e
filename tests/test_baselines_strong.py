"""minhash, minilm, minilm-align and learned: what each computes, and batch-size invariance of all."""
from __future__ import annotations

import numpy as np
import pytest

from rewrite_bench.baselines.fingerprint import MinHashJaccard
from rewrite_bench.baselines.learned import FEATURES, LearnedCombination
from rewrite_bench.baselines.lexical import ShingleJaccard
from rewrite_bench.baselines.neural import MiniLMAlignment, MiniLMCosine, text_sentences
from rewrite_bench.models import resolve_model
from rewrite_bench.registry import MODELS
from rewrite_bench.runner import evaluate_task, score_dataset
from rewrite_bench.span_eval import predict_spans
from rewrite_bench.tasks.align import METADATA as ALIGN
from rewrite_bench.tasks.detect import METADATA as DETECT
from rewrite_bench.tasks.distortion import METADATA as DISTORTION
from rewrite_bench.tasks.pair import METADATA as PAIR
from tests.test_rewriters import ENCYCLOPEDIA, NEWS_1, NEWS_2

#: Baselines whose scores agree to 1e-6 (not bit for bit) at any batching.
NEURAL = {"minilm", "minilm-align", "minilm-lr", "minilm-sentence-spans", "minilm-cosine-drop"}

SPUN = NEWS_1.replace("unchanged", "steady").replace("economy", "market").replace("Sydney", "Melbourne")


@pytest.fixture(scope="module")
def splits(small_data):
    return small_data.task("pair")


def test_minhash_estimates_shingle_jaccard():
    minhash, exact = MinHashJaccard(), ShingleJaccard(n=3)
    pairs = ([NEWS_1, NEWS_1, NEWS_1, NEWS_2], [NEWS_1, SPUN, NEWS_2, ENCYCLOPEDIA])
    estimate, truth = minhash.score_pairs(*pairs), exact.score_pairs(*pairs)
    assert estimate[0] == 1.0
    assert np.allclose(estimate, truth, atol=0.12)  # 128 permutations: standard error <= 0.045
    assert MinHashJaccard().score_pairs(*pairs) == estimate  # seeded: the same every run
    assert MinHashJaccard(seed=2).score_pairs(*pairs) != estimate
    assert minhash.score_pairs(["two words"], ["two words"]) == [0.0]  # no 3-gram at all


def test_minilm_ranks_a_rewrite_above_a_same_topic_text():
    scores = MiniLMCosine().score_pairs([NEWS_1, NEWS_1, NEWS_1], [NEWS_1, SPUN, ENCYCLOPEDIA])
    assert scores[0] == pytest.approx(1.0, abs=1e-6)
    assert scores[1] > 0.9 > scores[2]


def test_minilm_align_is_coverage_of_the_candidate_by_the_original():
    align = MiniLMAlignment()
    first_paragraph = NEWS_1.split("\n\n")[0]
    # Every sentence of an excerpt appears in the original: full coverage one way only.
    forward, backward = align.score_pairs([NEWS_1, first_paragraph], [first_paragraph, NEWS_1])
    assert forward == pytest.approx(1.0, abs=1e-5)
    assert backward < forward
    assert len(text_sentences(NEWS_1)) == 7  # sentences across both paragraphs


def test_learned_fits_on_train_and_beats_chance(splits):
    model = LearnedCombination(neural=False)
    model.fit_on_train("pair", splits["train"])
    test = splits["test"].select_columns(["original", "candidate", "label"]).to_dict()
    scores = model.score_pairs(test["original"], test["candidate"])
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(test["label"], scores) > 0.9
    assert model.features(["a b c d"], ["a b c d"]).shape == (1, len(FEATURES) - 3)
    with pytest.raises(RuntimeError, match="not fitted"):
        LearnedCombination().score_pairs(["a"], ["b"])


def test_learned_results_are_flagged_trained_on_benchmark(small_data):
    result = evaluate_task(resolve_model("learned", {"neural": False}), PAIR, small_data, split="test",
                           limit=None, batch_size=64, progress=False).result
    assert result["model"]["trained_on_benchmark"] is True
    assert result["model"]["fitted_on"] == "train"


@pytest.mark.parametrize("name", list(MODELS))
def test_every_baseline_scores_the_same_at_batch_size_1_and_64(small_data, name):
    """On each scored task (pair, detect) and span task (align, distortion) the baseline supports;
    retrieval has its own test.

    Bit for bit, except the MiniLM baselines: to 1e-6 (tests/test_encoding.py has more)."""
    tasks = [task for task in (PAIR, DETECT) if resolve_model(name).supports(task)]
    span_tasks = [task for task in (ALIGN, DISTORTION) if resolve_model(name).supports(task)]
    if not tasks and not span_tasks:
        assert resolve_model(name).native_retriever()  # a retrieval-only baseline
    for task in span_tasks:
        items = small_data.task(task.name)["test"].select(range(30)).to_dict()
        found = [predict_spans(resolve_model(name, {"batch_size": rows} if name in NEURAL else {}), task, items["id"],
                               items["original"], items["candidate"], batch_size=batch_size)
                 for batch_size, rows in ((1, 4), (64, 32))]
        assert [[span[:2] for span in spans] for spans in found[0]] == [[span[:2] for span in spans] for spans in found[1]]
        scores = [np.array([span[2] for spans in run for span in spans]) for run in found]
        np.testing.assert_allclose(scores[0], scores[1], rtol=0, atol=1e-6 if name in NEURAL else 0, err_msg=task.name)
    for task in tasks:
        splits = small_data.task(task.name)
        items = splits["test"].select(range(min(60, len(splits["test"]))))
        scores = []
        for batch_size, rows in ((1, 4), (64, 32)):
            # A fresh instance: nothing memoised from the other run. Neural models also get
            # other model calls (``rows`` texts each).
            model = resolve_model(name, {"batch_size": rows} if name in NEURAL else {})
            if model.needs_fit():
                model.fit(task.name, splits["train"])
            scores.append(score_dataset(model, task, items, batch_size=batch_size, progress=False, desc=""))
        if name in NEURAL:  # a vector's last bits depend on the company it was encoded in
            np.testing.assert_allclose(scores[0], scores[1], rtol=0, atol=1e-6, err_msg=task.name)
        else:
            assert np.array_equal(scores[0], scores[1]), task.name


def test_learned_with_neural_features_adds_the_minilm_columns():
    model = LearnedCombination(neural=True)
    model._tfidf.fit_texts([NEWS_1, NEWS_2, ENCYCLOPEDIA])  # as fit() does with the train texts
    x = model.features([NEWS_1, NEWS_1], [SPUN, ENCYCLOPEDIA])
    assert x.shape == (2, len(FEATURES))
    minilm, align = x[:, FEATURES.index("minilm")], x[:, FEATURES.index("align")]
    assert minilm[0] > minilm[1] and align[0] > align[1]  # the spin is closer than another text
