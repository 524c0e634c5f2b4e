"""The real-world tracks' leaderboard sections, and whether the synthetic leaderboard predicts them.

Validity is measured as rank correlation (Spearman's rho and Kendall's tau-b) between the
models' order on the synthetic ``pair`` test split (main AUROC, and the ``hard`` column where
results have a slice row ``"slice": "hard"``) and their order on each track. Its interval is a
paired bootstrap over the track's items: resample the items (stratified by label, seeded),
recompute every model's track AUROC from its stored per-item scores, recompute the correlation
against the synthetic order, which is held fixed (its own AUROC intervals are about +-0.002).

Everything here is a pure function of the results records (and the predictions files they
point to) plus the vendored track data, so ``bench leaderboard`` recomputes it and the
staleness test covers it.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from rewrite_bench.results import read_predictions
from rewrite_bench.tracks import TRACK_TASK
from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from rewrite_bench.schema import Result

__all__ = ["average_ranks", "spearman", "kendall_tau_b", "paired_bootstrap", "verdict", "render_track_sections",
           "VALIDITY_RESAMPLES"]

#: Resamples of the paired bootstrap over a track's items (the TPR@1%FPR intervals and validity).
VALIDITY_RESAMPLES = 1000
_SEED = 0
_CHUNK_CELLS = 1_000_000


# --------------------------------------------------------------------------- rank correlation


def average_ranks(values: Any) -> np.ndarray:
    """Ranks along the last axis, 1-based, ties sharing their average rank (as ``scipy.stats.rankdata``)."""
    x = np.asarray(values, dtype=np.float64)
    less = (x[..., None, :] < x[..., :, None]).sum(axis=-1)
    equal = (x[..., None, :] == x[..., :, None]).sum(axis=-1)
    return less + (equal + 1) / 2.0


def spearman(a: Any, b: Any) -> np.ndarray | float:
    """Spearman's rho along the last axis (Pearson correlation of average ranks; NaN if either is constant).

    Broadcasts: ``spearman(fixed_order, per_resample_values)`` gives one rho per resample.
    """
    ra, rb = np.broadcast_arrays(average_ranks(a), average_ranks(b))
    ra = ra - ra.mean(axis=-1, keepdims=True)
    rb = rb - rb.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((ra * ra).sum(axis=-1) * (rb * rb).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(denominator > 0, (ra * rb).sum(axis=-1) / np.where(denominator > 0, denominator, 1), np.nan)
    return float(rho) if rho.ndim == 0 else rho


def kendall_tau_b(a: Any, b: Any) -> np.ndarray | float:
    """Kendall's tau-b along the last axis (as ``scipy.stats.kendalltau``; NaN if either is constant).

    (concordant - discordant) / sqrt(pairs untied in a * pairs untied in b), over all pairs i < j.
    """
    x, y = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    upper = np.triu(np.ones((x.shape[-1], x.shape[-1]), dtype=bool), k=1)
    sx = np.sign(x[..., :, None] - x[..., None, :])[..., upper]
    sy = np.sign(y[..., :, None] - y[..., None, :])[..., upper]
    denominator = np.sqrt((sx != 0).sum(axis=-1) * (sy != 0).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(denominator > 0, (sx * sy).sum(axis=-1) / np.where(denominator > 0, denominator, 1), np.nan)
    return float(tau) if tau.ndim == 0 else tau


# --------------------------------------------------------------------------- paired bootstrap


@dataclass(frozen=True)
class Resampled:
    """Per resample (rows) and model (columns): AUROC and TPR at 1% FPR on the same resampled items."""

    auroc: np.ndarray
    tpr_at_1pct_fpr: np.ndarray


def paired_bootstrap(scores: Any, labels: Any, n_resamples: int = VALIDITY_RESAMPLES, seed: int = _SEED,
                     max_fpr: float = 0.01) -> Resampled:
    """Every model's AUROC and TPR@``max_fpr`` on the same stratified resamples of the items.

    ``scores`` is (models, items), ``labels`` (items,) of 0/1. Resample ``b`` draws ``n_pos``
    positives and ``n_neg`` negatives with replacement (``default_rng(seed)``, positives then
    negatives, one resample at a time), so all models see the same items and the class sizes stay
    fixed. Each value equals :func:`rewrite_bench.metrics.auroc` / :func:`~rewrite_bench.metrics.tpr_at_fpr`
    on the resampled items (integer counts of tied score groups, as the metrics module does).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    if s.ndim != 2 or s.shape[1] != y.size:
        raise ValueError(f"scores must be (models, items) with {y.size} items, got shape {s.shape}")
    pos_items, neg_items = np.flatnonzero(y), np.flatnonzero(~y)
    n_pos, n_neg = pos_items.size, neg_items.size
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"paired_bootstrap needs both classes ({n_pos} positive, {n_neg} negative)")
    rng = np.random.default_rng(seed)
    draws_pos = np.empty((n_resamples, n_pos), dtype=np.int64)
    draws_neg = np.empty((n_resamples, n_neg), dtype=np.int64)
    for b in range(n_resamples):
        draws_pos[b] = pos_items[rng.integers(0, n_pos, n_pos)]
        draws_neg[b] = neg_items[rng.integers(0, n_neg, n_neg)]
    k = math.floor(round(max_fpr * n_neg, 9))  # as metrics.tpr_at_fpr: the k-th highest negative (0-based)
    aurocs = np.empty((n_resamples, s.shape[0]))
    tprs = np.empty((n_resamples, s.shape[0]))
    for m, row in enumerate(s):
        _, inv = np.unique(row, return_inverse=True)
        groups = int(inv.max()) + 1
        chunk = max(1, _CHUNK_CELLS // (y.size + 2 * groups))
        for start in range(0, n_resamples, chunk):
            rows = min(chunk, n_resamples - start)
            offsets = (np.arange(rows) * groups)[:, None]
            pos_g = inv[draws_pos[start : start + rows]] + offsets
            neg_g = inv[draws_neg[start : start + rows]] + offsets
            neg = np.bincount(neg_g.ravel(), minlength=rows * groups).reshape(rows, groups)
            pos = np.bincount(pos_g.ravel(), minlength=rows * groups).reshape(rows, groups)
            weight = 2 * np.cumsum(neg, axis=1) - neg  # 2 * (negatives below) + (negatives tied)
            aurocs[start : start + rows, m] = (pos * weight).sum(axis=1) / (2.0 * n_pos * n_neg)
            # Threshold: the k-th highest negative's group; positives strictly above it count.
            neg_at_or_above = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1]
            threshold = groups - 1 - np.argmax((neg_at_or_above > k)[:, ::-1], axis=1)
            pos_above = np.cumsum(pos[:, ::-1], axis=1)[:, ::-1] - pos  # positives in groups > g
            if k >= n_neg:
                tprs[start : start + rows, m] = 1.0
            else:
                tprs[start : start + rows, m] = pos_above[np.arange(rows), threshold] / n_pos
    return Resampled(auroc=aurocs, tpr_at_1pct_fpr=tprs)


