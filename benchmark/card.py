"""The dataset card written beside every build (Hugging Face dataset-card conventions)."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any, Mapping, Sequence

from rewrite_bench.text import words
from rewrite_bench.tracks import card_markdown as tracks_card_section
from rewrite_bench.types import SPLITS, STRENGTHS, Original, Rewrite

__all__ = ["render_card"]

_SOURCES = """\
| domain | source | licence |
|---|---|---|
| news | The Lee corpus (Lee, Pincombe & Welsh, 2005: 350 ABC news articles, `lee_background.cor` and `lee.cor`), as shipped in the test data of the `gensim` package | distributed with gensim (LGPL-2.1) for research use; the articles remain the Australian Broadcasting Corporation's, so check their terms before redistributing |
| encyclopedia | A shortened English Wikipedia dump (`enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2`) shipped in the test data of `gensim`, cut into section-sized passages of 150-800 words with markup removed | CC BY-SA (Wikipedia contributors); passages and their rewrites are derivative works under the same licence |
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


_EDITS_NOTE = (' "With a meaning change": the share of the row\'s rewrites for which the rewriter recorded '
               "an edit that changes the meaning (a mangled number or name, a negation, a swapped or dropped "
               "name), from the edits each rewrite stores.")


def _rewrite_table(rewrites: Sequence[Rewrite], meaning: Sequence[Mapping[str, Any]]) -> str:
    cosine = {(m["rewriter"], m["strength"]): m for m in meaning}
    groups: dict[tuple[str, str], list[Rewrite]] = defaultdict(list)
    for rw in rewrites:
        groups[(rw.rewriter, rw.strength)].append(rw)
    rows = []
    def order(key: tuple[str, str]) -> tuple[str, int, str]:
        rewriter, strength = key
        return rewriter, STRENGTHS.index(strength) if strength in STRENGTHS else len(STRENGTHS), strength

    # Builds made by the rewriters store their edits: then the share with a meaning change.
    with_edits = any(r.edits for r in rewrites)
    for (rewriter, strength), members in sorted(groups.items(), key=lambda kv: order(kv[0])):
        recorded = [r for r in members if r.edits]
        changed = ([f"{statistics.mean(_changes_meaning(r) for r in recorded):.0%}" if recorded else "–"]
                   if with_edits else [])
        rows.append((rewriter, strength, len(members),
                     f"{statistics.mean(r.word_change_rate for r in members):.3f}",
                     f"{statistics.mean(r.ngram5_overlap for r in members):.3f}",
                     f"{statistics.mean(r.length_ratio for r in members):.3f}",
                     f"{cosine[(rewriter, strength)]['mean_cosine']:.3f}" if (rewriter, strength) in cosine else "–",
                     *changed,
                     "yes" if members[0].seen_in_training else "no (test only)"))
    return _table(("rewriter", "strength", "count", "word change rate", "word 5-gram overlap", "length ratio",
                   "meaning kept (MiniLM cosine)", *(["with a meaning change"] if with_edits else []),
                   "in train/dev"), rows)


def _changes_meaning(rewrite: Rewrite) -> bool:
    """Whether the rewriter recorded an edit that changes the meaning (a mangled number, a swapped name)."""
    from rewrite_bench.rewriters.provenance import decode_spans

    return any(span.meaning == "changes" for span in decode_spans(rewrite.edits))


