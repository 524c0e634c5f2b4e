"""Validity of the synthetic leaderboard: rank correlations, the paired bootstrap, the generated sections."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from rewrite_bench.leaderboard import render_leaderboard
from rewrite_bench.metrics import auroc, compute_metrics, tpr_at_fpr
from rewrite_bench.results import load_results, write_result
from rewrite_bench.tracks import TRACKS, track_fingerprint, track_rows
from rewrite_bench.validity import average_ranks, kendall_tau_b, paired_bootstrap, spearman, verdict
from conftest import changed

# Fixed inputs with ties on both sides, a reversal and a constant.
FIXED = [
    ([0.91, 0.85, 0.85, 0.70, 0.62, 0.50], [0.80, 0.81, 0.79, 0.60, 0.60, 0.49]),
    ([1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]),
    ([0.3, 0.1, 0.2, 0.2, 0.9], [0.5, 0.5, 0.4, 0.7, 0.1]),
    ([0.976, 0.95, 0.93, 0.9, 0.88, 0.87, 0.86, 0.5], [0.96, 0.97, 0.90, 0.91, 0.85, 0.99, 0.80, 0.51]),
]


@pytest.mark.parametrize(("a", "b"), FIXED)
def test_rank_correlations_match_scipy(a, b):
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert kendall_tau_b(a, b) == pytest.approx(stats.kendalltau(a, b).statistic, abs=1e-12)
    assert average_ranks(b) == pytest.approx(stats.rankdata(b))


def test_rank_correlations_vectorise_over_resamples():
    fixed = np.array(FIXED[3][0])
    rows = np.random.default_rng(1).random((20, 8)).round(1)  # rounded: ties within rows
    rho, tau = spearman(fixed, rows), kendall_tau_b(fixed, rows)
    assert rho.shape == tau.shape == (20,)
    for r, row in enumerate(rows):
        assert rho[r] == pytest.approx(stats.spearmanr(fixed, row).statistic, abs=1e-12)
        assert tau[r] == pytest.approx(stats.kendalltau(fixed, row).statistic, abs=1e-12)
    assert math.isnan(spearman(fixed, np.ones(8))) and math.isnan(kendall_tau_b(fixed, np.ones(8)))


def test_paired_bootstrap_recomputes_each_metric_on_the_same_resampled_items():
    rng = np.random.default_rng(7)
    labels = np.array([1] * 30 + [0] * 170)
    scores = np.stack([labels + rng.normal(0, s, labels.size) for s in (0.5, 1.0, 3.0)]).round(2)  # with ties
    got = paired_bootstrap(scores, labels, n_resamples=5, seed=3)
    # The documented draws: default_rng(seed), positives then negatives, one resample at a time.
    draw = np.random.default_rng(3)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    for b in range(5):
        items = np.concatenate([pos[draw.integers(0, 30, 30)], neg[draw.integers(0, 170, 170)]])
        for m in range(3):
            assert got.auroc[b, m] == auroc(scores[m, items], labels[items])
            assert got.tpr_at_1pct_fpr[b, m] == tpr_at_fpr(scores[m, items], labels[items], 0.01)[0]


def test_verdict_rule():
    assert verdict((0.1, 0.9)) == "predicts"
    assert verdict((-0.9, -0.2)) == "does not predict"
    assert verdict((-0.2, 0.8)) == verdict(None) == "inconclusive"


# --------------------------------------------------------------------------- the leaderboard sections


def _complete(record: dict) -> dict:
    """A results record with the schema's bookkeeping filled in (what these tests do not vary)."""
    return {"bench_version": "test", "created_at": "2026-01-01T00:00:00+00:00", "limit": None, "batch_size": 8,
            "environment": {"python": "3", "platform": "test"}, "runtime_s": {"total": 0.0}, "score_cache": {"used": False},
            "notes": [], "bootstrap": {"method": "test", "resamples": 0, "slice_resamples": 0, "seed": 0},
            **record, "task": {"shape": "scored", **record["task"]},
            "model": {"source": "python", "fitted_on": None, **record["model"]}}


def _synthetic(name: str, value: float, hard: float | None = None) -> dict:
    slices = [{"slice": "negative_kind", "value": "same-topic", "auroc": value - 0.1}]
    if hard is not None:
        slices.append({"slice": "hard", "value": "hard", "auroc": hard})
    return _complete({
        "schema_version": 2,
        "task": {"name": "pair", "version": "1.0", "split": "test", "fingerprint": "syn", "main_score": "auroc"},
        "data": {"fingerprint": "dsyn", "max_originals": None},
        "model": {"name": name, "args": {}, "slug": name, "trained_on_benchmark": False},
        "limited": False, "n": {"positive": 10, "negative": 10},
        "metrics": {"auroc": value, "ap": 0.5, "tpr_at_1pct_fpr": 0.1, "tpr_at_5pct_fpr": 0.2, "f1": 0.6,
                    "accuracy": 0.7, "auroc_ci95": [value - 0.002, value + 0.002]},
        "slices": slices, "thresholds": {"source_split": "dev"},
    })


