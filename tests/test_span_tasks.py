"""The span tasks ``align`` and ``distortion``: their items, their evaluation and their inputs.

Items come from a small real build whose rewrites recorded their edits; the evaluation is run
with models whose spans are known (the gold itself, nothing, a malformed list), so every metric
has a value it must take.
"""
from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace

import pytest

from rewrite_bench.models import LoadedModel
from rewrite_bench.rewriters.provenance import decode_spans, problems
from rewrite_bench.schema import validate_result
from rewrite_bench.span_eval import evaluate_spans, gold_spans, span_item_counts, span_metrics_of
from rewrite_bench.span_metrics import derived_cases, plagdet, span_f1
from rewrite_bench.tasks import align, distortion
from rewrite_bench.tasks.distortion import distort_rewrite
from rewrite_bench.types import BenchError, Original, Rewrite
from rewrite_bench.cli import main
from conftest import SMALL


def _rewrites(data) -> dict[str, Rewrite]:
    return {row["id"]: Rewrite(**row) for row in data.rewrites().to_list()}


# --------------------------------------------------------------------------- items


def test_align_items_carry_the_rewrites_derived_text_as_gold(small_data):
    rewrites, originals = _rewrites(small_data), {o["id"]: o["text"] for o in small_data.originals().to_list()}
    items = small_data.task("align")
    for split in ("train", "dev", "test"):
        rows = items[split].to_list()
        assert rows and [r["id"] for r in rows] == sorted(r["id"] for r in rows)
        per_original = Counter(r["original_id"] for r in rows if r["candidate_kind"] == "rewrite")
        assert max(per_original.values()) <= align.PER_ORIGINAL
        for row in rows:
            gold = gold_spans(row["gold"], row["id"])
            assert row["original"] == originals[row["original_id"]]
            if row["candidate_kind"] == "same-topic":  # another original: derived from it nowhere
                assert gold == [] and row["label"] == 0 and row["candidate"] == originals[row["candidate_id"]]
                assert row["candidate_id"] != row["original_id"]
                continue
            rewrite = rewrites[row["candidate_id"]]
            assert row["candidate"] == rewrite.text and row["label"] == 1
            assert gold == derived_cases(rewrite.text, decode_spans(rewrite.edits))
            assert all(0 <= a < b <= len(row["candidate"]) for a, b in gold)
    test = items["test"].to_list()
    assert {r["candidate_kind"] for r in test} == {"rewrite", "same-topic"}
    assert len({r["rewriter"] for r in test}) >= 8  # handed out over the rewriters in turn


def test_distortion_items_compose_the_distortions_with_the_rewrites_edits(small_data):
    rewrites, originals = _rewrites(small_data), {o["id"]: o["text"] for o in small_data.originals().to_list()}
    rows = [r for split in ("train", "dev", "test") for r in small_data.task("distortion")[split].to_list()]
    assert Counter(r["distortion"] for r in rows).keys() == {"none", "light", "medium", "heavy"}
    for row in rows:
        rewrite = rewrites[row["candidate_id"]]
        text, spans, applied = distort_rewrite(rewrite, row["distortion"], 0)
        assert (text, applied) == (row["candidate"], row["distortion"])
        assert problems(originals[row["original_id"]], text, spans) == []  # the composed provenance is exact
        gold = gold_spans(row["gold"], row["id"])
        assert row["label"] == int(bool(gold))
        if applied == "none":
            assert text == rewrite.text
        else:  # every distortion is a meaning change of the gold, at its place in the candidate
            assert text != rewrite.text and row["label"] == 1
    assert sum(r["label"] for r in rows) < len(rows)  # candidates without a change are there too


def test_span_items_are_deterministic_and_need_recorded_edits(small_data):
    originals = [Original(**o) for o in small_data.originals().to_list()]
    rewrites = list(_rewrites(small_data).values())
    first = distortion.build_distortion_items(originals, rewrites, 0)
    assert first == distortion.build_distortion_items(originals, rewrites, 0)
    assert first["test"] == small_data.task("distortion")["test"].to_list()
    without_edits = [replace(r, edits="") for r in rewrites]
    for build_items in (align.build_align_items, distortion.build_distortion_items):
        assert build_items(originals, without_edits, 0) == {"train": [], "dev": [], "test": []}


# --------------------------------------------------------------------------- evaluation


