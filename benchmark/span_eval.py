"""Run a model on a span task (``align``, ``distortion``) and measure its spans.

The model's method (``align_spans`` or ``distortion_spans``) takes the originals and the
candidates of a batch and returns, per candidate, a list of ``(start, end, score)`` character
spans. Every list is checked (``span_metrics.check_spans``: offsets inside the candidate,
sorted, not overlapping, finite scores), an error naming the model and the item.

Metrics are pooled over items (PAN's macro plagdet for alignment, token counts for
distortion), so each item contributes a few sums (``span_metrics.*_counts``); the bootstrap
interval of the main score re-adds those rows over resampled items, which makes 1,000
resamples cheap. Each slice keeps only its items.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from rewrite_bench.io import show_ids
from rewrite_bench.runner import (MAIN_RESAMPLES, SCHEMA_VERSION, SLICE_RESAMPLES, EvalOutcome, ModelError, fit_model,
                                  limit_items, model_record, record_footer, record_header)
from rewrite_bench.span_metrics import (PLAGDET_COUNTS, ScoredSpan, check_spans, f1_from_counts, plagdet_counts, plagdet_from_counts,
                                        span_counts, token_counts, token_labels, token_scores)
from rewrite_bench.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from datasets import Dataset

    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.metrics import SliceSpec
    from rewrite_bench.models import LoadedModel
    from rewrite_bench.userdata import UserData

__all__ = ["predict_spans", "span_item_counts", "span_metrics_of", "measure_spans", "evaluate_spans",
           "evaluate_user_spans", "gold_spans"]


def gold_spans(value: str, where: str) -> list[tuple[int, int]]:
    """An item's gold spans from their JSON (a list of ``[start, end]``)."""
    try:
        spans = json.loads(value)
        return [(int(start), int(end)) for start, end in spans]
    except (TypeError, ValueError) as error:
        raise BenchError(f"{where}: gold spans must be a JSON list of [start, end] pairs, got {value[:60]!r} "
                         f"({error}).") from None


def predict_spans(model: "LoadedModel", task: TaskMetadata, ids: Sequence[str], originals: Sequence[str],
                  candidates: Sequence[str], *, batch_size: int, progress: bool = False,
                  desc: str = "") -> list[list[ScoredSpan]]:
    """The model's checked spans for every item, in batches of ``batch_size``."""
    if batch_size < 1:
        raise BenchError(f"--batch-size must be >= 1, got {batch_size}.")
    where = f"model {model.name!r} on task {task.name!r}"
    out: list[list[ScoredSpan]] = []
    bar = None
    if progress:
        import sys

        from tqdm.auto import tqdm

        bar = tqdm(total=len(ids), desc=desc, unit="item", file=sys.stderr, leave=False)
    try:
        for start in range(0, len(ids), batch_size):
            batch = list(ids[start : start + batch_size])
            texts = list(candidates[start : start + batch_size])
            try:
                if model.by_id:
                    raw = model.obj.spans_ids(batch)
                else:
                    raw = model.score_batch(task, batch, [list(originals[start : start + batch_size]), texts])
                raw = list(raw)
            except BenchError:
                raise
            except Exception as error:
                raise ModelError(f"{where} raised {type(error).__name__}: {error} "
                                 f"(while finding spans in items {show_ids(batch)}).") from error
            if len(raw) != len(batch):
                raise ModelError(f"{where}: returned {len(raw)} span lists for {len(batch)} items "
                                 f"({show_ids(batch)}); return one list of (start, end, score) per candidate.")
            out += [check_spans(spans, text, f"{where}, item {item_id!r}")
                    for item_id, spans, text in zip(batch, raw, texts)]
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return out


def span_item_counts(main_score: str, texts: Sequence[str], gold: Sequence[Sequence[tuple[int, int]]],
                     predicted: Sequence[Sequence[ScoredSpan]]) -> np.ndarray:
    """Per item, the sums its task's pooled metrics are made of (one row per item)."""
    if main_score == "plagdet":
        rows = [plagdet_counts(g, p) + span_counts(g, p) for g, p in zip(gold, predicted)]
    else:
        rows = [token_counts(t, g, p) for t, g, p in zip(texts, gold, predicted)]
    return np.asarray(rows, dtype=np.float64).reshape(len(texts), -1)


def _pooled(main_score: str, totals: Sequence[float]) -> dict[str, float]:
    if main_score == "plagdet":
        scores = plagdet_from_counts(totals[:len(PLAGDET_COUNTS)])
        spans = f1_from_counts(*totals[len(PLAGDET_COUNTS):])
        return {"plagdet": scores.plagdet, "precision": scores.precision, "recall": scores.recall,
                "granularity": scores.granularity, "span_precision": spans.precision, "span_recall": spans.recall,
                "span_f1": spans.f1}
    tokens = f1_from_counts(*totals)
    return {"token_f1": tokens.f1, "token_precision": tokens.precision, "token_recall": tokens.recall}


