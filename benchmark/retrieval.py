"""Run the ``retrieve`` task: index the pool, search it with every query, score the rankings.

A model serves retrieval in one of two ways:

* natively, with ``index(documents)`` and ``search(queries, k) -> [[(doc_index, score), ...], ...]``
  (each list best first, at most ``k`` long; an empty list means "no candidate");
* as a pair scorer, by re-ranking: a first stage (the ``bm25`` baseline) proposes the
  :data:`RERANK_DEPTH` best pool documents for a query, and the pair scorer's
  ``score(document, query)`` orders them. A source the first stage misses cannot be found, so
  the results record the first stage and its depth.

The harness asks every model for the top :data:`SEARCH_K` documents: MRR counts a source
found below that as not found.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from rewrite_bench.io import show_ids
from rewrite_bench.runner import EvalOutcome, ModelError, fit_model, limit_items, record_footer, record_header
from rewrite_bench.results import finite_score
from rewrite_bench.score_cache import ScoreCache, item_key
from rewrite_bench.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.models import LoadedModel

__all__ = ["SEARCH_K", "RERANK_DEPTH", "EMBED_CHUNK", "RerankRetriever", "CachedPairScores", "CachedVectors",
           "VectorSearch", "evaluate_retrieval", "validate_hits"]

#: How many documents the harness asks for per query.
SEARCH_K = 100
#: How many first-stage candidates a pair scorer re-ranks.
RERANK_DEPTH = 20
#: Texts a bi-encoder embeds per call (and per commit to the vector cache).
EMBED_CHUNK = 1024
#: Resamples of the MRR interval (the headline and each slice).
RESAMPLES = 1000


class RerankRetriever:
    """A pair scorer used for retrieval: first-stage BM25 candidates, re-ranked by the scorer."""

    def __init__(self, score_pairs: Any, depth: int = RERANK_DEPTH) -> None:
        from rewrite_bench.baselines.retrieval import BM25Retriever

        self.score_pairs, self.depth = score_pairs, depth
        self.first_stage = BM25Retriever()
        self.documents: list[str] = []

    def index(self, documents: Sequence[str]) -> None:
        self.documents = list(documents)
        self.first_stage.index(self.documents)

    def search(self, queries: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        candidates = self.first_stage.search(queries, self.depth)
        pairs = [(doc, qi) for qi, hits in enumerate(candidates) for doc, _ in hits]
        raw = list(self.score_pairs([self.documents[d] for d, _ in pairs], [queries[q] for _, q in pairs]))
        if len(raw) != len(pairs):
            raise ValueError(f"the pair scorer returned {len(raw)} scores for {len(pairs)} pairs")
        ranked: list[list[tuple[int, float]]] = [[] for _ in queries]
        for (doc, qi), score in zip(pairs, raw):
            ranked[qi].append((doc, float(score)))
        # Best first; ties by document index, so the order is stable.
        return [sorted(hits, key=lambda h: (-h[1], h[0]))[:k] for hits in ranked]


class CachedPairScores:
    """A pair scorer whose scores are served from, and added to, the model's score cache of the
    task it scores (re-ranking is cached like the rest: the key is the task's method and texts)."""

    def __init__(self, score_pairs: Callable[..., Any], cache: "ScoreCache | None", method: str) -> None:
        self.score_pairs, self.cache, self.method = score_pairs, cache, method
        self.hits = self.computed = 0

    def __call__(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        keys = [item_key(self.method, [a, b]) for a, b in zip(originals, candidates)]
        found = self.cache.get_many(keys) if self.cache is not None else {}
        todo = [i for i, key in enumerate(keys) if key not in found]
        self.hits += len(keys) - len(todo)
        if todo:
            raw = list(self.score_pairs([originals[i] for i in todo], [candidates[i] for i in todo]))
            if len(raw) != len(todo):
                raise ValueError(f"the pair scorer returned {len(raw)} scores for {len(todo)} pairs")
            new: dict[str, float] = {}
            for i, value in zip(todo, raw):
                number = finite_score(value)
                if number is None:
                    raise ValueError(f"the pair scorer returned {value!r}, not a finite number")
                new[keys[i]] = number
            if self.cache is not None:
                self.cache.put_many(new)
            found.update(new)
            self.computed += len(todo)
        return [found[key] for key in keys]


class CachedVectors:
    """A bi-encoder's text vectors, made in batches by its ``embed_texts`` and kept in the score
    cache's vector table: a re-run, or a run after a kill, embeds nothing it already embedded."""

    def __init__(self, embed_texts: Callable[[Sequence[str]], np.ndarray], cache: "ScoreCache | None",
                 chunk: int = EMBED_CHUNK) -> None:
        self.embed_texts, self.cache, self.chunk = embed_texts, cache, chunk
        self.hits = self.computed = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [item_key("vector", [text]) for text in texts]
        found = self.cache.get_vectors(keys) if self.cache is not None else {}
        todo = list(dict.fromkeys(text for text, key in zip(texts, keys) if key not in found))
        self.hits += len(set(keys) & set(found))
        for start in range(0, len(todo), self.chunk):
            part = todo[start : start + self.chunk]
            matrix = np.asarray(self.embed_texts(part), dtype=np.float64)
            if matrix.ndim != 2 or len(matrix) != len(part):
                raise ValueError(f"embed_texts returned an array of shape {matrix.shape} for {len(part)} texts")
            new = {item_key("vector", [text]): row for text, row in zip(part, matrix)}
            if self.cache is not None:
                self.cache.put_vectors(new)  # chunk by chunk, so a killed run keeps what it made
            found.update(new)
            self.computed += len(part)
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 1))


