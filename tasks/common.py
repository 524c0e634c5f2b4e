"""Helpers every task's item builder shares: originals by split, rewrites by source, stable ranks."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Sequence

from benchmark.types import Original, Rewrite

__all__ = ["originals_by_split", "rewrites_by_source", "hash_rank"]


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


def hash_rank(seed: int, *parts: str) -> str:
    """A sort key that orders items in a seeded, stable pseudo-random order."""
    return hashlib.sha256(":".join((str(seed), *parts)).encode()).hexdigest()
