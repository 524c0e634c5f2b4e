"""Single-text baselines for ``detect``: is this text machine-spun, judging by the text alone?

* :class:`WordRarity` (``word-rarity``, no training): spinners swap common words for rarer
  synonyms and mangle words, so a spun text's words are rarer on average. The score is the
  mean of ``7 - zipf`` over the text's words (``wordfreq`` Zipf frequency in English, 0 for an
  unknown word), i.e. the mean rarity.
* :class:`CharNgramLR` (``char-ngram-lr``): logistic regression over TF-IDF of character
  2-4-grams within words, fitted on the train split (so flagged ``trained_on_benchmark``).
* :class:`MiniLMClassifier` (``minilm-lr``): logistic regression on frozen all-MiniLM-L6-v2
  document embeddings, fitted on the train split.

Train contains only the seen rewriters, so the unseen-rewriter slice measures generalisation.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from rewrite_bench.text import words

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["WordRarity", "CharNgramLR", "MiniLMClassifier"]


@lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


class WordRarity:
    """Mean word rarity (``7 - zipf``) of a text: higher means rarer words, more likely spun."""

    trained_on_benchmark = False

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        scores = []
        for text in texts:
            tokens = [w.lower() for w in words(text) if any(c.isalpha() for c in w)]
            scores.append(float(np.mean([7.0 - _zipf(w) for w in tokens])) if tokens else 0.0)
        return scores


def _train_table(train: "Dataset") -> tuple[list[str], list[int]]:
    table = train.select_columns(["text", "label"]).to_dict()
    if len(set(table["label"])) < 2:
        raise ValueError("the train split needs both originals and rewrites to fit a detector")
    return table["text"], table["label"]


class CharNgramLR:
    """Logistic regression on character 2-4-gram TF-IDF, fitted on the train split."""

    trained_on_benchmark = True

    def __init__(self, c: float = 4.0, max_features: int = 200_000) -> None:
        self.c, self.max_features = float(c), int(max_features)
        self._pipeline: Any = None

    def fit_on_train(self, task: str, train: "Dataset") -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts, labels = _train_table(train)
        self._pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, max_features=self.max_features),
            LogisticRegression(C=self.c, max_iter=2000),
        ).fit(texts, labels)

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        if self._pipeline is None:
            raise RuntimeError("CharNgramLR is not fitted: the harness calls fit_on_train(task, train) first.")
        return self._pipeline.decision_function(list(texts)).tolist()


class MiniLMClassifier:
    """Logistic regression on frozen MiniLM document embeddings, fitted on the train split."""

    trained_on_benchmark = True

    def __init__(self, c: float = 1.0, batch_size: int = 32, device: str = "cpu", threads: int | None = None) -> None:
        from rewrite_bench.baselines.neural import MiniLMCosine

        self.c = float(c)
        self.encoder = MiniLMCosine(batch_size=batch_size, device=device, threads=threads)
        self._classifier: Any = None

    def cache_identity(self) -> dict[str, Any]:
        return self.encoder.cache_identity()

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack(self.encoder.document_vectors(texts)) if texts else np.zeros((0, 384))

    def fit_on_train(self, task: str, train: "Dataset") -> None:
        from sklearn.linear_model import LogisticRegression

        texts, labels = _train_table(train)
        self._classifier = LogisticRegression(C=self.c, max_iter=2000).fit(self._features(texts), labels)

    def prepare_texts(self, texts: Sequence[str]) -> None:
        """Embed many texts at once (the harness calls it ahead of scoring them)."""
        self.encoder.document_vectors(texts)

    def score_texts(self, texts: Sequence[str]) -> list[float]:
        if self._classifier is None:
            raise RuntimeError("MiniLMClassifier is not fitted: the harness calls fit_on_train(task, train) first.")
        # One dot product per text (not one matrix product per batch, whose last bits can
        # depend on the batch's size): a text's score never depends on its batch.
        weights, bias = self._classifier.coef_[0].astype(np.float64), float(self._classifier.intercept_[0])
        return [float(np.dot(vector.astype(np.float64), weights) + bias) for vector in self._features(texts)]