class VectorSearch:
    """A bi-encoder retriever (``embed_texts``, ``index_vectors``, ``search_vectors``) driven by the
    harness: it embeds the pool and the queries through :class:`CachedVectors`."""

    def __init__(self, model: Any, vectors: CachedVectors) -> None:
        self.model, self.vectors = model, vectors

    def index(self, documents: Sequence[str]) -> None:
        self.model.index_vectors(self.vectors(documents))

    def search(self, queries: Sequence[str], k: int) -> list[list[tuple[int, float]]]:
        return self.model.search_vectors(self.vectors(queries), k)

    def index_record(self) -> dict[str, Any]:
        record = getattr(self.model, "index_record", None)
        return record() if callable(record) else {}


def _embeds_vectors(obj: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in ("embed_texts", "index_vectors", "search_vectors"))


def validate_hits(raw: Any, n_queries: int, n_docs: int, k: int, ids: Sequence[str], where: str) -> list[list[tuple[int, float]]]:
    """The model's ranked lists as ``[(doc_index, score), ...]``, or a ModelError naming the queries."""
    try:
        lists = [list(hits) for hits in raw]
    except TypeError:
        raise ModelError(f"{where}: search() must return one list of (doc_index, score) per query, "
                         f"got {type(raw).__name__} for queries {show_ids(ids)}.") from None
    if len(lists) != n_queries:
        raise ModelError(f"{where}: search() returned {len(lists)} lists for {n_queries} queries ({show_ids(ids)}).")
    bad: list[str] = []
    out: list[list[tuple[int, float]]] = []
    for query_id, hits in zip(ids, lists):
        try:
            parsed = [(int(doc), float(score)) for doc, score in hits]
        except (TypeError, ValueError):
            bad.append(query_id)
            continue
        docs = [doc for doc, _ in parsed]
        scores = [score for _, score in parsed]
        if (len(parsed) > k or len(set(docs)) != len(docs) or any(not 0 <= d < n_docs for d in docs)
                or any(not math.isfinite(s) for s in scores) or any(a < b for a, b in zip(scores, scores[1:]))):
            bad.append(query_id)
            continue
        out.append(parsed)
    if bad:
        raise ModelError(f"{where}: unusable results for queries {show_ids(bad)}: each must be at most {k} "
                         f"(doc_index, score) pairs with distinct indices in [0, {n_docs}), finite scores, best first.")
    return out


