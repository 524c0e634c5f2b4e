"""The ``align`` task: which characters of the candidate derive from the original?

A reader holding a suspected copy wants to see *which parts* were lifted, not only whether
it was. Each item is an original and a candidate; a model returns the candidate's character
spans that derive from the original, each with a score (``align_spans``). The gold comes from
the rewriters themselves: every rewrite records where each part of it came from
(``Rewrite.edits``, see ``rewrite_bench.rewriters.provenance``), and the gold cases are its
characters that are not inserted text (boilerplate, headlines, a donor article's sentences),
merged into maximal runs (``span_metrics.derived_cases``). Copied, moved, substituted and
translated text all derive from the original.

For every original of a split that has rewrites with recorded edits:

* ``PER_ORIGINAL`` of its rewrites, handed out over the split's (rewriter, strength) cells in
  turn (as ``detect`` does), so every rewriter and strength is used about equally;
* one *same-topic* candidate: its nearest other original by TF-IDF, which derives from it
  nowhere (gold: no span). As in PAN's text-alignment corpora, a detector must also stay quiet
  on a text that only shares the topic.

Metrics (``rewrite_bench.shapes.AlignedSpans``): PAN's plagdet with character precision, recall and
granularity, and span-level F1.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.rewriters.provenance import decode_spans
from rewrite_bench.span_metrics import derived_cases
from rewrite_bench.tasks.common import items_per_split, picks_with_edits
from rewrite_bench.tasks.pair import length_bucket, nearest_neighbours
from rewrite_bench.types import Original, Rewrite, Task, TaskMetadata

__all__ = ["TASK", "METADATA", "PER_ORIGINAL", "build_align_items"]

METADATA = TaskMetadata(
    name="align",
    version="1.0",
    description="Which characters of the candidate derive from the original? Spans (start, end, score).",
    main_score="plagdet",
    inputs=("original", "candidate"),
    model_method="align_spans",
    slices=(
        # Of the rewrites only: a same-topic candidate has no rewriter.
        SliceSpec("rewriter", "positive"),
        SliceSpec("rewriter_seen", "positive"),
        SliceSpec("strength", "positive"),
        SliceSpec("candidate_kind", "both"),
        SliceSpec("domain", "both"),
    ),
    shape="aligned-spans",
    leaderboard_slices=("rewriter_seen", "strength"),
)

#: Rewrites of each original that become items (test: 450 originals, so 2,250 rewrites).
PER_ORIGINAL = 5


def _row(item_id: str, original: Original, candidate: str, candidate_id: str, gold: Sequence[tuple[int, int]],
         rewrite: Rewrite | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "original_id": original.id,
        "candidate_id": candidate_id,
        "original": original.text,
        "candidate": candidate,
        "gold": json.dumps([list(span) for span in gold]),
        "label": int(bool(gold)),
        "domain": original.domain,
        "rewriter": rewrite.rewriter if rewrite else "none",
        "strength": rewrite.strength if rewrite else "none",
        "rewriter_seen": ("seen" if rewrite.seen_in_training else "unseen") if rewrite else "none",
        "candidate_kind": "rewrite" if rewrite else "same-topic",
        "length": length_bucket(original.text),
    }


def _split_items(originals: list[Original], rewrites_of: dict[str, list[Rewrite]], seed: int) -> list[dict[str, Any]]:
    neighbours = nearest_neighbours([o.text for o in originals], 1)
    position = {o.id: i for i, o in enumerate(originals)}
    rows: list[dict[str, Any]] = []
    for _, original, picks in picks_with_edits(originals, rewrites_of, seed, "align", PER_ORIGINAL):
        for rewrite in picks:
            gold = derived_cases(rewrite.text, decode_spans(rewrite.edits))
            rows.append(_row(f"{original.id}|rewrite|{rewrite.id}", original, rewrite.text, rewrite.id, gold, rewrite))
        for j in neighbours[position[original.id]]:
            other = originals[j]
            rows.append(_row(f"{original.id}|same-topic|{other.id}", original, other.text, other.id, [], None))
    rows.sort(key=lambda row: row["id"])
    return rows


def build_align_items(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The align items of every split (rewrites without recorded edits are left out), sorted by id."""
    return items_per_split(originals, rewrites, seed, _split_items)


TASK = Task(metadata=METADATA, build_items=build_align_items)
