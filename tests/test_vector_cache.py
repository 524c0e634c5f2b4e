"""Dense retrieval through the harness: a bi-encoder's vectors of the pool and the queries are
embedded in chunks and kept in its score cache, so a re-run or a killed run embeds nothing twice."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from rewrite_bench.models import LoadedModel, resolve_model
from rewrite_bench.retrieval import CachedVectors, evaluate_retrieval
from rewrite_bench.score_cache import ScoreCache
from rewrite_bench.tasks.retrieve import METADATA as RETRIEVE
from rewrite_bench.tasks.retrieve import POOL


def _vector(text: str) -> np.ndarray:
    """Word-hashing bag of words in 64 dimensions, unit length: cheap, and it finds sources."""
    v = np.zeros(64)
    for word in text.lower().split():
        v[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
    return v / (np.linalg.norm(v) or 1.0)


class HashedBiEncoder:
    """A bi-encoder with the vector methods the harness drives (and a count of what it embedded)."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_texts(self, texts):
        self.embedded += list(texts)
        return np.stack([_vector(t) for t in texts])

    def index_vectors(self, matrix):
        self.matrix = matrix

    def search_vectors(self, vectors, k):
        scores = vectors @ self.matrix.T
        return [[(int(d), float(row[d])) for d in np.argsort(-row, kind="stable")[:k]] for row in scores]

    def index(self, documents):
        self.index_vectors(self.embed_texts(documents))

    def search(self, queries, k):
        return self.search_vectors(self.embed_texts(queries), k)


def _model() -> LoadedModel:
    return LoadedModel("hashed", {}, HashedBiEncoder(), "python")


def _run(model, data, cache_dir=None, batch_size=16):
    return evaluate_retrieval(model, RETRIEVE, data, split="test", limit=None, batch_size=batch_size,
                              progress=False, score_cache_dir=cache_dir)


def test_vectors_are_cached_and_a_rerun_embeds_nothing(small_data, tmp_path):
    pool = small_data.task("retrieve")[POOL]["text"]
    queries = small_data.task("retrieve")["test"]["text"]
    first_model = _model()
    first = _run(first_model, small_data, tmp_path)
    stats = first.result["score_cache"]
    assert stats["used"] and stats["of"] == "vectors"
    assert stats["computed"] == len(set(pool)) + len(set(queries) - set(pool))
    assert sorted(first_model.obj.embedded) == sorted(set(pool) | set(queries))  # each text once
    again_model = _model()
    again = _run(again_model, small_data, tmp_path)
    assert again_model.obj.embedded == [] and again.result["score_cache"]["computed"] == 0
    assert again.predictions == first.predictions and again.result["metrics"] == first.result["metrics"]
    # Without the harness's cache, the model's own index()/search() rank the same.
    uncached = _run(LoadedModel("hashed", {}, _Plain(), "python"), small_data)
    assert uncached.predictions == first.predictions and uncached.result["score_cache"]["used"] is False


class _Plain:
    """The same retriever without the vector methods: index()/search() only."""

    def __init__(self) -> None:
        self.inner = HashedBiEncoder()

    def index(self, documents):
        self.inner.index(documents)

    def search(self, queries, k):
        return self.inner.search(queries, k)


def test_a_killed_embedding_keeps_the_chunks_it_finished(tmp_path):
    texts = [f"text number {n}" for n in range(10)]
    calls = []

    def dies_on_the_third_chunk(chunk):
        calls.append(list(chunk))
        if len(calls) == 3:
            raise RuntimeError("killed")
        return np.stack([_vector(t) for t in chunk])

    cache = ScoreCache(tmp_path, "hashed", {"name": "hashed"})
    with pytest.raises(RuntimeError, match="killed"):
        CachedVectors(dies_on_the_third_chunk, cache, chunk=3)(texts)
    resumed = CachedVectors(lambda chunk: np.stack([_vector(t) for t in chunk]), cache, chunk=3)
    matrix = resumed(texts)
    assert (resumed.hits, resumed.computed) == (6, 4)
    assert np.array_equal(matrix, np.stack([_vector(t) for t in texts]))  # exactly, float64 round trip


def test_minilm_retrieves_the_same_through_the_harness_cache(small_data, tmp_path):
    cached = _run(resolve_model("minilm"), small_data, tmp_path)
    model = resolve_model("minilm")
    direct = evaluate_retrieval(LoadedModel("minilm", {}, _Direct(model.obj), "python"), RETRIEVE, small_data,
                                split="test", limit=None, batch_size=16, progress=False)
    assert cached.result["score_cache"]["computed"] > 0
    assert [p["rank_of_source"] for p in cached.predictions] == [p["rank_of_source"] for p in direct.predictions]
    assert cached.result["metrics"]["mrr"] == pytest.approx(direct.result["metrics"]["mrr"], abs=1e-9)


class _Direct:
    """minilm's own index()/search(), hiding its vector methods from the harness."""

    def __init__(self, model) -> None:
        self.model = model

    def index(self, documents):
        self.model.index(documents)

    def search(self, queries, k):
        return self.model.search(queries, k)


def test_re_ranking_is_served_from_the_pair_scorers_cache(small_data, tmp_path):
    from rewrite_bench.runner import evaluate_task
    from rewrite_bench.tasks.pair import METADATA as PAIR

    first = _run(resolve_model("tfidf"), small_data, tmp_path)
    stats = first.result["score_cache"]
    assert stats["used"] and stats["hits"] == 0 and stats["computed"] > 0
    again = _run(resolve_model("tfidf"), small_data, tmp_path)
    assert again.result["score_cache"]["computed"] == 0 and again.result["score_cache"]["hits"] == stats["computed"]
    assert again.predictions == first.predictions
    # The same file as the model's pair scores: a (document, query) pair is a pair item.
    pair = evaluate_task(resolve_model("tfidf"), PAIR, small_data, split="test", limit=None, batch_size=16,
                         progress=False, score_cache_dir=tmp_path)
    assert pair.result["score_cache"]["file"] == stats["file"]


def test_bench_eval_runs_a_bi_encoder_on_retrieve_through_the_cache(small_cache, small_data, tmp_path, capsys):
    from rewrite_bench.cli import main
    from conftest import SMALL

    argv = ["eval", "--model", "test_vector_cache:HashedBiEncoder", "--task", "retrieve", "--no-report",
            "--cache-dir", str(small_cache), "--max-originals", str(SMALL), "--output-dir", str(tmp_path)]
    assert main(argv) == 0 and "vectors from the cache, " in capsys.readouterr().out
    assert main(argv) == 0 and "retrieve: " in (out := capsys.readouterr().out) and " 0 computed" in out
