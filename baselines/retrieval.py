"""First-stage retrievers for ``retrieve``: each has ``index(documents)`` and ``search(queries, k)``.

* :class:`BM25Retriever` (``bm25``): Okapi BM25 over lower-cased words without English stop
  words, via ``bm25s`` (sparse matrices; exact scores). Also the first stage that the harness
  re-ranks with a pair scorer.
* :class:`MinHashLSHRetriever` (``minhash-lsh``): the web-scale near-duplicate finder. Word
  3-gram MinHash signatures in a ``datasketch`` LSH Forest give candidates in sub-linear time;
  candidates are ranked by their estimated Jaccard similarity to the query.

The dense retriever is ``minilm`` itself (cosine search, exact below 50k documents, a FAISS
index above; see :mod:`rewrite_bench.baselines.neural` and :mod:`rewrite_bench.vector_index`).
``search`` returns, per query, up to ``k`` ``(document index, score)`` pairs, best first, ties
by document index; a query's results never depend on the other queries of its batch.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rewrite_bench.baselines.fingerprint import MinHashJaccard
from rewrite_bench.text import words

__all__ = ["BM25Retriever", "MinHashLSHRetriever", "rank_top_k"]


def rank_top_k(scores: np.ndarray, k: int, keep: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``k`` best ``(index, score)`` of a score vector, ties by index (only ``keep`` if given)."""
    index = np.arange(scores.size) if keep is None else np.asarray(keep, dtype=np.int64)
    values = scores[index]
    order = np.lexsort((index, -values))[:k]
    return [(int(index[i]), float(values[i])) for i in order]


def _tokens(text: str) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return [w for w in (t.lower() for t in words(text)) if w not in ENGLISH_STOP_WORDS and any(c.isalnum() for c in w)]


class BM25Retriever:
    """Okapi BM25 (``bm25s``, k1=1.5, b=0.75) over lower-cased content words."""

    trained_on_benchmark = False

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = float(k1), float(b)
        self._bm25: Any = None
        self._n_docs = 0

    def index(self, documents: Sequence[str]) -> None:
        import bm25s

        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b)
        self._bm25.index([_tokens(d) or ["<empty>"] for d in documents], show_progress=False)
        self._n_docs = len(documents)

    def search(self, queries: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        if self._bm25 is None:
            raise RuntimeError("BM25Retriever has no index: call index(documents) first.")
        vocab = self._bm25.vocab_dict
        out: list[list[tuple[int, float]]] = []
        for query in queries:
            known = [t for t in _tokens(query) if t in vocab]
            if not known:
                out.append([])  # nothing to match: no candidate
                continue
            scores = self._bm25.get_scores(known)
            out.append(rank_top_k(np.asarray(scores, dtype=np.float64), min(k, self._n_docs)))
        return out


class MinHashLSHRetriever:
    """MinHash LSH Forest candidates (word 3-grams), ranked by estimated Jaccard similarity."""

    trained_on_benchmark = False

    def __init__(self, n: int = 3, num_perm: int = 128, l: int = 8, candidates: int = 100) -> None:
        self.signatures = MinHashJaccard(n=n, num_perm=num_perm)
        self.l, self.candidates = int(l), int(candidates)
        self._forest: Any = None
        self._docs: list[Any] = []

    def index(self, documents: Sequence[str]) -> None:
        from datasketch import MinHashLSHForest

        self._forest = MinHashLSHForest(num_perm=self.signatures.num_perm, l=self.l)
        self._docs = [self.signatures.signature(d) for d in documents]
        for i, signature in enumerate(self._docs):
            if not signature.is_empty():
                self._forest.add(i, signature)
        self._forest.index()

    def search(self, queries: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        if self._forest is None:
            raise RuntimeError("MinHashLSHRetriever has no index: call index(documents) first.")
        out: list[list[tuple[int, float]]] = []
        for query in queries:
            signature = self.signatures.signature(query)
            if signature.is_empty():
                out.append([])
                continue
            found = sorted(self._forest.query(signature, max(k, self.candidates)))
            scores = np.array([signature.jaccard(self._docs[i]) for i in found], dtype=np.float64)
            out.append([(found[i], s) for i, s in rank_top_k(scores, k)])
        return out
