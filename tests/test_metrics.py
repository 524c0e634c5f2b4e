"""Tests of rewrite_bench.metrics and its Hugging Face ``evaluate`` wrapper.

Expected values are worked out by hand in the comments; "pos > neg" pairs are counted for
AUROC (Mann-Whitney, ties one half).
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from rewrite_bench.metrics import (
    SliceSpec,
    Thresholds,
    accuracy_at,
    auroc,
    average_precision,
    best_threshold,
    bootstrap_auroc_ci,
    compute_metrics,
    evaluate_module_path,
    f1_at,
    slice_metrics,
    tpr_at_fpr,
)

# Example A: negatives 0.1, 0.4; positives 0.35, 0.8.
A_SCORES = [0.1, 0.4, 0.35, 0.8]
A_LABELS = [0, 0, 1, 1]


def _random_data(n: int, seed: int, decimals: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
    """Scores with a positive shift; rounded so that many scores tie."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    scores = rng.normal(size=n) + labels
    return (np.round(scores, decimals) if decimals is not None else scores), labels


# ----------------------------------------------------------------------------- AUROC / AP


def test_auroc_hand_example():
    # 0.35 > 0.1 (1), 0.35 < 0.4 (0), 0.8 > 0.1 (1), 0.8 > 0.4 (1) -> 3 / (2 * 2) = 0.75
    assert auroc(A_SCORES, A_LABELS) == 0.75


def test_auroc_ties_count_half():
    # All scores equal: every pair is a tie -> 0.5.
    assert auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]) == 0.5
    # neg 1, 2; pos 2, 3: pos 2 -> 1 + 0.5, pos 3 -> 1 + 1; 3.5 / 4 = 0.875
    assert auroc([1, 2, 2, 3], [0, 0, 1, 1]) == 0.875
    assert auroc([2, 1, 3, 2], [1, 0, 1, 0]) == 0.875


def test_auroc_matches_sklearn_on_random_ties():
    from sklearn.metrics import roc_auc_score

    scores, labels = _random_data(300, seed=1)
    assert auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_average_precision_hand_example():
    # Descending: 0.8 (+) P=1 R=1/2; 0.4 (-); 0.35 (+) P=2/3 R=1.
    # AP = sum (R_k - R_{k-1}) * P_k = 1/2 * 1 + 1/2 * 2/3 = 5/6
    assert average_precision(A_SCORES, A_LABELS) == pytest.approx(5 / 6)


def test_average_precision_groups_ties_whatever_the_row_order():
    # Scores 3 (+), 2 (+), 2 (-), 1 (-). Threshold 3: P=1, R=1/2. Threshold 2 (one step for
    # both tied items): TP=2, FP=1 -> P=2/3, R=1. AP = 1/2 * 1 + 1/2 * 2/3 = 5/6.
    # (Row by row, "2 (+) before 2 (-)" would give AP = 1 and the other order 5/6.)
    assert average_precision([3, 2, 2, 1], [1, 1, 0, 0]) == pytest.approx(5 / 6)
    assert average_precision([3, 2, 2, 1], [1, 0, 1, 0]) == pytest.approx(5 / 6)


# ----------------------------------------------------------------------------- TPR at FPR


def test_tpr_at_fpr_threshold_semantics():
    neg = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    pos = [0.95, 0.85, 0.75, 0.5, 0.05]
    scores = neg + pos
    labels = [0] * 10 + [1] * 5
    # neg descending: 0.9, 0.8, 0.7, ...
    # max_fpr 0.1: k = 1 -> t = 0.8; pos > 0.8: 0.95, 0.85 -> 2/5 (FPR 1/10)
    assert tpr_at_fpr(scores, labels, 0.1) == (0.4, 0.8)
    # max_fpr 0.05: k = floor(0.5) = 0 -> t = 0.9; pos > 0.9: 0.95 -> 1/5
    assert tpr_at_fpr(scores, labels, 0.05) == (0.2, 0.9)
    # max_fpr 0.3: k = 3 -> t = 0.6; pos > 0.6: 0.95, 0.85, 0.75 -> 3/5
    assert tpr_at_fpr(scores, labels, 0.3) == (0.6, 0.6)
    # max_fpr 0: t = max negative; max_fpr 1: k = n_neg -> t = -inf, everything positive
    assert tpr_at_fpr(scores, labels, 0.0) == (0.2, 0.9)
    assert tpr_at_fpr(scores, labels, 1.0) == (1.0, -math.inf)


