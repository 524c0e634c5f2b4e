"""Meaning-distortion baselines: where a derived candidate says something its original does not.

``distortion_spans(originals, candidates)`` returns, per pair, sorted non-overlapping
``(start, end, score)`` spans of the candidate (metrics in :mod:`rewrite_bench.span_metrics`).

* :class:`FactDiff` (``fact-diff``): numbers (digits normalised, number words read as
  numbers) and named entities (spaCy's small English model) of the candidate that the
  original does not contain.
* :class:`NegationLexicon` (``negation-lexicon``): each candidate sentence is paired with the
  original sentence that shares most of its words; a negation cue (not, n't, never, no, ...)
  present in one and not the other, or a word whose WordNet antonym stands in the paired
  sentence in its place, is flagged.
* :class:`MiniLMCosineDrop` (``minilm-cosine-drop``): each candidate sentence is paired with
  the original sentence closest to it by MiniLM cosine; a pair that is aligned (cosine at least
  ``aligned``) but not close (below ``keeps``) flags the candidate sentence, scored by how far
  its cosine dropped. Sentences without a counterpart (inserted text) are not flagged: they
  are new, not changed.

Neither sees a name or number that was dropped (there is nothing in the candidate to point
at), and both flag a new number or name that a paraphrase added without changing the facts.
"""
from __future__ import annotations

import re
from typing import Sequence

from rewrite_bench.types import BenchError

__all__ = ["FactDiff", "NegationLexicon", "MiniLMCosineDrop"]

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z']+")
_NUMBER_VALUES = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_VALUES |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                   "hundred": 100, "thousand": 1000, "million": 10 ** 6, "billion": 10 ** 9}
_NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|without)\b|n't\b", re.IGNORECASE)

Spans = list[tuple[int, int, float]]


def _numbers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, value)`` of every number: digits without separators, number words as digits."""
    found = [(m.start(), m.end(), m.group().replace(",", "").rstrip(".")) for m in _NUMBER.finditer(text)]
    found += [(m.start(), m.end(), str(_NUMBER_VALUES[m.group().lower()])) for m in _WORD.finditer(text)
              if m.group().lower() in _NUMBER_VALUES]
    return sorted(found)


def _no_overlaps(spans: Sequence[tuple[int, int, float]]) -> Spans:
    out: Spans = []
    for start, end, score in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end), max(out[-1][2], score))
        else:
            out.append((start, end, score))
    return out


class FactDiff:
    """Numbers and named entities of the candidate that are not in the original."""

    trained_on_benchmark = False

    def distortion_spans(self, originals: Sequence[str], candidates: Sequence[str]) -> list[Spans]:
        from rewrite_bench.rewriters.glove_spin import spacy_english

        nlp = spacy_english(("parser", "lemmatizer"))  # the tagger and the named-entity recogniser
        out = []
        for original, candidate, doc in zip(originals, candidates, nlp.pipe(candidates)):
            values = {value for _, _, value in _numbers(original)}
            lowered = original.lower()
            spans = [(start, end, 1.0) for start, end, value in _numbers(candidate) if value not in values]
            spans += [(ent.start_char, ent.end_char, 0.8) for ent in doc.ents
                      if ent.label_ not in ("CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY")  # numbers: above
                      and ent.text.lower() not in lowered]
            out.append(_no_overlaps(spans))
        return out


class NegationLexicon:
    """Negation cues and antonyms that differ between a candidate sentence and its original sentence."""

    trained_on_benchmark = False

    def distortion_spans(self, originals: Sequence[str], candidates: Sequence[str]) -> list[Spans]:
        return [self._spans(original, candidate) for original, candidate in zip(originals, candidates)]

    def _spans(self, original: str, candidate: str) -> Spans:
        from rewrite_bench.baselines.alignment import sentence_offsets
        from rewrite_bench.rewriters.wordnet_spin import wordnet_antonyms

        antonyms = wordnet_antonyms()
        sources = [original[a:b] for a, b in sentence_offsets(original)] or [original]
        source_words = [{w.lower() for w in _WORD.findall(s)} for s in sources]
        spans: Spans = []
        for start, end in sentence_offsets(candidate) or [(0, len(candidate))]:
            sentence = candidate[start:end]
            words = {w.lower() for w in _WORD.findall(sentence)}
            best = max(range(len(sources)), key=lambda k: (len(words & source_words[k]), -k))
            negations = [m for m in _NEGATION.finditer(sentence)]
            source_negated = bool(_NEGATION.search(sources[best]))
            if negations and not source_negated:
                spans += [(start + m.start(), start + m.end(), 1.0) for m in negations]
            elif source_negated and not negations:
                spans.append((start, end, 0.5))  # a negation went: the sentence as a whole
            for m in _WORD.finditer(sentence):
                word = m.group().lower()
                if word not in source_words[best] and set(antonyms.get(word, ())) & source_words[best]:
                    spans.append((start + m.start(), start + m.end(), 0.9))
        return _no_overlaps(spans)


class MiniLMCosineDrop:
    """Candidate sentences aligned to an original sentence whose MiniLM cosine to it dropped."""

    trained_on_benchmark = False

    def __init__(self, aligned: float = 0.6, keeps: float = 0.9, batch_size: int = 64,
                 threads: int | None = None) -> None:
        for name, value in (("aligned", aligned), ("keeps", keeps)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
                raise BenchError(f"minilm-cosine-drop {name} must be a cosine in [-1, 1], got {value!r}")
        if aligned > keeps:
            raise BenchError(f"minilm-cosine-drop needs aligned <= keeps, got aligned={aligned}, keeps={keeps}")
        from rewrite_bench.baselines.neural import MiniLMAlignment

        self.aligned, self.keeps = float(aligned), float(keeps)
        self._sentences = MiniLMAlignment(batch_size=batch_size, threads=threads)

    def distortion_spans(self, originals: Sequence[str], candidates: Sequence[str]) -> list[Spans]:
        from rewrite_bench.baselines.alignment import best_sentence_matches

        return [[(start, end, 1.0 - cosine) for start, end, cosine in matches if self.aligned <= cosine < self.keeps]
                for matches in best_sentence_matches(self._sentences, originals, candidates)]