class GoldSpans:
    """Returns each candidate's gold spans (looked up by text): a perfect span model."""

    def __init__(self, items, score: float = 1.0) -> None:
        self.gold = {r["candidate"]: gold_spans(r["gold"], r["id"]) for r in items}
        self.score = score

    def spans(self, originals, candidates):
        return [[(a, b, self.score) for a, b in self.gold[c] if b > a] for c in candidates]

    align_spans = distortion_spans = spans


def _model(obj, name="test-model") -> LoadedModel:
    return LoadedModel(name=name, args={}, obj=obj, source="python")


@pytest.mark.parametrize("task_module", [align, distortion])
def test_a_model_that_returns_the_gold_scores_perfectly(small_data, task_module):
    task = task_module.METADATA
    rows = small_data.task(task.name)["test"].to_list()
    outcome = evaluate_spans(_model(GoldSpans(rows)), task, small_data, split="test", limit=None, batch_size=7,
                             progress=False)
    result = validate_result(outcome.result, "test")
    m = result.metrics
    if task.name == "align":
        assert m["plagdet"] == pytest.approx(1.0) and m["granularity"] == 1.0 and m["span_f1"] == 1.0
        assert m["plagdet_ci95"] == [pytest.approx(1.0), pytest.approx(1.0)]
    else:
        # A deletion's gold is the token it touches, which an empty predicted span cannot cover.
        assert m["token_precision"] == 1.0 and m["token_recall"] > 0.9 and m["auroc_has_change"] > 0.95
    assert result.thresholds is None and result.retrieval is None
    assert result.n.positive + result.n.negative == len(rows)
    assert {row.slice for row in result.slices} == {"all", *(s.key for s in task.slices)}
    assert [p["id"] for p in outcome.predictions] == [r["id"] for r in rows]


def test_an_empty_model_finds_nothing_and_a_silent_one_on_same_topic_texts_is_precise(small_data):
    rows = small_data.task("align")["test"].to_list()
    outcome = evaluate_spans(_model(lambda originals, candidates: [[] for _ in candidates]), align.METADATA,
                             small_data, split="test", limit=None, batch_size=50, progress=False)
    m = outcome.result["metrics"]
    assert (m["recall"], m["plagdet"], m["precision"]) == (0.0, 0.0, 1.0)
    by_kind = {r["value"]: r for r in outcome.result["slices"] if r["slice"] == "candidate_kind"}
    assert by_kind["same-topic"]["n_positive"] == 0 and by_kind["same-topic"]["n_negative"] == sum(
        r["candidate_kind"] == "same-topic" for r in rows)
    # rewriter slices hold rewrites only
    assert all(r["n_negative"] == 0 for r in outcome.result["slices"] if r["slice"] == "rewriter")


