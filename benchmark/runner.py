"""Score a task's items with a model and turn the scores into a results record.

The harness owns batching, progress, validation and timing, so a model is just a function.
Scores are validated batch by batch: a wrong count, a non-number, NaN/inf or an exception
stops the run with the model, task and item ids named, before anything is written.
"""
from __future__ import annotations

import hashlib
import platform
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from benchmark import __version__
from benchmark.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from datasets import Dataset

    from benchmark.build import BenchmarkData
    from benchmark.models import LoadedModel

__all__ = ["SCHEMA_VERSION", "THRESHOLD_SPLIT", "ModelError", "EvalOutcome", "score_dataset",
           "limit_items", "evaluate_task"]

#: Version of the results-file layout; bumped on any incompatible change.
SCHEMA_VERSION = 1

#: Where the F1/accuracy thresholds come from for each evaluated split (never the split itself).
THRESHOLD_SPLIT: dict[str, str | None] = {"test": "dev", "dev": "train", "train": None}

_MAX_IDS_SHOWN = 10

#: Bootstrap resamples for the headline AUROC interval and for each slice's interval (the
#: slices are many and secondary, so fewer; both are recorded in the results file).
MAIN_RESAMPLES = 1000
SLICE_RESAMPLES = 200


class ModelError(BenchError):
    """The model failed or returned unusable scores."""


@dataclass(frozen=True)
class EvalOutcome:
    result: dict[str, Any]
    predictions: list[dict[str, Any]]


def _show(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_MAX_IDS_SHOWN])
    return shown + (f" (and {len(ids) - _MAX_IDS_SHOWN} more)" if len(ids) > _MAX_IDS_SHOWN else "")


def _validate(raw: Any, ids: Sequence[str], where: str) -> np.ndarray:
    try:
        values = list(raw)
    except TypeError:
        raise ModelError(f"{where}: expected a list of {len(ids)} scores, got {type(raw).__name__} "
                         f"for items {_show(ids)}.") from None
    if len(values) != len(ids):
        raise ModelError(f"{where}: returned {len(values)} scores for {len(ids)} items ({_show(ids)}); "
                         f"return exactly one float per item, in order.")
    scores = np.empty(len(values), dtype=np.float64)
    bad_type: list[str] = []
    for i, value in enumerate(values):
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            scores[i] = float(value)
        except (TypeError, ValueError):
            bad_type.append(ids[i])
    if bad_type:
        raise ModelError(f"{where}: non-numeric scores for items {_show(bad_type)}.")
    non_finite = [ids[i] for i in np.flatnonzero(~np.isfinite(scores))]
    if non_finite:
        raise ModelError(f"{where}: NaN or infinite scores for items {_show(non_finite)}.")
    return scores


def _columns(items: "Dataset", names: Sequence[str]) -> dict[str, list[Any]]:
    """Plain lists of some columns (reading a lazy column row by row is slow)."""
    return items.select_columns(list(names)).to_dict()


def score_dataset(model: "LoadedModel", task: TaskMetadata, items: "Dataset", *, batch_size: int,
                  progress: bool, desc: str) -> np.ndarray:
    """One validated float per item, in item order, scored in batches of ``batch_size``."""
    if batch_size < 1:
        raise BenchError(f"--batch-size must be >= 1, got {batch_size}.")
    scorer = model.scorer(task)
    table = _columns(items, ["id", *task.inputs])
    ids: list[str] = table["id"]
    columns = [table[name] for name in task.inputs]
    scores = np.empty(len(ids), dtype=np.float64)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ids), desc=desc, unit="item", file=sys.stderr, leave=False)
    try:
        for start in range(0, len(ids), batch_size):
            stop = min(start + batch_size, len(ids))
            batch_ids = ids[start:stop]
            where = f"model {model.name!r} on task {task.name!r}"
            try:
                raw = scorer(*(column[start:stop] for column in columns))
            except Exception as error:
                raise ModelError(f"{where} raised {type(error).__name__}: {error} "
                                 f"(while scoring items {_show(batch_ids)}).") from error
            scores[start:stop] = _validate(raw, batch_ids, where)
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    return scores


