"""Dense search: exact (today's numbers, bit for bit) below the threshold, FAISS above, recall measured."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest

from rewrite_bench.baselines.retrieval import rank_top_k
from rewrite_bench.types import BenchError
from rewrite_bench.vector_index import EXACT_BELOW, IndexOptions, VectorIndex


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _clustered(n: int, dim: int = 32, centres: int = 200, seed: int = 0) -> np.ndarray:
    """Unit vectors around random centres at varied distances: neighbourhoods with structure."""
    rng = np.random.default_rng(seed)
    base = _unit(rng.normal(size=(centres, dim)))
    noise = rng.normal(size=(n, dim)) / np.sqrt(dim) * rng.uniform(0.2, 0.8, size=(n, 1))
    return _unit(base[rng.integers(0, centres, n)] + noise)


def _old_search(matrix: np.ndarray, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
    """What BiEncoderCosine.search computed before the vector index."""
    return [rank_top_k(matrix @ vector, k) for vector in queries]


def test_below_the_threshold_search_is_todays_exact_search_bit_for_bit():
    matrix = _clustered(2000, seed=1).astype(np.float64)
    matrix[7] = matrix[3]  # a tie: broken by document index, as before
    queries = np.vstack([matrix[3], _clustered(20, seed=2)])
    index = VectorIndex(matrix)
    assert index.kind == "exact" and index.size < EXACT_BELOW
    assert index.search(queries, 10) == _old_search(matrix, queries, 10)
    assert index.search(queries, 10)[0][:2] == [(3, pytest.approx(1.0)), (7, pytest.approx(1.0))]
    assert index.recall_at_k(queries) == 1.0


def test_minilm_keeps_exact_search_and_an_unchanged_record_on_the_built_in_pool(small_data, monkeypatch):
    from rewrite_bench.baselines.neural import MiniLMCosine
    from rewrite_bench.tasks.retrieve import POOL

    def fake_vectors(texts):  # deterministic unit vectors, no model: the search is what is tested
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8)[:16].astype(np.float64) - 127.5
                for t in texts]
        return list(_unit(np.array(rows)))

    parts = small_data.task("retrieve")
    documents, queries = parts[POOL]["text"], parts["test"]["text"][:30]
    model = MiniLMCosine()
    monkeypatch.setattr(model, "document_vectors", fake_vectors)
    model.index(documents)
    expected = _old_search(np.stack(fake_vectors(documents)), np.stack(fake_vectors(queries)), 100)
    assert model.search(queries, 100) == expected
    assert model.index_record() == {}  # results files of exact search keep their old fields


def test_an_ivf_index_finds_almost_all_of_the_exact_top_10():
    pytest.importorskip("faiss")
    matrix, queries = _clustered(20_000, seed=3), _clustered(200, seed=4)
    index = VectorIndex(matrix, IndexOptions(kind="ivf"))
    assert index.kind == "ivf" and index.description.startswith("faiss IVF")
    hits = index.search(queries, 10)
    assert all(len(h) == 10 and [s for _, s in h] == sorted((s for _, s in h), reverse=True) for h in hits)
    recall = index.recall_at_k(queries, 10)
    assert 0.95 <= recall <= 1.0
    assert VectorIndex(matrix, IndexOptions(kind="ivf")).search(queries, 10) == hits  # repeatable
    # Fewer probes, lower recall: the measurement is real, not a constant.
    assert VectorIndex(matrix, IndexOptions(kind="ivf", nprobe=1)).recall_at_k(queries, 10) < recall


def test_an_hnsw_index_and_the_auto_threshold():
    pytest.importorskip("faiss")
    matrix, queries = _clustered(5000, seed=5), _clustered(100, seed=6)
    hnsw = VectorIndex(matrix, IndexOptions(kind="hnsw"))
    assert hnsw.recall_at_k(queries, 10) >= 0.95
    assert VectorIndex(matrix, IndexOptions(exact_below=1000)).kind == "ivf"
    assert VectorIndex(matrix[:3], IndexOptions(kind="ivf")).search(queries[:2], 10)[0].__len__() == 3  # k > size


def test_bad_options_and_missing_faiss_are_clear(monkeypatch):
    import sys

    with pytest.raises(BenchError, match=r"index='annoy'.*auto.*exact.*ivf.*hnsw"):
        IndexOptions(kind="annoy")
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(BenchError, match=r'needs FAISS.*pip install -e "\.\[faiss\]".*index=exact'):
        VectorIndex(_clustered(100), IndexOptions(kind="ivf"))
    assert VectorIndex(_clustered(100)).kind == "exact"  # exact search needs no FAISS