def evaluate_retrieval(model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                       limit: int | None, batch_size: int, progress: bool = True,
                       score_cache_dir: Path | None = None) -> EvalOutcome:
    """Index the pool, search it with the split's queries, and compute every retrieval metric.

    With ``score_cache_dir``, what is expensive is read from and written to the model's score
    cache: a re-ranking pair scorer's scores (:class:`CachedPairScores`, in its cache of the task it
    scores) and a bi-encoder's vectors of the pool and the queries (:class:`CachedVectors`)."""
    from rewrite_bench.metrics import retrieval_metrics, retrieval_slice_metrics
    from rewrite_bench.shapes import POOL

    if batch_size < 1:
        raise BenchError(f"--batch-size must be >= 1, got {batch_size}.")
    started = time.perf_counter()
    parts = data.task(task.name)
    if split not in parts or split == POOL:
        raise BenchError(f"--split {split!r} does not exist for task {task.name!r}; choose one of "
                         f"{[p for p in parts if p != POOL]}.")
    where = f"model {model.name!r} on task {task.name!r}"
    fit_seconds, fitted_on = 0.0, None
    retrieval: dict[str, Any]
    vectors: CachedVectors | None = None
    pair_scores: CachedPairScores | None = None
    cache: ScoreCache | None = None
    if model.native_retriever():
        retriever = model.obj
        retrieval = {"method": "index+search"}
        if model.needs_fit():
            fit_seconds, fitted_on = fit_model(model, task.name, parts["train"]), "train"
        if _embeds_vectors(model.obj):
            if score_cache_dir is not None and model.cacheable:
                cache = ScoreCache(score_cache_dir, model.slug,
                                   model.cache_identity(task, data.task_fingerprints[task.name]))
            vectors = CachedVectors(model.obj.embed_texts, cache)
            retriever = VectorSearch(model.obj, vectors)
    else:
        # A pair scorer, fitted (if it wants) on the train split of the task it scores.
        rerank = _rerank_task(task)
        if model.needs_fit():
            fit_seconds = fit_model(model, rerank.name, data.task(rerank.name)["train"])
            fitted_on = f"{rerank.name}/train"
        if score_cache_dir is not None and model.cacheable:
            cache = ScoreCache(score_cache_dir, model.slug,
                               model.cache_identity(rerank, data.task_fingerprints[rerank.name]))
        pair_scores = CachedPairScores(model.scorer(rerank), cache, rerank.model_method)
        retriever = RerankRetriever(pair_scores)
        retrieval = {"method": "rerank", "first_stage": "bm25", "depth": RERANK_DEPTH}

    pool = parts[POOL].select_columns(["id", "text"]).to_dict()
    t0 = time.perf_counter()
    try:
        retriever.index(pool["text"])
    except Exception as error:
        raise ModelError(f"{where} raised {type(error).__name__} in index() over {len(pool['id'])} "
                         f"documents: {error}") from error
    index_seconds = time.perf_counter() - t0

    queries = limit_items(parts[split], limit)
    table = queries.select_columns(["id", "text", "label", "source_id", *(s.key for s in task.slices)]).to_dict()
    hits: list[list[tuple[int, float]]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(table["id"]), desc=f"{task.name}/{split}", unit="query", file=sys.stderr, leave=False)
    t0 = time.perf_counter()
    try:
        for start in range(0, len(table["id"]), batch_size):
            ids = table["id"][start : start + batch_size]
            texts = table["text"][start : start + batch_size]
            try:
                raw = retriever.search(texts, SEARCH_K)
            except Exception as error:
                raise ModelError(f"{where} raised {type(error).__name__}: {error} "
                                 f"(while searching for queries {show_ids(ids)}).") from error
            hits += validate_hits(raw, len(ids), len(pool["id"]), SEARCH_K, ids, where)
            if bar is not None:
                bar.update(len(ids))
    finally:
        if bar is not None:
            bar.close()
    search_seconds = time.perf_counter() - t0
    if cache is not None:
        cache.close()

    position = {doc_id: i for i, doc_id in enumerate(pool["id"])}
    ranks = np.zeros(len(hits), dtype=np.int64)
    for i, (source, found) in enumerate(zip(table["source_id"], hits)):
        if source in position:
            ranks[i] = next((r for r, (doc, _) in enumerate(found, 1) if doc == position[source]), 0)
    top = np.array([found[0][1] if found else math.nan for found in hits], dtype=np.float64)
    if np.isnan(top).any():
        # A query with no candidate at all ranks below every query that has one.
        floor = np.nanmin(top) - 1.0 if (~np.isnan(top)).any() else 0.0
        top[np.isnan(top)] = floor
    labels = np.asarray(table["label"])
    metrics = retrieval_metrics(ranks, top, labels, n_resamples=RESAMPLES)
    n = {"positive": metrics.pop("n_positive"), "negative": metrics.pop("n_negative")}
    slices = retrieval_slice_metrics(ranks, top, labels, {s.key: table[s.key] for s in task.slices}, task.slices,
                                     n_resamples=RESAMPLES)
    predictions = [{"id": query_id, "score": float(score), "rank_of_source": int(rank),
                    "top": [[pool["id"][doc], s] for doc, s in found[:10]]}
                   for query_id, score, rank, found in zip(table["id"], top.tolist(), ranks.tolist(), hits)]
    result = {
        **record_header(model, task, data, split, limit, len(parts[split]), fitted_on),
        "batch_size": batch_size,
        "n": n,
        "retrieval": {**retrieval, "k": SEARCH_K, "pool_size": len(pool["id"]),
                      # An approximate index (a bi-encoder over a large pool) says what it is and how
                      # close it comes to exact search; exact search records nothing more.
                      **(retriever.index_record() if callable(getattr(retriever, "index_record", None)) else {})},
        "bootstrap": {"resamples": RESAMPLES, "slice_resamples": RESAMPLES, "seed": 0,
                      "method": "percentile bootstrap of MRR over the queries with a source"},
        "metrics": metrics,
        "slices": slices,
        "runtime_s": {"total": round(time.perf_counter() - started, 3), "fit": round(fit_seconds, 3),
                      "index": round(index_seconds, 3), "search": round(search_seconds, 3)},
        # Ranked lists are not cached; a re-ranker's pair scores and a bi-encoder's vectors are.
        "score_cache": _cache_record(cache, pair_scores, vectors, len(hits)),
        "notes": [],
        **record_footer(),
    }
    return EvalOutcome(result=result, predictions=predictions)


def _cache_record(cache: ScoreCache | None, pair_scores: CachedPairScores | None, vectors: CachedVectors | None,
                  n_queries: int) -> dict[str, Any]:
    """The results file's ``score_cache`` block: what was served from the cache and what was computed."""
    where = {"file": str(cache.path)} if cache is not None else {}
    if pair_scores is not None:
        return {"used": cache is not None, "hits": pair_scores.hits, "computed": pair_scores.computed, **where}
    if vectors is not None:  # counts of texts embedded, not of scores
        return {"used": cache is not None, "hits": vectors.hits, "computed": vectors.computed, "of": "vectors",
                **where}
    return {"used": False, "hits": 0, "computed": n_queries}


def _rerank_task(task: TaskMetadata) -> TaskMetadata:
    """The scored task whose scorer re-ranks ``task``'s first-stage candidates."""
    from rewrite_bench.shapes import registered_task

    rerank = registered_task(task.rerank_with or "")
    if rerank is None:
        raise BenchError(f"task {task.name!r} re-ranks with task {task.rerank_with!r}, which is not registered.")
    return rerank
