"""What Ray costs on one machine: build and eval wall time, local executor against 1 and 2 Ray workers.

    python perf/ray_overhead.py                         # 6 originals per split and domain, tfidf on pair
    python perf/ray_overhead.py --max-originals 10 --rounds 3

Build: the rewriting step of a small build (``wordnet-spin`` seen, ``evasion`` unseen, on
``--max-originals`` originals per split and domain), i.e. :func:`make_rewrites`, the part an
executor runs; the local executor here uses one process (``workers=1``), as Ray's one worker.
Eval: ``tfidf`` scoring pair items made from that build's rewrites (each rewrite with its
source, and with another original of the same split: ``--pair-copies`` times over, so the
item count is worth sharding), IDF fitted once on the texts outside the timing, no score
cache. Nothing here needs a built benchmark. Each Ray row starts a local Ray with
that many CPUs first; its start-up is reported apart from the work. Every run's output is
checked equal to the local one. Medians of ``--rounds`` runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _time(fn, rounds: int) -> tuple[float, object]:
    seconds, out = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds), out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-originals", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pair-copies", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")

    import ray
    from datasets import Dataset

    from rewrite_bench.build import _limit_originals
    from rewrite_bench.corpus import load_originals_with_stats
    from rewrite_bench.executors import LocalExecutor, RayExecutor
    from rewrite_bench.models import resolve_model
    from rewrite_bench.rewriting import PlanEntry, make_rewrites
    from rewrite_bench.runner import score_dataset
    from rewrite_bench.tasks.pair import METADATA as PAIR

    plan = (PlanEntry("wordnet-spin", True), PlanEntry("evasion", False))
    originals, _ = load_originals_with_stats(seed=0)
    originals = _limit_originals(originals, args.max_originals)
    rewrites, _ = make_rewrites(originals, plan, 0, workers=1)
    text = {o.id: o.text for o in originals}
    others = [o.text for o in originals]
    rows = [{"id": f"{r.id}#{copy}#{label}", "original": text[r.source_id] if label else others[(i + 7) % len(others)],
             "candidate": r.text, "label": label}
            for copy in range(args.pair_copies) for i, r in enumerate(rewrites) for label in (1, 0)]
    test = Dataset.from_list(rows)
    model = resolve_model("tfidf")
    model.obj.fit_texts(sorted(set(others) | {r.text for r in rewrites}))

    def build(executor):
        return make_rewrites(originals, plan, 0, workers=1, executor=executor)

    def evaluate(executor):
        return score_dataset(model, PAIR, test, batch_size=64, progress=False, desc="", executor=executor).tolist()

    print(f"build: {len(originals)} originals x {len(plan)} rewriters; eval: tfidf on {len(test)} pair items "
          f"(batch 64); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; "
          f"median of {args.rounds}")
    print("| executor | Ray start (s) | build (s) | eval (s) | same output as local |")
    print("|---|---|---|---|---|")
    build_s, reference_build = _time(lambda: build(LocalExecutor()), args.rounds)
    eval_s, reference_scores = _time(lambda: evaluate(LocalExecutor()), args.rounds)
    print(f"| local | – | {build_s:.2f} | {eval_s:.2f} | – |", flush=True)
    for workers in (1, 2):
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        start_s = time.perf_counter() - t0
        try:
            executor = RayExecutor(workers=workers)
            build_s, built = _time(lambda: build(executor), args.rounds)
            eval_s, scores = _time(lambda: evaluate(executor), args.rounds)
        finally:
            ray.shutdown()
        same = repr(built) == repr(reference_build) and scores == reference_scores
        print(f"| ray, {workers} worker{'s' if workers > 1 else ''} | {start_s:.2f} | {build_s:.2f} | {eval_s:.2f} | "
              f"{'yes' if same else 'NO'} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
