"""Helpers every task's item builder shares: originals by split, rewrites by source, stable ranks."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Sequence

from rewrite_bench.io import hash_rank  # re-exported: the tasks' seeded orders
from rewrite_bench.types import SPLITS, Original, Rewrite

__all__ = ["originals_by_split", "rewrites_by_source", "hash_rank", "pick_in_turn", "items_per_split", "with_edits",
           "picks_with_edits"]


def originals_by_split(originals: Sequence[Original]) -> dict[str, list[Original]]:
    """Each split's originals, sorted by id."""
    by_split: dict[str, list[Original]] = defaultdict(list)
    for original in sorted(originals, key=lambda o: o.id):
        by_split[original.split].append(original)
    return by_split


def rewrites_by_source(rewrites: Sequence[Rewrite]) -> dict[str, list[Rewrite]]:
    """Each original's rewrites (by original id), sorted by rewrite id."""
    rewrites_of: dict[str, list[Rewrite]] = defaultdict(list)
    for rw in sorted(rewrites, key=lambda r: r.id):
        rewrites_of[rw.source_id].append(rw)
    return rewrites_of


def pick_in_turn(own: Sequence[Rewrite], cells: Sequence[tuple[str, str]], start: int, n: int) -> list[Rewrite]:
    """Up to ``n`` of an original's rewrites, walking the (rewriter, strength) ``cells`` from ``start``.

    Handing each original a different start spreads the picks over every rewriter and strength;
    an original without a rewrite in a cell gets the next cell it has.
    """
    by_cell = {(rw.rewriter, rw.strength): rw for rw in own}
    picked: list[Rewrite] = []
    for k in range(len(cells)):
        cell = cells[(start + k) % len(cells)]
        if cell in by_cell:
            picked.append(by_cell[cell])
            if len(picked) == n:
                break
    return picked


def items_per_split(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int,
                    split_items: Callable[[list[Original], dict[str, list[Rewrite]], int], list[dict[str, Any]]],
                    ) -> dict[str, list[dict[str, Any]]]:
    """``{split: split_items(the split's originals, rewrites by source, seed)}`` for every split."""
    rewrites_of = rewrites_by_source(rewrites)
    by_split = originals_by_split(originals)
    return {split: split_items(by_split[split], rewrites_of, seed) for split in SPLITS}


def with_edits(rewrites: Sequence[Rewrite]) -> list[Rewrite]:
    """The rewrites that recorded their edits: the span tasks' gold comes from them, so a rewrite
    without (an ``llm`` rewrite, one whose remake differed from the shipped text) cannot be an item."""
    return [rw for rw in rewrites if rw.edits]


def picks_with_edits(originals: Sequence[Original], rewrites_of: dict[str, list[Rewrite]], seed: int, salt: str,
                     per_original: int) -> list[tuple[int, Original, list[Rewrite]]]:
    """``(turn, original, up to per_original of its rewrites with edits)`` for each original of a
    split that has such rewrites: originals in a seeded hash order (``salt`` names the task),
    rewrites handed out over the split's (rewriter, strength) cells in turn, strength-major."""
    own = {o.id: with_edits(rewrites_of.get(o.id, [])) for o in originals}
    chosen = sorted((o for o in originals if own[o.id]), key=lambda o: hash_rank(seed, salt, o.id))
    cells = sorted({(rw.rewriter, rw.strength) for o in chosen for rw in own[o.id]}, key=lambda c: (c[1], c[0]))
    return [(turn, o, pick_in_turn(own[o.id], cells, turn * per_original, per_original))
            for turn, o in enumerate(chosen)]
