"""The ``retrieve`` task: given a text, find its source among many originals, or say it has none.

* **Pool** (the ``pool`` part of the task's data): every original of every split, except the
  held-out ones below.
* **Held out**: a seeded fifth of each split's originals is left out of the pool. Their texts
  and rewrites become queries *without* a source: a spun copy of a text that the index does
  not hold, and a human text whose nearest pool documents are on its topic. A system must
  give them a low top score.
* **Queries** of a split (label ``has_source``): for each in-pool original, up to
  :data:`REWRITES_PER_ORIGINAL` of its rewrites, handed out over the (rewriter, strength)
  cells in turn as in ``detect``; for each held-out original, the original itself and as many
  of its rewrites. ``partial`` rewrites are never no-source queries: half of such a text is
  another original's, which is in the pool.

Metrics: MRR and recall@1/@10 of the source over the queries that have one, and AUROC of
"has a source" from each query's top score.
"""
from __future__ import annotations

from typing import Any, Sequence

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.shapes import POOL  # the part of the task's data that holds the documents to search
from rewrite_bench.types import SPLITS, Original, Rewrite, Task, TaskMetadata
from rewrite_bench.tasks.common import hash_rank, originals_by_split, pick_in_turn, rewrites_by_source
from rewrite_bench.tasks.pair import length_bucket

__all__ = ["TASK", "METADATA", "POOL", "build_retrieve_items", "REWRITES_PER_ORIGINAL", "HELD_OUT_SHARE"]

METADATA = TaskMetadata(
    name="retrieve",
    version="1.0",
    description="Find each query's source in the pool of originals, or say it has none (MRR).",
    main_score="mrr",
    inputs=("text",),
    model_method="search",
    slices=(
        SliceSpec("rewriter", "positive"),
        SliceSpec("rewriter_seen", "positive"),
        SliceSpec("strength", "positive"),
        SliceSpec("query_kind", "negative"),
        SliceSpec("domain", "both"),
    ),
    shape="ranked",
    leaderboard_slices=("rewriter_seen",),
    rerank_with="pair",  # a pair scorer serves retrieval by re-ranking, fitted on pair's train split
)

#: Rewrites of each original used as queries.
REWRITES_PER_ORIGINAL = 3
#: Share of each split's originals held out of the pool (their rewrites have no source there).
HELD_OUT_SHARE = 0.2


def _query(item_id: str, text: str, source: str, original: Original, rewrite: Rewrite | None,
           kind: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "text": text,
        "label": int(source != "none"),
        "source_id": source,
        "original_id": original.id,
        "domain": original.domain,
        "rewriter": rewrite.rewriter if rewrite else "none",
        "strength": rewrite.strength if rewrite else "none",
        "rewriter_seen": ("seen" if rewrite.seen_in_training else "unseen") if rewrite else "none",
        "query_kind": kind,
        "length": length_bucket(original.text),
    }


def held_out(originals: Sequence[Original], seed: int) -> set[str]:
    """Ids of the originals left out of the pool: a seeded share of each split."""
    out: set[str] = set()
    for split, members in originals_by_split(originals).items():
        ranked = sorted(members, key=lambda o: hash_rank(seed, "retrieve-held-out", o.id))
        out.update(o.id for o in ranked[: round(HELD_OUT_SHARE * len(ranked))])
    return out


def build_retrieve_items(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int) -> dict[str, list[dict[str, Any]]]:
    """Queries of every split (sorted by id) and the pool (sorted by id)."""
    rewrites_of = rewrites_by_source(rewrites)
    outside = held_out(originals, seed)
    by_split = originals_by_split(originals)
    out: dict[str, list[dict[str, Any]]] = {}
    for split in SPLITS:
        members = sorted(by_split[split], key=lambda o: hash_rank(seed, "retrieve", o.id))
        cells = sorted({(rw.rewriter, rw.strength) for o in members for rw in rewrites_of.get(o.id, [])},
                       key=lambda c: (c[1], c[0]))  # strength-major: consecutive picks differ in rewriter
        rows: list[dict[str, Any]] = []
        for turn, original in enumerate(members):
            is_out = original.id in outside
            own = [rw for rw in rewrites_of.get(original.id, []) if not (is_out and rw.rewriter.startswith("partial"))]
            for rw in pick_in_turn(own, cells, turn * REWRITES_PER_ORIGINAL, REWRITES_PER_ORIGINAL):
                rows.append(_query(f"{original.id}|rewrite|{rw.id}", rw.text, "none" if is_out else original.id,
                                   original, rw, "rewrite-no-source" if is_out else "rewrite"))
            if is_out:
                rows.append(_query(f"{original.id}|original", original.text, "none", original, None,
                                   "original-no-source"))
        out[split] = sorted(rows, key=lambda row: row["id"])
    out[POOL] = [{"id": o.id, "text": o.text, "domain": o.domain, "split": o.split}
                 for o in sorted(originals, key=lambda o: o.id) if o.id not in outside]
    return out


TASK = Task(metadata=METADATA, build_items=build_retrieve_items)
