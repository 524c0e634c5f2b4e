"""Results files: one JSON per (model, task) plus its raw predictions as JSONL.

Layout: ``<output-dir>/<model-slug>/<task>.json`` and ``<task>.predictions.jsonl`` beside it
(``id`` and ``score`` per line; retrieval adds the source's rank and the top 10 documents).
On a user's data set (``--data``) the stem is ``<task>@<data-name>``, on a real-world track
(``--track``) ``<task>@<track>``.
Both are written atomically, predictions first, so a results file always has its predictions.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

from rewrite_bench.io import atomic_write_text
from rewrite_bench.schema import PredictionsFile, Result, ResultError, migrate, validate_result
from rewrite_bench.types import BenchError

__all__ = ["write_result", "refuse_to_replace_other_data", "load_results", "read_predictions", "finite_score",
           "result_path", "result_stem"]


def result_stem(result: Result) -> str:
    """``<task>`` on the built-in data, ``<task>@<name>`` on a user's data set or a real-world track."""
    return f"{result.task.name}@{result.data.name}" if result.is_user_data or result.is_track else result.task.name


def result_path(output_dir: Path, model_slug: str, stem: str) -> Path:
    return output_dir / model_slug / f"{stem}.json"


def refuse_to_replace_other_data(path: Path, data: Any,
                                 fix: str = "pass --data-name NAME to keep both, or delete that file") -> None:
    """Results of one data name may be replaced by a re-run on the same source, never by other data.

    ``data`` is the run's user data set or track (its ``source``, ``split`` and ``name``); the
    existing results file at ``path``, if any, must record the same source and split.
    """
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("data", {})
    except (OSError, ValueError, AttributeError):
        return  # an unreadable file is replaced; nothing in it could be kept
    if (old.get("source"), old.get("split")) != (data.source, data.split):
        raise BenchError(f"{path} holds results on other data ({old.get('source')}"
                         + (f", split {old['split']}" if old.get("split") else "") + f") under the name "
                         f"{data.name!r}; {fix}.")


def write_result(output_dir: Path, result: Mapping[str, Any], predictions: Iterable[Mapping[str, Any]]) -> Result:
    """Write the predictions, then the results file that points to them; return the typed result,
    which knows its file (:attr:`Result.path`)."""
    typed = validate_result(result, f"the result to write under {output_dir}")  # nothing malformed reaches the disk
    stem = result_stem(typed)
    path = result_path(output_dir, typed.model.slug, stem)
    lines = "".join(json.dumps(dict(p)) + "\n" for p in predictions)
    predictions_path = path.with_name(f"{stem}.predictions.jsonl")
    typed = typed.model_copy(update={"predictions": PredictionsFile(
        file=predictions_path.name, sha256=hashlib.sha256(lines.encode("utf-8")).hexdigest())})
    try:
        atomic_write_text(predictions_path, lines)
        atomic_write_text(path, json.dumps(typed.model_dump(mode="json", exclude_unset=True), indent=2,
                                           sort_keys=True) + "\n")
    except OSError as error:
        raise BenchError(f"could not write results to {path}: {error}. Choose a writable --output-dir.") from error
    return typed.at(path)


def load_results(results_dir: Path) -> list[Result]:
    """Every results file under ``results_dir`` (sorted by path), migrated to the current schema and
    validated (:mod:`rewrite_bench.schema`); each knows its file (:attr:`Result.path`)."""
    if not results_dir.is_dir():
        raise BenchError(f"results directory {results_dir} does not exist; run `bench eval` first "
                         f"or pass --results DIR.")
    records = []
    for path in sorted(results_dir.glob("*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise BenchError(f"results file {path} is not valid JSON ({error}); delete it or re-run its eval.") from error
        if not isinstance(record, dict):
            raise BenchError(f"results file {path} is not a JSON object; delete it or re-run its eval.")
        try:
            typed = validate_result(migrate(record), f"results file {path}")
        except ResultError as error:
            raise BenchError(f"{error} Delete it or re-run its eval.") from None
        records.append(typed.at(path))
    return records


def finite_score(value: Any) -> float | None:
    """A JSON value as a finite float, or None if it is not a finite number (booleans, text, NaN,
    infinities and integers too large for a float are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def read_predictions(result: Result) -> dict[str, dict[str, Any]]:
    """id -> row of a stored result's predictions file, checked against the sha256 it records.

    Each line must be a JSON object with a unique non-empty string ``id`` and a finite ``score``
    (and an integer ``rank_of_source`` on a ranked task's result); anything else is a :class:`BenchError`
    naming the file and line.
    """
    results_file = result.where
    entry = result.predictions
    name = entry.file if entry is not None else None
    if result.path is None or name is None or Path(name).name != name or name in ("", ".", "..") or "\0" in name:
        raise BenchError(f"{results_file}: its 'predictions' entry ({entry!r}) does not give the name of a "
                         f"predictions file beside it and that file's sha256; re-run its eval.")
    path = result.path.with_name(name)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BenchError(f"{results_file}: its predictions file {path} cannot be read ({error}); "
                         f"re-run its eval.") from error
    if hashlib.sha256(raw).hexdigest() != entry.sha256:
        raise BenchError(f"{path} does not match the sha256 in {results_file}; re-run its eval.")
    ranked = result.task.shape == "ranked"
    rows: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line.decode("utf-8"))
        except ValueError as error:  # UnicodeDecodeError is a ValueError too
            raise BenchError(f"{where}: not a JSON object ({error}); re-run the eval of {results_file}.") from None
        if not isinstance(row, dict):
            raise BenchError(f"{where}: expected a JSON object, got {type(row).__name__}; "
                             f"re-run the eval of {results_file}.")
        item_id = row.get("id")
        if not isinstance(item_id, str) or not item_id:
            problem = f"'id' must be a non-empty string, got {_short(item_id)}"
        elif item_id in lines:
            problem = f"id {item_id!r} is already on line {lines[item_id]}"
        elif finite_score(row.get("score")) is None:
            problem = f"'score' must be a finite number, got {_short(row.get('score'))}"
        elif not _is_rank(row.get("rank_of_source", 0)) or (ranked and "rank_of_source" not in row):
            problem = f"'rank_of_source' must be an integer, got {_short(row.get('rank_of_source'))}"
        else:
            rows[item_id], lines[item_id] = row, number
            continue
        raise BenchError(f"{where}: {problem}; re-run the eval of {results_file}.")
    return rows


def _short(value: Any, chars: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= chars else text[:chars] + "..."


def _is_rank(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
