"""The on-disk score cache: re-runs served from it, interrupted runs resumed, stale scores never read."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from rewrite_bench.cli import main
from rewrite_bench.models import LoadedModel, resolve_model
from rewrite_bench.runner import evaluate_task, score_dataset
from rewrite_bench.score_cache import ScoreCache, item_key
from rewrite_bench.tasks.pair import METADATA as PAIR


class Counting:
    """Word-overlap scorer that counts the pairs it scores and how often it is fitted."""

    trained_on_benchmark = False

    def __init__(self, fail_after: int | None = None) -> None:
        self.scored = 0
        self.fits = 0
        self.fail_after = fail_after

    def fit_on_train(self, task, train) -> None:
        self.fits += 1

    def score_pairs(self, originals, candidates):
        if self.fail_after is not None and self.scored >= self.fail_after:
            raise KeyboardInterrupt
        self.scored += len(originals)
        return [len(set(a.split()) & set(b.split())) / (len(set(b.split())) or 1)
                for a, b in zip(originals, candidates)]


def _model(obj, args=None) -> LoadedModel:
    return LoadedModel("tests.test_score_cache:Counting", dict(args or {}), obj, "python")


def _run(small_data, model, cache_dir, **kwargs):
    return evaluate_task(model, PAIR, small_data, split="test", limit=None, batch_size=kwargs.pop("batch_size", 16),
                         progress=False, score_cache_dir=cache_dir, **kwargs)


def test_rerun_is_served_from_the_cache_without_refitting(small_data, tmp_path):
    first_model = Counting()
    first = _run(small_data, _model(first_model), tmp_path)
    assert first_model.fits == 1 and first_model.scored > 0
    assert first.result["score_cache"]["computed"] == first_model.scored
    again_model = Counting()
    again = _run(small_data, _model(again_model), tmp_path)
    assert again_model.scored == 0 and again_model.fits == 0
    assert again.result["score_cache"]["hits"] == first_model.scored
    assert again.result["metrics"] == first.result["metrics"]
    assert again.predictions == first.predictions
    assert again.result["model"]["fitted_on"] == "train"
    assert any("not re-fitted" in note for note in again.result["notes"])


def test_an_interrupted_run_resumes_without_losing_scored_batches(small_data, tmp_path):
    reference = _run(small_data, _model(Counting()), None)
    crashing = Counting(fail_after=48)  # dies in the fourth batch of 16
    with pytest.raises(KeyboardInterrupt):
        _run(small_data, _model(crashing), tmp_path)
    resumed_model = Counting()
    resumed = _run(small_data, _model(resumed_model), tmp_path)
    assert resumed.result["score_cache"]["hits"] == 48
    assert resumed_model.scored == reference.result["score_cache"]["computed"] - 48
    assert resumed.predictions == reference.predictions
    assert resumed.result["metrics"] == reference.result["metrics"]


def test_cache_is_keyed_by_model_options_and_texts(small_data, tmp_path):
    _run(small_data, _model(Counting(), {"variant": 1}), tmp_path)
    other = Counting()
    _run(small_data, _model(other, {"variant": 2}), tmp_path)
    assert other.scored > 0  # different options: nothing reused
    assert len(list(tmp_path.glob("*.sqlite"))) == 2
    assert item_key("score_pairs", ["a", "b"]) != item_key("score_pairs", ["a", "c"])
    assert item_key("score_pairs", ["a", "b"]) != item_key("score_texts", ["a", "b"])


def test_fitted_models_are_keyed_by_their_train_data(small_data):
    model = resolve_model("tfidf")
    identity = model.cache_identity(PAIR, "fingerprint-a")
    assert identity["fitted_on"] == {"task": "pair", "fingerprint": "fingerprint-a"}
    assert identity != model.cache_identity(PAIR, "fingerprint-b")
    assert "fitted_on" not in resolve_model("shingle").cache_identity(PAIR, "fingerprint-a")
    assert identity["code_sha256"] == resolve_model("tfidf").cache_identity(PAIR, "x")["code_sha256"]


def test_cached_scores_equal_fresh_scores_at_any_batch_size(small_data, tmp_path):
    items = small_data.task("pair")["test"]
    model = resolve_model("shingle")
    cache = ScoreCache(tmp_path, model.slug, model.cache_identity(PAIR, "f"))
    half = items.select(range(len(items) // 2))
    score_dataset(model, PAIR, half, batch_size=5, progress=False, desc="", cache=cache)
    mixed = score_dataset(model, PAIR, items, batch_size=64, progress=False, desc="", cache=cache)
    fresh = score_dataset(model, PAIR, items, batch_size=1, progress=False, desc="")
    assert np.array_equal(mixed, fresh)
    assert len(cache) == len(set(zip(items["original"], items["candidate"])))


def test_a_foreign_or_corrupt_cache_file_is_set_aside_with_a_warning(tmp_path, capsys):
    cache = ScoreCache(tmp_path, "m", {"model": "m"})
    cache.put_many({"k": 0.5})
    path = cache.path
    cache.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '{}' WHERE key = 'identity'")
    fresh = ScoreCache(tmp_path, "m", {"model": "m"})
    assert len(fresh) == 0 and fresh.get_many(["k"]) == {}  # nothing of the foreign file is read
    fresh.put_many({"k": 0.25})
    fresh.close()
    err = capsys.readouterr().err
    assert f"score cache {path} belongs to another model or cache version; it is kept as {path}.corrupt" in err
    path.write_bytes(b"not a database" * 100)
    again = ScoreCache(tmp_path, "m", {"model": "m"})
    assert len(again) == 0 and "is unreadable" in capsys.readouterr().err
    assert (tmp_path / f"{path.name}.corrupt").read_bytes() == b"not a database" * 100


def test_cli_no_cache_writes_no_cache(small_data, small_cache, tmp_path, capsys):
    from tests.conftest import SMALL

    out = tmp_path / "results"
    base = ["eval", "--model", "shingle", "--cache-dir", str(small_cache), "--max-originals", str(SMALL),
            "--output-dir", str(out)]
    scores_dir = small_cache / "scores"
    before = set(scores_dir.glob("shingle-*.sqlite")) if scores_dir.exists() else set()
    assert main([*base, "--no-cache"]) == 0
    after = set(scores_dir.glob("shingle-*.sqlite")) if scores_dir.exists() else set()
    assert after == before
    assert main(base) == 0
    assert main(base) == 0
    assert "scores from the cache, 0 computed" in capsys.readouterr().out


def test_a_baselines_code_hash_covers_the_baselines_it_imports_and_no_others():
    from pathlib import Path

    import rewrite_bench.baselines
    from rewrite_bench.models import _baseline_sources

    root = Path(rewrite_bench.baselines.__file__).parent
    # neural.py encodes through benchmark/embeddings.py, the shared encoding path (its dense
    # search goes through benchmark/vector_index.py, not a baselines module).
    dense = {"neural.py", "embeddings.py"}
    assert {p.name for p in _baseline_sources(root / "neural.py")} == dense
    assert {p.name for p in _baseline_sources(root / "learned.py")} == dense | {"learned.py", "lexical.py"}
    assert {p.name for p in _baseline_sources(root / "lexical.py")} == {"lexical.py"}
    minilm = resolve_model("minilm").cache_identity(PAIR, "f")["code_sha256"]
    shingle = resolve_model("shingle").cache_identity(PAIR, "f")["code_sha256"]
    assert minilm != shingle