def _realism_section(meaning: Sequence[Mapping[str, Any]], originals: Sequence[Original],
                     rewrites: Sequence[Rewrite]) -> str:
    """The realism map: where each rewriter's rewrites fall against real neural spinners."""
    from rewrite_bench.realism import (REAL_CONTENT_FARM_COPY, REAL_SPINNER_MODES, REAL_SPINNER_PERCENTILES,
                                   REAL_SPINNER_REGION, REAL_SPINNER_SHARE_IN_REGION, REALISM_SOURCE, in_region)

    split = {o.id: o.split for o in originals}
    counts = {name: [0, 0] for name in SPLITS}
    for rw in rewrites:
        counts[split[rw.source_id]][0] += in_region(rw.word_change_rate, rw.ngram5_overlap, rw.meaning_cosine)
        counts[split[rw.source_id]][1] += 1
    count_rows = [(name, inside, total, f"{inside / total:.1%}" if total else "–")
                  for name, (inside, total) in counts.items()]

    real = REAL_SPINNER_PERCENTILES
    farm = REAL_CONTENT_FARM_COPY
    rows = [("**real neural spinners** (median of 300)", "", 300, f"{real['word_change_rate'][2]:.2f}",
             f"{real['ngram5_containment'][2]:.2f}", f"{real['minilm_cosine'][2]:.2f}",
             f"{real['length_ratio'][2]:.2f}", f"{REAL_SPINNER_SHARE_IN_REGION:.0%}"),
            *((f"real spinner, mode *{mode}*", "", "", f"{change:.2f}", f"{containment:.2f}", f"{cosine:.2f}",
               length, "") for mode, (change, containment, cosine, length) in REAL_SPINNER_MODES.items()),
            ("**real content-farm copy**", "", 1, f"{farm['word_change_rate']:.2f}",
             f"{farm['ngram5_containment']:.3f}", f"{farm['minilm_cosine']:.2f}", f"{farm['length_ratio']:.2f}",
             "inside")]
    length_ratios: dict[tuple[str, str], list[float]] = {}
    for rw in rewrites:
        length_ratios.setdefault((rw.rewriter, rw.strength), []).append(rw.length_ratio)
    rows += [(m["rewriter"], m["strength"], m["n"], f"{m['median_change']:.2f}", f"{m['median_containment']:.2f}",
              f"{m['median_cosine']:.2f}", f"{statistics.median(length_ratios[(m['rewriter'], m['strength'])]):.2f}",
              f"{m['share_in_region']:.0%}")
             for m in meaning if "share_in_region" in m]
    percentiles = _table(("statistic", "p10", "p25", "median", "p75", "p90"),
                         [(name.replace("_", " "), *(f"{v:.2f}" for v in values)) for name, values in real.items()])
    return f"""How close each rewriter comes to real spun copies. The **real-spinner region** is
{REAL_SPINNER_REGION.describe()}: a lot of rewording, little verbatim text, the meaning kept.
{REAL_SPINNER_SHARE_IN_REGION:.0%} of real neural-spinner rewrites fall inside it (source: {REALISM_SOURCE};
constants in `benchmark/realism.py`). Per rewriter and strength, over all its rewrites:

{_table(("rewriter", "strength", "rewrites", "median change", "median 5-gram containment", "median MiniLM cosine",
         "median length ratio", "share in region"), rows)}

![Realism map: word change rate against 5-gram containment, MiniLM cosine as colour, the region drawn](realism.png)

Rewrites inside the region per split (in `pair`, every rewrite is a positive; the test split's
are the positives of its `hard` slice):

{_table(("split", "inside the region", "rewrites", "share"), count_rows)}

Real neural-spinner rewrites, percentiles per statistic (what a realistic rewriter should match,
not only the region):

{percentiles}"""


