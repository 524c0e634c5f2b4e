"""--executor local|ray: the same rewrites, fingerprints and scores wherever the work runs.

The Ray tests start a local Ray with two CPUs (never a remote address) once for the module;
they are skipped when Ray is not installed (``pip install -e ".[ray]"``).
"""
from __future__ import annotations

import os
import sys
import textwrap

import numpy as np
import pytest

from rewrite_bench.build import BuildConfig, load_or_build
from rewrite_bench.executors import LocalExecutor, RayExecutor, current_executor, parse_executor, use_executor
from rewrite_bench.models import resolve_model
from rewrite_bench.rewriting import PlanEntry, make_rewrites
from rewrite_bench.runner import ModelError, evaluate_task
from rewrite_bench.types import BenchError, Original
from rewrite_bench.tasks.pair import METADATA as PAIR
from tests.test_rewriting import PARAGRAPH, USER_REWRITERS

#: Two fast rewriters on two originals per split and domain (as in test_prebuilt): builds in seconds.
LIGHT = BuildConfig(max_originals=2, base_plan=(PlanEntry("wordnet-spin", True), PlanEntry("evasion", False)))

# Imported by name in the Ray workers too (the module's folder is on their PYTHONPATH): the
# rewriters of test_rewriting, and a scorer that can be made to fail part-way.
HELPERS = USER_REWRITERS + '''
import os

class Flaky:
    """Word overlap; while the file ``marker`` exists, each instance fails on its third call."""
    trained_on_benchmark = False
    def __init__(self, marker):
        self.marker, self.calls = marker, 0
    def score_pairs(self, originals, candidates):
        self.calls += 1
        if os.path.exists(self.marker) and self.calls >= 3:
            raise RuntimeError("killed")
        return [len(set(a.split()) & set(b.split())) / (len(set(b.split())) or 1)
                for a, b in zip(originals, candidates)]
'''


def _originals() -> list[Original]:
    texts = [PARAGRAPH, PARAGRAPH.replace("council", "board"), "The river rose fast. " * 4, PARAGRAPH.upper(),
             PARAGRAPH.replace("mayor", "governor"), "A quiet town woke to snow. " * 3]
    return [Original(id=f"o{i}", domain=("news", "encyclopedia")[i % 2], source_doc=f"d{i}",
                     split=("train", "test", "test")[i % 3], text=text) for i, text in enumerate(texts)]


# --- parsing --executor (no Ray needed) ----------------------------------------------------------

def test_local_is_the_default_and_bad_values_name_the_argument():
    assert current_executor() == LocalExecutor()
    assert parse_executor("local") == LocalExecutor()
    with pytest.raises(BenchError, match=r"--executor 'spark'.*local.*ray\[:ADDRESS\]"):
        parse_executor("spark")
    with pytest.raises(BenchError, match="--ray-workers and --ray-gpus need --executor ray"):
        parse_executor("local", workers=2)


def test_ray_not_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(BenchError, match=r'--executor ray needs Ray.*pip install -e "\.\[ray\]"'):
        parse_executor("ray")
    from rewrite_bench.cli import main

    assert main(["eval", "--model", "tfidf", "--executor", "ray"]) == 2


def test_ray_addresses_and_options_are_parsed():
    pytest.importorskip("ray")
    assert parse_executor("ray") == RayExecutor()
    assert parse_executor("ray:auto", workers=3) == RayExecutor(address="auto", workers=3)
    assert parse_executor("ray:ray://head:10001", num_gpus=0.5) == RayExecutor(address="ray://head:10001", num_gpus=0.5)
    with pytest.raises(BenchError, match="give the cluster address after 'ray:'"):
        parse_executor("ray:")
    with pytest.raises(BenchError, match="--ray-workers must be >= 1"):
        parse_executor("ray", workers=0)


# --- on a local Ray ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_here(tmp_path_factory):
    ray = pytest.importorskip("ray")
    folder = tmp_path_factory.mktemp("ray-helpers")
    (folder / "ray_helpers.py").write_text(textwrap.dedent(HELPERS))
    sys.path.insert(0, str(folder))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), old) if p)  # Ray's workers inherit it
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield RayExecutor(workers=2)
    finally:
        ray.shutdown()
        sys.path.remove(str(folder))
        sys.modules.pop("ray_helpers", None)
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_ray_rewrites_and_failures_equal_local(ray_here):
    plan = [PlanEntry("ray_helpers:Upper", True), PlanEntry("ray_helpers:Picky", False),
            PlanEntry("ray_helpers:Upper+ray_helpers:Upper", True)]
    local = make_rewrites(_originals(), plan, seed=5, workers=1)
    on_ray = make_rewrites(_originals(), plan, seed=5, executor=ray_here)
    assert repr(on_ray) == repr(local)  # repr: a rewrite's meaning_cosine is NaN until measured, and NaN != NaN
    rewrites, failures = on_ray
    assert len(rewrites) > 10 and ("o4", "no council texts") in {(f.original_id, f.reason) for f in failures}


