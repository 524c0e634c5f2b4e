"""``minhash``: the document-fingerprinting classic, via ``datasketch``.

Each text becomes the set of its word n-gram shingles (n=3 by default), summarised by a
MinHash signature of ``num_perm`` permutations; the score is the signature's estimate of the
Jaccard similarity of the two shingle sets. This is what near-duplicate detectors at web
scale compute (the exact Jaccard is the ``shingle`` baseline), so the gap between the two is
the cost of the approximation.
"""
from __future__ import annotations

from typing import Any, Sequence

from rewrite_bench.text import word_ngrams, words

__all__ = ["MinHashJaccard"]


class MinHashJaccard:
    """MinHash estimate of the Jaccard similarity of word n-gram sets."""

    trained_on_benchmark = False

    def __init__(self, n: int = 3, num_perm: int = 128, seed: int = 1) -> None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if not isinstance(num_perm, int) or num_perm < 16:
            raise ValueError(f"num_perm must be an integer >= 16, got {num_perm!r}")
        self.n, self.num_perm, self.seed = n, num_perm, int(seed)
        self._signatures: dict[str, Any] = {}

    def signature(self, text: str) -> Any:
        """The text's MinHash (memoised: an original recurs in many pairs)."""
        found = self._signatures.get(text)
        if found is None:
            from datasketch import MinHash

            shingles = {" ".join(gram).encode("utf-8") for gram in word_ngrams(words(text), self.n)}
            found = MinHash(num_perm=self.num_perm, seed=self.seed)
            found.update_batch(sorted(shingles))
            self._signatures[text] = found
        return found

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        scores = []
        for original, candidate in zip(originals, candidates):
            a, b = self.signature(original), self.signature(candidate)
            # An empty shingle set (a text shorter than n words) shares nothing.
            empty = a.is_empty() or b.is_empty()
            scores.append(0.0 if empty else float(a.jaccard(b)))
        return scores