def _interval(values: np.ndarray) -> tuple[float, float] | None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = np.quantile(finite, [0.025, 0.975])
    return float(lo), float(hi)


def verdict(interval: tuple[float, float] | None) -> str:
    """The rule of the generated sentences, on Spearman's 95% interval over resampled track items."""
    if interval is None:
        return "inconclusive"
    lo, hi = interval
    return "predicts" if lo > 0 else "does not predict" if hi < 0 else "inconclusive"


# --------------------------------------------------------------------------- reading results


def _hard_score(record: "Result") -> float | None:
    """The main score of a synthetic result's ``hard`` slice row (issue 12), None if it has none."""
    rows = [row for row in record.slices if row.slice == "hard"]
    return rows[0].score(record.task.main_score) if rows else None


def _full_track_record(record: "Result") -> bool:
    return record.is_track and not record.limited and (record.data.fit or {}).get("max_originals") is None


def _synthetic_pair(records: Sequence["Result"]) -> list["Result"]:
    """The leaderboard's ``pair`` records; with several task versions/fingerprints, the largest group."""
    from rewrite_bench.leaderboard import eligible

    groups: dict[tuple[str, str], list["Result"]] = defaultdict(list)
    for record in records:
        if eligible(record) and record.task.name == TRACK_TASK:
            groups[(record.task.version, record.task.fingerprint)].append(record)
    if not groups:
        return []
    return max(sorted(groups.items()), key=lambda kv: len(kv[1]))[1]


# --------------------------------------------------------------------------- rendering


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _with_ci(value: float | None, interval: tuple[float, float] | None, digits: int = 3) -> str:
    lo, hi = interval or (None, None)
    return f"{_fmt(value, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


@dataclass(frozen=True)
class _TrackStats:
    """What one track's section and validity row need."""

    name: str
    records: list["Result"]
    tpr_ci: dict[str, tuple[float, float] | None]
    correlations: dict[str, dict[str, tuple[float, tuple[float, float] | None]]]
    """column (``main``, ``hard``) -> ``spearman``/``kendall`` -> (value, 95% interval)."""
    models: dict[str, int]
    """column -> number of models in the correlation."""


