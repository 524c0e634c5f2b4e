"""Nearest neighbours of unit vectors (inner product = cosine) for dense retrieval.

Below :data:`EXACT_BELOW` vectors the search is exact, one float64 matrix-vector product per
query with ties broken by document index: the same numbers, bit for bit, as the dense
retrievers always computed, so results on the built-in pool do not move. From that size up
(or when asked) a FAISS index answers instead (``pip install -e ".[faiss]"``):

* ``ivf`` (the default above the threshold): an inverted file of flat vectors,
  ``IVF{nlist},Flat``; k-means on a seeded sample of the vectors, then each query scans the
  ``nprobe`` nearest lists (by default 64 of ``2 * sqrt(n)``, over 3% of a million vectors). Training, adding and searching are deterministic for a fixed
  thread count, so a benchmark run can be repeated.
* ``hnsw``: ``HNSW{m},Flat``, a graph; no training, fast queries, but FAISS builds it in
  parallel, so the graph (and the rare near-tie) can differ between runs.

:meth:`VectorIndex.recall_at_k` measures the approximate index against exact search
(``IndexFlatIP``) on given queries: how much of the exact top-k it returns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rewrite_bench.types import BenchError

__all__ = ["EXACT_BELOW", "KINDS", "IndexOptions", "VectorIndex", "import_faiss"]

#: Vectors below which search is exact (50k x 384 float64 is 150 MB and ~10 ms a query).
EXACT_BELOW = 50_000
KINDS = ("auto", "exact", "ivf", "hnsw")
#: k-means iterations (FAISS's default is 25): the lists need to be good, not optimal, and the
#: recall that results is measured (recall_at_k), while training time grows with every pass.
KMEANS_ITERATIONS = 10
#: k-means sees at most this many vectors per list (FAISS warns below 39): enough for stable
#: centroids, and training on all of a million vectors would take longer than adding them.
TRAIN_PER_LIST = 40


@dataclass(frozen=True)
class IndexOptions:
    kind: str = "auto"
    """``auto`` (exact below ``exact_below``, else ``ivf``), ``exact``, ``ivf`` or ``hnsw``."""
    exact_below: int = EXACT_BELOW
    nlist: int | None = None
    """IVF lists; None: ``2 * sqrt(n)``, at most ``n / 40`` (k-means needs points per list)."""
    nprobe: int | None = None
    """IVF lists scanned per query; None: ``max(64, nlist // 32)`` (recall@10 >= 0.98 on the
    scale benchmark's data, see docs/scale.md)."""
    m: int = 32
    """HNSW neighbours per node."""
    ef_search: int = 128
    """HNSW candidate list length at query time."""
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BenchError(f"--model-arg index={self.kind!r}: choose one of {list(KINDS)}.")


def import_faiss() -> Any:
    try:
        import faiss
    except ImportError as error:
        raise BenchError(f"approximate dense search needs FAISS, which is not installed ({error}): "
                         f'pip install -e ".[faiss]"; or pass --model-arg index=exact.') from error
    return faiss


class VectorIndex:
    """Top-k inner-product search over the rows of ``matrix`` (unit vectors)."""

    def __init__(self, matrix: np.ndarray, options: IndexOptions = IndexOptions()) -> None:
        self.options = options
        self.size, self.dim = matrix.shape if matrix.ndim == 2 else (0, 1)
        kind = options.kind
        if kind == "auto":
            kind = "exact" if self.size < options.exact_below else "ivf"
        self.kind = kind
        self.description = "exact"
        if kind == "exact":
            self._matrix = np.asarray(matrix, dtype=np.float64)
            self._faiss = None
            return
        faiss = import_faiss()
        vectors = np.ascontiguousarray(matrix, dtype=np.float32)
        self._vectors = vectors
        if kind == "ivf":
            nlist = options.nlist or max(1, min(int(2 * math.sqrt(self.size)), self.size // TRAIN_PER_LIST))
            nlist = min(nlist, self.size)
            nprobe = options.nprobe or max(64, nlist // 32)
            index = faiss.index_factory(self.dim, f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
            index.cp.niter = KMEANS_ITERATIONS
            rng = np.random.default_rng(options.seed)
            sample = vectors if self.size <= TRAIN_PER_LIST * nlist else \
                vectors[np.sort(rng.choice(self.size, TRAIN_PER_LIST * nlist, replace=False))]
            index.train(sample)
            index.add(vectors)
            index.nprobe = min(nprobe, nlist)
            self.description = f"faiss IVF{nlist},Flat nprobe={index.nprobe}"
        else:
            index = faiss.index_factory(self.dim, f"HNSW{options.m},Flat", faiss.METRIC_INNER_PRODUCT)
            index.add(vectors)
            index.hnsw.efSearch = options.ef_search
            self.description = f"faiss HNSW{options.m},Flat efSearch={options.ef_search}"
        self._faiss = index

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Per query row, up to ``k`` ``(row, score)`` best first, ties by row."""
        from rewrite_bench.baselines.retrieval import rank_top_k

        if self.size == 0:
            return [[] for _ in range(len(queries))]
        if self._faiss is None:
            # One matrix-vector product per query: a query's scores never depend on its batch.
            return [rank_top_k(self._matrix @ vector, k) for vector in np.asarray(queries, dtype=np.float64)]
        scores, rows = self._faiss.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.size))
        return [sorted(((int(r), float(s)) for r, s in zip(row, score) if r >= 0), key=lambda p: (-p[1], p[0]))
                for row, score in zip(rows, scores)]

    def exact_search(self, queries: np.ndarray, k: int) -> list[list[int]]:
        """The exact top-``k`` rows per query (FAISS ``IndexFlatIP``, float32), the reference for recall."""
        if self._faiss is None:
            return [[row for row, _ in hits] for hits in self.search(queries, k)]
        flat = import_faiss().IndexFlatIP(self.dim)
        flat.add(self._vectors)
        _, rows = flat.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.size))
        return [[int(r) for r in row if r >= 0] for row in rows]

    def recall_at_k(self, queries: np.ndarray, k: int = 10) -> float:
        """Mean share of each query's exact top-``k`` that this index returns in its top-``k`` (1.0 if exact)."""
        if len(queries) == 0 or self.size == 0:
            return 1.0
        exact = self.exact_search(queries, k)
        found = self.search(queries, k)
        shares = [len(set(e) & {row for row, _ in f}) / len(e) for e, f in zip(exact, found) if e]
        return float(np.mean(shares)) if shares else 1.0
