"""Every registered task, baseline and rewriter (``rewrite_bench.registry``) keeps its protocol.

Iterates over the registries, so a new entry is exercised without a new test: registry names
match the objects' names, every task builds sorted, labelled items with its inputs and slice
columns from a tiny corpus, every rewriter has the three strengths and rewrites a short fixed
text the same way for a seed (a rewriter whose engine is missing is skipped with the reason
its ``available()`` gives), and every baseline loads through ``resolve_model`` and runs the
tasks it is declared for, and no others.
"""
from __future__ import annotations

import json
import random
import re
from typing import Any, Callable

import pytest

from rewrite_bench.models import resolve_model
from rewrite_bench.registry import MODELS, REWRITERS, TASKS, load_target
from rewrite_bench.rewriters.provenance import aligned_spans, encode_spans
from rewrite_bench.rewriting import make_rewriter
from rewrite_bench.types import SPLITS, STRENGTHS, BenchError, Original, Rewrite, Rewriter, Task
from tests.test_rewriters_llm import gpt_dir  # noqa: F401  (fixture: a tiny random GPT-2, no download)

#: Short, so that the translation engines and MiniLM of the slow rewriters take a second or two.
TEXT = ("The council approved the new budget for public schools on Tuesday evening. Members argued "
        "that the money should improve hospitals in rural areas.\n\nThe final decision came after a long "
        "debate about spending, and the mayor said that work would start next month.")
DONOR = ("Heavy rain flooded the river valley overnight. Hundreds of families left their homes. "
         "The army brought boats and food to the town.")

#: The tasks each registered baseline runs. A new baseline adds its line here; the description
#: in the registry starts with ``TASK:`` when a baseline runs one task only (as ``bench list`` shows).
BASELINE_TASKS = {
    "random": {"pair", "detect", "retrieve"},
    "tfidf": {"pair", "retrieve"},
    "char-tfidf": {"pair", "retrieve"},
    "shingle": {"pair", "retrieve"},
    "minhash": {"pair", "retrieve"},
    "minilm": {"pair", "retrieve"},
    "minilm-align": {"pair", "retrieve"},
    "learned": {"pair", "retrieve"},
    "word-rarity": {"detect"},
    "char-ngram-lr": {"detect"},
    "minilm-lr": {"detect"},
    "bm25": {"retrieve"},
    "minhash-lsh": {"retrieve"},
    "ngram-align": {"align"},
    "minilm-sentence-spans": {"align"},
    "fact-diff": {"distortion"},
    "negation-lexicon": {"distortion"},
    "minilm-cosine-drop": {"distortion"},
}


# --------------------------------------------------------------------------- tasks


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_is_registered_under_its_own_name(name: str) -> None:
    task = load_target(TASKS[name].target)
    assert isinstance(task, Task) and callable(task.build_items)
    meta = task.metadata
    assert meta.name == name and TASKS[name].description
    assert meta.model_method in ("score_pairs", "score_texts", "search", "align_spans", "distortion_spans")
    assert meta.inputs and meta.main_score and re.fullmatch(r"\d+(\.\d+)*", meta.version)


def _tiny_corpus() -> tuple[list[Original], list[Rewrite]]:
    """Three originals per split and domain, each with two seen rewrites; test ones also an unseen one.
    Each rewrite records its edits (what the span tasks' gold comes from)."""
    words = "council budget school river valley family mayor spending hospital debate rain army boat food town".split()
    originals, rewrites = [], []
    for n, (split, domain, k) in enumerate((s, d, k) for s in SPLITS for d in ("news", "encyclopedia") for k in range(3)):
        rng = random.Random(n)
        original = Original(f"{domain}-{split}-{k}", domain, f"{domain}-{split}-{k}", split,
                            " ".join(rng.choice(words) for _ in range(40)) + ". Mayor Smith said the cost was 40.")
        originals.append(original)
        cells = [("wordnet-spin", "light", True), ("wordnet-spin", "heavy", True)]
        cells += [("paraphrase", "medium", False)] if split == "test" else []
        for rewriter, strength, seen in cells:
            text = original.text.replace("e", "a") if seen else original.text.upper()
            edits = encode_spans(aligned_spans(text, original.text))
            rewrites.append(Rewrite(f"{original.id}-{rewriter}-{strength}", original.id, rewriter, "1.0", strength, "{}",
                                    0, seen, text, 0.5, 0.3, 1.0, 0.9, edits))
    return originals, rewrites


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_builds_sorted_labelled_items_with_its_inputs_and_slices(name: str) -> None:
    task = load_target(TASKS[name].target)
    originals, rewrites = _tiny_corpus()
    items = task.build_items(originals, rewrites, 0)
    assert set(SPLITS) <= set(items)
    assert task.build_items(originals, rewrites, 0) == items  # a pure function of its inputs and seed
    for split in SPLITS:
        rows = items[split]
        ids = [row["id"] for row in rows]
        assert ids == sorted(set(ids)), f"{split}: ids must be unique and sorted"
        assert {row["label"] for row in rows} == {0, 1}, split
        for row in rows:
            assert all(isinstance(row[column], str) and row[column] for column in task.metadata.inputs)
            assert all(spec.key in row for spec in task.metadata.slices)