def _track_stats(track: Any, records: list["Result"], synthetic: Mapping[str, "Result"]) -> _TrackStats:
    from rewrite_bench.tracks import track_rows

    rows = track_rows(track, track.test_split)
    ids = [row.id for row in rows]
    labels = np.array([row.label for row in rows])
    matrix = np.empty((len(records), len(ids)))
    for m, record in enumerate(records):
        scores = {i: float(row["score"]) for i, row in read_predictions(record).items()}
        missing = [i for i in ids if i not in scores]
        if missing or len(scores) != len(ids):
            raise BenchError(f"{record.where}: its predictions do not cover the items of track {track.name!r} "
                             f"({len(missing)} missing); re-run `bench eval --model {record.model.name} "
                             f"--track {track.name}`.")
        matrix[m] = [scores[i] for i in ids]
    resampled = paired_bootstrap(matrix, labels)
    slugs = [record.model.slug for record in records]
    tpr_ci = {slug: _interval(resampled.tpr_at_1pct_fpr[:, m]) for m, slug in enumerate(slugs)}
    correlations: dict[str, dict[str, tuple[float, tuple[float, float] | None]]] = {}
    counts: dict[str, int] = {}
    for column in ("main", "hard"):
        chosen = [m for m, slug in enumerate(slugs) if slug in synthetic
                  and (column == "main" or _hard_score(synthetic[slug]) is not None)]
        if len(chosen) < 3:
            continue
        fixed = np.array([synthetic[slugs[m]].metrics["auroc"] if column == "main" else _hard_score(synthetic[slugs[m]])
                          for m in chosen])
        point = np.array([records[m].metrics["auroc"] for m in chosen])
        per_resample = resampled.auroc[:, chosen]
        counts[column] = len(chosen)
        correlations[column] = {
            "spearman": (spearman(fixed, point), _interval(spearman(fixed, per_resample))),
            "kendall": (kendall_tau_b(fixed, point), _interval(kendall_tau_b(fixed, per_resample))),
        }
    return _TrackStats(track.name, records, tpr_ci, correlations, counts)


_TRACKS_INTRO = (
    "Human rewrites from public data sets, vendored unchanged in `benchmark/realdata/` (licence and citation "
    "of each in its `README.md` and below). Scored by `bench eval --model X --track real` with the `pair` "
    "harness, score cache and metrics; models that fit are fitted on the built-in `pair` train split, as above. "
    "AUROC CI: seeded stratified bootstrap (1,000 resamples). TPR@1%FPR CI: seeded stratified bootstrap over "
    "the track's items ({resamples:,} resamples) from the stored per-item scores. F1 and accuracy use "
    "thresholds chosen on the track's own dev data (– where it has none), never on its test data.")


def _section_for_track(track: Any, stats: _TrackStats, fingerprint: str) -> list[str]:
    from rewrite_bench.leaderboard import _table

    n = stats.records[0].n
    thresholds = (f"thresholds from its `{track.dev_split}` split" if track.dev_split
                  else "no dev data, so no F1 or accuracy")
    lines = [f"### `{track.name}`: {track.title}", "",
             f"{track.level.capitalize()} level, split `{track.test_split}`, {n.positive} positive / "
             f"{n.negative} negative pairs; {thresholds}. Label 1: {track.label_means}. "
             f"Data fingerprint `{fingerprint}`.", "",
             f"Source: {track.citation} Licence: {track.licence}.", ""]
    lines += _table(stats.records, ("kind",) if track.slice_by_kind else (), tpr_intervals=stats.tpr_ci)
    return lines + [""]


def _half_width(records: Sequence["Result"]) -> float:
    """The largest half-width of the results' AUROC intervals (how uncertain the synthetic side is)."""
    widths = [(hi - lo) / 2 for r in records for lo, hi in [r.metrics.get("auroc_ci95") or (0.0, 0.0)]]
    return max(widths, default=0.0)


def _smallest_gap(records: Sequence["Result"]) -> float:
    """The smallest difference between two models' synthetic AUROCs (0 with fewer than two)."""
    values = sorted(r.metrics["auroc"] for r in records)
    return min((b - a for a, b in zip(values, values[1:])), default=0.0)


