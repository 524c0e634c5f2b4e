"""Detection metrics: pure functions of a score array and a 0/1 label array.

Convention: ``scores`` is a 1-D float array, ``labels`` a 1-D array of 0/1 of the same length,
and a higher score means "more likely positive" (derived from a rewrite).

Every result depends only on the multiset of (score, label) pairs, never on row order: tied
scores are grouped before anything is counted, and the bootstrap resamples a canonical
(score-sorted) order of each class. This is what lets two runs that list items differently
report the same numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "auroc",
    "average_precision",
    "tpr_at_fpr",
    "best_threshold",
    "f1_at",
    "accuracy_at",
    "bootstrap_auroc_ci",
    "Thresholds",
    "compute_metrics",
    "SliceSpec",
    "slice_masks",
    "slice_metrics",
    "retrieval_metrics",
    "retrieval_slice_metrics",
    "evaluate_module_path",
]

#: Objectives accepted by :func:`best_threshold`.
OBJECTIVES: tuple[str, ...] = ("f1", "accuracy")
#: Values accepted by :attr:`SliceSpec.applies_to`.
APPLIES_TO: tuple[str, ...] = ("positive", "negative", "both", "auto", "subset")

# Upper bound on the number of array cells one bootstrap chunk allocates (about 8 MB per
# int64 array); chunking changes memory use only, never the result.
_CHUNK_CELLS = 1_000_000


# --------------------------------------------------------------------------- validation


def _check_inputs(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(scores as float64, labels as a bool "is positive" mask)`` or raise ValueError."""
    try:
        s = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores must be numbers convertible to float64 ({exc})") from exc
    y = np.asarray(labels)
    if s.ndim != 1:
        raise ValueError(f"scores must be a 1-D array, got shape {s.shape}; flatten it first")
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array, got shape {y.shape}; flatten it first")
    if s.shape[0] != y.shape[0]:
        raise ValueError(
            f"scores and labels must have the same length, got {s.shape[0]} scores "
            f"and {y.shape[0]} labels"
        )
    bad = np.flatnonzero(~np.isfinite(s))
    if bad.size:
        raise ValueError(
            f"scores must be finite; {bad.size} value(s) are NaN or infinite, first at "
            f"index {bad[0]} ({s[bad[0]]!r}); fix the scorer or drop those items"
        )
    if y.dtype == bool:
        return s, y
    if y.dtype.kind not in "iuf":
        raise ValueError(f"labels must be 0/1 integers, got dtype {y.dtype}")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(
            f"labels must be 0 or 1; {bad.size} value(s) are not, first at index {bad[0]} "
            f"({y[bad[0]]!r})"
        )
    return s, y == 1


