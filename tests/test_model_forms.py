"""Every form ``--model`` takes: predictions files, model directories, Hub ids, and their errors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rewrite_bench.models import resolve_model
from rewrite_bench.runner import evaluate_task, score_dataset
from rewrite_bench.types import BenchError
from rewrite_bench.tasks.pair import METADATA as PAIR
from tests.test_rewriters import ENCYCLOPEDIA, NEWS_1, NEWS_2
from tests.tiny_models import MAX_LENGTH, write_cross_encoder, write_encoder


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    return {"encoder": write_encoder(root / "encoder"), "cross": write_cross_encoder(root / "cross")}


@pytest.fixture(scope="module")
def splits(small_data):
    return small_data.task("pair")


# --- predictions:FILE ------------------------------------------------------------------------

def _write_predictions(path: Path, rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return f"predictions:{path}"


def _tfidf_rows(small_data, splits, names):
    model = resolve_model("tfidf")
    model.fit("pair", splits["train"])
    rows = []
    for name in names:
        scores = score_dataset(model, PAIR, splits[name], batch_size=64, progress=False, desc="")
        rows += [{"id": i, "score": float(s)} for i, s in zip(splits[name]["id"], scores)]
    return rows


def test_predictions_file_reproduces_the_model_that_wrote_it(small_data, splits, tmp_path):
    direct = evaluate_task(resolve_model("tfidf"), PAIR, small_data, split="test", limit=None,
                           batch_size=64, progress=False).result
    spec = _write_predictions(tmp_path / "p.jsonl", _tfidf_rows(small_data, splits, ["test", "dev"]))
    model = resolve_model(spec)
    assert model.source == "predictions" and model.supports(PAIR)
    via_file = evaluate_task(model, PAIR, small_data, split="test", limit=None, batch_size=7,
                             progress=False, score_cache_dir=tmp_path / "scores").result
    assert via_file["metrics"] == direct["metrics"]
    assert via_file["slices"] == direct["slices"]
    assert via_file["score_cache"]["used"] is False  # a file of scores is not cached again
    assert not (tmp_path / "scores").exists()


def test_predictions_without_dev_scores_leave_threshold_metrics_out(small_data, splits, tmp_path):
    spec = _write_predictions(tmp_path / "p.jsonl", _tfidf_rows(small_data, splits, ["test"]))
    result = evaluate_task(resolve_model(spec), PAIR, small_data, split="test", limit=None,
                           batch_size=64, progress=False).result
    assert result["metrics"]["f1"] is None and result["metrics"]["accuracy"] is None
    assert result["metrics"]["auroc"] is not None
    assert any("F1 and accuracy left out" in note for note in result["notes"])


def test_predictions_missing_and_extra_ids_are_listed(small_data, splits, tmp_path):
    rows = _tfidf_rows(small_data, splits, ["test", "dev"])
    spec = _write_predictions(tmp_path / "missing.jsonl", rows[3:])
    with pytest.raises(BenchError, match="no score for 3 items") as info:
        evaluate_task(resolve_model(spec), PAIR, small_data, split="test", limit=None, batch_size=64, progress=False)
    assert rows[0]["id"] in str(info.value) and "missing.jsonl" in str(info.value)
    spec = _write_predictions(tmp_path / "extra.jsonl", rows + [{"id": "pair-nonexistent-1", "score": 0.1}])
    with pytest.raises(BenchError, match="1 ids that are not items of task 'pair': pair-nonexistent-1"):
        evaluate_task(resolve_model(spec), PAIR, small_data, split="test", limit=None, batch_size=64, progress=False)


@pytest.mark.parametrize("rows, message", [
    ([{"id": "a", "score": 0.1}, {"id": "a", "score": 0.2}], r"1 duplicate ids: a \(lines 1, 2\)"),
    ([{"id": "a", "score": "high"}, {"id": "b", "score": None}, {"id": "c", "score": True}],
     "not finite numbers for 3 ids: a, b, c"),
    (['{"id": "a", "score": NaN}'], "not finite numbers for 1 ids: a"),
    (['{"id": "a", "score": 1' + "0" * 400 + '}'], "not finite numbers for 1 ids: a"),  # too large for a float
    (['{"id": "a", "score": 0.1'], "line 1: not a JSON object"),
    ([{"id": "a", "value": 0.1}], r"line 1: each line needs the keys 'id' and 'score' \(or 'spans', for a span task\); found \['id', 'value'\]"),
    ([{"id": 7.5, "score": 0.1}], "line 1: 'id' must be a non-empty string"),
    ([{"id": True, "score": 0.1}], "line 1: 'id' must be a non-empty string"),
    ([], "has no predictions"),
])
def test_bad_predictions_files_are_rejected_on_load(tmp_path, rows, message):
    spec = _write_predictions(tmp_path / "bad.jsonl", rows)
    with pytest.raises(BenchError, match=message):
        resolve_model(spec)


def test_predictions_file_errors_for_missing_file_and_bad_utf8(tmp_path):
    with pytest.raises(BenchError, match="no such file"):
        resolve_model(f"predictions:{tmp_path / 'absent.jsonl'}")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "caf\xe9", "score": 1}\n')
    with pytest.raises(BenchError, match="not valid UTF-8"):
        resolve_model(f"predictions:{tmp_path / 'latin1.jsonl'}")
    with pytest.raises(BenchError, match="takes no --model-arg"):
        resolve_model(f"predictions:{tmp_path / 'latin1.jsonl'}", {"x": 1})


# --- model directories and Hub ids -------------------------------------------------------------

def test_directory_kind_is_recognised(tiny_dirs):
    encoder = resolve_model(str(tiny_dirs["encoder"]))
    cross = resolve_model(str(tiny_dirs["cross"]))
    assert (encoder.source, encoder.origin["kind"]) == ("transformers", "bi-encoder")
    assert (cross.source, cross.origin["kind"]) == ("transformers", "cross-encoder")
    forced = resolve_model(str(tiny_dirs["cross"]), {"kind": "bi-encoder"})
    assert forced.origin["kind"] == "bi-encoder"
    with pytest.raises(BenchError, match="kind='siamese'"):
        resolve_model(str(tiny_dirs["encoder"]), {"kind": "siamese"})


def test_not_a_model_directory(tmp_path):
    with pytest.raises(BenchError, match="not a model directory"):
        resolve_model(str(tmp_path))


def test_bi_encoder_chunks_long_documents_and_pools(tiny_dirs):
    model = resolve_model(str(tiny_dirs["encoder"]))
    windows = model.obj.encoder.windows(NEWS_1)
    assert len(windows) >= 3  # the tiny model's window is 46 word pieces
    assert " ".join(windows).split() == NEWS_1.split()  # nothing lost or duplicated
    scores = model.scorer(PAIR)([NEWS_1, NEWS_1, NEWS_1], [NEWS_1, NEWS_2, ENCYCLOPEDIA])
    assert scores[0] == pytest.approx(1.0)
    assert all(-1.0 <= s <= 1.0 + 1e-6 for s in scores)
    # The pooled vector differs from the first window's: the whole document counts.
    first = resolve_model(str(tiny_dirs["encoder"]), {"pooling": "first"})
    assert first.scorer(PAIR)([NEWS_1], [NEWS_2]) != pytest.approx(scores[1])


def test_cross_encoder_scores_windowed_pairs_as_probabilities(tiny_dirs):
    model = resolve_model(str(tiny_dirs["cross"]))
    scores = model.scorer(PAIR)([NEWS_1, NEWS_1], [NEWS_1, NEWS_2])
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert model.obj._positive == 1  # the label named "derived"


def test_cross_encoder_needs_a_recognisable_label(tmp_path):
    path = write_cross_encoder(tmp_path / "ce", labels={0: "cat", 1: "dog"})
    model = resolve_model(str(path))
    with pytest.raises(Exception, match="label=NAME"):
        model.scorer(PAIR)(["a b c"], ["a b c"])
    chosen = resolve_model(str(path), {"label": "dog"})
    assert 0.0 <= chosen.scorer(PAIR)(["a b c"], ["a b c"])[0] <= 1.0
    assert chosen.obj._positive == 1


@pytest.mark.parametrize("kind", ["encoder", "cross"])
def test_directory_models_are_batch_size_invariant(tiny_dirs, splits, kind):
    items = splits["test"].select(range(40))
    one = score_dataset(resolve_model(str(tiny_dirs[kind])), PAIR, items, batch_size=1, progress=False, desc="")
    many = score_dataset(resolve_model(str(tiny_dirs[kind]), {"batch_size": 5}), PAIR, items, batch_size=64,
                         progress=False, desc="")
    np.testing.assert_allclose(one, many, rtol=0, atol=1e-6)  # to 1e-6, not bit for bit


def test_minilm_hub_id_is_served_offline_from_the_installed_weights():
    from rewrite_bench.baselines.neural import MiniLMCosine, minilm_path

    model = resolve_model("sentence-transformers/all-MiniLM-L6-v2")
    assert model.origin["kind"] == "bi-encoder" and model.origin["path"] == minilm_path()
    assert model.origin["served_from"] == "installed package"
    pairs = ([NEWS_1, NEWS_1], [NEWS_2, ENCYCLOPEDIA])
    assert model.scorer(PAIR)(*pairs) == MiniLMCosine().score_pairs(*pairs)


def test_other_hub_ids_fail_offline_with_a_clear_message(monkeypatch):
    import huggingface_hub

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(BenchError, match="cannot fetch it from the Hugging Face Hub .*local directory"):
        resolve_model("some-org/some-detector")


def test_trust_remote_code_only_with_the_flag(tiny_dirs):
    assert resolve_model(str(tiny_dirs["encoder"])).obj.encoder.trust_remote_code is False
    trusted = resolve_model(str(tiny_dirs["encoder"]), trust_remote_code=True)
    assert trusted.obj.encoder.trust_remote_code is True
    assert resolve_model(str(tiny_dirs["cross"]), trust_remote_code=True).obj.trust_remote_code is True


def test_model_args_reach_the_model(tiny_dirs):
    model = resolve_model(str(tiny_dirs["encoder"]), {"batch_size": 3, "max_length": MAX_LENGTH // 2})
    assert model.obj.encoder.batch_size == 3 and model.obj.encoder.window == MAX_LENGTH // 2 - 2
    with pytest.raises(BenchError, match="batch_size must be a positive integer"):
        resolve_model(str(tiny_dirs["encoder"]), {"batch_size": 0})
    with pytest.raises(BenchError, match="does not accept the options"):
        resolve_model(str(tiny_dirs["encoder"]), {"temperature": 2})