def test_tpr_at_fpr_strict_threshold_with_tied_negatives():
    # neg descending 0.9, 0.9, 0.1, 0.1; max_fpr 0.25 -> k = 1 -> t = 0.9.
    # Strict ">": the positive at 0.9 is not counted, and no negative is above t (FPR 0).
    assert tpr_at_fpr([0.9, 0.9, 0.1, 0.1, 0.95, 0.9, 0.5], [0, 0, 0, 0, 1, 1, 1], 0.25) == (
        pytest.approx(1 / 3),
        0.9,
    )


def test_tpr_at_fpr_floor_is_not_fooled_by_float_error():
    # 0.29 * 100 == 28.999999999999996 in floats; k must still be 29 -> t = neg_desc[29] = 70.
    neg = list(range(100))
    scores = neg + [70.5, 69.5]
    labels = [0] * 100 + [1, 1]
    assert tpr_at_fpr(scores, labels, 0.29) == (0.5, 70.0)


def test_tpr_at_fpr_never_exceeds_max_fpr():
    scores, labels = _random_data(500, seed=2)
    neg = scores[labels == 0]
    for max_fpr in (0.0, 0.01, 0.05, 0.1, 0.37, 0.5):
        _, t = tpr_at_fpr(scores, labels, max_fpr)
        assert np.mean(neg > t) <= max_fpr


# ----------------------------------------------------------------------------- thresholds


def test_best_threshold_hand_example_objectives_differ():
    # scores 1..7, labels 0 1 1 0 0 0 1 (3 pos, 4 neg); "score >= t" is positive.
    #   t    TP FP FN TN   F1            accuracy
    #   0    3  4  0  0    6/10 = .600   3/7
    #   1.5  3  3  0  1    6/9  = .667   4/7
    #   2.5  2  3  1  1    4/8  = .500   3/7
    #   3.5  1  3  2  1    2/7  = .286   2/7
    #   4.5  1  2  2  2    2/6  = .333   3/7
    #   5.5  1  1  2  3    2/5  = .400   4/7
    #   6.5  1  0  2  4    2/4  = .500   5/7
    #   8    0  0  3  4    0             4/7
    scores = [1, 2, 3, 4, 5, 6, 7]
    labels = [0, 1, 1, 0, 0, 0, 1]
    assert best_threshold(scores, labels, "f1") == 1.5
    assert best_threshold(scores, labels, "accuracy") == 6.5
    assert f1_at(scores, labels, 1.5) == pytest.approx(2 / 3)
    assert accuracy_at(scores, labels, 1.5) == pytest.approx(4 / 7)
    assert accuracy_at(scores, labels, 6.5) == pytest.approx(5 / 7)
    assert f1_at(scores, labels, 6.5) == pytest.approx(0.5)


def test_best_threshold_ties_pick_the_smallest_and_can_be_below_the_minimum():
    # scores 1..5, labels 0 1 0 1 1: accuracy at 1.5 (TP3 TN1) and at 3.5 (TP2 TN2) are both
    # 4/5 -> the smaller, 1.5, wins.
    assert best_threshold([1, 2, 3, 4, 5], [0, 1, 0, 1, 1], "accuracy") == 1.5
    # scores 1 2 3, labels 1 0 1: F1 at t=0 (all positive) = 4/5 beats 1.5 (1/2), 2.5 (2/3);
    # accuracy ties at 0 and 2.5 (2/3 each) -> 0 = min - 1.
    assert best_threshold([1, 2, 3], [1, 0, 1], "f1") == 0.0
    assert best_threshold([1, 2, 3], [1, 0, 1], "accuracy") == 0.0
    # All positives above all negatives: the midpoint of the gap.
    assert best_threshold([0.2, 0.4, 0.6, 0.8], [0, 0, 1, 1], "f1") == pytest.approx(0.5)


