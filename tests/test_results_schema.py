"""The typed results schema: every committed result reads through it, writing and reading are
symmetric, version 1 files migrate, and a malformed result is refused before anything is written."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewrite_bench.results import load_results, write_result
from rewrite_bench.schema import SCHEMA_VERSION, Result, migrate, validate_result
from rewrite_bench.types import BenchError

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "results").glob("*/*.json"))


def test_every_committed_result_fits_the_schema_and_round_trips():
    assert len(COMMITTED) >= 30
    for path in COMMITTED:
        raw = json.loads(path.read_text(encoding="utf-8"))
        migrated = migrate(raw)
        typed = validate_result(migrated, str(path))
        assert isinstance(typed, Result) and typed.schema_version == SCHEMA_VERSION
        assert typed.model_dump(mode="json", exclude_unset=True) == migrated, path  # nothing lost or added
    records = load_results(ROOT / "results")
    assert {r.task.shape for r in records} == {"scored", "ranked", "aligned-spans", "flagged-spans"}
    assert all((r.task.shape == "ranked") == (r.retrieval is not None) for r in records)
    assert all((r.task.shape == "scored") == (r.thresholds is not None) for r in records)
    assert all(r.path is not None and r.path.parent.parent == ROOT / "results" for r in records)


def _a_result() -> dict:
    return json.loads(next(p for p in COMMITTED if p.name == "pair.json").read_text(encoding="utf-8"))


def test_version_1_gains_the_task_shape_and_unknown_versions_fail():
    # Version 1 is version 2 without the task's shape (files written before span tasks).
    current = _a_result()
    record = {**current, "schema_version": 1,
              "task": {k: v for k, v in current["task"].items() if k != "shape"}}
    assert migrate(record)["task"]["shape"] == "scored"
    ranked = json.loads(next(p for p in COMMITTED if p.name == "retrieve.json").read_text(encoding="utf-8"))
    ranked = {**ranked, "schema_version": 1, "task": {k: v for k, v in ranked["task"].items() if k != "shape"}}
    assert migrate(ranked)["task"]["shape"] == "ranked"
    with pytest.raises(BenchError, match="schema_version 7 is not one this bench reads"):
        migrate({**record, "schema_version": 7})


def test_write_then_load_is_the_identity(tmp_path):
    record = migrate(_a_result())
    predictions = [{"id": "a", "score": 0.5}]
    written = write_result(tmp_path, record, predictions)
    loaded, = load_results(tmp_path)
    assert loaded.path == written.path == tmp_path / record["model"]["slug"] / "pair.json" and loaded == written
    assert loaded.model_dump(mode="json", exclude_unset=True) == {**record, "predictions": {
        "file": "pair.predictions.jsonl", "sha256": written.predictions.sha256}}


@pytest.mark.parametrize("change, message", [
    (lambda r: r["metrics"].pop("auroc"), "its main score 'auroc' is not among its metrics"),
    (lambda r: r.update(retrieval={"method": "rerank", "k": 100, "pool_size": 5}), "scored task has no 'retrieval'"),
    (lambda r: r["model"].update(colour="red"), "model.colour: Extra inputs are not permitted"),
    (lambda r: r["n"].update(positive="many"), "n.positive: Input should be a valid integer"),
    (lambda r: r["task"].update(shape="graded"), "task.shape: Input should be 'scored', 'ranked', 'aligned-spans' or 'flagged-spans'"),
])
def test_a_malformed_result_is_refused_and_nothing_is_written(tmp_path, change, message):
    record = migrate(_a_result())
    change(record)
    with pytest.raises(BenchError, match=message):
        write_result(tmp_path, record, [{"id": "a", "score": 0.5}])
    assert not any(tmp_path.rglob("*"))


def test_a_damaged_committed_file_is_named_on_load(tmp_path):
    folder = tmp_path / "tfidf"
    folder.mkdir()
    record = _a_result()
    del record["environment"]
    (folder / "pair.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(BenchError, match=r"pair.json does not fit the results schema: environment: Field required"):
        load_results(tmp_path)
