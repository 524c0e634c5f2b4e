"""The chance-level baseline: a score that carries no information, reproducibly.

Each item's score is a uniform number in [0, 1) drawn from a hash of its texts, so it is the
same whatever the batch size, row order or process, and different items get unrelated scores.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

__all__ = ["RandomScorer", "hash_uniform"]


def hash_uniform(*texts: str, salt: str = "") -> float:
    """A uniform float in [0, 1) determined by the texts (and an optional salt)."""
    digest = hashlib.sha256("\x1f".join((salt, *texts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class RandomScorer:
    """Scores pairs (and single texts) with :func:`hash_uniform`; ``--model-arg salt=X`` gives another draw.

    On ``retrieve`` the harness uses it as a pair scorer, so it re-ranks BM25's candidates at random.
    """

    trained_on_benchmark = False

    def __init__(self, salt: str = "") -> None:
        self.salt = str(salt)

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        return [hash_uniform(o, c, salt=self.salt) for o, c in zip(originals, candidates)]

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        return [hash_uniform(t, salt=self.salt) for t in texts]
