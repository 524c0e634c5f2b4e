"""Shared fixtures: a small real build (a few originals per split) in a temporary cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

#: Originals per split and domain in the small build the fast tests share.
SMALL = 4


@pytest.fixture(scope="session")
def small_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def small_data(small_cache: Path):
    from rewrite_bench.build import BuildConfig, load_or_build

    return load_or_build(small_cache, BuildConfig(max_originals=SMALL), progress=False)


def typed_result(partial: dict, path: "Path | str | None" = None):
    """A :class:`rewrite_bench.schema.Result` from the fields a test cares about; the rest get
    neutral values (a results file needs them, the renderers do not read them)."""
    from rewrite_bench.schema import validate_result

    partial = dict(partial)
    path = partial.pop("_path", path)
    ranked = "retrieval" in partial or partial.get("task", {}).get("shape") == "ranked"
    defaults = {
        "schema_version": 2, "bench_version": "0.1.0", "created_at": "2026-01-01T00:00:00+00:00",
        "task": {"version": "1.0", "split": "test", "shape": "ranked" if ranked else "scored"},
        "data": {"fingerprint": "data"},
        "model": {"args": {}, "source": "baseline", "fitted_on": None, "trained_on_benchmark": False},
        "environment": {"python": "3", "platform": "test"},
        "limit": None, "limited": False, "batch_size": 64, "slices": [],
        "bootstrap": {"method": "test", "resamples": 0, "slice_resamples": 0, "seed": 0},
        "runtime_s": {}, "score_cache": {"used": False}, "notes": [],
        **({} if ranked else {"thresholds": {"source_split": None}}),
    }
    merged = {**defaults, **partial}
    for block in ("task", "data", "model"):
        merged[block] = {**defaults[block], **partial.get(block, {})}
    result = validate_result(merged, "a test's result")
    return result.at(Path(path)) if path is not None else result


def changed(result, **blocks):
    """``result`` with some fields of its blocks replaced (``task={"fingerprint": "old"}``), same file."""
    from rewrite_bench.schema import validate_result

    record = result.model_dump(mode="json", exclude_unset=True)
    for block, fields in blocks.items():
        record[block] = {**record[block], **fields} if isinstance(fields, dict) else fields
    new = validate_result(record, "a test's result")
    return new.at(result.path) if result.path is not None else new
