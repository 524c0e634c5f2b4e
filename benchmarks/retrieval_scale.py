"""How the retrieve baselines scale with the pool: index time, query latency, peak memory.

    python benchmarks/retrieval_scale.py                         # bm25 and minhash-lsh at 1k/10k/100k, minilm at 1k
    python benchmarks/retrieval_scale.py --sizes 1000 10000 --dense-sizes 1000 10000

The pool is the task's real pool (every original not held out) grown with synthetic
distractors made of real text: each distractor is 8 sentences drawn (seeded) from all the
originals, so its vocabulary and length are those of the corpus but it is no one's source.
Queries are the first 200 with-source queries of the test split. Each (baseline, size) runs
in a fresh process so its peak memory (``ru_maxrss``) is its own.

Expected shape: indexing grows about linearly with the pool for all three; per query, BM25
and exact dense search read every document (linear), while the LSH Forest only touches the
buckets a query falls in (sub-linear). MiniLM's index time is its embedding time, about 2
documents per second per core here, so by default it is measured at 1k documents only.
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

N_QUERIES = 200
SENTENCES_PER_DISTRACTOR = 8


def _pool_and_queries(size: int, cache_dir: str | None) -> tuple[list[str], list[str], list[int]]:
    from benchmark.build import BuildConfig, load_or_build
    from benchmark.io import resolve_cache_dir
    from benchmark.text import split_paragraphs, split_sentences
    from tasks.retrieve import POOL

    parts = load_or_build(resolve_cache_dir(cache_dir), BuildConfig(), progress=False).task("retrieve")
    pool = parts[POOL].select_columns(["id", "text"]).to_dict()
    position = {doc_id: i for i, doc_id in enumerate(pool["id"])}
    test = parts["test"].filter(lambda row: row["label"] == 1).select(range(N_QUERIES)).to_dict()
    sentences = [s for text in pool["text"] for p in split_paragraphs(text) for s in split_sentences(p)]
    rng = random.Random(0)
    docs = list(pool["text"])
    while len(docs) < size:
        docs.append(" ".join(rng.choice(sentences) for _ in range(SENTENCES_PER_DISTRACTOR)))
    return docs, test["text"], [position[s] for s in test["source_id"]]


def _measure(model_name: str, size: int, cache_dir: str | None) -> dict:
    from benchmark.models import resolve_model

    docs, queries, sources = _pool_and_queries(size, cache_dir)
    model = resolve_model(model_name).obj
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    model.index(docs)
    index_s = time.perf_counter() - t0
    model.search(queries[:1], 10)  # warm-up (lazy loads)
    t0 = time.perf_counter()
    hits = model.search(queries, 10)
    query_ms = 1000 * (time.perf_counter() - t0) / len(queries)
    found = sum(any(doc == source for doc, _ in h) for h, source in zip(hits, sources)) / len(queries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"model": model_name, "pool": len(docs), "index_s": round(index_s, 2), "query_ms": round(query_ms, 2),
            "recall_at_10": round(found, 3), "peak_rss_mb": round(peak / 1024), "index_growth_mb": round((peak - rss_before) / 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--dense-sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "SIZE"), help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    if args.one:
        print(json.dumps(_measure(args.one[0], int(args.one[1]), args.cache_dir)))
        return 0
    runs = [(m, s) for m in ("bm25", "minhash-lsh") for s in args.sizes] + [("minilm", s) for s in args.dense_sizes]
    print("| model | pool | index (s) | query latency (ms) | recall@10 | peak RSS (MB) | RSS growth while indexing (MB) |")
    print("|---|---|---|---|---|---|---|")
    for model, size in runs:
        argv = [sys.executable, __file__, "--one", model, str(size), *(["--cache-dir", args.cache_dir] if args.cache_dir else [])]
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(f"| {r['model']} | {r['pool']} | {r['index_s']} | {r['query_ms']} | {r['recall_at_10']} | "
              f"{r['peak_rss_mb']} | {r['index_growth_mb']} |", flush=True)
    print(f"\nmachine: {os.cpu_count()} cores; {N_QUERIES} queries per run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
