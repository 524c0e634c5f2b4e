"""Realism map of rewriters on a stable sample of originals: where they fall against real spinners.

For every rewrite of every named rewriter (default: every rewriter of the default build) at
every strength, on the first N test originals of each domain: word change
rate, word 5-gram containment and MiniLM cosine to the source (the card's statistics), then
per rewriter and strength the medians and the share inside the real-spinner region
(``benchmark/realism.py``), the seconds per rewrite, and a PNG of the map.

    python perf/realism_map.py                       # 10 news + 10 encyclopedia originals
    python perf/realism_map.py --per-domain 4 --rewriter paraphrase --png /tmp/map.png
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from rewrite_bench.build import DEFAULT_PLAN
from rewrite_bench.corpus import load_originals
from rewrite_bench.io import resolve_cache_dir
from rewrite_bench.realism import REAL_SPINNER_PERCENTILES, RealismPoint, plot_realism_map, realism_rows
from rewrite_bench.rewriting import PlanEntry, make_rewrites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-domain", type=int, default=10, help="test originals per domain")
    parser.add_argument("--rewriter", action="append", default=None,
                        help="rewriter spec (repeatable; default: the default build's plan)")
    parser.add_argument("--png", type=Path, default=Path("realism-map.png"), help="where to write the map")
    args = parser.parse_args()

    specs = args.rewriter or [entry.spec for entry in DEFAULT_PLAN]
    test = [o for o in load_originals() if o.split == "test"]
    sample = [o for domain in sorted({o.domain for o in test})
              for o in [o for o in test if o.domain == domain][: args.per_domain]]
    cache = str(resolve_cache_dir(None) / "rewriter-cache")
    points, seconds = [], {}
    for spec in specs:
        started = time.perf_counter()
        # Measured as the build measures them (each rewrite's cosine, as it is made).
        rewrites, failures = make_rewrites(sample, [PlanEntry(spec, False)], seed=0, cache_dir=cache, workers=1,
                                           measure=True)
        seconds[spec] = (time.perf_counter() - started) / max(1, len(rewrites) + len(failures))
        points += [RealismPoint(r.rewriter, r.strength, r.word_change_rate, r.ngram5_overlap, r.meaning_cosine)
                   for r in rewrites]
        print(f"{spec}: {len(rewrites)} rewrites, {len(failures)} failures, {seconds[spec]:.2f} s per rewrite "
              f"(its meaning measurement included)", flush=True)
    real = REAL_SPINNER_PERCENTILES
    print(f"\n{len(sample)} originals ({args.per_domain} per domain); real neural spinners (median): change "
          f"{real['word_change_rate'][2]:.2f}, containment {real['ngram5_containment'][2]:.2f}, "
          f"cosine {real['minilm_cosine'][2]:.2f}, 40% in region\n")
    print("| rewriter | strength | n | median change | median containment | median cosine | in region |")
    print("|---|---|---|---|---|---|---|")
    for row in realism_rows(points):
        print(f"| {row['rewriter']} | {row['strength']} | {row['n']} | {row['median_change']:.2f} | "
              f"{row['median_containment']:.2f} | {row['median_cosine']:.2f} | {row['share_in_region']:.0%} |")
    plot_realism_map(points, args.png)
    print(f"\nwrote {args.png}")


if __name__ == "__main__":
    main()
