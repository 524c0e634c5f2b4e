"""The ``pair`` task: given an original and a candidate, is the candidate derived from it?

For every original of a split, with ``k`` rewrites of it:

* ``k`` positives: (original, each of its rewrites), sliced by rewriter, strength and
  whether the rewriter is seen in train/dev (``rewriter_seen``: unseen ones exist in test only);
* ``k`` negatives in three kinds of (about) equal share, so that no single cue wins:
  ``unrelated`` (a random other original, not among its nearest neighbours),
  ``same-topic`` (its nearest other originals by TF-IDF cosine: different texts on the
  same topic), and ``rewrite-of-other`` (rewrites of its nearest neighbour, or of the next
  nearest where it has too few: the candidate looks spun but is derived from another text).

The ``hard`` slice is the regime real neural spinners live in: positives inside the
real-spinner region (``benchmark/realism.py``, by each rewrite's recorded change, 5-gram
containment and MiniLM cosine) against the ``same-topic`` and ``rewrite-of-other`` negatives.
Nothing is chosen by how a detector scores it.

All neighbours and random draws stay inside the split, so no text crosses splits.
"""
from __future__ import annotations

import hashlib
import random
from typing import Any, Sequence

import numpy as np

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.realism import in_region
from rewrite_bench.text import words
from rewrite_bench.types import Original, Rewrite, Task, TaskMetadata
from rewrite_bench.tasks.common import items_per_split

__all__ = ["TASK", "METADATA", "build_pair_items", "length_bucket", "nearest_neighbours"]

METADATA = TaskMetadata(
    name="pair",
    version="1.3",
    description="Is the candidate derived from the original? Higher score = derived.",
    main_score="auroc",
    inputs=("original", "candidate"),
    model_method="score_pairs",
    slices=(
        SliceSpec("rewriter", "positive"),
        SliceSpec("rewriter_seen", "positive"),
        SliceSpec("strength", "positive"),
        SliceSpec("negative_kind", "negative"),
        SliceSpec("domain", "both"),
        SliceSpec("length", "both"),
        SliceSpec("hard", "subset"),
    ),
    # The real-spinner regime first, then generalisation and the hard negatives.
    leaderboard_slices=("hard", "rewriter_seen", "negative_kind"),
)

#: How many nearest neighbours an ``unrelated`` candidate must not be among.
UNRELATED_EXCLUDE_TOP = 10


def length_bucket(text: str) -> str:
    """``short`` (< 200 words), ``medium`` (< 500) or ``long``."""
    n = len(words(text))
    return "short" if n < 200 else "medium" if n < 500 else "long"


def _rng(seed: int, *parts: str) -> random.Random:
    digest = hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def nearest_neighbours(texts: Sequence[str], k: int) -> list[list[int]]:
    """For each text, the indices of its ``k`` most TF-IDF-similar other texts, best first.

    Similarities are rounded before ranking and ties go to the lower index, so the result
    does not depend on floating-point noise across machines.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(texts) < 2:
        return [[] for _ in texts]
    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    sims = np.round((matrix @ matrix.T).toarray(), 6)
    np.fill_diagonal(sims, -np.inf)
    k = min(k, len(texts) - 1)
    index = np.arange(len(texts))
    # lexsort: last key is primary -> sort by -similarity, then by index.
    return [np.lexsort((index, -row))[:k].tolist() for row in sims]


#: Negatives of the ``hard`` slice: texts on the same topic, and spun texts of another source.
HARD_NEGATIVE_KINDS = frozenset({"same-topic", "rewrite-of-other"})


def _row(item_id: str, original: Original, candidate_text: str, candidate_id: str, label: int,
         rewriter: str, strength: str, negative_kind: str, rewriter_seen: str = "none",
         in_region: bool = False) -> dict[str, Any]:
    hard = in_region if label == 1 else negative_kind in HARD_NEGATIVE_KINDS
    return {
        "id": item_id,
        "original_id": original.id,
        "candidate_id": candidate_id,
        "original": original.text,
        "candidate": candidate_text,
        "label": label,
        "domain": original.domain,
        "rewriter": rewriter,
        "strength": strength,
        "negative_kind": negative_kind,
        "rewriter_seen": rewriter_seen,
        "length": length_bucket(original.text),
        "hard": "hard" if hard else "none",
    }


def _seen(rewrite: Rewrite) -> str:
    return "seen" if rewrite.seen_in_training else "unseen"


def _split_items(originals: list[Original], rewrites_of: dict[str, list[Rewrite]], seed: int) -> list[dict[str, Any]]:
    # Enough neighbours for every original's same-topic share (k // 3 of its k rewrites) and
    # for the unrelated ones to avoid: with many rewriters, k // 3 exceeds the top 10.
    most = max((len(rewrites_of.get(o.id, [])) // 3 for o in originals), default=0)
    neighbours = nearest_neighbours([o.text for o in originals], max(UNRELATED_EXCLUDE_TOP, most))
    rows: list[dict[str, Any]] = []
    for i, original in enumerate(originals):
        own = rewrites_of.get(original.id, [])
        if not own:
            continue
        rng = _rng(seed, "pair", original.id)
        for rw in own:
            rows.append(_row(f"{original.id}|pos|{rw.id}", original, rw.text, rw.id, 1,
                             rw.rewriter, rw.strength, "none", _seen(rw),
                             in_region(rw.word_change_rate, rw.ngram5_overlap, rw.meaning_cosine)))

        per_kind = max(1, len(own) // 3)
        near = neighbours[i]
        # same-topic: the nearest other originals.
        for j in near[:per_kind]:
            other = originals[j]
            rows.append(_row(f"{original.id}|same-topic|{other.id}", original, other.text, other.id, 0,
                             "none", "none", "same-topic"))
        # rewrite-of-other: rewrites of the nearest neighbour; if it has too few (a slow
        # rewriter's subset, a failed rewrite), the next-nearest neighbours' fill up.
        n_other = len(own) - 2 * per_kind
        for j in near:
            if n_other <= 0:
                break
            donor_rewrites = rewrites_of.get(originals[j].id, [])
            for rw in rng.sample(donor_rewrites, min(n_other, len(donor_rewrites))):
                rows.append(_row(f"{original.id}|rewrite-of-other|{rw.id}", original, rw.text, rw.id, 0,
                                 rw.rewriter, rw.strength, "rewrite-of-other", _seen(rw)))
                n_other -= 1
        # unrelated: random originals that are neither itself nor among its nearest
        # neighbours (fewer excluded in tiny splits, so a pool remains).
        n_excluded = max(per_kind + 1, min(UNRELATED_EXCLUDE_TOP, len(originals) // 4))
        excluded = set(near[:n_excluded]) | {i}
        pool = [j for j in range(len(originals))
                if j not in excluded and originals[j].source_doc != original.source_doc]
        for j in rng.sample(pool, min(per_kind, len(pool))):
            other = originals[j]
            rows.append(_row(f"{original.id}|unrelated|{other.id}", original, other.text, other.id, 0,
                             "none", "none", "unrelated"))
    rows.sort(key=lambda row: row["id"])
    return rows


def build_pair_items(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The labelled pair items of every split, each list sorted by item id."""
    return items_per_split(originals, rewrites, seed, _split_items)


TASK = Task(metadata=METADATA, build_items=build_pair_items)
