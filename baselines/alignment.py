"""Alignment baselines: which characters of a candidate derive from the original.

``align_spans(originals, candidates)`` returns, per pair, sorted non-overlapping
``(start, end, score)`` spans of the candidate (see :mod:`rewrite_bench.span_metrics` for the
metrics). Two classic approaches:

* :class:`NgramAlignment` (``ngram-align``): PAN's seed-and-extend. Word n-grams the
  candidate shares with the original are seeds; seeds at most ``max_gap`` words apart are
  joined into one span, whose score is the share of its words that a seed covers.
* :class:`MiniLMSentenceSpans` (``minilm-sentence-spans``): each sentence of the candidate
  whose best MiniLM cosine to a sentence of the original reaches ``threshold`` is derived;
  neighbouring derived sentences form one span, scored by their best cosine.
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from rewrite_bench.types import BenchError

__all__ = ["NgramAlignment", "MiniLMSentenceSpans", "sentence_offsets", "best_sentence_matches"]

_WORD = re.compile(r"\w+")


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, across its paragraphs."""
    from rewrite_bench.rewriters.provenance import locate
    from rewrite_bench.text import split_paragraphs, split_sentences

    sentences = [s for paragraph in split_paragraphs(text) for s in split_sentences(paragraph)]
    return [(start, start + len(s)) for s, start in zip(sentences, locate(text, sentences))]


def best_sentence_matches(sentences: Any, originals: Sequence[str],
                          candidates: Sequence[str]) -> list[list[tuple[int, int, float]]]:
    """Per pair, each candidate sentence's ``(start, end)`` with its best cosine to a sentence of the
    original; ``sentences`` is a :class:`rewrite_bench.baselines.neural.MiniLMAlignment` (its
    ``sentence_matrix`` splits texts into sentences as :func:`sentence_offsets` does)."""
    import numpy as np

    left = sentences.sentence_matrix(originals)
    right = sentences.sentence_matrix(candidates)
    out = []
    for a, b, candidate in zip(left, right, candidates):
        best = (b.astype(np.float64) @ a.astype(np.float64).T).max(axis=1)
        offsets = sentence_offsets(candidate) or [(0, len(candidate))]
        out.append([(start, end, float(cosine)) for (start, end), cosine in zip(offsets, best)])
    return out


class NgramAlignment:
    """Seed (shared word n-grams) and extend (join seeds up to ``max_gap`` words apart)."""

    trained_on_benchmark = False

    def __init__(self, n: int = 3, max_gap: int = 8) -> None:
        if not isinstance(n, int) or n < 1 or not isinstance(max_gap, int) or max_gap < 0:
            raise BenchError(f"ngram-align needs n >= 1 and max_gap >= 0 (integers), got n={n!r}, max_gap={max_gap!r}")
        self.n, self.max_gap = n, max_gap

    def align_spans(self, originals: Sequence[str], candidates: Sequence[str]) -> list[list[tuple[int, int, float]]]:
        return [self._spans(original, candidate) for original, candidate in zip(originals, candidates)]

    def _spans(self, original: str, candidate: str) -> list[tuple[int, int, float]]:
        source = [w.lower() for w in _WORD.findall(original)]
        grams = {tuple(source[i:i + self.n]) for i in range(len(source) - self.n + 1)}
        words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(candidate)]
        seeded = [False] * len(words)
        for i in range(len(words) - self.n + 1):
            if tuple(w for _, _, w in words[i:i + self.n]) in grams:
                seeded[i:i + self.n] = [True] * self.n
        spans: list[tuple[int, int, float]] = []
        run: list[int] = []  # seeded word indices of the span being extended
        for i in (i for i, seed in enumerate(seeded) if seed):
            if run and i - run[-1] - 1 > self.max_gap:
                spans.append(self._span(words, run))
                run = []
            run.append(i)
        if run:
            spans.append(self._span(words, run))
        return spans

    @staticmethod
    def _span(words: list[tuple[int, int, str]], run: list[int]) -> tuple[int, int, float]:
        return words[run[0]][0], words[run[-1]][1], len(run) / (run[-1] - run[0] + 1)


class MiniLMSentenceSpans:
    """Candidate sentences whose best MiniLM cosine to an original sentence reaches ``threshold``."""

    trained_on_benchmark = False

    def __init__(self, threshold: float = 0.6, batch_size: int = 64, threads: int | None = None) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not -1 <= threshold <= 1:
            raise BenchError(f"minilm-sentence-spans threshold must be a cosine in [-1, 1], got {threshold!r}")
        from rewrite_bench.baselines.neural import MiniLMAlignment

        self.threshold = float(threshold)
        self._sentences = MiniLMAlignment(batch_size=batch_size, threads=threads)

    def align_spans(self, originals: Sequence[str], candidates: Sequence[str]) -> list[list[tuple[int, int, float]]]:
        return [self._join(matches) for matches in best_sentence_matches(self._sentences, originals, candidates)]

    def _join(self, matches: Sequence[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
        spans: list[tuple[int, int, float]] = []
        previous = False
        for start, end, cosine in matches:
            derived = cosine >= self.threshold
            if derived and previous:
                spans[-1] = (spans[-1][0], end, max(spans[-1][2], float(cosine)))
            elif derived:
                spans.append((start, end, float(cosine)))
            previous = derived
        return spans
