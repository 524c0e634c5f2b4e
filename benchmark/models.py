"""Turn what the user typed after ``--model`` into something the harness can score with.

Forms accepted:

* a registered baseline name (``bench list``), e.g. ``tfidf``;
* ``package.module:attr`` naming a function ``f(originals, candidates) -> list[float]``, an
  object with ``score_pairs(originals, candidates)``, or a class (instantiated with the
  ``--model-arg`` options) whose instances have ``score_pairs``.

A model may also define ``fit_on_train(task_name, train_dataset)``; the harness then calls it
with the task's train split before scoring, and ``trained_on_benchmark`` (default True for
such models) says whether it read the labels.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from benchmark.io import stable_json
from benchmark.registry import MODELS, load_target, suggest
from benchmark.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["LoadedModel", "parse_model_args", "resolve_model", "model_slug"]


def parse_model_args(pairs: Sequence[str]) -> dict[str, Any]:
    """``["k=v", ...]`` to a dict; values are parsed as JSON when they can be (``3``, ``true``)."""
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise BenchError(f"--model-arg {pair!r} is not KEY=VALUE (e.g. --model-arg batch_size=16).")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        args[key.strip().replace("-", "_")] = value
    return args


def model_slug(name: str, args: Mapping[str, Any]) -> str:
    """A directory-safe name for a model and its arguments (arguments hashed, so runs differ)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"
    if args:
        slug += "__" + hashlib.sha256(stable_json(dict(args)).encode()).hexdigest()[:8]
    return slug


@dataclass
class LoadedModel:
    """A resolved model: the user's object plus what the results file records about it."""

    name: str
    args: dict[str, Any]
    obj: Any
    source: str
    """``baseline`` or ``python``."""
    description: str = ""
    fitted_on: str | None = field(default=None)

    @property
    def slug(self) -> str:
        return model_slug(self.name, self.args)

    @property
    def trained_on_benchmark(self) -> bool:
        return self.fitted_on is not None and bool(getattr(self.obj, "trained_on_benchmark", True))

    def supports(self, task: TaskMetadata) -> bool:
        return callable(getattr(self.obj, task.model_method, None)) or self._is_plain_function()

    def _is_plain_function(self) -> bool:
        return inspect.isfunction(self.obj) or inspect.isbuiltin(self.obj) or isinstance(self.obj, _Partial)

    def needs_fit(self) -> bool:
        return callable(getattr(self.obj, "fit_on_train", None))

    def fit(self, task: TaskMetadata, train: "Dataset", split: str) -> None:
        self.obj.fit_on_train(task.name, train)
        self.fitted_on = split

    def scorer(self, task: TaskMetadata) -> Callable[..., Any]:
        method = getattr(self.obj, task.model_method, None)
        return method if callable(method) else self.obj


class _Partial:
    """A plain function with ``--model-arg`` options bound as keywords."""

    def __init__(self, func: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
        self.func, self.kwargs = func, dict(kwargs)

    def __call__(self, *columns: Sequence[str]) -> Any:
        return self.func(*columns, **self.kwargs)


def _instantiate(cls: type, args: Mapping[str, Any], name: str) -> Any:
    try:
        return cls(**args)
    except TypeError as error:
        raise BenchError(f"model {name!r} does not accept the options {sorted(args)}: {error}. "
                         f"Check the --model-arg names.") from error


def _import_attr(name: str) -> Any:
    module_name, _, attr_path = name.partition(":")
    if not module_name or not attr_path:
        raise BenchError(f"--model {name!r}: write it as package.module:attribute (e.g. mymodels.spin:score).")
    # Like `python -m`, let users name a module in the current directory.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise BenchError(f"--model {name!r}: cannot import module {module_name!r} ({error}). "
                         f"Run bench from the directory that contains it or add it to PYTHONPATH.") from error
    obj: Any = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            public = [a for a in dir(obj) if not a.startswith("_")]
            raise BenchError(f"--model {name!r}: {module_name!r} has no attribute {attr_path!r}.{suggest(part, public)}")
        obj = getattr(obj, part)
    return obj


def resolve_model(name: str, args: Mapping[str, Any] | None = None) -> LoadedModel:
    """Resolve ``--model NAME`` (and its ``--model-arg`` options) or raise a helpful error."""
    args = dict(args or {})
    if name in MODELS:
        entry = MODELS[name]
        return LoadedModel(name, args, _instantiate(load_target(entry.target), args, name), "baseline", entry.description)
    if ":" in name:
        obj = _import_attr(name)
        if inspect.isclass(obj):
            obj = _instantiate(obj, args, name)
        elif args:
            if not (inspect.isfunction(obj) or inspect.isbuiltin(obj)):
                raise BenchError(f"--model {name!r} is an object, so it cannot take --model-arg options; "
                                 f"name its class instead, or drop the options.")
            obj = _Partial(obj, args)
        elif not callable(obj) and not any(callable(getattr(obj, m, None)) for m in ("score_pairs",)):
            raise BenchError(f"--model {name!r} is neither a function nor an object with score_pairs(originals, candidates).")
        return LoadedModel(name, args, obj, "python")
    raise BenchError(f"Unknown model {name!r}.{suggest(name, MODELS)} Known baselines: {', '.join(MODELS)}; "
                     f"or give package.module:attribute for your own scorer (see `bench list`).")
