"""Metrics for span predictions: where in a candidate text something is, not just whether.

Two questions are scored (pure functions; spans are ``(start, end)`` character offsets into
the candidate, end exclusive; predicted spans carry a score):

* **Alignment** (which parts of the candidate derive from the original): PAN's *plagdet*
  (Potthast et al., "An Evaluation Framework for Plagiarism Detection", COLING 2010), made of
  character-level macro precision and recall and *granularity* (how many detections one true
  case is split into), ``plagdet = F1 / log2(1 + granularity)``; and span-level precision,
  recall and F1 (a span counts as found when a span of the other side overlaps it).
  Characters are those of the candidate only: the source side of a case is not scored.
* **Distortion** (where the meaning changed): token-level precision, recall and F1 of the
  predicted spans, and token-level average precision of the span scores (each token scored
  by the best predicted span over it). A gold deletion is an empty span; the token at its
  place (the one it touches) stands for it.

:func:`check_spans` validates a model's output, naming the item, so that a metric never sees
a malformed span.
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import astuple, dataclass
from typing import Any, Sequence

from rewrite_bench.types import BenchError

__all__ = ["ScoredSpan", "check_spans", "merge", "derived_cases", "meaning_changes", "plagdet", "span_f1",
           "token_labels", "token_scores", "distortion_scores", "PlagdetScores", "SpanF1", "DistortionScores",
           "PLAGDET_COUNTS", "plagdet_counts", "plagdet_from_counts", "SPAN_COUNTS", "span_counts", "f1_from_counts",
           "TOKEN_COUNTS", "token_counts"]

#: ``(start, end, score)``: a model's span in the candidate, higher score meaning more confident.
ScoredSpan = tuple[int, int, float]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def check_spans(raw: Any, text: str, where: str) -> list[ScoredSpan]:
    """``raw`` as sorted, non-overlapping ``(start, end, score)`` spans inside ``text``.

    A :class:`BenchError` naming ``where`` (the model and item) otherwise: not a list of
    triples, an offset outside the text, an empty or reversed span, an unsorted or overlapping
    pair, a score that is not a finite number.
    """
    if not isinstance(raw, (list, tuple)):
        raise BenchError(f"{where}: spans must be a list of (start, end, score), got {type(raw).__name__}")
    spans: list[ScoredSpan] = []
    for number, span in enumerate(raw):
        if not isinstance(span, (list, tuple)) or len(span) != 3:
            raise BenchError(f"{where}: span {number} must be (start, end, score), got {span!r}")
        start, end, score = span
        if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
            raise BenchError(f"{where}: span {number} offsets must be integers, got {span!r}")
        if not 0 <= start < end <= len(text):
            raise BenchError(f"{where}: span {number} ({start}, {end}) must satisfy 0 <= start < end <= "
                             f"{len(text)} (the candidate's length)")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise BenchError(f"{where}: span {number} score must be a finite number, got {score!r}")
        if spans and start < spans[-1][1]:
            raise BenchError(f"{where}: span {number} ({start}, {end}) starts before span {number - 1} ends "
                             f"({spans[-1][1]}); spans must be sorted and not overlap")
        spans.append((start, end, float(score)))
    return spans


def merge(spans: Sequence[tuple[int, int]], gap: int = 0) -> list[tuple[int, int]]:
    """Sorted spans with those at most ``gap`` characters apart joined (empty spans dropped)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(s[:2] for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def derived_cases(rewrite: str, provenance: Sequence[Any]) -> list[tuple[int, int]]:
    """The alignment gold of a rewrite: its characters that derive from the source (every
    provenance span but the inserted ones), merged into maximal cases, each stripped of the
    white space at its ends (a space between two inserted sentences derives from nothing)."""
    cases = []
    for start, end in merge([(s.start, s.end) for s in provenance if s.kind != "inserted"]):
        piece = rewrite[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            cases.append((start + lead, start + len(piece.rstrip())))
    return cases


def meaning_changes(provenance: Sequence[Any]) -> list[tuple[int, int]]:
    """The distortion gold of a rewrite: where its provenance says the meaning changed (a
    deletion is an empty span at its place)."""
    return [(s.start, s.end) for s in provenance if s.meaning == "changes"]


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _covered(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> int:
    """Characters of ``span`` inside the union of ``others`` (which do not overlap each other)."""
    return sum(_overlap(span, other) for other in others)


@dataclass(frozen=True)
class PlagdetScores:
    precision: float
    recall: float
    granularity: float
    plagdet: float


#: The per-candidate sums plagdet is made of (see :func:`plagdet_counts`), in this order.
PLAGDET_COUNTS = ("precision_sum", "detections", "recall_sum", "cases", "splits", "found")


def plagdet_counts(cases: Sequence[tuple[int, int]], detections: Sequence[Sequence[Any]]) -> list[float]:
    """One candidate's contribution to plagdet, as the sums of :data:`PLAGDET_COUNTS`: the
    precision of each detection, the recall of each case and the detections per found case.
    Adding them over candidates and calling :func:`plagdet_from_counts` gives the macro scores,
    so a bootstrap over candidates only re-adds these rows."""
    cases = merge(cases)
    detections = [(int(d[0]), int(d[1])) for d in detections if d[1] > d[0]]
    merged_detections = merge(detections)
    precision_sum = sum(_covered(d, cases) / (d[1] - d[0]) for d in detections)
    recall_sum = sum(_covered(case, merged_detections) / (case[1] - case[0]) for case in cases)
    hits = [sum(1 for d in detections if _overlap(case, d)) for case in cases]
    return [precision_sum, len(detections), recall_sum, len(cases), sum(hits), sum(1 for h in hits if h)]


def plagdet_from_counts(counts: Sequence[float]) -> PlagdetScores:
    """Macro precision (1 without detections), recall (1 without cases), granularity (1 when no
    case is found) and plagdet from summed :func:`plagdet_counts`."""
    precision_sum, detections, recall_sum, cases, splits, found = counts
    precision = precision_sum / detections if detections else 1.0
    recall = recall_sum / cases if cases else 1.0
    granularity = splits / found if found else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PlagdetScores(precision, recall, granularity, f1 / math.log2(1 + granularity))


def plagdet(gold: Sequence[Sequence[tuple[int, int]]], predicted: Sequence[Sequence[tuple[int, int]]]) -> PlagdetScores:
    """PAN's macro precision, recall, granularity and plagdet over many candidates.

    ``gold[i]`` and ``predicted[i]`` are the cases and detections of candidate ``i``. Precision
    averages over all detections of all candidates (1 when there are none), recall over all
    cases (1 when there are none); granularity over the cases found at least once.
    """
    if len(gold) != len(predicted):
        raise BenchError(f"plagdet needs one list of cases per candidate: {len(gold)} gold, {len(predicted)} predicted")
    totals = [0.0] * len(PLAGDET_COUNTS)
    for cases, detections in zip(gold, predicted):
        totals = [a + b for a, b in zip(totals, plagdet_counts(cases, detections))]
    return plagdet_from_counts(totals)


@dataclass(frozen=True)
class SpanF1:
    precision: float
    recall: float
    f1: float


#: The per-candidate counts span F1 is made of (see :func:`span_counts`), in this order.
SPAN_COUNTS = ("found", "gold", "hit", "predicted")


def span_counts(cases: Sequence[Sequence[Any]], detections: Sequence[Sequence[Any]]) -> list[int]:
    """One candidate's gold spans overlapped by a prediction, gold spans, predictions that
    overlap a gold span, and predictions (empty spans on either side do not count)."""
    cases = [(int(c[0]), int(c[1])) for c in cases if c[1] > c[0]]
    detections = [(int(d[0]), int(d[1])) for d in detections if d[1] > d[0]]
    found = sum(1 for case in cases if any(_overlap(case, d) for d in detections))
    hit = sum(1 for d in detections if any(_overlap(case, d) for case in cases))
    return [found, len(cases), hit, len(detections)]


def f1_from_counts(true_found: float, n_true: float, predicted_hit: float, n_predicted: float) -> SpanF1:
    """Precision (1 without predictions), recall (1 without gold) and F1 from summed counts."""
    precision = predicted_hit / n_predicted if n_predicted else 1.0
    recall = true_found / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SpanF1(precision, recall, f1)


def span_f1(gold: Sequence[Sequence[tuple[int, int]]], predicted: Sequence[Sequence[tuple[int, int]]]) -> SpanF1:
    """Span-level precision (predicted spans that overlap a gold span), recall (gold spans that
    overlap a predicted span) and their F1, over many candidates (1 for an empty side)."""
    if len(gold) != len(predicted):
        raise BenchError(f"span F1 needs one list of spans per candidate: {len(gold)} gold, {len(predicted)} predicted")
    totals = [0, 0, 0, 0]
    for cases, detections in zip(gold, predicted):
        totals = [a + b for a, b in zip(totals, span_counts(cases, detections))]
    return f1_from_counts(*totals)


def _tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _near(starts: Sequence[int], ends: Sequence[int], start: int, end: int) -> range:
    """Indices of the tokens (by their ``starts`` and ``ends``, in text order) that can overlap or
    touch ``[start, end]``."""
    return range(bisect.bisect_left(ends, start), bisect.bisect_right(starts, end))


def token_labels(text: str, gold: Sequence[tuple[int, int]]) -> list[int]:
    """1 for each token of ``text`` that a gold span overlaps, or that an empty gold span (a
    deletion) touches; 0 for the others."""
    tokens = _tokens(text)
    starts, ends = [token[0] for token in tokens], [token[1] for token in tokens]
    labels = [0] * len(tokens)
    for start, end in gold:
        for i in _near(starts, ends, start, end):
            token = tokens[i]
            if _overlap(token, (start, end)) or (start == end and token[0] <= start <= token[1]):
                labels[i] = 1
    return labels


def token_scores(text: str, predicted: Sequence[ScoredSpan]) -> list[float]:
    """For each token of ``text``, the highest score of a predicted span over it (0 if none)."""
    tokens = _tokens(text)
    starts, ends = [token[0] for token in tokens], [token[1] for token in tokens]
    best: list[float | None] = [None] * len(tokens)
    for start, end, score in predicted:
        for i in _near(starts, ends, start, end):
            if _overlap(tokens[i], (start, end)) and (best[i] is None or score > best[i]):
                best[i] = score
    return [0.0 if score is None else score for score in best]


@dataclass(frozen=True)
class DistortionScores:
    token_precision: float
    token_recall: float
    token_f1: float
    token_ap: float | None
    """None when no token is a gold meaning change (AP is undefined)."""


#: The per-candidate token counts of the distortion scores (see :func:`token_counts`), in this order.
TOKEN_COUNTS = ("gold_flagged", "gold", "flagged_gold", "flagged")


def token_counts(text: str, gold: Sequence[tuple[int, int]], predicted: Sequence[ScoredSpan]) -> list[int]:
    """One candidate's tokens both gold and flagged, gold tokens, (again) both, flagged tokens:
    the counts :func:`f1_from_counts` takes, in its order."""
    labels = token_labels(text, gold)
    flagged = token_labels(text, [(s, e) for s, e, _ in predicted if e > s])
    both = sum(1 for label, flag in zip(labels, flagged) if label and flag)
    return [both, sum(labels), both, sum(flagged)]


def distortion_scores(texts: Sequence[str], gold: Sequence[Sequence[tuple[int, int]]],
                      predicted: Sequence[Sequence[ScoredSpan]]) -> DistortionScores:
    """Token-level precision, recall and F1 of the predicted spans (every predicted span counts,
    whatever its score) and AP of the token scores, pooled over all candidates."""
    from sklearn.metrics import average_precision_score

    if not len(texts) == len(gold) == len(predicted):
        raise BenchError(f"distortion scores need one text, gold list and prediction list each: "
                         f"{len(texts)}, {len(gold)}, {len(predicted)}")
    labels: list[int] = []
    scores: list[float] = []
    totals = [0, 0, 0, 0]
    for text, cases, spans in zip(texts, gold, predicted):
        labels += token_labels(text, cases)
        scores += token_scores(text, spans)
        totals = [a + b for a, b in zip(totals, token_counts(text, cases, spans))]
    precision, recall, f1 = astuple(f1_from_counts(*totals))
    ap = float(average_precision_score(labels, scores)) if 0 < sum(labels) < len(labels) else None
    return DistortionScores(precision, recall, f1, ap)