def _validity_lines(stats: Sequence[_TrackStats], synthetic: Sequence["Result"],
                    resamples: int) -> list[str]:
    fingerprint = synthetic[0].task.fingerprint if synthetic else "–"
    has_hard = any(_hard_score(r) is not None for r in synthetic)
    lines = ["## Validity: does the synthetic leaderboard predict the real tracks?", "",
             f"Rank correlation between the models' order on the synthetic `pair` test split (task fingerprint "
             f"`{fingerprint}`) and their order on each track, by AUROC, over the models with results on both. "
             f"95% intervals: a paired bootstrap over the track's items ({resamples:,} seeded resamples, stratified "
             f"by label; every model's track AUROC recomputed from its stored scores on the same resampled items). "
             f"The synthetic side is held fixed: its own uncertainty is small (its AUROC intervals are at most "
             f"±{_half_width(synthetic):.3f}; adjacent models' synthetic AUROCs differ by as little as "
             f"{_smallest_gap(synthetic):.4f}, so the order of near-ties is itself uncertain). The intervals do not "
             f"cover the choice of models, which is small and fixed. "
             f"Verdict rule: the synthetic order *predicts* a track when the lower end of Spearman's interval is "
             f"above 0, *does not predict* it when the upper end is below 0, and is *inconclusive* otherwise.", ""]
    if not has_hard:
        lines += ["The hard column (the synthetic `hard` slice) is not yet available: no `pair` result has a "
                  "slice row `hard`; it appears here once they do.", ""]
    header = ["track", "models", "Spearman (95% CI)", "Kendall tau-b (95% CI)"]
    if has_hard:
        header += ["models (hard)", "Spearman hard (95% CI)", "Kendall tau-b hard (95% CI)"]
    lines += ["| " + " | ".join([*header, "verdict"]) + " |", "|" + "---|" * (len(header) + 1)]
    sentences = []
    for stat in stats:
        main = stat.correlations.get("main")
        cells = [f"`{stat.name}`", str(stat.models.get("main", len(stat.records)))]
        cells += ([_with_ci(*main["spearman"], digits=2), _with_ci(*main["kendall"], digits=2)] if main else ["–", "–"])
        if has_hard:
            hard = stat.correlations.get("hard")
            cells += [str(stat.models.get("hard", 0))]
            cells += ([_with_ci(*hard["spearman"], digits=2), _with_ci(*hard["kendall"], digits=2)] if hard
                      else ["–", "–"])
        said = verdict(main["spearman"][1]) if main else "inconclusive"
        lines.append("| " + " | ".join([*cells, said]) + " |")
        if main is None:
            sentences.append(f"- `{stat.name}`: fewer than 3 models have results on both; no correlation yet.")
            continue
        rho, interval = main["spearman"]
        clause = {"predicts": "predicts the order of models on",
                  "does not predict": "does not predict (it reverses) the order of models on",
                  "inconclusive": "cannot be said to predict or not predict the order of models on"}[said]
        hard = stat.correlations.get("hard")
        by_hard = (f"; its hard column: {verdict(hard['spearman'][1])}, Spearman {_with_ci(*hard['spearman'], digits=2)} "
                   f"over {stat.models['hard']} models" if hard else "")
        sentences.append(f"- The synthetic leaderboard {clause} `{stat.name}` (Spearman {_with_ci(rho, interval, 2)} "
                         f"over {stat.models['main']} models{by_hard}).")
    return lines + [""] + sentences + [""]


def _fitted_on_another_build(on_tracks: Sequence["Result"], synthetic: Mapping[str, "Result"]) -> list[str]:
    """Track results of fitted models whose train split is not the one of their synthetic result."""
    out = []
    for record in on_tracks:
        fit = record.data.fit or {}
        own = synthetic.get(record.model.slug)
        if fit and own is not None and fit.get("task_fingerprint") != own.task.fingerprint:
            out.append(record.where)
    return sorted(out)


def render_track_sections(records: Sequence["Result"], resamples: int = VALIDITY_RESAMPLES) -> list[str]:
    """The "Real-world tracks" and "Validity" sections, or nothing when there are no track results.

    Only full runs on the data the vendored files give now (same fingerprint) enter; a results
    file on an older version of a track is listed so it can be re-run.
    """
    from rewrite_bench.tracks import TRACKS, track_fingerprint

    on_tracks = [r for r in records if _full_track_record(r)]
    if not on_tracks:
        return []
    synthetic = {r.model.slug: r for r in _synthetic_pair(records)}
    lines = ["## Real-world tracks", "", _TRACKS_INTRO.format(resamples=resamples), ""]
    stats: list[_TrackStats] = []
    stale: list[str] = []
    for name, track in TRACKS.items():
        fingerprint = track_fingerprint(track)
        members = [r for r in on_tracks if r.data.track == name]
        stale += [r.where for r in members if r.task.fingerprint != fingerprint]
        current = [r for r in members if r.task.fingerprint == fingerprint]
        if not current:
            continue
        stat = _track_stats(track, current, synthetic)
        stats.append(stat)
        lines += _section_for_track(track, stat, fingerprint)
    if stale:
        lines += ["Left out, on an older version of a track's data (re-run them): "
                  + ", ".join(f"`{path}`" for path in sorted(stale)) + ".", ""]
    fitted_elsewhere = _fitted_on_another_build(on_tracks, synthetic)
    if fitted_elsewhere:
        lines += ["Fitted on another version of the `pair` train split than their synthetic results (re-run them "
                  "on the tracks to compare like with like): " + ", ".join(f"`{path}`" for path in fitted_elsewhere)
                  + ".", ""]
    return lines + _validity_lines(stats, list(synthetic.values()), resamples)
