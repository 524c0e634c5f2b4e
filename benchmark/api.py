"""RewriteBench from Python: load a task's items, evaluate a model, get a typed result.

    from rewrite_bench.api import evaluate
    result = evaluate("tfidf", task="pair")          # or a function, or an object with score_pairs
    print(result.metrics["auroc"], result.task.fingerprint)

``evaluate`` does what ``bench eval`` does for one task on the built-in data (the same build,
harness, score cache and metrics) and returns the :class:`rewrite_bench.schema.Result` that
``bench eval`` would write; pass ``output_dir`` to write it (and its predictions) as well.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from datasets import Dataset

    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.models import LoadedModel
    from rewrite_bench.schema import Result

__all__ = ["load_data", "load_task", "evaluate"]


def load_data(*, cache_dir: str | Path | None = None, max_originals: int | None = None,
              progress: bool = False) -> "BenchmarkData":
    """The built-in data (the default build from the shipped data, or a smaller ``max_originals`` build)."""
    from rewrite_bench.build import BuildConfig, load_or_build
    from rewrite_bench.io import resolve_cache_dir

    if max_originals is not None and max_originals < 1:
        raise BenchError(f"max_originals must be >= 1, got {max_originals}.")
    return load_or_build(resolve_cache_dir(None if cache_dir is None else str(cache_dir)),
                         BuildConfig(max_originals=max_originals), progress=progress)


def load_task(task: str = "pair", split: str = "test", **data_options: Any) -> "Dataset":
    """One split of a task's labelled items (a ``datasets.Dataset``); ``data_options`` as :func:`load_data`."""
    from rewrite_bench.registry import TASKS, lookup

    lookup(TASKS, task, "task")
    parts = load_data(**data_options).task(task)
    if split not in parts:
        raise BenchError(f"split {split!r} does not exist for task {task!r}; choose one of {list(parts)}.")
    return parts[split]


def _model(model: Any, model_args: Mapping[str, Any] | None) -> "LoadedModel":
    from rewrite_bench.models import LoadedModel, resolve_model

    if isinstance(model, LoadedModel):
        return model
    if isinstance(model, (str, Path)):
        return resolve_model(str(model), dict(model_args or {}))
    if model_args:
        raise BenchError("model_args configure a model given by name; pass an instance already configured.")
    name = getattr(model, "name", None) or getattr(model, "__name__", None) or type(model).__name__
    return LoadedModel(str(name), {}, model, "python")


def evaluate(model: Any, task: str = "pair", *, split: str = "test", limit: int | None = None,
             batch_size: int = 64, model_args: Mapping[str, Any] | None = None, score_cache: bool = True,
             output_dir: str | Path | None = None, progress: bool = False, **data_options: Any) -> "Result":
    """Evaluate ``model`` on one split of ``task`` and return its typed result.

    ``model``: a name as ``bench eval --model`` takes it (a baseline, ``module:attr``, a model
    directory or Hub id, ``predictions:FILE``), with ``model_args`` as its ``--model-arg``
    options; or a Python object: a function of the task's inputs (``f(originals, candidates)``)
    or an object with the task's model method (``score_pairs``, ``score_texts``, or ``index`` and
    ``search``). ``data_options``: ``cache_dir``, ``max_originals`` (see :func:`load_data`).
    """
    from rewrite_bench.io import resolve_cache_dir
    from rewrite_bench.registry import TASKS, load_target, lookup
    from rewrite_bench.results import write_result
    from rewrite_bench.schema import validate_result
    from rewrite_bench.shapes import shape_of

    metadata = load_target(lookup(TASKS, task, "task").target).metadata
    loaded = _model(model, model_args)
    reason = loaded.unsupported(metadata)
    if reason is not None:
        raise BenchError(f"model {loaded.name!r} cannot run task {task!r}: {reason}.")
    data = load_data(**data_options)
    cache_dir = data_options.get("cache_dir")
    score_cache_dir = (resolve_cache_dir(None if cache_dir is None else str(cache_dir)) / "scores"
                       if score_cache and loaded.cacheable else None)
    outcome = shape_of(metadata).evaluate(loaded, metadata, data, split=split, limit=limit, batch_size=batch_size,
                                          score_cache_dir=score_cache_dir, progress=progress)
    if output_dir is not None:  # what was written (with its predictions file), knowing its path
        return write_result(Path(output_dir), outcome.result, outcome.predictions)
    return validate_result(outcome.result, f"the result of model {loaded.name!r} on task {task!r}")
