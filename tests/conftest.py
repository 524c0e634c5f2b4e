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