def render_card(info: Mapping[str, Any], originals: Sequence[Original], rewrites: Sequence[Rewrite],
                task_rows: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]]) -> str:
    """The card as markdown with a YAML header; a pure function of the build's contents."""
    n_items = sum(len(rows) for splits in task_rows.values() for rows in splits.values())
    size = "1K<n<10K" if n_items < 10_000 else "10K<n<100K"
    split_counts = Counter((o.split, o.domain) for o in originals)
    domains = sorted({o.domain for o in originals})
    median_words = {d: int(statistics.median(len(words(o.text)) for o in originals if o.domain == d)) for d in domains}

    task_sections = []
    for name, parts in task_rows.items():
        # The column that tells kinds of negatives apart, if the task has one.
        kind_key = next((k for k in ("negative_kind", "query_kind", "candidate_kind") if parts[SPLITS[0]] and k in parts[SPLITS[0]][0]), None)
        kinds = sorted({row[kind_key] for split in SPLITS for row in parts[split] if row["label"] == 0}) if kind_key else []
        rows = []
        for split in SPLITS:
            items = parts[split]
            counts = Counter(row[kind_key] for row in items if row["label"] == 0) if kind_key else Counter()
            rows.append((split, sum(r["label"] == 1 for r in items), sum(r["label"] == 0 for r in items),
                         *(counts.get(k, 0) for k in kinds)))
        extra = [f"{part}: {len(part_rows)} documents" for part, part_rows in parts.items() if part not in SPLITS]
        task_sections.append(
            f"### `{name}` (fingerprint `{info['task_fingerprints'][name]}`)\n\n"
            + _table(("split", "positives", "negatives", *kinds), rows)
            + "".join(f"\n\n{line}" for line in extra))

    failures = info["failures"]
    failure_counts = Counter((f["rewriter"], f["strength"], f["reason"]) for f in failures)
    failure_text = (_table(("rewriter", "strength", "reason", "count"),
                           [(*k, v) for k, v in sorted(failure_counts.items())])
                    if failures else "None.")
    corpus = info["corpus"]
    return f"""---
pretty_name: RewriteBench
language:
- en
license: cc-by-sa-4.0
task_categories:
- text-classification
- sentence-similarity
size_categories:
- {size}
tags:
- paraphrase-detection
- plagiarism-detection
- article-spinning
---

# Dataset card for RewriteBench

Generated by `bench build` (rewrite-bench {info['bench_version']}); do not edit by hand.

- Build fingerprint: `{info['fingerprint']}`
- Configuration key: `{info['config_key']}` (seed {info['config']['seed']}, max originals per split and domain: {info['config']['max_originals']})

## Dataset summary

Original passages of real prose and machine rewrites of them made the way content farms make
them (thesaurus spinning, restructuring), turned into labelled items for rewrite detection.
Higher model scores mean "derived from the original".

## Sources and licences

{_SOURCES}
Exact and near duplicates were removed ({corpus.get('n_dropped_duplicate', 0)} dropped; near = MinHash
Jaccard >= 0.5 over word 5-grams), as were news articles under 60 words ({corpus.get('n_dropped_short', 0)} dropped).

## Splits

Splits are made by source document (a news story, or a whole Wikipedia article), seeded and
stable: no passage of one document appears in two splits.

{_table(("split", *domains), [(s, *(split_counts[(s, d)] for d in domains)) for s in SPLITS])}

Median words per original: {", ".join(f"{d} {n}" for d, n in median_words.items())}.

## Rewrites

Every rewrite records its rewriter, version, parameters and seed. Change is measured against
its source: word change rate (share of source words not kept in order), word 5-gram overlap
(share of the rewrite's 5-grams found in the source) and length ratio.

{_rewrite_table(rewrites, info.get("meaning_preservation", []))}

Meaning kept: mean cosine of all-MiniLM-L6-v2 embeddings (first 256 word pieces) of a rewrite
and its source, over every rewrite of the row (each rewrite stores its own): a proxy for how
much meaning survives.{_EDITS_NOTE if any(r.edits for r in rewrites) else ""}
Rewriters marked "test only" are unseen: train and dev never show them.

### Realism map

{_realism_section(info.get("meaning_preservation", []), originals, rewrites)}

Rewrites that could not be made (reported, not silently dropped):

{failure_text}

## Tasks

{(chr(10) * 2).join(task_sections)}

- `pair` (is the candidate derived from the original?): negatives are `unrelated` (a random
  other original of the split), `same-topic` (the most TF-IDF-similar other originals of the
  split) and `rewrite-of-other` (rewrites of that most similar original, so that looking spun
  is not enough).
- `detect` (is this one text a machine rewrite?): each original of a split (label 0) and one
  of its own rewrites (label 1), the rewriters and strengths used in turn; balanced per domain.
- `retrieve` (find the query's source in the pool, or say it has none): the pool is every
  original except a held-out fifth of each split; queries are rewrites of pooled originals
  (positives, with their source) and held-out originals and their rewrites (no source).
- `align` (which characters of the candidate derive from the original?): up to 5 rewrites per
  original, over every rewriter and strength in turn (positives: their derived text, from each
  rewrite's recorded edits, is the gold), and its most similar other original (`same-topic`,
  derived nowhere).
- `distortion` (where did the candidate change the meaning?): up to 6 rewrites per original,
  three of every four run through `distort` (light, medium, heavy in turn); positives have at
  least one gold meaning change (theirs or the rewrite's), negatives none. Only rewrites that
  recorded their edits can be items of either task.

{tracks_card_section()}
## Limitations

Rewrites are made by offline rule-based rewriters; detectors tuned to them may not transfer to
LLM paraphrasers. The news articles are from one outlet and period (ABC, 2000s).
"""