def test_pooled_counts_give_the_metrics_of_the_metric_functions(small_data):
    rows = small_data.task("align")["test"].to_list()
    texts = [r["candidate"] for r in rows]
    gold = [gold_spans(r["gold"], r["id"]) for r in rows]
    predicted = [[(a, max(a + 1, (a + b) // 2), 0.5) for a, b in spans[:1]] for spans in gold]
    metrics = span_metrics_of("plagdet", texts, gold, predicted, [r["label"] for r in rows], resamples=50)
    assert metrics["plagdet"] == pytest.approx(plagdet(gold, predicted).plagdet)
    assert metrics["span_f1"] == pytest.approx(span_f1(gold, predicted).f1)
    lo, hi = metrics["plagdet_ci95"]
    assert lo <= metrics["plagdet"] <= hi
    assert span_item_counts("plagdet", texts, gold, predicted).shape == (len(rows), 10)


@pytest.mark.parametrize("raw, message", [
    ([[(5, 2, 1.0)]], "must satisfy 0 <= start < end"),
    ([[(0, 4, 1.0), (2, 6, 1.0)]], "spans must be sorted and not overlap"),
    ([[(0, 4, float("nan"))]], "score must be a finite number"),
    ([[(0, 10 ** 9, 1.0)]], "the candidate's length"),
    ([[], []], "returned 2 span lists for 1 items"),
])
def test_malformed_spans_fail_naming_the_model_and_the_item(small_data, raw, message):
    first = small_data.task("distortion")["test"][0]["id"]
    with pytest.raises(BenchError, match=message) as error:
        evaluate_spans(_model(lambda originals, candidates: raw, "bad-spans"), distortion.METADATA, small_data,
                       split="test", limit=None, batch_size=1, progress=False)
    assert "bad-spans" in str(error.value) and first in str(error.value)


# --------------------------------------------------------------------------- through the CLI


def test_baselines_predictions_files_and_own_data_through_the_cli(small_cache, small_data, tmp_path, capsys):
    out = tmp_path / "results"
    common = ["--max-originals", str(SMALL), "--cache-dir", str(small_cache), "--output-dir", str(out)]
    assert main(["eval", "--model", "ngram-align", "--task", "align", *common]) == 0
    written = json.loads((out / "ngram-align" / "align.json").read_text())
    assert written["task"]["shape"] == "aligned-spans" and 0 < written["metrics"]["plagdet"] <= 1
    predictions = out / "ngram-align" / "align.predictions.jsonl"
    first = json.loads(predictions.read_text().splitlines()[0])
    assert set(first) == {"id", "score", "spans"}

    # The predictions file scores the same as the model that wrote it.
    assert main(["eval", "--model", f"predictions:{predictions}", "--task", "align", *common]) == 0
    again = json.loads(next((out).glob("predictions_*/align.json")).read_text())
    assert again["metrics"]["plagdet"] == written["metrics"]["plagdet"]

    # Own data: the built items written out as JSON lines (gold as a list) and CSV (gold as JSON text).
    rows = small_data.task("align")["test"].to_list()
    jsonl = tmp_path / "mine.jsonl"
    jsonl.write_text("".join(json.dumps({"original": r["original"], "candidate": r["candidate"],
                                         "gold": json.loads(r["gold"]), "kind": r["candidate_kind"]}) + "\n"
                             for r in rows))
    assert main(["eval", "--model", "ngram-align", "--task", "align", "--data", str(jsonl), "--slice-by", "kind",
                 "--cache-dir", str(small_cache), "--output-dir", str(out)]) == 0
    mine = json.loads((out / "ngram-align" / "align@mine.json").read_text())
    assert mine["metrics"]["plagdet"] == pytest.approx(written["metrics"]["plagdet"])
    assert {r["value"] for r in mine["slices"] if r["slice"] == "kind"} == {"rewrite", "same-topic"}
    capsys.readouterr()


@pytest.mark.parametrize("gold, message", [
    ("[[0, 5], [3]]", "gold span 1 .* must be \\[start, end\\]"),
    ("[[0, 99999]]", "the candidate's length"),
    ("not json", "is not JSON"),
])
def test_bad_gold_spans_in_own_data_fail_naming_the_line(tmp_path, gold, message):
    from rewrite_bench.userdata import load_user_data

    path = tmp_path / "spans.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["original", "candidate", "gold"])
        writer.writerow(["The council met on Tuesday.", "On Tuesday the council met.", "[]"])
        writer.writerow(["The council met on Tuesday.", "The council met on Monday.", gold])
    with pytest.raises(BenchError, match=message) as error:
        load_user_data(str(path), "distortion", cache_dir=tmp_path / "cache")
    assert "line 3" in str(error.value) or "row 2" in str(error.value), str(error.value)


def test_dev_data_is_refused_for_a_span_task(small_cache, tmp_path, capsys):
    path = tmp_path / "spans.jsonl"
    path.write_text(json.dumps({"original": "A b c.", "candidate": "A b d.", "gold": [[4, 5]]}) + "\n")
    assert main(["eval", "--model", "fact-diff", "--task", "distortion", "--data", str(path), "--dev-data", str(path),
                 "--cache-dir", str(small_cache), "--output-dir", str(tmp_path / "out")]) == 2
    assert "task 'distortion' has none" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_span_predictions_files_are_checked(small_data, tmp_path):
    from rewrite_bench.models import resolve_model

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "spans": 5}) + "\n")
    with pytest.raises(BenchError, match=r"bad.jsonl, line 1: 'spans' must be a list"):
        resolve_model(f"predictions:{bad}")
    scores_only = tmp_path / "scores.jsonl"
    scores_only.write_text(json.dumps({"id": "a", "score": 0.5}) + "\n")
    assert "no 'spans'" in resolve_model(f"predictions:{scores_only}").unsupported(align.METADATA)
    # Spans outside the candidate fail when used, naming the item.
    first = small_data.task("align")["test"][0]["id"]
    rows = small_data.task("align")["test"]["id"]
    outside = tmp_path / "outside.jsonl"
    outside.write_text("".join(json.dumps({"id": i, "spans": [[0, 10 ** 7, 1.0]] if i == first else []}) + "\n"
                               for i in rows))
    with pytest.raises(BenchError, match="the candidate's length") as error:
        evaluate_spans(resolve_model(f"predictions:{outside}"), align.METADATA, small_data, split="test", limit=None,
                       batch_size=8, progress=False)
    assert first in str(error.value)
