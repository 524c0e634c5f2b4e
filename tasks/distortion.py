"""The ``distortion`` task: where in a derived candidate did the meaning change?

A spun copy keeps most of an article's meaning but not all of it: a number changes, a name
is dropped, a claim comes out reversed. Each item is an original and a candidate derived from
it; a model returns the candidate's spans where the meaning changed, each with a score
(``distortion_spans``). The gold is every span the candidate's recorded edits mark as a
meaning change (``span_metrics.meaning_changes``): a deletion is an empty span at its place.

For every original of a split that has rewrites with recorded edits, ``PER_ORIGINAL`` of its
rewrites, handed out over the split's (rewriter, strength) cells in turn. Most rewriters keep
the meaning (a spinner's synonym, a translation, a reordering); ``web-noise`` mangles numbers
and names. So that the candidates carry every kind of change real spinners make, the task
runs the ``distort`` rewriter over three of every four picks, at a strength handed out in turn
(``light``, ``medium``, ``heavy``; see ``rewrite_bench.rewriters.distort``), with a seed of
its own per item, and composes its edits with the rewrite's. The candidate is then a rewrite
of a rewrite, like the build's chains, and its gold says where either step changed the
meaning. Distorting here rather than in the build leaves the rewrites that ``pair``,
``detect`` and ``retrieve`` are made of (and so their results) as they are, and costs seconds:
a default build, these items included, is derived from the shipped data in about 20 s. A pick that ``distort`` finds nothing to change in stays as it was.

Metrics (``rewrite_bench.shapes.FlaggedSpans``): token-level precision, recall and F1 of the
predicted spans, token-level AP of their scores, and the AUROC of "this candidate has a meaning
change" from each candidate's highest span score.
"""
from __future__ import annotations

import json
import random
from typing import Any, Sequence

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.rewriters.provenance import Provenance, compose, decode_spans
from rewrite_bench.span_metrics import meaning_changes
from rewrite_bench.tasks.common import items_per_split, picks_with_edits
from rewrite_bench.tasks.pair import length_bucket
from rewrite_bench.types import Original, Rewrite, RewriteError, Task, TaskMetadata

__all__ = ["TASK", "METADATA", "PER_ORIGINAL", "DISTORTIONS", "build_distortion_items"]

METADATA = TaskMetadata(
    name="distortion",
    version="1.0",
    description="Where did the candidate change the original's meaning? Spans (start, end, score).",
    main_score="token_f1",
    inputs=("original", "candidate"),
    model_method="distortion_spans",
    slices=(
        SliceSpec("rewriter", "both"),
        SliceSpec("rewriter_seen", "both"),
        SliceSpec("distortion", "both"),
        SliceSpec("domain", "both"),
    ),
    shape="flagged-spans",
    leaderboard_slices=("distortion",),
)

#: Rewrites of each original that become items (test: 450 originals, so 2,700 items).
PER_ORIGINAL = 6
#: The ``distort`` strength each pick gets, in turn; ``none`` leaves the rewrite as it is.
DISTORTIONS = ("none", "light", "medium", "heavy")


def distort_rewrite(rewrite: Rewrite, level: str, seed: int) -> tuple[str, Provenance, str]:
    """The rewrite after ``distort`` at ``level`` (its text, its provenance in the original and
    the level applied: ``none`` when ``level`` is ``none`` or there was nothing to change)."""
    from rewrite_bench.rewriters.distort import Distort
    from rewrite_bench.rewriting import rewrite_seed

    spans = decode_spans(rewrite.edits)
    if level == "none":
        return rewrite.text, spans, "none"
    distort = Distort()
    rng = random.Random(rewrite_seed(seed, rewrite.id, distort.name, level))
    try:
        text, late = distort.rewrite_with_provenance(rewrite.text, distort.strengths[level], rng)
    except RewriteError:
        return rewrite.text, spans, "none"
    return text, compose(spans, late), level


def _split_items(originals: list[Original], rewrites_of: dict[str, list[Rewrite]], seed: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for turn, original, picks in picks_with_edits(originals, rewrites_of, seed, "distortion", PER_ORIGINAL):
        for k, rewrite in enumerate(picks):
            wanted = DISTORTIONS[(turn + k) % len(DISTORTIONS)]
            text, spans, applied = distort_rewrite(rewrite, wanted, seed)
            gold = meaning_changes(spans)
            rows.append({
                "id": f"{original.id}|{applied}|{rewrite.id}",
                "original_id": original.id,
                "candidate_id": rewrite.id,
                "original": original.text,
                "candidate": text,
                "gold": json.dumps([list(span) for span in gold]),
                "label": int(bool(gold)),
                "domain": original.domain,
                "rewriter": rewrite.rewriter,
                "strength": rewrite.strength,
                "rewriter_seen": "seen" if rewrite.seen_in_training else "unseen",
                "distortion": applied,
                "length": length_bucket(original.text),
            })
    rows.sort(key=lambda row: row["id"])
    return rows


def build_distortion_items(originals: Sequence[Original], rewrites: Sequence[Rewrite],
                           seed: int) -> dict[str, list[dict[str, Any]]]:
    """The distortion items of every split (rewrites without recorded edits are left out), sorted by id."""
    return items_per_split(originals, rewrites, seed, _split_items)


TASK = Task(metadata=METADATA, build_items=build_distortion_items)