def test_a_rewriter_bug_on_ray_is_retried_then_named_as_locally(ray_here):
    with pytest.raises(BenchError, match=r"rewriter 'broken' \(strength light\) failed on original 'o\d': KeyError"):
        make_rewrites(_originals(), [PlanEntry("ray_helpers:Broken", True)], seed=0, executor=ray_here)


def _counting(calls: list[str], method):
    def wrapper(*args, **kwargs):
        calls.append(method.__name__)
        return method(*args, **kwargs)
    return wrapper


@pytest.fixture(scope="module")
def ray_build(ray_here, tmp_path_factory):
    calls: list[str] = []
    with pytest.MonkeyPatch.context() as patch, use_executor(ray_here):
        patch.setattr(RayExecutor, "map_batches", _counting(calls, RayExecutor.map_batches))
        data = load_or_build(tmp_path_factory.mktemp("ray-cache"), LIGHT, progress=False, from_scratch=True)
    assert calls == ["map_batches"]  # the rewrites were made by Ray tasks
    return data


def test_a_build_on_ray_has_the_local_fingerprint(ray_build, tmp_path):
    local = load_or_build(tmp_path, LIGHT, progress=False, from_scratch=True)
    assert ray_build.fingerprint == local.fingerprint
    assert ray_build.task_fingerprints == local.task_fingerprints


def _scores(outcome) -> list[float]:
    return [row["score"] for row in outcome.predictions]


def test_ray_scores_equal_local_and_fill_the_same_score_cache(ray_here, ray_build, tmp_path, monkeypatch):
    local = evaluate_task(resolve_model("tfidf"), PAIR, ray_build, split="test", limit=None, batch_size=8,
                          progress=False)
    calls: list[str] = []
    monkeypatch.setattr(RayExecutor, "score_units", _counting(calls, RayExecutor.score_units))
    with use_executor(ray_here):
        on_ray = evaluate_task(resolve_model("tfidf"), PAIR, ray_build, split="test", limit=None, batch_size=8,
                               progress=False, score_cache_dir=tmp_path)
    assert calls == ["score_units", "score_units"]  # dev (thresholds) and test were scored by Ray actors
    assert on_ray.result["score_cache"]["computed"] > 4 * 8  # several units, so both actors worked
    assert _scores(on_ray) == _scores(local)
    assert on_ray.result["metrics"] == local.result["metrics"]
    assert on_ray.result["slices"] == local.result["slices"]
    again = evaluate_task(resolve_model("tfidf"), PAIR, ray_build, split="test", limit=None, batch_size=8,
                          progress=False, score_cache_dir=tmp_path)
    assert again.result["score_cache"]["computed"] == 0 and _scores(again) == _scores(local)


def test_a_killed_ray_run_resumes_from_the_cache(ray_here, ray_build, tmp_path):
    marker = tmp_path / "fail"
    marker.write_text("")
    model = lambda: resolve_model("ray_helpers:Flaky", {"marker": str(marker)})  # noqa: E731
    cache = tmp_path / "scores"
    with use_executor(ray_here), pytest.raises(ModelError, match=r"raised RuntimeError: killed \(while scoring items"):
        evaluate_task(model(), PAIR, ray_build, split="test", limit=None, batch_size=4, progress=False,
                      score_cache_dir=cache)
    marker.unlink()
    with use_executor(ray_here):
        resumed = evaluate_task(model(), PAIR, ray_build, split="test", limit=None, batch_size=4, progress=False,
                                score_cache_dir=cache)
    stats = resumed.result["score_cache"]
    assert stats["hits"] >= 4 and stats["computed"] > 0  # the first run's finished units were kept
    local = evaluate_task(model(), PAIR, ray_build, split="test", limit=None, batch_size=4, progress=False)
    assert np.array_equal(_scores(resumed), _scores(local))


def test_bench_eval_on_ray_prints_the_local_scores(ray_here, small_data, small_cache, tmp_path):
    from rewrite_bench.cli import main

    common = ["eval", "--model", "tfidf", "--task", "pair", "--limit", "500", "--no-cache", "--no-report",
              "--cache-dir", str(small_cache), "--max-originals", str(small_data.info["config"]["max_originals"])]
    assert main([*common, "--output-dir", str(tmp_path / "local")]) == 0
    assert main([*common, "--output-dir", str(tmp_path / "ray"), "--executor", "ray", "--ray-workers", "2"]) == 0
    local, = (tmp_path / "local").rglob("pair.predictions.jsonl")
    on_ray, = (tmp_path / "ray").rglob("pair.predictions.jsonl")
    assert on_ray.read_bytes() == local.read_bytes()
