"""What every rewriter's edits are, and what asking for them costs.

    python perf/provenance_stats.py                  # 20 originals (10 news, 10 encyclopedia)
    python perf/provenance_stats.py --n 40 --skip paraphrase

For each rewriter of the default build plan, and ``distort``: on the same originals, at each
strength, made as the build makes them (same seeds, same donors), with
``rewrite_with_provenance``:

* the share of rewrites with at least one edit that changes the meaning;
* the mean share of the rewrite's characters copied, moved, substituted, translated and
  inserted, and the mean number of deleted pieces;
* milliseconds a rewrite for ``rewrite`` and for ``rewrite_with_provenance`` (the cost of
  recording the edits), each after an untimed call on the same text that loads resources and
  fills the per-text memos (translations, sentence embeddings).

Every rewrite's spans are checked (:func:`rewrite_bench.rewriters.provenance.problems`) and
must equal ``rewrite``'s output; the script stops if one does not.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

KINDS = ("copied", "moved", "substituted", "translated", "inserted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="originals (half news, half encyclopedia)")
    parser.add_argument("--skip", nargs="*", default=[], help="plan specs to leave out (e.g. the slow paraphrase)")
    parser.add_argument("--cache-dir", default=None, help="translation cache (default: none)")
    args = parser.parse_args()

    from rewrite_bench.build import DEFAULT_PLAN
    from rewrite_bench.corpus import first_of_each_domain, load_originals
    from rewrite_bench.rewriters.provenance import problems
    from rewrite_bench.rewriting import donors_for, make_rewriter, rewrite_seed
    from rewrite_bench.types import RewriteError

    originals = load_originals()
    sample = first_of_each_domain(originals, args.n)
    donors = donors_for(originals, 0)
    specs = [entry.spec for entry in DEFAULT_PLAN if entry.spec not in args.skip] + ["distort"]
    print(f"{len(sample)} originals, each at every strength\n")
    print("| rewriter | strength | rewrites | with a meaning change | "
          + " | ".join(f"{kind} (chars)" for kind in KINDS) + " | deletions | ms a rewrite: plain / with edits |")
    print("|---|---|---|---|" + "---|" * len(KINDS) + "---|---|")
    for spec in specs:
        rewriter = make_rewriter(spec, args.cache_dir)
        for strength, params in rewriter.strengths.items():
            changed, shares, deletions, plain_s, with_s = [], {k: [] for k in KINDS}, [], 0.0, 0.0
            for original in sample:
                seed = rewrite_seed(0, original.id, rewriter.name, strength)
                options = {"donor": donors[original.id]} if getattr(rewriter, "needs_donor", False) else {}
                try:  # an untimed call first: it loads resources and fills the per-text memos (translations)
                    rewriter.rewrite(original.text, params, random.Random(seed), **options)
                    t0 = time.perf_counter()
                    plain = rewriter.rewrite(original.text, params, random.Random(seed), **options)
                    t1 = time.perf_counter()
                    text, spans = rewriter.rewrite_with_provenance(original.text, params, random.Random(seed),
                                                                    **options)
                    t2 = time.perf_counter()
                except RewriteError:
                    continue
                plain_s, with_s = plain_s + t1 - t0, with_s + t2 - t1
                found = problems(original.text, text, spans)
                if text != plain or found:
                    print(f"{spec} {strength} on {original.id}: "
                          f"{'not the plain rewrite' if text != plain else found[:3]}", file=sys.stderr)
                    return 1
                changed.append(any(s.meaning == "changes" for s in spans))
                for kind in KINDS:
                    shares[kind].append(sum(s.end - s.start for s in spans if s.kind == kind) / max(1, len(text)))
                deletions.append(sum(1 for s in spans if s.kind == "deleted"))
            if not changed:
                continue
            cells = [f"{statistics.mean(shares[kind]):.0%}" for kind in KINDS]
            print(f"| {spec} | {strength} | {len(changed)} | {statistics.mean(changed):.0%} | " + " | ".join(cells)
                  + f" | {statistics.mean(deletions):.1f} | {1000 * plain_s / len(changed):.0f} / "
                  f"{1000 * with_s / len(changed):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
