from __future__ import annotations

import math

import numpy as np
import pytest

from rewrite_bench.models import LoadedModel, resolve_model
from rewrite_bench.runner import ModelError, evaluate_task, limit_items, score_dataset
from rewrite_bench.tasks.pair import METADATA as PAIR


def _model(func) -> LoadedModel:
    return LoadedModel("user:f", {}, func, "python")


@pytest.fixture(scope="module")
def test_items(small_data):
    return small_data.task("pair")["test"]


def test_scores_are_in_item_order_and_batch_independent(test_items):
    model = resolve_model("tfidf")
    model.fit("pair", test_items)  # any texts will do for IDF here
    one = score_dataset(model, PAIR, test_items, batch_size=1, progress=False, desc="")
    many = score_dataset(model, PAIR, test_items, batch_size=64, progress=False, desc="")
    assert np.array_equal(one, many)
    assert len(one) == len(test_items)


@pytest.mark.parametrize("func, message", [
    (lambda o, c: [0.5] * (len(o) - 1), "returned .* scores for"),
    (lambda o, c: [math.nan] * len(o), "NaN or infinite scores for items"),
    (lambda o, c: [math.inf] + [0.0] * (len(o) - 1), "NaN or infinite"),
    (lambda o, c: ["high"] * len(o), "non-numeric scores"),
    (lambda o, c: 1 / 0, "raised ZeroDivisionError"),
    (lambda o, c: None, "expected a list"),
])
def test_bad_scores_name_model_task_and_items(test_items, func, message):
    with pytest.raises(ModelError, match=message) as info:
        score_dataset(_model(func), PAIR, test_items, batch_size=8, progress=False, desc="")
    text = str(info.value)
    assert "'user:f'" in text and "'pair'" in text and test_items[0]["id"] in text


def test_limit_is_stable_and_mixes_labels(test_items):
    a = limit_items(test_items, 10)
    assert a["id"] == limit_items(test_items, 10)["id"]
    assert len(a) == 10 and set(a["label"]) == {0, 1}
    assert limit_items(test_items, None) is test_items


def test_evaluate_task_records_everything(small_data):
    outcome = evaluate_task(resolve_model("tfidf"), PAIR, small_data, split="test", limit=None,
                            batch_size=16, progress=False)
    result = outcome.result
    assert result["task"]["fingerprint"] == small_data.task_fingerprints["pair"]
    assert result["thresholds"]["source_split"] == "dev"
    assert result["model"]["fitted_on"] == "train" and result["model"]["trained_on_benchmark"] is False
    assert set(result["metrics"]) >= {"auroc", "ap", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "f1", "accuracy", "auroc_ci95"}
    assert result["n"]["positive"] + result["n"]["negative"] == len(outcome.predictions)
    assert result["slices"][0]["slice"] == "all"
    assert {row["slice"] for row in result["slices"]} >= {"rewriter", "strength", "negative_kind", "domain"}
    assert result["metrics"]["auroc"] > 0.8  # tfidf separates rewrites from unrelated texts
    # Where it was made: the versions of the libraries that change scores, the checkout, the model code.
    environment = result["environment"]
    assert environment["packages"]["scikit-learn"] and environment["packages"]["numpy"]
    assert set(environment["packages"]) >= {"torch", "transformers", "sentence-transformers", "datasketch"}
    assert environment["git_revision"] is None or len(environment["git_revision"].split("+")[0]) == 40
    assert len(result["model"]["code_sha256"]) == 64
    # Evaluating the dev split takes its thresholds from train, never from itself.
    dev = evaluate_task(resolve_model("shingle"), PAIR, small_data, split="dev", limit=None, batch_size=16, progress=False)
    assert dev.result["thresholds"]["source_split"] == "train"
