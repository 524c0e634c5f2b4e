"""How the retrieve baselines scale with the pool: index time, query latency, recall@10, peak memory.

    python perf/retrieval_scale.py                          # bm25 and minhash-lsh at 10k/100k, dense at 10k/100k/1M
    python perf/retrieval_scale.py --sizes 1000 10000 --dense-sizes 10000 --dense-kind hnsw
    python perf/retrieval_scale.py --minilm-sizes 1000      # the real minilm retriever (embeds every document)

**bm25, minhash-lsh** (and ``--minilm-sizes``): the pool is every original of the corpus
(1053) grown with synthetic distractors made of real text: each distractor is 8 sentences
drawn (seeded) from all the originals, so its vocabulary and length are those of the corpus
but it is no one's source. Queries are 200 heavy ``wordnet-spin`` rewrites of seeded-chosen
originals (made here rather than read from a build, so the script needs no build); recall@10
is the share whose source is in the top 10.

**dense** (FAISS, :mod:`rewrite_bench.vector_index`): embedding a million texts with MiniLM on two
cores takes days, so the vectors are made: real all-MiniLM-L6-v2 embeddings of
``--passages`` passages (consecutive sentence pairs of the originals, cached under
``<cache>/scale``), then, up to the pool size, perturbed mixtures of them: ``normalise(a*u +
(1-a)*v + s*g)`` with u, v real passage vectors, a ~ U(0.6, 1), g ~ N(0, I/384), s ~ U(0.1,
0.5). Queries are 200 more such vectors (not in the pool). recall@10 is against exact search
(FAISS ``IndexFlatIP``): the share of each query's exact top 10 the index returns. The index
is what the ``minilm`` retriever builds (``--dense-kind auto``: exact below 50k vectors, IVF
above). Index time is the index alone (training and adding), not embedding.

Latency is per query (each query searched alone, after a warm-up); p50 and p99 over the 200,
in wall time and in this process's CPU time (on a shared machine wall time also measures the
other work; CPU time is what the search itself costs). Index time likewise.
Each (baseline, size) runs in a fresh process so its peak memory (``ru_maxrss``) is its own.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

N_QUERIES = 200
SENTENCES_PER_DISTRACTOR = 8
DIM = 384


def _corpus(cache_dir: str | None) -> dict:
    """The originals' texts, 200 queries and their sources, made once and cached (the corpus takes
    minutes to load): each query is a heavy ``wordnet-spin`` rewrite of a seeded choice of original."""
    from rewrite_bench.io import atomic_write_text, resolve_cache_dir

    path = resolve_cache_dir(cache_dir) / "scale" / "corpus.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    from rewrite_bench.corpus import load_originals_with_stats
    from rewrite_bench.rewriting import make_rewriter
    from rewrite_bench.types import RewriteError

    docs = [o.text for o in load_originals_with_stats(seed=0)[0]]
    spinner = make_rewriter("wordnet-spin")
    queries, sources = [], []
    for i in random.Random(0).sample(range(len(docs)), len(docs)):
        try:
            queries.append(spinner.rewrite(docs[i], spinner.strengths["heavy"], random.Random(i)))
        except RewriteError:
            continue
        sources.append(i)
        if len(queries) == N_QUERIES:
            break
    corpus = {"docs": docs, "queries": queries, "sources": sources}
    atomic_write_text(path, json.dumps(corpus))
    return corpus


def _pool_and_queries(size: int, cache_dir: str | None) -> tuple[list[str], list[str], list[int]]:
    from rewrite_bench.text import split_paragraphs, split_sentences

    corpus = _corpus(cache_dir)
    docs = list(corpus["docs"])
    sentences = [s for text in docs for p in split_paragraphs(text) for s in split_sentences(p)]
    rng = random.Random(0)
    while len(docs) < size:
        docs.append(" ".join(rng.choice(sentences) for _ in range(SENTENCES_PER_DISTRACTOR)))
    return docs, corpus["queries"], corpus["sources"]


def _latencies(search, queries) -> tuple[list, dict]:
    """Each query searched alone: the hits, and p50/p99 in ms of wall time and of this process's CPU
    time (on a machine shared with other work, wall time measures the others as much as the search)."""
    search(queries[:1])  # warm-up (lazy loads)
    hits, wall, cpu = [], [], []
    for query in queries:
        w0, c0 = time.perf_counter(), time.process_time()
        hits += search([query] if isinstance(query, str) else query[None, :])
        wall.append(1000 * (time.perf_counter() - w0))
        cpu.append(1000 * (time.process_time() - c0))
    return hits, {"p50_ms": round(float(np.percentile(wall, 50)), 2), "p99_ms": round(float(np.percentile(wall, 99)), 2),
                  "p50_cpu_ms": round(float(np.percentile(cpu, 50)), 2), "p99_cpu_ms": round(float(np.percentile(cpu, 99)), 2)}


def _timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return round(time.perf_counter() - w0, 2), round(time.process_time() - c0, 2)


def _rss_mb() -> int:
    """Peak resident memory of this process so far."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _current_mb() -> int:
    """Resident memory now (Linux; the peak elsewhere): what an index adds, whatever came before."""
    try:
        return round(int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
    except OSError:
        return _rss_mb()


def _measure(model_name: str, size: int, cache_dir: str | None) -> dict:
    from rewrite_bench.models import resolve_model

    docs, queries, sources = _pool_and_queries(size, cache_dir)
    model = resolve_model(model_name).obj
    rss_before = _current_mb()
    index_s, index_cpu_s = _timed(lambda: model.index(docs))
    growth = _current_mb() - rss_before
    hits, latency = _latencies(lambda q: model.search(q, 10), queries)
    found = sum(any(doc == source for doc, _ in h) for h, source in zip(hits, sources)) / len(queries)
    return {"model": model_name, "pool": len(docs), "index_s": index_s, "index_cpu_s": index_cpu_s, **latency,
            "recall_at_10": round(found, 3), "recall_of": "source in top 10", "peak_rss_mb": _rss_mb(),
            "index_growth_mb": growth}


def _passage_vectors(n: int, cache_dir: str | None) -> np.ndarray:
    """Real MiniLM embeddings of ``n`` passages (sentence pairs of the pool's originals), cached."""
    from rewrite_bench.io import resolve_cache_dir

    path = resolve_cache_dir(cache_dir) / "scale" / f"minilm-passages-{n}.npy"
    if path.is_file():
        return np.load(path)
    from rewrite_bench.embeddings import embed
    from rewrite_bench.text import split_paragraphs, split_sentences

    docs = _corpus(cache_dir)["docs"]
    sentences = [s for text in docs for p in split_paragraphs(text) for s in split_sentences(p)]
    passages = list(dict.fromkeys(" ".join(sentences[i : i + 2]) for i in range(0, len(sentences) - 1, 2)))
    if len(passages) < n:
        raise SystemExit(f"--passages {n}: the pool has only {len(passages)} sentence pairs.")
    vectors = embed(passages[:n]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)  # atomic: a killed run leaves no half file
    return vectors


def _perturbed(real: np.ndarray, count: int, seed: int, chunk: int = 100_000) -> np.ndarray:
    """``count`` unit vectors ``normalise(a*u + (1-a)*v + s*g)`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, real.shape[1]), dtype=np.float32)
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        a = rng.uniform(0.6, 1.0, size=(n, 1)).astype(np.float32)
        s = rng.uniform(0.1, 0.5, size=(n, 1)).astype(np.float32)
        noise = rng.standard_normal(size=(n, real.shape[1]), dtype=np.float32) / np.float32(np.sqrt(real.shape[1]))
        rows = a * real[rng.integers(0, len(real), n)] + (1 - a) * real[rng.integers(0, len(real), n)] + s * noise
        out[start : start + n] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def _measure_dense(size: int, kind: str, passages: int, cache_dir: str | None) -> dict:
    from rewrite_bench.vector_index import IndexOptions, VectorIndex

    real = _passage_vectors(passages, cache_dir)
    pool = np.vstack([real[:size], _perturbed(real, max(0, size - len(real)), seed=1)])
    queries = _perturbed(real, N_QUERIES, seed=2)
    rss_before = _current_mb()
    built: list[VectorIndex] = []
    index_s, index_cpu_s = _timed(lambda: built.append(VectorIndex(pool, IndexOptions(kind=kind))))
    index = built[0]
    growth = _current_mb() - rss_before
    _, latency = _latencies(lambda q: index.search(q, 10), queries)
    recall = index.recall_at_k(queries, 10)
    return {"model": f"dense ({index.description})", "pool": len(pool), "index_s": index_s, "index_cpu_s": index_cpu_s,
            **latency, "recall_at_10": round(recall, 4), "recall_of": "exact top 10", "peak_rss_mb": _rss_mb(),
            "index_growth_mb": growth}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000], help="pools for bm25 and minhash-lsh")
    parser.add_argument("--dense-sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dense-kind", default="auto", choices=("auto", "exact", "ivf", "hnsw"))
    parser.add_argument("--passages", type=int, default=1000, help="real MiniLM passage embeddings behind the dense pools")
    parser.add_argument("--minilm-sizes", type=int, nargs="*", default=[], help="pools for the real minilm retriever")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per run; a run past it is reported as such")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "SIZE"), help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    if args.one:
        model, size = args.one[0], int(args.one[1])
        result = (_measure_dense(size, args.dense_kind, args.passages, args.cache_dir) if model == "dense"
                  else _measure(model, size, args.cache_dir))
        print(json.dumps(result))
        return 0
    runs = ([(m, s) for m in ("bm25", "minhash-lsh") for s in args.sizes] + [("dense", s) for s in args.dense_sizes]
            + [("minilm", s) for s in args.minilm_sizes])
    print("| retriever | pool | index wall (s) | index CPU (s) | query p50 / p99 wall (ms) | query p50 / p99 CPU (ms) | "
          "recall@10 | of | peak RSS (MB) | memory the index adds (MB) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, size in runs:
        argv = [sys.executable, __file__, "--one", model, str(size), "--dense-kind", args.dense_kind,
                "--passages", str(args.passages), *(["--cache-dir", args.cache_dir] if args.cache_dir else [])]
        try:
            done = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"| {model} | {size} | not finished in {args.timeout} s | | | | | | | |", flush=True)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {r['model']} | {r['pool']} | {r['index_s']} | {r['index_cpu_s']} | {r['p50_ms']} / {r['p99_ms']} | "
              f"{r['p50_cpu_ms']} / {r['p99_cpu_ms']} | {r['recall_at_10']} | {r['recall_of']} | {r['peak_rss_mb']} | "
              f"{r['index_growth_mb']} |", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nmachine: {os.cpu_count()} cores, load average {load:.1f} at the end; {N_QUERIES} queries per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