def _on_clough(name: str, noise: float, seed: int) -> tuple[dict, list[dict]]:
    """A results record on the Clough track whose scores are the labels plus noise."""
    rows = track_rows(TRACKS["clough-stevenson"], "all")
    labels = np.array([r.label for r in rows])
    scores = labels + np.random.default_rng(seed).normal(0, noise, labels.size)
    metrics = compute_metrics(scores, labels, None)
    n = {"positive": metrics.pop("n_positive"), "negative": metrics.pop("n_negative")}
    record = _complete({
        "schema_version": 2,
        "task": {"name": "pair", "version": "1.0", "split": None, "main_score": "auroc",
                 "fingerprint": track_fingerprint(TRACKS["clough-stevenson"])},
        "data": {"kind": "track", "name": "clough-stevenson", "track": "clough-stevenson",
                 "fingerprint": track_fingerprint(TRACKS["clough-stevenson"])},
        "model": {"name": name, "args": {}, "slug": name, "trained_on_benchmark": False},
        "limited": False, "n": n, "metrics": metrics, "slices": [], "thresholds": {"source_split": None},
    })
    return record, [{"id": r.id, "score": float(s)} for r, s in zip(rows, scores)]


def _results(tmp_path, hard: bool) -> list[dict]:
    out = tmp_path / "results"
    for i, (name, noise) in enumerate([("good", 0.4), ("fair", 0.5), ("weak", 1.0), ("poor", 3.0)]):
        write_result(out, *_on_clough(name, noise, seed=i))
        synthetic = _synthetic(name, 0.99 - 0.1 * i, hard=0.9 - 0.1 * i if hard else None)
        write_result(out, synthetic, [])
    return load_results(out)


def test_track_and_validity_sections(tmp_path):
    records = _results(tmp_path, hard=False)
    text = render_leaderboard(records)
    builtin = render_leaderboard([r for r in records if not r.is_track])
    assert text.startswith(builtin)  # the built-in sections are unchanged; the new ones follow
    assert "## Real-world tracks" in text and "### `clough-stevenson`" in text
    assert "TPR@1%FPR (95% CI)" in text
    track = {r.model.slug: r.metrics["auroc"] for r in records if r.is_track}
    synthetic = {r.model.slug: r.metrics["auroc"] for r in records if not r.is_track}
    names = sorted(track)
    rho = stats.spearmanr([synthetic[n] for n in names], [track[n] for n in names]).statistic
    row = next(line for line in text.splitlines() if line.startswith("| `clough-stevenson` | 4 |"))
    assert f"| {rho:.2f} [" in row and row.endswith("| predicts |")
    assert "The hard column (the synthetic `hard` slice) is not yet available" in text
    assert "- The synthetic leaderboard predicts the order of models on `clough-stevenson`" in text
    assert render_leaderboard(load_results(tmp_path / "results")) == text  # deterministic


def test_the_hard_column_appears_when_the_rows_exist(tmp_path):
    text = render_leaderboard(_results(tmp_path, hard=True))
    assert "Spearman hard (95% CI)" in text and "not yet available" not in text
    assert "; its hard column: predicts, Spearman 1.00 [" in text


def test_a_track_result_on_older_data_is_left_out_and_named(tmp_path):
    records = _results(tmp_path, hard=False)
    stale = next(r for r in records if r.model.slug == "poor" and r.is_track)
    records = [changed(r, task={"fingerprint": "old"}) if r is stale else r for r in records]
    text = render_leaderboard(records)
    assert "on an older version of a track's data" in text and "poor/pair@clough-stevenson.json" in text
    assert "| `clough-stevenson` | 3 |" in text


def test_a_track_result_fitted_on_another_build_is_named(tmp_path):
    records = _results(tmp_path, hard=False)
    fitted = next(r for r in records if r.model.slug == "fair" and r.is_track)

    def fitted_on(task_fingerprint: str) -> list:
        fit = {"data": "built-in", "split": "train", "task_fingerprint": task_fingerprint}
        return [changed(r, data={"fit": fit}) if r is fitted else r for r in records]

    text = render_leaderboard(fitted_on("older"))
    assert "Fitted on another version of the `pair` train split" in text and "fair/pair@clough-stevenson.json" in text
    # The synthetic results' task fingerprint: nothing to say.
    assert "Fitted on another version" not in render_leaderboard(fitted_on("syn"))