def limit_items(items: "Dataset", limit: int | None) -> "Dataset":
    """A stable subset of ``limit`` items: the first in order of a hash of their ids.

    Hash order mixes labels and slices, so a small limit still has both classes.
    """
    if limit is None or limit >= len(items):
        return items
    if limit < 1:
        raise BenchError(f"--limit must be >= 1, got {limit}.")
    ids = _columns(items, ["id"])["id"]
    order = sorted(range(len(ids)), key=lambda i: hashlib.sha256(ids[i].encode()).hexdigest())
    return items.select(sorted(order[:limit]))


def evaluate_task(model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                  limit: int | None, batch_size: int, progress: bool = True) -> EvalOutcome:
    """Fit (if the model wants it), score, and compute every metric for one task and split."""
    from benchmark.metrics import Thresholds, best_threshold, compute_metrics, slice_metrics

    started = time.perf_counter()
    splits = data.task(task.name)
    if split not in splits:
        raise BenchError(f"--split {split!r} does not exist for task {task.name!r}; choose one of {list(splits)}.")
    fit_seconds = 0.0
    if model.needs_fit():
        t0 = time.perf_counter()
        try:
            model.fit(task, splits["train"], "train")
        except Exception as error:
            raise ModelError(f"model {model.name!r} raised {type(error).__name__} in fit_on_train "
                             f"for task {task.name!r}: {error}") from error
        fit_seconds = time.perf_counter() - t0

    threshold_split = THRESHOLD_SPLIT.get(split)
    thresholds = Thresholds(f1=None, accuracy=None, source_split=None)
    dev_seconds = 0.0
    if threshold_split is not None:
        t0 = time.perf_counter()
        dev = limit_items(splits[threshold_split], limit)
        dev_scores = score_dataset(model, task, dev, batch_size=batch_size, progress=progress,
                                   desc=f"{task.name}/{threshold_split} (thresholds)")
        dev_labels = np.asarray(_columns(dev, ["label"])["label"])
        thresholds = Thresholds(f1=best_threshold(dev_scores, dev_labels, "f1"),
                                accuracy=best_threshold(dev_scores, dev_labels, "accuracy"),
                                source_split=threshold_split)
        dev_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    items = limit_items(splits[split], limit)
    scores = score_dataset(model, task, items, batch_size=batch_size, progress=progress, desc=f"{task.name}/{split}")
    score_seconds = time.perf_counter() - t0

    table = _columns(items, ["id", "label", *(spec.key for spec in task.slices)])
    labels = np.asarray(table["label"])
    metrics = compute_metrics(scores, labels, thresholds, n_resamples=MAIN_RESAMPLES)
    n = {"positive": metrics.pop("n_positive"), "negative": metrics.pop("n_negative")}
    metadata = {spec.key: table[spec.key] for spec in task.slices}
    slices = slice_metrics(scores, labels, metadata, task.slices, thresholds, n_resamples=SLICE_RESAMPLES)
    predictions = [{"id": item_id, "score": float(score)} for item_id, score in zip(table["id"], scores)]
    result = {
        "schema_version": SCHEMA_VERSION,
        "bench_version": __version__,
        "task": {"name": task.name, "version": task.version, "split": split,
                 "fingerprint": data.task_fingerprints[task.name], "main_score": task.main_score},
        "data": {"fingerprint": data.fingerprint, "config_key": data.info["config_key"],
                 "seed": data.info["config"]["seed"], "max_originals": data.info["config"]["max_originals"]},
        "model": {"name": model.name, "args": model.args, "slug": model.slug, "source": model.source,
                  "fitted_on": model.fitted_on, "trained_on_benchmark": model.trained_on_benchmark},
        "limit": limit,
        "limited": limit is not None and limit < len(splits[split]),
        "batch_size": batch_size,
        "n": n,
        "thresholds": asdict(thresholds),
        "bootstrap": {"resamples": MAIN_RESAMPLES, "slice_resamples": SLICE_RESAMPLES, "seed": 0,
                      "method": "stratified percentile bootstrap of AUROC"},
        "metrics": metrics,
        "slices": slices,
        "runtime_s": {"total": round(time.perf_counter() - started, 3), "fit": round(fit_seconds, 3),
                      "thresholds": round(dev_seconds, 3), "scoring": round(score_seconds, 3)},
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "environment": {"python": platform.python_version(), "platform": platform.platform()},
    }
    return EvalOutcome(result=result, predictions=predictions)
