"""``learned``: gradient boosting over the other baselines' scores and cheap overlap features.

Fitted on the train split's labelled pairs (never dev or test), so its results are flagged
``trained_on_benchmark``. Train uses only the declared "seen" rewriters, so its scores on the
unseen-rewriter slice measure how far the combination generalises.

Features of a pair (original A, candidate B):

* containment of B's word n-grams in A for n = 1, 2, 3, 5 and of A's in B for n = 1, 3
  (how much of the copy is old text, how much of the source was reused);
* Jaccard of word 3-gram sets; cosine of word TF-IDF vectors (IDF from the train texts);
* log of the length ratio |B| / |A| in words;
* with ``--model-arg neural=true``: also MiniLM document cosine and sentence alignment in both
  directions (B covered by A, A covered by B). Off by default: on 2 CPU cores it costs about an
  hour per pass over train and test, for features the lexical ones already nearly subsume on
  this data.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from rewrite_bench.baselines.lexical import ShingleJaccard, TfidfCosine
from rewrite_bench.text import ngram_containment, words

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["LearnedCombination", "FEATURES"]

_LEXICAL = ("contain_1", "contain_2", "contain_3", "contain_5", "cover_1", "cover_3",
            "jaccard_3", "tfidf", "log_length_ratio")
_NEURAL = ("minilm", "align", "align_reverse")
FEATURES = _LEXICAL + _NEURAL


class LearnedCombination:
    """HistGradientBoosting over lexical (and MiniLM) pair features, fitted on the train split."""

    trained_on_benchmark = True

    def __init__(self, neural: bool = False, max_iter: int = 300, seed: int = 0) -> None:
        if not isinstance(neural, bool):
            raise ValueError(f"neural must be true or false, got {neural!r}")
        self.neural, self.max_iter, self.seed = neural, int(max_iter), int(seed)
        self.feature_names = FEATURES if neural else _LEXICAL
        self._tfidf = TfidfCosine()
        self._jaccard = ShingleJaccard(n=3)
        self._minilm: Any = None
        self._align: Any = None
        self._classifier: Any = None

    def features(self, originals: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """The feature matrix of some pairs (one row per pair, columns ``feature_names``)."""
        columns: list[Sequence[float]] = []
        for n in (1, 2, 3, 5):
            columns.append([ngram_containment(b, a, n) for a, b in zip(originals, candidates)])
        for n in (1, 3):
            columns.append([ngram_containment(a, b, n) for a, b in zip(originals, candidates)])
        columns.append(self._jaccard.score_pairs(originals, candidates))
        columns.append(self._tfidf.score_pairs(originals, candidates))
        columns.append([math.log((len(words(b)) + 1) / (len(words(a)) + 1)) for a, b in zip(originals, candidates)])
        if self.neural:
            from rewrite_bench.baselines.neural import MiniLMAlignment, MiniLMCosine

            self._minilm = self._minilm or MiniLMCosine()
            self._align = self._align or MiniLMAlignment()
            columns.append(self._minilm.score_pairs(originals, candidates))
            columns.append(self._align.score_pairs(originals, candidates))
            columns.append(self._align.score_pairs(candidates, originals))
        return np.asarray(columns, dtype=np.float64).T

    def fit_on_train(self, task: str, train: "Dataset") -> None:
        """Fit IDF statistics on the train texts, then the classifier on the train pairs."""
        table = train.select_columns(["original", "candidate", "label"]).to_dict()
        self.fit(table["original"], table["candidate"], table["label"])

    def fit(self, originals: Sequence[str], candidates: Sequence[str], labels: Sequence[int]) -> "LearnedCombination":
        from sklearn.ensemble import HistGradientBoostingClassifier

        self._tfidf.fit_texts(sorted(set(originals) | set(candidates)))
        x = self.features(originals, candidates)
        y = np.asarray(labels, dtype=np.int64)
        if len(set(y.tolist())) < 2:
            raise ValueError("the train split needs both positive and negative pairs to fit 'learned'")
        self._classifier = HistGradientBoostingClassifier(max_iter=self.max_iter, random_state=self.seed,
                                                          early_stopping=False).fit(x, y)
        return self

    def score_pairs(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        if self._classifier is None:
            raise RuntimeError("LearnedCombination is not fitted: call fit(...) or fit_on_train(task, train) first.")
        return self._classifier.predict_proba(self.features(originals, candidates))[:, 1].tolist()
