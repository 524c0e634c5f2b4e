"""The span baselines against the rewriters' own record of their edits (gold spans).

    python perf/span_baselines.py                # 20 originals (10 news, 10 encyclopedia)
    python perf/span_baselines.py --n 40 --skip-minilm

Gold comes from ``rewrite_with_provenance`` (see ``rewrite_bench.rewriters.provenance``), on
rewrites made as the build makes them (same seeds and donors), at every strength:

* **alignment**: the candidate's characters that derive from the original are every span
  but the inserted ones (boilerplate, headlines, donor sentences), merged into cases
  (``span_metrics.derived_cases``). For
  each rewriter of the default plan, PAN's plagdet (with its precision, recall and
  granularity) and span-level F1 of ``ngram-align`` and ``minilm-sentence-spans``.
* **distortion**: the spans marked ``changes`` (meaning changes). Candidates are the
  rewrites of meaning-changing rewriters and chains (``distort`` after a copy, a spin, a
  restructuring or a paraphrase; ``web-noise``) and, as pairs without a change, those of
  meaning-keeping ones. Token precision, recall, F1 and AP of ``fact-diff`` and
  ``negation-lexicon``, and the AUROC of "this pair has a meaning change" from each pair's
  highest span score.

Nothing here is tuned: every baseline runs with its defaults.
"""
from __future__ import annotations

import argparse
import random
import sys
import time

DISTORTING = ("distort", "wordnet-spin+distort", "restructure+distort", "paraphrase+distort", "web-noise",
              "paraphrase+web-noise")
KEEPING = ("wordnet-spin", "restructure", "paraphrase")


def _rewrites(spec: str, originals, donors, cache_dir):
    """``(original text, rewrite, spans)`` for every original and strength the rewriter accepts."""
    from rewrite_bench.rewriting import make_rewriter, rewrite_seed
    from rewrite_bench.types import RewriteError

    rewriter = make_rewriter(spec, cache_dir)
    out = []
    for original in originals:
        for strength, params in rewriter.strengths.items():
            options = {"donor": donors[original.id]} if getattr(rewriter, "needs_donor", False) else {}
            rng = random.Random(rewrite_seed(0, original.id, rewriter.name, strength))
            try:
                text, spans = rewriter.rewrite_with_provenance(original.text, params, rng, **options)
            except RewriteError:
                continue
            out.append((original.text, text, spans))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="originals (half news, half encyclopedia)")
    parser.add_argument("--skip-minilm", action="store_true", help="leave out minilm-sentence-spans")
    parser.add_argument("--cache-dir", default=None, help="translation cache (default: none)")
    args = parser.parse_args()

    from sklearn.metrics import roc_auc_score

    from rewrite_bench.baselines.alignment import MiniLMSentenceSpans, NgramAlignment
    from rewrite_bench.baselines.distortion import FactDiff, NegationLexicon
    from rewrite_bench.build import DEFAULT_PLAN
    from rewrite_bench.corpus import first_of_each_domain, load_originals
    from rewrite_bench.rewriting import donors_for
    from rewrite_bench.span_metrics import (check_spans, derived_cases, distortion_scores, meaning_changes, plagdet,
                                            span_f1)

    originals = load_originals()
    sample = first_of_each_domain(originals, args.n)
    donors = donors_for(originals, 0)
    aligners = {"ngram-align": NgramAlignment()}
    if not args.skip_minilm:
        aligners["minilm-sentence-spans"] = MiniLMSentenceSpans()

    print(f"{len(sample)} originals, each at every strength\n\n## Alignment\n")
    print("| rewriter | pairs | model | plagdet | precision | recall | granularity | span F1 | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for entry in DEFAULT_PLAN:
        pairs = _rewrites(entry.spec, sample, donors, args.cache_dir)
        gold = [derived_cases(text, spans) for _, text, spans in pairs]
        for name, model in aligners.items():
            started = time.perf_counter()
            raw = model.align_spans([o for o, _, _ in pairs], [c for _, c, _ in pairs])
            predicted = [check_spans(r, c, f"{name}, pair {i}") for i, (r, (_, c, _)) in enumerate(zip(raw, pairs))]
            seconds = time.perf_counter() - started
            scores, f1 = plagdet(gold, predicted), span_f1(gold, predicted)
            print(f"| {entry.spec} | {len(pairs)} | {name} | {scores.plagdet:.3f} | {scores.precision:.3f} | "
                  f"{scores.recall:.3f} | {scores.granularity:.2f} | {f1.f1:.3f} | {seconds:.1f} |")

    print("\n## Distortion\n")
    pairs, kinds = [], []
    for spec in DISTORTING + KEEPING:
        made = _rewrites(spec, sample, donors, args.cache_dir)
        pairs += made
        kinds += [spec] * len(made)
    gold = [meaning_changes(spans) for _, _, spans in pairs]
    labels = [int(bool(g)) for g in gold]
    print(f"{len(pairs)} pairs ({sum(labels)} with a meaning change) from {', '.join(DISTORTING)} and, without "
          f"one, {', '.join(KEEPING)}\n")
    print("| model | token precision | token recall | token F1 | token AP | AUROC has-change | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, model in {"fact-diff": FactDiff(), "negation-lexicon": NegationLexicon()}.items():
        started = time.perf_counter()
        raw = model.distortion_spans([o for o, _, _ in pairs], [c for _, c, _ in pairs])
        predicted = [check_spans(r, c, f"{name}, pair {i}") for i, (r, (_, c, _)) in enumerate(zip(raw, pairs))]
        seconds = time.perf_counter() - started
        scores = distortion_scores([c for _, c, _ in pairs], gold, predicted)
        top = [max((score for _, _, score in p), default=0.0) for p in predicted]
        auroc = roc_auc_score(labels, top) if 0 < sum(labels) < len(labels) else float("nan")
        ap = "–" if scores.token_ap is None else f"{scores.token_ap:.3f}"
        print(f"| {name} | {scores.token_precision:.3f} | {scores.token_recall:.3f} | {scores.token_f1:.3f} | "
              f"{ap} | {auroc:.3f} | {seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
