"""The detect and retrieve tasks: their items, the retrieval harness and metrics, their baselines."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rewrite_bench.metrics import retrieval_metrics, retrieval_slice_metrics
from rewrite_bench.models import LoadedModel, resolve_model
from rewrite_bench.retrieval import RERANK_DEPTH, evaluate_retrieval, validate_hits
from rewrite_bench.runner import ModelError, evaluate_task
from rewrite_bench.tasks.detect import METADATA as DETECT
from rewrite_bench.tasks.pair import METADATA as PAIR
from rewrite_bench.tasks.retrieve import METADATA as RETRIEVE
from rewrite_bench.tasks.retrieve import POOL, REWRITES_PER_ORIGINAL


@pytest.fixture(scope="module")
def detect(small_data):
    return small_data.task("detect")


@pytest.fixture(scope="module")
def retrieve(small_data):
    return small_data.task("retrieve")


# --- items ---------------------------------------------------------------------------------

def test_detect_pairs_each_original_with_one_of_its_own_rewrites(small_data, detect):
    originals = small_data.originals().to_dict()
    split_of = dict(zip(originals["id"], originals["split"]))
    for split in ("train", "dev", "test"):
        rows = detect[split].to_list()
        by_original = Counter((r["original_id"], r["label"]) for r in rows)
        assert set(by_original.values()) == {1}  # one original and one rewrite per original
        assert {r["original_id"] for r in rows if r["label"] == 0} == {r["original_id"] for r in rows if r["label"] == 1}
        assert all(split_of[r["original_id"]] == split for r in rows)
        per_domain = Counter((r["domain"], r["label"]) for r in rows)
        assert all(per_domain[(d, 0)] == per_domain[(d, 1)] for d, _ in per_domain)  # balanced per domain
        for r in rows:
            if r["label"] == 1:
                assert r["rewrite_id"].startswith(r["original_id"] + "~") and r["rewriter"] != "none"
    test_rewriters = {r["rewriter"] for r in detect["test"].to_list() if r["label"] == 1}
    assert len(test_rewriters) > 3  # the rewriters are used in turn, not always the first
    # (That both seen and unseen rewriters appear is checked at full size, tests/test_slow.py:
    # this build's test split has 8 originals for 48 rewriter-strength cells.)


def test_retrieve_pool_holds_sources_and_no_source_queries_have_none(small_data, retrieve):
    pool_ids = set(retrieve[POOL]["id"])
    all_ids = set(small_data.originals()["id"])
    held_out = all_ids - pool_ids
    assert held_out and len(pool_ids) > len(held_out)
    for split in ("dev", "test"):
        rows = retrieve[split].to_list()
        assert {r["label"] for r in rows} == {0, 1}
        for r in rows:
            if r["label"] == 1:
                assert r["source_id"] == r["original_id"] and r["source_id"] in pool_ids
            else:
                assert r["source_id"] == "none" and r["original_id"] in held_out
                assert r["rewriter"] != "partial"  # half of a partial copy is a pooled text
        assert max(Counter(r["original_id"] for r in rows if r["query_kind"] != "original-no-source").values()) \
            <= REWRITES_PER_ORIGINAL
        assert {r["query_kind"] for r in rows} == {"rewrite", "rewrite-no-source", "original-no-source"}


# --- metrics -----------------------------------------------------------------------------------

def test_retrieval_metrics_by_hand():
    m = retrieval_metrics([1, 2, 0, 5, 0], [0.9, 0.8, 0.3, 0.7, 0.1], [1, 1, 1, 1, 0], n_resamples=200)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0 + 0.2) / 4)
    assert m["recall_at_1"] == 0.25 and m["recall_at_10"] == 0.75
    assert m["auroc_has_source"] == 1.0  # the one query without a source has the lowest top score
    assert (m["n_positive"], m["n_negative"]) == (4, 1)
    lo, hi = m["mrr_ci95"]
    assert 0.0 <= lo <= m["mrr"] <= hi <= 1.0
    # Row order changes nothing.
    assert retrieval_metrics([0, 5, 0, 2, 1], [0.1, 0.7, 0.3, 0.8, 0.9], [0, 1, 1, 1, 1], n_resamples=200) == m
    only = retrieval_metrics([1, 1], [0.5, 0.4], [1, 1], n_resamples=10)
    assert only["auroc_has_source"] is None and only["mrr"] == 1.0
    with pytest.raises(ValueError, match="ranks must be >= 0"):
        retrieval_metrics([-1], [0.5], [1])


def test_retrieval_slices_keep_every_no_source_query():
    rows = retrieval_slice_metrics([1, 3, 0, 0], [0.9, 0.5, 0.2, 0.1], [1, 1, 0, 0],
                                   {"rewriter": ["a", "b", "none", "none"]}, RETRIEVE.slices[:1], n_resamples=10)
    assert [(r["slice"], r["value"]) for r in rows] == [("all", "all"), ("rewriter", "a"), ("rewriter", "b")]
    assert rows[2]["mrr"] == pytest.approx(1 / 3) and rows[2]["n_negative"] == 2


# --- the retrieval harness -----------------------------------------------------------------------

def test_bm25_finds_sources_and_is_batch_independent(small_data):
    one = evaluate_retrieval(resolve_model("bm25"), RETRIEVE, small_data, split="test", limit=None,
                             batch_size=1, progress=False)
    many = evaluate_retrieval(resolve_model("bm25"), RETRIEVE, small_data, split="test", limit=None,
                              batch_size=64, progress=False)
    assert one.predictions == many.predictions and one.result["metrics"] == many.result["metrics"]
    result = one.result
    assert result["metrics"]["mrr"] > 0.8 and result["metrics"]["recall_at_10"] > 0.9
    assert result["retrieval"]["method"] == "index+search"
    assert result["retrieval"]["pool_size"] == len(small_data.task("retrieve")[POOL])
    assert result["task"]["fingerprint"] == small_data.task_fingerprints["retrieve"]
    first = one.predictions[0]
    assert set(first) == {"id", "score", "rank_of_source", "top"} and len(first["top"]) <= 10


def test_a_pair_scorer_retrieves_by_reranking_bm25(small_data):
    outcome = evaluate_retrieval(resolve_model("tfidf"), RETRIEVE, small_data, split="test", limit=None,
                                 batch_size=16, progress=False)
    how = outcome.result["retrieval"]
    assert (how["method"], how["first_stage"], how["depth"]) == ("rerank", "bm25", RERANK_DEPTH)
    assert outcome.result["model"]["fitted_on"] == "pair/train"  # its IDF comes from the pair task's train split
    assert outcome.result["metrics"]["mrr"] > 0.8
    assert all(len(p["top"]) <= min(10, RERANK_DEPTH) for p in outcome.predictions)


class _BadRetriever:
    def __init__(self, hits):
        self.hits = hits

    def index(self, documents):
        self.n = len(documents)

    def search(self, queries, k):
        return [self.hits for _ in queries]


@pytest.mark.parametrize("hits, message", [
    ([(0, 0.5), (0, 0.4)], "unusable results"),         # the same document twice
    ([(10**6, 0.5)], "unusable results"),                # no such document
    ([(0, 0.1), (1, 0.9)], "unusable results"),          # not best first
    ([(0, float("nan"))], "unusable results"),
    ([("x", 0.5)], "unusable results"),
])
def test_bad_search_results_name_the_queries(small_data, hits, message):
    model = LoadedModel("user:r", {}, _BadRetriever(hits), "python")
    with pytest.raises(ModelError, match=message) as info:
        evaluate_retrieval(model, RETRIEVE, small_data, split="test", limit=None, batch_size=8, progress=False)
    assert small_data.task("retrieve")["test"][0]["id"] in str(info.value)


def test_validate_hits_checks_counts_and_depth():
    with pytest.raises(ModelError, match="returned 1 lists for 2 queries"):
        validate_hits([[]], 2, 5, 3, ["q1", "q2"], "m")
    with pytest.raises(ModelError, match="at most 1"):
        validate_hits([[(0, 0.9), (1, 0.5)]], 1, 5, 1, ["q1"], "m")
    assert validate_hits([[(2, 0.9), (1, 0.5)]], 1, 5, 3, ["q1"], "m") == [[(2, 0.9), (1, 0.5)]]


# --- which model runs which task -----------------------------------------------------------------

def test_tasks_a_model_supports_follow_its_methods_and_arity(tmp_path):
    def one(texts):
        return [0.0] * len(texts)

    def two(originals, candidates):
        return [0.0] * len(originals)

    by_text, by_pair = LoadedModel("m:one", {}, one, "python"), LoadedModel("m:two", {}, two, "python")
    assert by_text.supports(DETECT) and not by_text.supports(PAIR) and not by_text.supports(RETRIEVE)
    assert by_pair.supports(PAIR) and by_pair.supports(RETRIEVE) and not by_pair.supports(DETECT)
    assert "function of 2 list(s); this task passes 1" in by_pair.unsupported(DETECT)
    assert resolve_model("random").supports(DETECT) and resolve_model("minilm").native_retriever()
    (tmp_path / "p.jsonl").write_text('{"id": "a", "score": 1}\n', encoding="utf-8")
    assert "ranked lists" in resolve_model(f"predictions:{tmp_path / 'p.jsonl'}").unsupported(RETRIEVE)


# --- detect baselines ------------------------------------------------------------------------------

def test_word_rarity_scores_rarer_wording_higher():
    from rewrite_bench.baselines.style import WordRarity

    plain = "The man said the car was in the street near the house."
    spun = "The gentleman asserted the automobile was in the thoroughfare adjacent the domicile."
    low, high = WordRarity().score_texts([plain, spun])
    assert high > low


@pytest.mark.parametrize("name", ["char-ngram-lr", "word-rarity", "random"])
def test_detect_baselines_run_through_the_harness(small_data, name):
    result = evaluate_task(resolve_model(name), DETECT, small_data, split="test", limit=None, batch_size=16,
                           progress=False).result
    assert result["n"]["positive"] == result["n"]["negative"]
    assert result["model"]["trained_on_benchmark"] is (name == "char-ngram-lr")
    assert result["metrics"]["auroc"] is not None


def test_minilm_classifier_fits_on_train_embeddings(small_data, detect):
    from rewrite_bench.baselines.style import MiniLMClassifier

    model = MiniLMClassifier()
    model.fit_on_train("detect", detect["train"])
    scores = model.score_texts(detect["train"]["text"])
    labels = np.asarray(detect["train"]["label"])
    assert np.mean(np.asarray(scores)[labels == 1]) > np.mean(np.asarray(scores)[labels == 0])  # fits its train set
    with pytest.raises(RuntimeError, match="not fitted"):
        MiniLMClassifier().score_texts(["a"])