def _interval(main_score: str, counts: np.ndarray, resamples: int, seed: int) -> list[float] | None:
    """The 95% percentile bootstrap interval of the main score over resampled items."""
    if len(counts) < 2 or resamples < 1:
        return None
    rng = np.random.default_rng(seed)
    values = [_pooled(main_score, counts[rng.integers(0, len(counts), len(counts))].sum(axis=0))[main_score]
              for _ in range(resamples)]
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def span_metrics_of(main_score: str, texts: Sequence[str], gold: Sequence[Sequence[tuple[int, int]]],
                    predicted: Sequence[Sequence[ScoredSpan]], labels: Sequence[int], *,
                    resamples: int = MAIN_RESAMPLES, seed: int = 0,
                    counts: np.ndarray | None = None) -> dict[str, Any]:
    """Every metric of a span task over some items, the main score with its bootstrap interval.

    Alignment (``plagdet``): plagdet, its precision, recall and granularity, and span-level
    precision, recall and F1. Distortion (``token_f1``): token-level precision, recall and F1,
    token AP of the span scores, and the AUROC of "has a meaning change" from each item's highest
    span score. AP and AUROC are None where one class is missing.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    counts = span_item_counts(main_score, texts, gold, predicted) if counts is None else counts
    metrics: dict[str, Any] = _pooled(main_score, counts.sum(axis=0))
    metrics[f"{main_score}_ci95"] = _interval(main_score, counts, resamples, seed)
    if main_score != "plagdet":
        token_gold = [label for t, g in zip(texts, gold) for label in token_labels(t, g)]
        token_score = [score for t, p in zip(texts, predicted) for score in token_scores(t, p)]
        metrics["token_ap"] = (float(average_precision_score(token_gold, token_score))
                               if 0 < sum(token_gold) < len(token_gold) else None)
        top = [max((s for _, _, s in spans), default=0.0) for spans in predicted]
        metrics["auroc_has_change"] = (float(roc_auc_score(labels, top)) if 0 < sum(labels) < len(labels) else None)
    return metrics


def _slice_rows(main_score: str, texts: Sequence[str], gold: Sequence[Sequence[tuple[int, int]]],
                predicted: Sequence[Sequence[ScoredSpan]], labels: Sequence[int], counts: np.ndarray,
                metadata: Mapping[str, Sequence[str]], positive_only: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The all-items row, then one row per value of each slice key, over that value's items.

    A key in ``positive_only`` describes the positive items only (``align``'s rewriter: its
    same-topic candidates have none), so its rows keep positive items and it has no ``none`` row.
    """
    rows = [{"slice": "all", "value": "all", "n_positive": int(sum(labels)), "n_negative": len(labels) - int(sum(labels)),
             **span_metrics_of(main_score, texts, gold, predicted, labels, resamples=SLICE_RESAMPLES, counts=counts)}]
    for key, values in metadata.items():
        for value in sorted(set(values) - ({"none"} if key in positive_only else set())):
            keep = [i for i, v in enumerate(values) if v == value and (labels[i] or key not in positive_only)]
            sub_labels = [labels[i] for i in keep]
            rows.append({"slice": key, "value": value, "n_positive": int(sum(sub_labels)),
                         "n_negative": len(keep) - int(sum(sub_labels)),
                         **span_metrics_of(main_score, [texts[i] for i in keep], [gold[i] for i in keep],
                                           [predicted[i] for i in keep], sub_labels, resamples=SLICE_RESAMPLES,
                                           counts=counts[keep])})
    return rows


def evaluate_spans(model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                   limit: int | None, batch_size: int, progress: bool = True) -> EvalOutcome:
    """Run ``model`` on one split of a span task of the built data; its results record and predictions."""
    started = time.perf_counter()
    splits = data.task(task.name)
    if split not in splits:
        raise BenchError(f"--split {split!r} does not exist for task {task.name!r}; choose one of {list(splits)}.")
    if len(splits[split]) == 0:
        raise BenchError(f"task {task.name!r} has no {split} items in the build at {data.path}: its gold comes from "
                         f"the rewrites' recorded edits, and these rewrites have none (data exported before edits "
                         f"were stored, or a rewriter that reports none, such as llm). Rebuild with "
                         f"`bench build --from-scratch`.")
    items = limit_items(splits[split], limit)
    fitted_on = None
    fit_seconds = 0.0
    if model.by_id:
        ids = items["id"]
        model.obj.cover(ids, {i for part in splits.values() for i in part["id"]}, task.name, spans=True)
    elif model.needs_fit():
        fit_seconds, fitted_on = fit_model(model, task.name, splits["train"]), "train"
    body, predictions = measure_spans(model, task, items, batch_size=batch_size, progress=progress,
                                      desc=f"{task.name}/{split}")
    body["runtime_s"]["fit"] = round(fit_seconds, 3)
    result = {**record_header(model, task, data, split, limit, len(splits[split]), fitted_on), **body, **record_footer()}
    result["runtime_s"]["total"] = round(time.perf_counter() - started, 3)
    return EvalOutcome(result=result, predictions=predictions)


