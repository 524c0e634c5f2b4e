"""The Python API: three lines from a model to a typed result, on the small build."""
from __future__ import annotations

import json

import pytest

from rewrite_bench.api import evaluate, load_task
from rewrite_bench.schema import Result
from rewrite_bench.types import BenchError
from conftest import SMALL


def test_a_baseline_by_name_gives_the_result_bench_eval_writes(small_cache, small_data, tmp_path):
    options = dict(cache_dir=small_cache, max_originals=SMALL)
    result = evaluate("tfidf", task="pair", output_dir=tmp_path, **options)
    assert isinstance(result, Result) and result.task.name == "pair" and result.task.shape == "scored"
    assert result.task.fingerprint == small_data.task_fingerprints["pair"]
    assert result.model.name == "tfidf" and 0.5 < result.metrics["auroc"] <= 1.0
    written = json.loads((tmp_path / "tfidf" / "pair.json").read_text())
    assert written == result.model_dump(mode="json", exclude_unset=True)
    items = load_task("pair", "test", **options)
    assert sum(result.n.model_dump().values()) == len(items) and {"original", "candidate", "label"} <= set(items.column_names)


def test_a_python_function_and_an_object_are_models(small_cache, small_data):
    options = dict(cache_dir=small_cache, max_originals=SMALL, limit=40)

    def same_length(originals, candidates):
        return [-abs(len(a) - len(b)) for a, b in zip(originals, candidates)]

    by_function = evaluate(same_length, **options)
    assert by_function.model.name == "same_length" and by_function.model.source == "python"

    class Lengths:
        def score_texts(self, texts):
            return [float(len(t)) for t in texts]

    by_object = evaluate(Lengths(), task="detect", **options)
    assert by_object.task.name == "detect" and by_object.limit == 40


def test_bad_arguments_name_what_to_fix(small_cache, small_data):
    with pytest.raises(BenchError, match="Unknown task 'pear'"):
        evaluate("tfidf", task="pear", cache_dir=small_cache, max_originals=SMALL)
    with pytest.raises(BenchError, match="model 'bm25' cannot run task 'pair'"):
        evaluate("bm25", task="pair", cache_dir=small_cache, max_originals=SMALL)
    with pytest.raises(BenchError, match="split 'validation' does not exist for task 'pair'"):
        load_task("pair", "validation", cache_dir=small_cache, max_originals=SMALL)


def test_the_package_offers_the_api_and_importing_it_loads_no_heavy_library():
    import subprocess
    import sys

    probe = ("import sys, rewrite_bench, rewrite_bench.api as api; "
             "assert (rewrite_bench.evaluate, rewrite_bench.load_task) == (api.evaluate, api.load_task); "
             "print(sorted(m for m in ('torch', 'datasets', 'sklearn', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_module_imports_a_folder_name_as_a_top_level_package():
    # Installed, the folders are rewrite_bench and its subpackages; `import tasks` or
    # `from benchmark.io import ...` would only work from the repository root, and would load
    # a second copy of a module (two registries, two BenchError classes) when it did.
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    folders = ("benchmark", "tasks", "baselines", "rewriters")
    found = []
    for path in sorted(p for folder in (*folders, "tests", "perf") for p in (root / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [f"{path.relative_to(root)}:{node.lineno} {name}" for name in names if name.split(".")[0] in folders]
    assert found == []