def test_f1_and_accuracy_at_hand_example():
    # A, t = 0.3: predicted 0.4 (-), 0.35 (+), 0.8 (+) -> TP 2, FP 1, FN 0 -> F1 = 4/5
    assert f1_at(A_SCORES, A_LABELS, 0.3) == pytest.approx(0.8)
    # A, t = 0.5: predicted 0.8 (+) -> TP 1, TN 2 -> accuracy 3/4
    assert accuracy_at(A_SCORES, A_LABELS, 0.5) == 0.75
    # "score >= t": an item exactly at t is positive
    assert accuracy_at(A_SCORES, A_LABELS, 0.35) == 0.75  # TP 2, FP 1 (0.4), TN 1
    assert f1_at([0.1, 0.2], [0, 0], 0.5) == 0.0  # nothing to find, nothing predicted


# ----------------------------------------------------------------------------- bootstrap


def _reference_bootstrap(scores, labels, n_resamples, seed, confidence=0.95):
    """Loop version with the documented draws: two spawned generators, classes sorted."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels)
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    pos_rng, neg_rng = np.random.default_rng(seed).spawn(2)
    aucs = []
    for _ in range(n_resamples):
        p = pos[pos_rng.integers(0, pos.size, pos.size)]
        q = neg[neg_rng.integers(0, neg.size, neg.size)]
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in p for b in q)
        aucs.append(wins / (p.size * q.size))
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(aucs, [alpha, 1 - alpha])
    return float(lo), float(hi)


def test_bootstrap_matches_loop_reference():
    scores, labels = _random_data(40, seed=3)
    for seed in (0, 7):
        assert bootstrap_auroc_ci(scores, labels, n_resamples=300, seed=seed) == pytest.approx(
            _reference_bootstrap(scores, labels, 300, seed), abs=1e-12
        )
    assert bootstrap_auroc_ci(scores, labels, 300, 0, confidence=0.8) == pytest.approx(
        _reference_bootstrap(scores, labels, 300, 0, confidence=0.8), abs=1e-12
    )


def test_bootstrap_contains_estimate_is_seeded_and_narrows():
    scores, labels = _random_data(200, seed=4)
    lo, hi = bootstrap_auroc_ci(scores, labels, seed=0)
    assert lo < auroc(scores, labels) < hi
    assert bootstrap_auroc_ci(scores, labels, seed=0) == (lo, hi)
    assert bootstrap_auroc_ci(scores, labels, seed=1) != (lo, hi)
    big_scores, big_labels = _random_data(3000, seed=4)
    big_lo, big_hi = bootstrap_auroc_ci(big_scores, big_labels, seed=0)
    # Width shrinks about as 1/sqrt(n): 15x the items, about 1/4 the width.
    assert (big_hi - big_lo) < 0.5 * (hi - lo)


def test_bootstrap_does_not_depend_on_batching(monkeypatch):
    import rewrite_bench.metrics as metrics

    scores, labels = _random_data(100, seed=5)
    whole = bootstrap_auroc_ci(scores, labels, n_resamples=50)
    monkeypatch.setattr(metrics, "_CHUNK_CELLS", 700)  # a few resamples per chunk
    assert bootstrap_auroc_ci(scores, labels, n_resamples=50) == whole


def test_bootstrap_is_fast_enough():
    scores, labels = _random_data(5000, seed=6, decimals=None)
    bootstrap_auroc_ci(scores, labels, n_resamples=20)  # warm-up
    start = time.perf_counter()
    bootstrap_auroc_ci(scores, labels, n_resamples=1000)
    # Target 0.3 s (about 0.1 s measured); the loose bound only catches a non-vectorised loop.
    assert time.perf_counter() - start < 2.0


# ----------------------------------------------------------------------------- row order


def test_no_metric_depends_on_row_order():
    scores, labels = _random_data(120, seed=8)
    domain = np.where(np.arange(120) % 3 == 0, "news", "wiki")
    order = np.random.default_rng(0).permutation(120)
    thresholds = Thresholds(f1=0.3, accuracy=0.6, source_split="dev")

    def everything(s, y, d):
        return (
            auroc(s, y),
            average_precision(s, y),
            tpr_at_fpr(s, y, 0.05),
            tpr_at_fpr(s, y, 0.2),
            best_threshold(s, y, "f1"),
            best_threshold(s, y, "accuracy"),
            bootstrap_auroc_ci(s, y, n_resamples=200, seed=3),
            compute_metrics(s, y, thresholds, n_resamples=200),
            slice_metrics(s, y, {"domain": list(d)}, [SliceSpec("domain", "both")], thresholds,
                          n_resamples=100),
        )

    assert everything(scores, labels, domain) == everything(
        scores[order], labels[order], domain[order]
    )


# ----------------------------------------------------------------------------- reports


def test_compute_metrics_hand_example():
    out = compute_metrics(
        A_SCORES, A_LABELS, Thresholds(f1=0.3, accuracy=0.5, source_split="dev"), n_resamples=50
    )
    assert list(out) == [
        "auroc", "ap", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "f1", "accuracy", "auroc_ci95",
        "n_positive", "n_negative",
    ]
    # tpr@1% and @5%: n_neg = 2 -> k = 0 -> t = 0.4; pos > 0.4: 0.8 -> 1/2
    assert out["auroc"] == 0.75
    assert out["ap"] == pytest.approx(5 / 6)
    assert out["tpr_at_1pct_fpr"] == out["tpr_at_5pct_fpr"] == 0.5
    assert out["f1"] == pytest.approx(0.8)
    assert out["accuracy"] == 0.75
    assert out["auroc_ci95"] == list(bootstrap_auroc_ci(A_SCORES, A_LABELS, 50, 0))
    assert (out["n_positive"], out["n_negative"]) == (2, 2)


def test_compute_metrics_without_thresholds_or_ci():
    out = compute_metrics(A_SCORES, A_LABELS, None, with_ci=False)
    assert out["f1"] is None and out["accuracy"] is None
    assert "auroc_ci95" not in out
    out = compute_metrics(A_SCORES, A_LABELS, Thresholds(None, 0.5, "dev"), with_ci=False)
    assert out["f1"] is None and out["accuracy"] == 0.75


def test_compute_metrics_single_class_gives_none():
    out = compute_metrics([0.2, 0.9], [1, 1], Thresholds(0.5, 0.5, "dev"))
    assert out == {
        "auroc": None, "ap": None, "tpr_at_1pct_fpr": None, "tpr_at_5pct_fpr": None,
        "f1": None, "accuracy": None, "auroc_ci95": None, "n_positive": 2, "n_negative": 0,
    }


def _slice_example():
    #      score label rewriter domain kind
    # 0    0.9   1     A        news   none
    # 1    0.3   1     B        news   none
    # 2    0.8   1     B        wiki   none
    # 3    0.5   0     none     news   unrelated
    # 4    0.2   0     none     wiki   same-topic
    # 5    0.4   0     none     wiki   same-topic
    scores = [0.9, 0.3, 0.8, 0.5, 0.2, 0.4]
    labels = [1, 1, 1, 0, 0, 0]
    metadata = {
        "rewriter": ["A", "B", "B", "none", "none", "none"],
        "domain": ["news", "news", "wiki", "news", "wiki", "wiki"],
        "kind": ["none", "none", "none", "unrelated", "same-topic", "same-topic"],
    }
    return scores, labels, metadata


def test_slice_metrics_hand_example():
    scores, labels, metadata = _slice_example()
    specs = [SliceSpec("rewriter", "positive"), SliceSpec("domain", "both"),
             SliceSpec("kind", "negative")]
    rows = slice_metrics(scores, labels, metadata, specs,
                         Thresholds(f1=0.45, accuracy=0.45, source_split="dev"), n_resamples=30)
    got = {(r["slice"], r["value"]): (r["auroc"], r["n_positive"], r["n_negative"]) for r in rows}
    # Rows in order; no "none" row for rewriter (carried by negatives) or kind (by positives).
    assert list(got) == [
        ("all", "all"), ("rewriter", "A"), ("rewriter", "B"), ("domain", "news"),
        ("domain", "wiki"), ("kind", "same-topic"), ("kind", "unrelated"),
    ]
    # all: 0.9 beats 3, 0.3 beats 1 (0.2), 0.8 beats 3 -> 7/9
    assert got["all", "all"] == (pytest.approx(7 / 9), 3, 3)
    # rewriter A: positive 0.9 plus ALL negatives -> 3/3
    assert got["rewriter", "A"] == (1.0, 1, 3)
    # rewriter B: 0.3 beats 1, 0.8 beats 3 -> 4/6
    assert got["rewriter", "B"] == (pytest.approx(2 / 3), 2, 3)
    # domain news: items 0, 1, 3 only: 0.9 > 0.5, 0.3 < 0.5 -> 1/2
    assert got["domain", "news"] == (0.5, 2, 1)
    # domain wiki: items 2, 4, 5: 0.8 beats both -> 1
    assert got["domain", "wiki"] == (1.0, 1, 2)
    # kind same-topic: negatives 0.2, 0.4 plus ALL positives: 2 + 1 + 2 = 5 of 6
    assert got["kind", "same-topic"] == (pytest.approx(5 / 6), 3, 2)
    # kind unrelated: negative 0.5 plus all positives: 0.9, 0.8 beat it -> 2/3
    assert got["kind", "unrelated"] == (pytest.approx(2 / 3), 3, 1)
    row_b = rows[2]
    # rewriter B slice, t = 0.45: predicted 0.8 (+), 0.5 (-) -> TP 1, FP 1, FN 1: F1 = 1/2;
    # TN 2 (0.2, 0.4) -> accuracy 3/5. Every row has its CI, seeded the same.
    assert row_b["f1"] == pytest.approx(0.5) and row_b["accuracy"] == pytest.approx(0.6)
    assert row_b["auroc_ci95"] == list(
        bootstrap_auroc_ci([0.3, 0.8, 0.5, 0.2, 0.4], [1, 1, 0, 0, 0], 30, 0)
    )
    assert all(len(r["auroc_ci95"]) == 2 for r in rows)


def test_slice_with_a_single_class_is_reported_with_none():
    rows = slice_metrics([0.9, 0.1, 0.7], [1, 0, 1], {"domain": ["blog", "news", "news"]},
                         [SliceSpec("domain", "both")], None, n_resamples=20)
    blog = rows[1]
    assert (blog["slice"], blog["value"]) == ("domain", "blog")
    assert blog["auroc"] is None and blog["auroc_ci95"] is None and blog["ap"] is None
    assert (blog["n_positive"], blog["n_negative"]) == (1, 0)
    assert rows[2]["auroc"] == 1.0


def test_auto_slice_keeps_the_other_class_for_a_value_seen_in_one_class_only():
    # A user's column: "other-answer" only on negatives, "copied" only on positives, "mixed" on both.
    scores = [0.9, 0.6, 0.3, 0.8, 0.2, 0.5, 0.7]
    labels = [1, 1, 1, 0, 0, 0, 1]
    kind = ["copied", "copied", "mixed", "other-answer", "mixed", "other-answer", "mixed"]
    rows = slice_metrics(scores, labels, {"kind": kind}, [SliceSpec("kind", "auto")], None, n_resamples=20)
    got = {r["value"]: r for r in rows if r["slice"] == "kind"}
    assert list(got) == ["copied", "mixed", "other-answer"]
    # other-answer: its negatives (0.8, 0.5) against ALL four positives: 0.9 beats 2, 0.6 and 0.7 beat
    # 1 each, 0.3 none -> 4/8; the row says what it kept.
    other = got["other-answer"]
    assert (other["n_positive"], other["n_negative"]) == (4, 2) and other["auroc"] == pytest.approx(4 / 8)
    assert other["keeps"] == "all positives"
    assert other["auroc"] == auroc([0.9, 0.6, 0.3, 0.7, 0.8, 0.5], [1, 1, 1, 1, 0, 0])
    # copied: its positives (0.9, 0.6) against ALL three negatives: 3 + 2 = 5 of 6.
    copied = got["copied"]
    assert (copied["n_positive"], copied["n_negative"]) == (2, 3) and copied["keeps"] == "all negatives"
    assert copied["auroc"] == pytest.approx(5 / 6)
    # mixed (seen in both classes): only its own items, as "both" does; nothing kept, no "keeps".
    mixed = got["mixed"]
    assert (mixed["n_positive"], mixed["n_negative"]) == (2, 1) and "keeps" not in mixed
    assert mixed == {**slice_metrics(scores, labels, {"kind": kind}, [SliceSpec("kind", "both")], None,
                                     n_resamples=20)[2]}
    assert "keeps" not in rows[0]


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("scores", "labels", "message"),
    [
        ([0.1, 0.2], [0, 1, 1], "same length"),
        ([[0.1, 0.2]], [[0, 1]], "1-D"),
        ([0.1, 0.2], [[0, 1]], "1-D"),
        ([0.1, float("nan")], [0, 1], "finite"),
        ([0.1, float("inf")], [0, 1], "index 1"),
        ([0.1, 0.2], [0, 2], "0 or 1"),
        ([0.1, 0.2], ["a", "b"], "0/1"),
        (["x", "y"], [0, 1], "float64"),
    ],
)
def test_invalid_inputs_raise(scores, labels, message):
    for fn in (auroc, average_precision, lambda s, y: compute_metrics(s, y, None)):
        with pytest.raises(ValueError, match=message):
            fn(scores, labels)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="no negative"):
        auroc([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="no positive"):
        bootstrap_auroc_ci([0.1, 0.2], [0, 0])
    with pytest.raises(ValueError, match="objective"):
        best_threshold(A_SCORES, A_LABELS, "precision")
    with pytest.raises(ValueError, match="max_fpr"):
        tpr_at_fpr(A_SCORES, A_LABELS, 1.5)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_auroc_ci(A_SCORES, A_LABELS, n_resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_auroc_ci(A_SCORES, A_LABELS, confidence=1.0)
    with pytest.raises(ValueError, match="applies_to"):
        SliceSpec("domain", "positives")
    scores, labels, metadata = _slice_example()
    with pytest.raises(ValueError, match="'strength' is not in the metadata"):
        slice_metrics(scores, labels, metadata, [SliceSpec("strength", "positive")], None)
    with pytest.raises(ValueError, match="has 2 values but there are 6"):
        slice_metrics(scores, labels, {"domain": ["a", "b"]}, [SliceSpec("domain", "both")], None)


# ----------------------------------------------------------------------------- evaluate


def test_evaluate_module_loads_offline_and_agrees(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_EVALUATE_OFFLINE", "1")
    evaluate = pytest.importorskip("evaluate")

    path = evaluate_module_path()
    assert Path(path).is_file() and path.endswith("rewrite_detection.py")
    metric = evaluate.load(path, cache_dir=str(tmp_path), keep_in_memory=True)

    scores, labels = _random_data(80, seed=9)
    got = metric.compute(predictions=scores.tolist(), references=labels.tolist(),
                         f1_threshold=0.4, accuracy_threshold=0.6, n_resamples=100, seed=2)
    assert got == compute_metrics(scores, labels, Thresholds(0.4, 0.6, None),
                                  n_resamples=100, seed=2)
    plain = metric.compute(predictions=A_SCORES, references=A_LABELS, n_resamples=0)
    assert plain == compute_metrics(A_SCORES, A_LABELS, None, with_ci=False)
    assert plain["auroc"] == 0.75


def test_subset_slice_keeps_only_its_marked_items_and_never_reports_none():
    # pair's hard slice: in-region positives (0.9, 0.4) against hard negatives (0.5, 0.3); the
    # easy items (0.95 positive, 0.1 negative) are marked "none" and left out.
    scores = [0.9, 0.4, 0.95, 0.5, 0.3, 0.1]
    labels = [1, 1, 1, 0, 0, 0]
    hard = ["hard", "hard", "none", "hard", "hard", "none"]
    rows = slice_metrics(scores, labels, {"hard": hard}, [SliceSpec("hard", "subset")], None, n_resamples=20)
    got = [r for r in rows if r["slice"] == "hard"]
    assert [r["value"] for r in got] == ["hard"]
    assert (got[0]["n_positive"], got[0]["n_negative"]) == (2, 2)
    assert got[0]["auroc"] == pytest.approx(auroc([0.9, 0.4, 0.5, 0.3], [1, 1, 0, 0])) == pytest.approx(3 / 4)
