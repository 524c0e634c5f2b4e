"""Lexical pair baselines: what survives of the original's words in the candidate.

The TF-IDF baselines take their IDF statistics from the train split's texts (labels unused)
via :meth:`fit_on_train`, which the harness calls before scoring. Hashing the vocabulary
means words never seen in train still count (with the highest IDF), and a pair's score
never depends on which other pairs share its batch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from rewrite_bench.text import word_ngrams, words

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["TfidfCosine", "CharTfidfCosine", "ShingleJaccard"]

#: Columns whose texts feed the IDF statistics, whichever task the train split is from.
_TEXT_COLUMNS = ("original", "candidate", "text")


class TfidfCosine:
    """Cosine similarity of sublinear TF-IDF vectors of word unigrams (configurable n-grams)."""

    trained_on_benchmark = False  # IDF from unlabelled train texts; labels are never read
    analyzer = "word"
    default_ngram_range: tuple[int, int] = (1, 1)

    def __init__(self, ngram_min: int | None = None, ngram_max: int | None = None, n_features: int = 2**20) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        low, high = self.default_ngram_range
        self.ngram_range = (int(ngram_min or low), int(ngram_max or high))
        if not 1 <= self.ngram_range[0] <= self.ngram_range[1]:
            raise ValueError(f"ngram_min/ngram_max must satisfy 1 <= min <= max, got {self.ngram_range}")
        self._hasher = HashingVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range,
                                         n_features=int(n_features), alternate_sign=False, norm=None)
        self._tfidf: Any = None

    def fit_on_train(self, task: str, train: "Dataset") -> None:
        """Learn IDF statistics from the distinct texts of the train split."""
        texts: set[str] = set()
        for column in _TEXT_COLUMNS:
            if column in train.column_names:
                texts.update(train[column])
        self.fit_texts(sorted(texts))

    def fit_texts(self, texts: Sequence[str]) -> "TfidfCosine":
        """Learn IDF statistics from ``texts`` (for use outside the harness)."""
        from sklearn.feature_extraction.text import TfidfTransformer

        self._tfidf = TfidfTransformer(sublinear_tf=True).fit(self._hasher.transform(texts))
        return self

    def _vectors(self, texts: Sequence[str]) -> Any:
        if self._tfidf is None:
            raise RuntimeError(f"{type(self).__name__} has no IDF statistics: call fit_texts(texts) "
                               "or fit_on_train(task, train) before scoring.")
        return self._tfidf.transform(self._hasher.transform(texts))

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        # An original recurs in many pairs: vectorise each distinct text once. A text's vector
        # never depends on the others, so scores are the same whatever the batch.
        index = {text: i for i, text in enumerate(dict.fromkeys([*originals, *candidates]))}
        vectors = self._vectors(list(index))
        left = vectors[[index[t] for t in originals]]
        right = vectors[[index[t] for t in candidates]]
        return np.asarray(left.multiply(right).sum(axis=1)).ravel().tolist()


class CharTfidfCosine(TfidfCosine):
    """Cosine similarity of TF-IDF vectors of character 3-5-grams within word boundaries."""

    analyzer = "char_wb"
    default_ngram_range = (3, 5)


class ShingleJaccard:
    """Jaccard similarity of the two texts' sets of word n-grams (shingles)."""

    trained_on_benchmark = False

    def __init__(self, n: int = 3) -> None:
        self.n = int(n)
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {n}")

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        scores = []
        for original, candidate in zip(originals, candidates):
            a, b = word_ngrams(words(original), self.n), word_ngrams(words(candidate), self.n)
            union = len(a | b)
            scores.append(len(a & b) / union if union else 0.0)
        return scores