# --------------------------------------------------------------------------- baselines


def test_the_baseline_table_lists_every_registered_baseline() -> None:
    assert set(BASELINE_TASKS) == set(MODELS), "add the new baseline's tasks to BASELINE_TASKS"


@pytest.mark.parametrize("name", list(MODELS))
def test_every_baseline_loads_and_runs_the_tasks_it_is_declared_for(name: str) -> None:
    model = resolve_model(name)
    assert (model.name, model.slug, model.source) == (name, name, "baseline")
    assert model.description == MODELS[name].description
    tasks = {task: load_target(entry.target).metadata for task, entry in TASKS.items()}
    supported = {task for task, meta in tasks.items() if model.supports(meta)}
    assert supported == BASELINE_TASKS[name], {task: model.unsupported(meta) for task, meta in tasks.items()}
    declared = re.match(r"(\w+): ", MODELS[name].description)
    if len(supported) == 1:
        assert declared and declared.group(1) in supported, f"start the description with '{next(iter(supported))}: '"
    else:
        assert not declared or declared.group(1) not in tasks
    for task in supported - {"retrieve"}:  # scored tasks call the task's method on the object
        assert callable(getattr(model.obj, tasks[task].model_method, None))


# --------------------------------------------------------------------------- rewriters


def _factory(name: str, request: pytest.FixtureRequest) -> Callable[[], Rewriter]:
    """How to make ``name`` as the build does, or skip when its engine is not installed."""
    available = getattr(load_target(REWRITERS[name].target), "available", None)
    if callable(available):
        ok, reason = available()
        if not ok:
            pytest.skip(reason)
    if name == "llm":  # needs a model you name: a tiny random GPT-2 (tests/test_rewriters_llm.py)
        model_dir = str(request.getfixturevalue("gpt_dir"))
        return lambda: load_target(REWRITERS[name].target)(model_dir, max_new_tokens=12)
    return lambda: make_rewriter(name)


def _rewrite(rewriter: Rewriter, params: Any, seed: int) -> str:
    extra: dict[str, Any] = {"donor": DONOR} if getattr(rewriter, "needs_donor", False) else {}
    return rewriter.rewrite(TEXT, params, random.Random(seed), **extra)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", list(REWRITERS))
def test_every_rewriter_keeps_the_protocol_and_is_deterministic(name: str, request: pytest.FixtureRequest) -> None:
    make = _factory(name, request)
    rewriter = make()
    assert isinstance(rewriter, Rewriter) and rewriter.name == name
    assert tuple(rewriter.strengths) == STRENGTHS
    assert re.fullmatch(r"\d+\.\d+(\+\S+)?", rewriter.version), rewriter.version
    outputs = {}
    for strength in STRENGTHS:
        json.dumps(dict(rewriter.strengths[strength]), sort_keys=True)  # recorded with every rewrite
        # Every strength changes the text. A rewriter that draws its edits may draw none on a
        # short text now and then (shorten at light takes each of this text's three cuts with
        # probability 0.35; the build records an unchanged rewrite as a failure): one of three
        # seeds must change it.
        tried = []
        for seed in (11, 12, 13):
            tried.append(_rewrite(rewriter, rewriter.strengths[strength], seed=seed))
            assert isinstance(tried[-1], str) and tried[-1].strip()
            if tried[-1] != TEXT:
                break
        assert tried[-1] != TEXT, f"{name} at {strength} left the text unchanged with three seeds"
        outputs[strength] = tried[0]
    # The same text, strength and seed give the same rewrite, on this instance and a fresh one.
    assert _rewrite(rewriter, rewriter.strengths["medium"], seed=11) == outputs["medium"]
    fresh = make()
    assert _rewrite(fresh, fresh.strengths["medium"], seed=11) == outputs["medium"]


@pytest.mark.parametrize("name", list(REWRITERS))
def test_every_rewriter_refuses_missing_params_by_name(name: str, request: pytest.FixtureRequest) -> None:
    rewriter = _factory(name, request)()
    with pytest.raises(BenchError, match=rf"^{re.escape(name)} param \w+ must be"):
        _rewrite(rewriter, {}, seed=0)
