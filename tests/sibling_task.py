"""A throw-away task of the ``scored`` shape, registered only by tests/test_task_shapes.py.

``sibling``: are two rewrites made from the same original? It exists to show that a task of an
existing shape is one module like this plus one registry line: nothing in the harness knows it.
Its items are pairs of texts, so any pair scorer runs it; its slices and leaderboard columns are its own.
"""
from __future__ import annotations

from typing import Any

from rewrite_bench.metrics import SliceSpec
from rewrite_bench.types import Original, Rewrite, Task, TaskMetadata
from rewrite_bench.tasks.common import items_per_split

METADATA = TaskMetadata(
    name="sibling",
    version="0.1",
    description="Were these two rewrites made from the same original?",
    main_score="auroc",
    inputs=("original", "candidate"),
    model_method="score_pairs",
    slices=(SliceSpec("domain", "both"), SliceSpec("sibling_kind", "negative")),
    leaderboard_slices=("domain",),
)


def _split_items(originals: list[Original], rewrites_of: dict[str, list[Rewrite]], seed: int) -> list[dict[str, Any]]:
    usable = [o for o in originals if len(rewrites_of.get(o.id, [])) >= 2]
    items = []
    for n, original in enumerate(usable):
        first, second = rewrites_of[original.id][:2]
        other = usable[(n + 1) % len(usable)]
        stranger = rewrites_of[other.id][1]
        common = {"domain": original.domain}
        items.append({"id": f"sib-{original.id}", "original": first.text, "candidate": second.text, "label": 1,
                      "sibling_kind": "none", **common})
        if other.id != original.id:
            items.append({"id": f"non-{original.id}", "original": first.text, "candidate": stranger.text, "label": 0,
                          "sibling_kind": "same-domain" if other.domain == original.domain else "other-domain",
                          **common})
    return sorted(items, key=lambda item: item["id"])


def build_sibling_items(originals, rewrites, seed):
    return items_per_split(originals, rewrites, seed, _split_items)


TASK = Task(metadata=METADATA, build_items=build_sibling_items)
