"""Task shapes: metadata checked when a task is defined, and a new task of an existing shape
run end to end through the CLI with nothing but its module and one registry line."""
from __future__ import annotations

import dataclasses
import json

import pytest

from rewrite_bench import registry
from rewrite_bench.cli import main
from rewrite_bench.leaderboard import render_leaderboard
from rewrite_bench.metrics import SliceSpec
from rewrite_bench.registry import Entry
from rewrite_bench.shapes import SHAPES, shape_of
from rewrite_bench.types import TaskMetadata
from rewrite_bench.tasks.pair import METADATA as PAIR
from rewrite_bench.tasks.retrieve import METADATA as RETRIEVE
from conftest import SMALL, typed_result


def test_every_registered_task_names_a_shape_that_runs_it():
    for entry in registry.TASKS.values():
        task = registry.load_target(entry.target).metadata
        assert task.shape in SHAPES and task.main_score in shape_of(task).main_scores
    assert shape_of(PAIR).accepts_user_data and not shape_of(RETRIEVE).accepts_user_data
    assert shape_of(RETRIEVE).has_ranks and RETRIEVE.rerank_with == "pair"


@pytest.mark.parametrize("change, message", [
    ({"shape": "graded"}, "unknown shape 'graded'"),
    ({"main_score": "mrr"}, "main score must be one of \\['auroc'\\] for a scored task, not 'mrr'"),
    ({"model_method": "search"}, "must be a score_\\* method"),
    ({"leaderboard_slices": ("hard", "colour")}, "leaderboard slice 'colour' is not one of its slices"),
    ({"slices": (SliceSpec("domain", "both"), SliceSpec("domain", "positive"))}, "slice keys repeat"),
])
def test_metadata_that_does_not_fit_its_shape_fails_naming_the_task(change, message):
    fields = {f.name: getattr(PAIR, f.name) for f in dataclasses.fields(PAIR)}
    if "slices" in change:
        fields["leaderboard_slices"] = ()
    with pytest.raises(ValueError, match=f"task 'pair': .*{message}"):
        TaskMetadata(**{**fields, **change})


def test_a_ranked_task_must_say_what_re_ranks_for_it():
    fields = {f.name: getattr(RETRIEVE, f.name) for f in dataclasses.fields(RETRIEVE)}
    with pytest.raises(ValueError, match="task 'retrieve': it must name the scored task whose scorer re-ranks"):
        TaskMetadata(**{**fields, "rerank_with": None})


def test_a_new_task_of_an_existing_shape_runs_end_to_end(small_cache, small_data, tmp_path, monkeypatch, capsys):
    # The whole integration of tests/sibling_task.py: one registry line.
    monkeypatch.setitem(registry.TASKS, "sibling",
                        Entry("sibling", "sibling_task:TASK", "Were two rewrites made from the same original?"))
    assert main(["list"]) == 0
    assert "  sibling " in capsys.readouterr().out
    out = tmp_path / "results"
    assert main(["eval", "--model", "tfidf", "--task", "sibling", "--max-originals", str(SMALL), "--cache-dir",
                 str(small_cache), "--output-dir", str(out), "--no-report"]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "tfidf" / "sibling.json").read_text())
    # A new task changes the build's configuration but not its rewrites: they are reused, not made again.
    with_sibling = small_cache / "data" / result["data"]["config_key"] / "build.json"
    assert json.loads(with_sibling.read_text())["rewrites_from"] == f"cached build {small_data.path.name}"
    assert result["task"]["name"] == "sibling" and result["task"]["main_score"] == "auroc"
    assert result["n"]["positive"] > 0 and result["n"]["negative"] > 0
    assert 0.0 <= result["metrics"]["auroc"] <= 1.0
    assert {row["slice"] for row in result["slices"]} == {"all", "domain", "sibling_kind"}
    assert "| sibling | test |" in printed
    rows = (out / "tfidf" / "sibling.predictions.jsonl").read_text().splitlines()
    assert len(rows) == sum(result["n"].values())
    # Its leaderboard section: its shape's columns and its own leaderboard slice (domain).
    board = render_leaderboard([typed_result({**result, "data": {**result["data"], "max_originals": None}})])
    assert "## Task `sibling` (version 0.1)" in board
    header = next(line for line in board.splitlines() if line.startswith("| # | model"))
    domains = sorted({row["value"] for row in result["slices"] if row["slice"] == "domain"})
    assert header.startswith("| # | model | AUROC (95% CI) | AP | TPR@1%FPR | TPR@5%FPR | F1 | Acc | ")
    assert all(f"AUROC {domain}" in header for domain in domains)


def test_installed_packages_register_through_entry_points(tmp_path, monkeypatch, capsys):
    # A package installed with entry points, as pip would lay it out: its code and its dist-info.
    (tmp_path / "plugin_scorers.py").write_text(
        "class Overlap:\n"
        "    def score_pairs(self, originals, candidates):\n"
        "        return [len(set(a.split()) & set(b.split())) / 10 for a, b in zip(originals, candidates)]\n")
    info = tmp_path / "plugin_scorers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-scorers\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rewrite_bench.models]\noverlap = plugin_scorers:Overlap\n"
                                           "tfidf = plugin_scorers:Overlap\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = registry.plugin_entries("model", registry.MODELS)
    assert list(found) == ["overlap"] and found["overlap"].target == "plugin_scorers:Overlap"
    assert "plugin-scorers registers the model 'tfidf', which exists already; ignored." in capsys.readouterr().err
    monkeypatch.setitem(registry.MODELS, "overlap", found["overlap"])
    from rewrite_bench.models import resolve_model

    model = resolve_model("overlap")
    assert model.source == "baseline" and model.supports(PAIR)
    assert model.scorer(PAIR)(["a b c"], ["a b d"]) == [0.2]
