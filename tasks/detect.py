"""The ``detect`` task: given one text and nothing else, is it a machine rewrite?

For every original of a split that has rewrites, two items: the original itself (label 0)
and one of its own rewrites (label 1). Both sides of each pair of texts appear, so the topic
tells nothing and a detector must judge style. Labels are balanced within every domain by
construction.

The rewrite of each original is drawn so that every rewriter and strength of the split is
used about equally: the split's originals are taken in a seeded hash order and handed out
over the (rewriter, strength) cells in turn; an original without a rewrite in its cell gets
the next cell it has.
"""
from __future__ import annotations

from typing import Any, Sequence

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.types import Original, Rewrite, Task, TaskMetadata
from rewrite_bench.tasks.common import hash_rank, items_per_split, pick_in_turn
from rewrite_bench.tasks.pair import length_bucket

__all__ = ["TASK", "METADATA", "build_detect_items"]

METADATA = TaskMetadata(
    name="detect",
    version="1.0",
    description="Is this text a machine rewrite? Higher score = machine-rewritten.",
    main_score="auroc",
    inputs=("text",),
    model_method="score_texts",
    slices=(
        SliceSpec("rewriter", "positive"),
        SliceSpec("rewriter_seen", "positive"),
        SliceSpec("strength", "positive"),
        SliceSpec("domain", "both"),
        SliceSpec("length", "both"),
    ),
    leaderboard_slices=("rewriter_seen",),
)


def _row(item_id: str, text: str, label: int, original: Original, rewrite: Rewrite | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "text": text,
        "label": label,
        "original_id": original.id,
        "rewrite_id": rewrite.id if rewrite else "none",
        "domain": original.domain,
        "rewriter": rewrite.rewriter if rewrite else "none",
        "strength": rewrite.strength if rewrite else "none",
        "rewriter_seen": ("seen" if rewrite.seen_in_training else "unseen") if rewrite else "none",
        "length": length_bucket(original.text),
    }


def _split_items(originals: list[Original], rewrites_of: dict[str, list[Rewrite]], seed: int) -> list[dict[str, Any]]:
    with_rewrites = sorted((o for o in originals if rewrites_of.get(o.id)), key=lambda o: hash_rank(seed, "detect", o.id))
    # Strength-major order: consecutive turns go to different rewriters.
    cells = sorted({(rw.rewriter, rw.strength) for o in with_rewrites for rw in rewrites_of[o.id]}, key=lambda c: (c[1], c[0]))
    rows: list[dict[str, Any]] = []
    for turn, original in enumerate(with_rewrites):
        rewrite = pick_in_turn(rewrites_of[original.id], cells, turn, 1)[0]
        rows.append(_row(f"{original.id}|original", original.text, 0, original, None))
        rows.append(_row(f"{original.id}|rewrite|{rewrite.id}", rewrite.text, 1, original, rewrite))
    rows.sort(key=lambda row: row["id"])
    return rows


def build_detect_items(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The labelled detect items of every split, each list sorted by item id."""
    return items_per_split(originals, rewrites, seed, _split_items)


TASK = Task(metadata=METADATA, build_items=build_detect_items)