def _require_both_classes(is_pos: np.ndarray, what: str) -> tuple[int, int]:
    n_pos = int(is_pos.sum())
    n_neg = int(is_pos.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        missing = "positive (label 1)" if n_pos == 0 else "negative (label 0)"
        raise ValueError(
            f"{what} needs both classes, but there is no {missing} item "
            f"({n_pos} positive, {n_neg} negative); use compute_metrics to report "
            "single-class slices"
        )
    return n_pos, n_neg


def _check_threshold(threshold: Any, name: str = "threshold") -> float:
    t = float(threshold)
    if math.isnan(t):
        raise ValueError(f"{name} must be a number, got NaN")
    return t


# --------------------------------------------------------------------------- core counts


def _group_counts(
    scores: np.ndarray, is_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct scores (ascending) and the number of positives / negatives at each."""
    uniq, inv = np.unique(scores, return_inverse=True)
    pos = np.bincount(inv[is_pos], minlength=uniq.size)
    neg = np.bincount(inv[~is_pos], minlength=uniq.size)
    return uniq, pos, neg


def _auc_from_counts(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUROC from per-group counts along the last axis (groups ascending).

    Each positive scores 1 per negative strictly below it and 1/2 per tied negative; the sum
    is kept in integers (doubled) so the result is exact and identical however it is batched.
    """
    below = np.cumsum(neg, axis=-1) - neg
    doubled = (pos * (2 * below + neg)).sum(axis=-1)
    return doubled / (2.0 * pos.sum(axis=-1) * neg.sum(axis=-1))


# --------------------------------------------------------------------------- metrics


def auroc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve (Mann-Whitney U / (n_pos * n_neg), ties count one half)."""
    s, is_pos = _check_inputs(scores, labels)
    _require_both_classes(is_pos, "auroc")
    _, pos, neg = _group_counts(s, is_pos)
    return float(_auc_from_counts(pos, neg))


def average_precision(scores: Any, labels: Any) -> float:
    """Step-wise average precision, as :func:`sklearn.metrics.average_precision_score`.

    sklearn treats all items tied at a score as one step of the precision-recall curve, so
    the value does not depend on row order.
    """
    from sklearn.metrics import average_precision_score

    s, is_pos = _check_inputs(scores, labels)
    _require_both_classes(is_pos, "average_precision")
    return float(average_precision_score(is_pos.astype(np.int64), s))


def tpr_at_fpr(scores: Any, labels: Any, max_fpr: float) -> tuple[float, float]:
    """True-positive rate at a false-positive rate of at most ``max_fpr``; returns ``(tpr, t)``.

    The threshold comes from the negatives: with their scores sorted descending and
    ``k = floor(max_fpr * n_neg)``, ``t`` is the k-th of them (0-based) and an item is called
    positive iff its score is strictly above ``t``. At most ``k`` negatives lie above ``t``, so
    the FPR never exceeds ``max_fpr`` (fewer when negatives tie at ``t``). For ``max_fpr = 1``
    (``k = n_neg``) the threshold is ``-inf`` and everything is called positive.
    """
    s, is_pos = _check_inputs(scores, labels)
    _require_both_classes(is_pos, "tpr_at_fpr")
    fpr = float(max_fpr)
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"max_fpr must be in [0, 1], got {max_fpr!r}")
    neg_desc = np.sort(s[~is_pos])[::-1]
    # Rounding first keeps e.g. 0.29 * 100 (= 28.999999999999996) from losing a negative.
    k = math.floor(round(fpr * neg_desc.size, 9))
    t = float(neg_desc[k]) if k < neg_desc.size else -math.inf
    return float(np.mean(s[is_pos] > t)), t


def _confusion(s: np.ndarray, is_pos: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    pred = s >= threshold
    tp = int(np.sum(pred & is_pos))
    fp = int(np.sum(pred & ~is_pos))
    fn = int(np.sum(~pred & is_pos))
    return tp, fp, fn, int(s.size - tp - fp - fn)


def f1_at(scores: Any, labels: Any, threshold: float) -> float:
    """F1 of the positive class when items with ``score >= threshold`` are called positive.

    Returns 0.0 when it is undefined (no positive item and none predicted), as sklearn does.
    """
    s, is_pos = _check_inputs(scores, labels)
    tp, fp, fn, _ = _confusion(s, is_pos, _check_threshold(threshold))
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else 0.0


def accuracy_at(scores: Any, labels: Any, threshold: float) -> float:
    """Accuracy when items with ``score >= threshold`` are called positive."""
    s, is_pos = _check_inputs(scores, labels)
    if s.size == 0:
        raise ValueError("accuracy_at needs at least one item, got empty arrays")
    tp, _, _, tn = _confusion(s, is_pos, _check_threshold(threshold))
    return (tp + tn) / s.size


def _outside(value: float, direction: float) -> float:
    """A round number beyond ``value`` (by 1.0), or the next float when 1.0 is lost to rounding."""
    out = value + direction
    return out if out != value else float(np.nextafter(value, direction * math.inf))


def best_threshold(scores: Any, labels: Any, objective: str) -> float:
    """The threshold (``score >= t`` is positive) that maximises ``objective`` on these items.

    ``objective`` is ``"f1"`` or ``"accuracy"``. Candidates are the midpoints between
    consecutive distinct scores, plus one threshold below the minimum (all positive) and one
    above the maximum (all negative); on ties the smallest candidate wins. Meant to be run on
    a dev split and the result applied unchanged to test.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    s, is_pos = _check_inputs(scores, labels)
    n_pos, n_neg = _require_both_classes(is_pos, "best_threshold")
    uniq, pos, neg = _group_counts(s, is_pos)
    mids = uniq[:-1] + (uniq[1:] - uniq[:-1]) / 2
    # Between two adjacent floats the midpoint can round down onto the lower score; the upper
    # score then separates the same two groups.
    mids = np.where(mids > uniq[:-1], mids, uniq[1:])
    candidates = np.concatenate([[_outside(uniq[0], -1.0)], mids, [_outside(uniq[-1], 1.0)]])
    # Candidate j calls groups j.. positive: counts at or above it are reversed cumsums.
    tp = np.concatenate([np.cumsum(pos[::-1])[::-1], [0]])
    fp = np.concatenate([np.cumsum(neg[::-1])[::-1], [0]])
    if objective == "f1":
        values = 2 * tp / (2 * tp + fp + (n_pos - tp))  # denominator >= n_pos > 0
    else:
        values = (tp + (n_neg - fp)) / (n_pos + n_neg)
    return float(candidates[int(np.argmax(values))])  # argmax: first (smallest) of the ties


def bootstrap_auroc_ci(
    scores: Any,
    labels: Any,
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval for AUROC, stratified by class.

    Each resample draws ``n_pos`` positives and ``n_neg`` negatives with replacement, so the
    class sizes stay fixed. Draws come from two generators spawned from ``seed``
    (``SeedSequence(seed).spawn(2)``, i.e. ``default_rng(seed).spawn(2)``): resample ``b`` is
    ``pos_rng.integers(0, n_pos, n_pos)`` and ``neg_rng.integers(0, n_neg, n_neg)`` into each
    class's items sorted by score. The sort makes the result independent of row order; the
    two streams make it independent of how resamples are batched.

    Vectorised: the scores are sorted once and tied values grouped; each resample's negatives
    become a vector of per-group counts (``bincount`` with row offsets), whose cumulative sum
    over the groups gives every positive its Mann-Whitney credit. All sums are integers, so
    each resample's AUROC equals :func:`auroc` on the resampled items exactly.
    """
    n_resamples = int(n_resamples)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    s, is_pos = _check_inputs(scores, labels)
    n_pos, n_neg = _require_both_classes(is_pos, "bootstrap_auroc_ci")
    uniq, inv = np.unique(s, return_inverse=True)
    n_groups = uniq.size
    pos_groups = np.sort(inv[is_pos])
    neg_groups = np.sort(inv[~is_pos])
    pos_rng, neg_rng = (np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(2))

    chunk = max(1, _CHUNK_CELLS // (s.size + 2 * n_groups))
    aucs = np.empty(n_resamples, dtype=np.float64)
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        offsets = (np.arange(rows) * n_groups)[:, None]
        # int32 draws: the same stream as int64 for bounds below 2**31, half the memory.
        pos_drawn = pos_groups[pos_rng.integers(0, n_pos, size=(rows, n_pos), dtype=np.int32)]
        neg_drawn = neg_groups[neg_rng.integers(0, n_neg, size=(rows, n_neg), dtype=np.int32)]
        pos_drawn += offsets
        neg_drawn += offsets
        neg = np.bincount(neg_drawn.ravel(), minlength=rows * n_groups).reshape(rows, n_groups)
        # weight[b, g] = 2 * (negatives below g) + (negatives at g) = 2 * cumsum - count; the
        # doubled Mann-Whitney sum of resample b is that weight summed over its positives,
        # i.e. the dot product of the positives' count vector with it.
        weight = np.cumsum(neg, axis=1)
        weight *= 2
        weight -= neg
        doubled = weight.ravel()[pos_drawn].sum(axis=1)
        aucs[start : start + rows] = doubled / (2.0 * n_pos * n_neg)
    alpha = (1.0 - float(confidence)) / 2.0
    lo, hi = np.quantile(aucs, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds for F1 and accuracy, chosen on a dev split and reused on test.

    A field is ``None`` when no dev split was available; the matching metric is then ``None``.
    """

    f1: float | None
    accuracy: float | None
    source_split: str | None
    """Split the thresholds were chosen on (``"dev"``), ``None`` when none was."""


def compute_metrics(
    scores: Any,
    labels: Any,
    thresholds: Thresholds | None,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    with_ci: bool = True,
) -> dict[str, float | list[float] | None]:
    """All reported metrics of one set of items, as a JSON-ready dict.

    Keys: ``auroc``, ``ap``, ``tpr_at_1pct_fpr``, ``tpr_at_5pct_fpr``, ``f1``, ``accuracy``,
    ``auroc_ci95`` (``[lo, hi]``, only when ``with_ci``), ``n_positive``, ``n_negative``.
    ``f1``/``accuracy`` are ``None`` without a threshold for them. When one class is missing
    every score metric is ``None`` and only the counts are informative, so a single-class slice
    is still reported.
    """
    s, is_pos = _check_inputs(scores, labels)
    n_pos = int(is_pos.sum())
    n_neg = int(s.size - n_pos)
    out: dict[str, Any] = dict.fromkeys(
        ["auroc", "ap", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "f1", "accuracy"]
    )
    if with_ci:
        out["auroc_ci95"] = None
    out["n_positive"] = n_pos
    out["n_negative"] = n_neg
    if n_pos == 0 or n_neg == 0:
        return out
    y = is_pos.astype(np.int64)
    out["auroc"] = auroc(s, y)
    out["ap"] = average_precision(s, y)
    out["tpr_at_1pct_fpr"] = tpr_at_fpr(s, y, 0.01)[0]
    out["tpr_at_5pct_fpr"] = tpr_at_fpr(s, y, 0.05)[0]
    if thresholds is not None and thresholds.f1 is not None:
        out["f1"] = f1_at(s, y, thresholds.f1)
    if thresholds is not None and thresholds.accuracy is not None:
        out["accuracy"] = accuracy_at(s, y, thresholds.accuracy)
    if with_ci:
        out["auroc_ci95"] = list(bootstrap_auroc_ci(s, y, n_resamples=n_resamples, seed=seed))
    return out


@dataclass(frozen=True)
class SliceSpec:
    """One way of slicing the items by a metadata field.

    ``applies_to`` says which class carries the attribute: ``"positive"`` (e.g. rewriter or
    strength; each slice keeps all negatives), ``"negative"`` (e.g. the kind of negative; each
    slice keeps all positives), ``"both"`` (e.g. domain; each slice keeps only its items) or
    ``"auto"`` (a user's column, whose values may belong to one class: decided per value, a value
    seen among positives only keeps all negatives, one seen among negatives only keeps all
    positives, as the built-in one-class attributes do; any other value keeps only its items)
    or ``"subset"`` (a chosen subset of both classes, e.g. ``pair``'s ``hard`` items: a slice
    per value other than ``"none"``, keeping only its items; ``"none"`` marks the rest).
    """

    key: str
    applies_to: str

    def __post_init__(self) -> None:
        if self.applies_to not in APPLIES_TO:
            raise ValueError(
                f"SliceSpec({self.key!r}).applies_to must be one of {APPLIES_TO}, "
                f"got {self.applies_to!r}"
            )


def slice_masks(
    labels: Any, metadata: Mapping[str, Sequence[str]], specs: Sequence[SliceSpec]
) -> list[tuple[str, Any, np.ndarray | None]]:
    """``(slice, value, mask)`` for all items (mask ``None``) and then each slice, in report order.

    For each spec in order and each distinct value (sorted) carried by the class the spec
    applies to, the mask described in :class:`SliceSpec`. Values carried by the other class
    are ignored, so a placeholder such as ``"none"`` on negatives never makes a slice.
    """
    return [(name, value, mask) for name, value, mask, _ in _scoped_slice_masks(labels, metadata, specs)]


#: What a slice of an ``"auto"`` spec keeps besides its own items, by the class its value is seen in.
_KEEPS = {"positive": "all negatives", "negative": "all positives"}


def _scoped_slice_masks(
    labels: Any, metadata: Mapping[str, Sequence[str]], specs: Sequence[SliceSpec]
) -> list[tuple[str, Any, np.ndarray | None, str | None]]:
    """:func:`slice_masks` plus, for a slice of an ``"auto"`` spec, what it keeps of the other
    class (``"all negatives"``, ``"all positives"`` or ``None`` for a value seen in both)."""
    y = np.asarray(labels)
    is_pos = y.astype(bool) if y.dtype == bool else (y == 1)
    out: list[tuple[str, Any, np.ndarray | None, str | None]] = [("all", "all", None, None)]
    for spec in specs:
        if spec.key not in metadata:
            raise ValueError(
                f"slice key {spec.key!r} is not in the metadata (keys: {sorted(metadata)}); "
                "add that column or drop the SliceSpec"
            )
        values = np.empty(is_pos.size, dtype=object)
        column = list(metadata[spec.key])
        if len(column) != is_pos.size:
            raise ValueError(
                f"metadata[{spec.key!r}] has {len(column)} values but there are {is_pos.size} "
                "scores; give one value per item"
            )
        values[:] = column
        if spec.applies_to == "auto":
            for value in sorted(set(column), key=str):
                own = values == value
                seen_in = ("positive" if not (own & ~is_pos).any() else
                           "negative" if not (own & is_pos).any() else None)
                mask = own | (~is_pos if seen_in == "positive" else is_pos if seen_in == "negative" else own)
                out.append((spec.key, value, mask, _KEEPS.get(seen_in or "")))
            continue
        if spec.applies_to == "subset":
            for value in sorted(set(column) - {"none"}, key=str):
                out.append((spec.key, value, values == value, None))
            continue
        if spec.applies_to == "positive":
            carriers, others = is_pos, ~is_pos
        elif spec.applies_to == "negative":
            carriers, others = ~is_pos, is_pos
        else:
            carriers, others = np.ones(is_pos.size, dtype=bool), np.zeros(is_pos.size, dtype=bool)
        for value in sorted(set(values[carriers].tolist()), key=str):
            out.append((spec.key, value, others | (carriers & (values == value)), None))
    return out


def slice_metrics(
    scores: Any,
    labels: Any,
    metadata: Mapping[str, Sequence[str]],
    specs: Sequence[SliceSpec],
    thresholds: Thresholds | None,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[dict]:
    """Metrics for all items and for each slice, as rows ``{"slice", "value", **metrics}``.

    The first row is ``{"slice": "all", "value": "all", ...}``; then one row per slice of
    :func:`slice_masks`. Every row has the bootstrap CI, with the same ``seed``. A slice of an
    ``"auto"`` spec whose value is seen in one class only says what it kept of the other class
    (``"keeps": "all positives"`` or ``"all negatives"``).
    """
    s, is_pos = _check_inputs(scores, labels)
    y = is_pos.astype(np.int64)
    rows = []
    for name, value, mask, keeps in _scoped_slice_masks(y, metadata, specs):
        sub_s, sub_y = (s, y) if mask is None else (s[mask], y[mask])
        metrics = compute_metrics(sub_s, sub_y, thresholds, n_resamples=n_resamples, seed=seed)
        rows.append({"slice": name, "value": value, **metrics, **({"keeps": keeps} if keeps else {})})
    return rows


# --------------------------------------------------------------------------- retrieval


def retrieval_metrics(
    ranks: Any,
    top_scores: Any,
    has_source: Any,
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    with_ci: bool = True,
) -> dict[str, Any]:
    """Metrics of a retrieval run, as a JSON-ready dict.

    ``ranks[i]`` is the 1-based rank of query ``i``'s source in the returned list (0 when it
    is not in the list), ``top_scores[i]`` the score of the first result and ``has_source[i]``
    whether the query has a source in the pool. Rank metrics are over the queries that have
    one: ``mrr`` (reciprocal rank, 0 when not returned), ``recall_at_1``, ``recall_at_10``;
    ``mrr_ci95`` is a seeded percentile bootstrap over those queries. ``auroc_has_source``
    tells queries with a source from those without by the top score (None without both).
    """
    r = np.asarray(ranks, dtype=np.int64)
    top, is_pos = _check_inputs(top_scores, has_source)
    if r.shape != top.shape:
        raise ValueError(f"ranks and top_scores must have the same length, got {r.size} and {top.size}")
    if (r < 0).any():
        raise ValueError("ranks must be >= 0 (0 = the source was not returned)")
    out: dict[str, Any] = dict.fromkeys(["mrr", "recall_at_1", "recall_at_10", "auroc_has_source"])
    if with_ci:
        out["mrr_ci95"] = None
    out["n_positive"] = int(is_pos.sum())
    out["n_negative"] = int(is_pos.size - is_pos.sum())
    if out["n_positive"]:
        pos_ranks = np.sort(r[is_pos])  # sorted: the bootstrap does not depend on row order
        reciprocal = np.where(pos_ranks > 0, 1.0 / np.maximum(pos_ranks, 1), 0.0)
        out["mrr"] = float(reciprocal.mean())
        out["recall_at_1"] = float((pos_ranks == 1).mean())
        out["recall_at_10"] = float(((pos_ranks >= 1) & (pos_ranks <= 10)).mean())
        if with_ci:
            rng = np.random.default_rng(seed)
            means = np.empty(int(n_resamples))
            chunk = max(1, _CHUNK_CELLS // reciprocal.size)
            for start in range(0, means.size, chunk):
                rows = min(chunk, means.size - start)
                means[start : start + rows] = reciprocal[rng.integers(0, reciprocal.size, (rows, reciprocal.size))].mean(axis=1)
            out["mrr_ci95"] = [float(v) for v in np.quantile(means, [0.025, 0.975])]
    if out["n_positive"] and out["n_negative"]:
        out["auroc_has_source"] = auroc(top, is_pos.astype(np.int64))
    return out


def retrieval_slice_metrics(
    ranks: Any,
    top_scores: Any,
    has_source: Any,
    metadata: Mapping[str, Sequence[str]],
    specs: Sequence[SliceSpec],
    *,
    n_resamples: int = 1000,
    seed: int = 0,
) -> list[dict]:
    """:func:`retrieval_metrics` for all queries and each slice of :func:`slice_masks`."""
    r = np.asarray(ranks, dtype=np.int64)
    top, is_pos = _check_inputs(top_scores, has_source)
    rows = []
    for name, value, mask in slice_masks(is_pos, metadata, specs):
        sub = slice(None) if mask is None else mask
        metrics = retrieval_metrics(r[sub], top[sub], is_pos[sub], n_resamples=n_resamples, seed=seed)
        rows.append({"slice": name, "value": value, **metrics})
    return rows


def evaluate_module_path() -> str:
    """Path of the Hugging Face ``evaluate`` metric script, for ``evaluate.load(path)``."""
    return str(Path(__file__).resolve().parent / "evaluate_metric" / "rewrite_detection.py")