def measure_spans(model: "LoadedModel", task: TaskMetadata, items: "Dataset", *, batch_size: int, progress: bool,
                  desc: str, slices: Sequence["SliceSpec"] | None = None,
                  notes: Sequence[str] = ()) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Predict and measure the spans of ``items`` (columns ``id``, the task's inputs, ``gold``,
    ``label`` and the ``slices``, by default the task's): the results-file body and the predictions rows."""
    slices = task.slices if slices is None else slices
    keys = [spec.key for spec in slices]
    table = items.select_columns(["id", *task.inputs, "gold", "label", *keys]).to_dict()
    ids, candidates = table["id"], table[task.inputs[-1]]
    gold = [gold_spans(value, f"task {task.name!r}, item {item_id!r}") for item_id, value in zip(ids, table["gold"])]
    t0 = time.perf_counter()
    predicted = predict_spans(model, task, ids, table[task.inputs[0]], candidates, batch_size=batch_size,
                              progress=progress, desc=desc)
    seconds = time.perf_counter() - t0
    labels = [int(label) for label in table["label"]]
    counts = span_item_counts(task.main_score, candidates, gold, predicted)
    metrics = span_metrics_of(task.main_score, candidates, gold, predicted, labels, counts=counts)
    slices = _slice_rows(task.main_score, candidates, gold, predicted, labels, counts, {k: table[k] for k in keys},
                         frozenset(spec.key for spec in slices if spec.applies_to == "positive"))
    predictions = [{"id": item_id, "score": max((s for _, _, s in spans), default=0.0),
                    "spans": [list(span) for span in spans]} for item_id, spans in zip(ids, predicted)]
    body = {
        "batch_size": batch_size,
        "n": {"positive": int(sum(labels)), "negative": len(labels) - int(sum(labels))},
        "bootstrap": {"method": f"percentile bootstrap of {task.main_score} over items", "resamples": MAIN_RESAMPLES,
                      "slice_resamples": SLICE_RESAMPLES, "seed": 0},
        "metrics": metrics,
        "slices": slices,
        "runtime_s": {"fit": 0.0, "scoring": round(seconds, 3)},
        "score_cache": {"used": False},
        "notes": list(notes),
    }
    return body, predictions


def evaluate_user_spans(model: "LoadedModel", task: TaskMetadata, data: "UserData", *, limit: int | None,
                        batch_size: int, builtin: "BenchmarkData | None" = None,
                        progress: bool = True) -> EvalOutcome:
    """A span task on a user's data set (``--task align|distortion --data FILE``), sliced by its
    ``--slice-by`` columns; a model that fits is fitted on the built-in train split, as for the leaderboard."""
    from rewrite_bench import __version__
    from rewrite_bench.metrics import SliceSpec

    started = time.perf_counter()
    if model.needs_fit() and not model.by_id and builtin is None:
        raise BenchError(f"model {model.name!r} is fitted on the built-in train split; load the built-in data first.")
    items = limit_items(data.items, limit)
    fit_seconds, train_fingerprint = 0.0, None
    if model.by_id:
        model.obj.cover(items["id"], set(data.items["id"]), task.name, spans=True)
    elif model.needs_fit() and builtin is not None:
        fit_seconds = fit_model(model, task.name, builtin.task(task.name)["train"])
        train_fingerprint = builtin.task_fingerprints[task.name]
    body, predictions = measure_spans(model, task, items, batch_size=batch_size, progress=progress,
                                      desc=f"{task.name}@{data.name}",
                                      slices=[SliceSpec(column, "both") for column in data.slice_by])
    body["runtime_s"]["fit"] = round(fit_seconds, 3)
    result = {
        "schema_version": SCHEMA_VERSION,
        "bench_version": __version__,
        "task": {"name": task.name, "version": task.version, "split": None, "fingerprint": data.fingerprint,
                 "main_score": task.main_score, "shape": task.shape},
        "data": {**data.record(),
                 **({"fit": {"data": "built-in", "split": "train", "task_fingerprint": train_fingerprint,
                             "max_originals": builtin.info["config"]["max_originals"]}}
                    if train_fingerprint and builtin is not None else {})},
        "model": model_record(model, "train" if train_fingerprint else None),
        "limit": limit,
        "limited": limit is not None and limit < len(data.items),
        **body,
        **record_footer(),
    }
    result["runtime_s"]["total"] = round(time.perf_counter() - started, 3)
    return EvalOutcome(result=result, predictions=predictions)
