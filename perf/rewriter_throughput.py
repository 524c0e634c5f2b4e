"""Throughput and change figures of every rewriter in the default build plan.

    python perf/rewriter_throughput.py            # 30 originals (15 news, 15 encyclopedia)
    python perf/rewriter_throughput.py --n 100

For each rewriter: first-call time (loading its resources), texts per second per core after
that (all three strengths of a text count as three texts), and mean word change rate, word
5-gram overlap and length ratio per strength. The build runs these in one process per core.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30, help="originals to rewrite (half news, half encyclopedia)")
    parser.add_argument("--cache-dir", default=None, help="translation cache (default: none, so timings are cold)")
    args = parser.parse_args()

    from rewrite_bench.build import DEFAULT_PLAN
    from rewrite_bench.corpus import first_of_each_domain, load_originals
    from rewrite_bench.rewriting import donors_for, make_rewriter, rewrite_seed
    from rewrite_bench.text import length_ratio, ngram_containment, word_change_rate

    originals = load_originals()
    sample = first_of_each_domain(originals, args.n)
    donors = donors_for(originals, 0)
    print(f"{len(sample)} originals; texts/s is per core, after the first call\n")
    print("| rewriter | first call (s) | texts/s | strength | word change | 5-gram overlap | length ratio |")
    print("|---|---|---|---|---|---|---|")
    for entry in DEFAULT_PLAN:
        rewriter = make_rewriter(entry.spec, args.cache_dir)
        outputs: dict[str, list[tuple[str, str]]] = {s: [] for s in rewriter.strengths}
        first = None
        start = time.perf_counter()
        for original in sample:
            for strength, params in rewriter.strengths.items():
                rng = random.Random(rewrite_seed(0, original.id, rewriter.name, strength))
                kwargs = {"donor": donors.get(original.id)} if getattr(rewriter, "needs_donor", False) else {}
                t0 = time.perf_counter()
                try:
                    text = rewriter.rewrite(original.text, params, rng, **kwargs)
                except Exception as error:  # reported, as the build does
                    text = None
                    print(f"  ({entry.spec} {strength} on {original.id}: {type(error).__name__}: {error})", file=sys.stderr)
                if first is None:
                    first = time.perf_counter() - t0
                    start = time.perf_counter()
                if text:
                    outputs[strength].append((original.text, text))
        n_timed = len(sample) * len(rewriter.strengths) - 1
        rate = n_timed / max(time.perf_counter() - start, 1e-9)
        for i, (strength, pairs) in enumerate(outputs.items()):
            cells = [f"{statistics.mean(f(*p) for p in pairs):.3f}" if pairs else "–" for f in (
                lambda s, r: word_change_rate(s, r), lambda s, r: ngram_containment(r, s, 5), lambda s, r: length_ratio(s, r))]
            head = [entry.spec, f"{first:.1f}", f"{rate:.1f}"] if i == 0 else ["", "", ""]
            print("| " + " | ".join([*head, strength, *cells]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
