"""The results file, typed: one schema, checked when a result is written and when it is read.

A results file (``<output-dir>/<model>/<task>[@<data>].json``) is a :class:`Result`. Writing
validates the record the harness built, so a malformed result never reaches the disk; reading
migrates an older file to the current :data:`SCHEMA_VERSION` and validates it the same way. Every
consumer (leaderboard, report, validity, ``bench eval``'s tables, the Python API) works on the
typed :class:`Result`, which also knows the file it lives in (:attr:`Result.path`, not part of
its content).

Blocks whose fields are fixed are closed (an unknown field is an error); the blocks that
describe data sources (``data``), caches and per-slice metrics keep their open-ended fields.

Versions:

* **1**: the first layout. Files written before results recorded their environment lack
  ``environment.packages``, ``environment.git_revision`` and ``model.code_sha256``.
* **2**: ``task.shape`` (``scored`` or ``ranked``) is recorded, so a result says what kind of
  task it is instead of readers inferring it from which blocks are present. Span tasks
  (``aligned-spans``, ``flagged-spans``) came later in the same version: their results have
  neither ``thresholds`` nor ``retrieval``, and older files are all of the first two shapes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, model_validator

from rewrite_bench.types import BenchError

__all__ = ["SCHEMA_VERSION", "Result", "migrate", "validate_result", "ResultError"]

#: Version of the results-file layout this bench writes; older ones are migrated when read.
SCHEMA_VERSION = 2

Number = float | int | None


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class TaskInfo(_Closed):
    name: str
    version: str
    split: str | None
    """The evaluated split of the built-in data; None on a user's data or a track."""
    fingerprint: str
    main_score: str
    shape: Literal["scored", "ranked", "aligned-spans", "flagged-spans"]


class DataInfo(_Open):
    """What was evaluated: the built-in data (its fingerprint and build key), a user's data set or a
    real-world track (their source, format, columns, licence...)."""

    fingerprint: str
    kind: Literal["built-in", "user", "track"] = "built-in"
    max_originals: int | None = None
    """Built-in data: the ``--max-originals`` of a smoke build (None: the full build)."""
    name: str | None = None
    """A user's data set or a track: its name (the ``@NAME`` of the results file)."""
    fit: dict[str, Any] | None = None
    """A user's data set or a track: the built-in train split the model was fitted on, if any."""
    source: str | None = None
    """A user's data set: the file, folder or Hub id read."""
    format: str | None = None
    n_rows: int | None = None
    slice_by: list[str] | None = None
    """A user's data set: its ``--slice-by`` columns."""
    dev: dict[str, Any] | None = None
    """A user's data set: the ``--dev-data`` that chose its thresholds (None: none)."""
    track: str | None = None
    """A real-world track's name."""


class ModelInfo(_Closed):
    name: str
    slug: str
    args: dict[str, Any]
    source: str
    fitted_on: str | None
    trained_on_benchmark: bool
    code_sha256: str | None = None


class Environment(_Closed):
    python: str
    platform: str
    packages: dict[str, str | None] | None = None
    """Versions of the libraries that can change a score (None: not recorded, version 1 files)."""
    git_revision: str | None = None


class Counts(_Closed):
    positive: int
    negative: int


class PredictionsFile(_Closed):
    file: str
    sha256: str


class Bootstrap(_Closed):
    method: str
    resamples: int
    slice_resamples: int
    seed: int


class Thresholds(_Closed):
    f1: float | None = None
    accuracy: float | None = None
    source_split: str | None


class Retrieval(_Open):
    method: Literal["index+search", "rerank"]
    k: int
    pool_size: int


class SliceRow(_Open):
    """One slice's metrics (``slice`` and ``value`` name it; the metrics are the task's)."""

    slice: str
    value: str
    n_positive: int | None = None
    n_negative: int | None = None

    def score(self, metric: str) -> float | None:
        """The slice's value of ``metric`` (one of the task's metrics), None where it is undefined."""
        return (self.model_extra or {}).get(metric)


class Result(_Closed):
    schema_version: Literal[2]
    bench_version: str
    created_at: str
    task: TaskInfo
    data: DataInfo
    model: ModelInfo
    environment: Environment
    limit: int | None
    limited: bool
    batch_size: int
    n: Counts
    metrics: dict[str, Number | list[Number]]
    slices: list[SliceRow]
    bootstrap: Bootstrap
    runtime_s: dict[str, float]
    score_cache: dict[str, Any]
    notes: list[str]
    thresholds: Thresholds | None = None
    """Scored tasks: the F1 and accuracy thresholds and where they were chosen."""
    retrieval: Retrieval | None = None
    """Ranked tasks: how the model searched (index+search, or re-ranking a first stage)."""
    predictions: PredictionsFile | None = None
    """Set when the result is written: the predictions file beside it and its sha256."""
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        """The results file this was read from or written to (None for a result not on disk)."""
        return self._path

    def at(self, path: Path) -> "Result":
        """A copy of this result that knows the file it lives in (``path`` is not part of its content)."""
        placed = self.model_copy()
        placed._path = path
        return placed

    @property
    def where(self) -> str:
        """The results file, for messages (the model and task when it is not on disk)."""
        return str(self._path) if self._path is not None else f"the result of {self.model.slug} on {self.task.name}"

    @property
    def is_user_data(self) -> bool:
        return self.data.kind == "user"

    @property
    def is_track(self) -> bool:
        return self.data.kind == "track"

    @model_validator(mode="after")
    def _blocks_fit_the_shape(self) -> "Result":
        shape = self.task.shape
        if (shape == "ranked") != (self.retrieval is not None):
            raise ValueError(f"a result of a {shape} task {'needs' if shape == 'ranked' else 'has no'} 'retrieval' block")
        if (shape == "scored") != (self.thresholds is not None):
            raise ValueError(f"a result of a {shape} task {'needs' if shape == 'scored' else 'has no'} 'thresholds' block")
        if self.task.main_score not in self.metrics:
            raise ValueError(f"its main score {self.task.main_score!r} is not among its metrics")
        return self


class ResultError(BenchError):
    """A results record that does not fit the schema."""


def migrate(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` (a results file's JSON) brought to :data:`SCHEMA_VERSION`; unknown versions fail."""
    out = dict(record)
    version = out.get("schema_version")
    if version == 1:
        # Version 1 did not record the shape; its files had a 'retrieval' block exactly when they
        # were of the ranked task (the one place this inference is sound: a fixed, old layout).
        out["task"] = {**out["task"], "shape": "ranked" if "retrieval" in out else "scored"}
        out["schema_version"] = version = 2
    if version != SCHEMA_VERSION:
        raise ResultError(f"schema_version {version!r} is not one this bench reads (1 to {SCHEMA_VERSION}); "
                          f"re-run its eval with this version.")
    return out


def validate_result(record: Mapping[str, Any], where: str) -> Result:
    """``record`` as a :class:`Result`, or a :class:`ResultError` that names ``where`` and each problem."""
    try:
        return Result.model_validate(dict(record))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(record)'}: {e['msg']}"
                             for e in error.errors()[:5])
        more = f" (and {error.error_count() - 5} more)" if error.error_count() > 5 else ""
        raise ResultError(f"{where} does not fit the results schema: {problems}{more}.") from None
