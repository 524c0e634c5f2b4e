"""``distort``: every change a meaning change, every change recorded where it is (issue 16)."""
from __future__ import annotations

import random
import statistics

import pytest

from rewrite_bench.corpus import load_news
from rewrite_bench.rewriters.distort import KINDS, Distort, Distortion
from rewrite_bench.rewriters.substitution import sentence_starts
from rewrite_bench.types import BenchError, RewriteError

ARTICLES = [text for *_, text in load_news()][:40]


def rebuilt(source: str, distortions: list[Distortion]) -> str:
    """The rewrite made again from the source and the recorded spans alone."""
    pieces, cursor = [], 0
    for d in distortions:
        pieces += [source[cursor:d.source_start], d.after]
        cursor = d.source_end
    return "".join(pieces + [source[cursor:]])


@pytest.mark.parametrize("strength", ["light", "medium", "heavy"])
def test_the_spans_account_for_every_difference(strength):
    distort = Distort()
    for seed, source in enumerate(ARTICLES):
        out, distortions = distort.distort(source, distort.strengths[strength], random.Random(seed))
        assert out == distort.rewrite(source, distort.strengths[strength], random.Random(seed)) != source
        assert rebuilt(source, distortions) == out  # outside the spans, the source is copied
        for d in distortions:
            assert d.kind in KINDS and d.before != d.after
            assert source[d.source_start:d.source_end] == d.before and out[d.start:d.end] == d.after
        # The spans of the rewrite and of the source both come in order and never overlap.
        assert all(a.end <= b.start and a.source_end <= b.source_start for a, b in zip(distortions, distortions[1:]))


def test_strengths_are_graded_and_at_most_one_change_per_sentence():
    distort = Distort()
    means = {}
    for strength, params in distort.strengths.items():
        counts = []
        for seed, source in enumerate(ARTICLES):
            _, distortions = distort.distort(source, params, random.Random(seed))
            starts = sentence_starts(source)
            sentences = [sum(1 for s in starts if s <= d.source_start) for d in distortions]
            assert len(sentences) == len(set(sentences))
            counts.append(len(distortions))
        means[strength] = statistics.mean(counts)
    assert 1 <= means["light"] < means["medium"] < means["heavy"]


def test_every_kind_occurs_on_news():
    distort = Distort()
    seen = {d.kind for seed, source in enumerate(ARTICLES)
            for d in distort.distort(source, distort.strengths["heavy"], random.Random(seed))[1]}
    assert seen == set(KINDS)


@pytest.mark.parametrize(("source", "kind", "check"), [
    ("The report came in 2019.", "number", lambda after: after != "2019" and abs(int(after) - 2019) <= 3),
    ("He waited 30 minutes.", "number", lambda after: after[0] == "3" and after != "30" and len(after) == 2),
    ("Thirty members signed it.", "numeral", lambda after: after != "Thirty" and after[0] == "T"),
    ("The talks were not finished.", "negation", lambda after: after == "were"),
    ("The company didn't report it.", "negation", lambda after: after == "did"),
    ("The plan was approved.", "negation", lambda after: after == "was not"),
    ("It came as a large surprise.", "antonym", lambda after: after == "small"),
    ("The senate leader Ramon Puerta resigned. The move was final, Saa said.", "attribution", lambda after: after == "Ramon Puerta"),
    ("The senate leader Ramon Puerta resigned, said Saa.", "attribution", lambda after: after == "Ramon Puerta"),
])
def test_each_kind_of_change_on_a_sentence(source, kind, check):
    distort = Distort()
    made = [d for seed in range(20) for d in distort.distort(source, {"distort_rate": 1.0}, random.Random(seed))[1]
            if d.kind == kind]
    assert made and all(check(d.after) for d in made), made


def test_names_are_swapped_with_another_name_of_the_text_or_dropped_with_their_preposition():
    source = "The letter went to Zelensky. Officials in Kyiv read it."
    kinds = {}
    for seed in range(30):
        out, distortions = Distort().distort(source, {"distort_rate": 1.0}, random.Random(seed))
        for d in distortions:
            kinds.setdefault(d.kind, set()).add(d.after)
    assert kinds.get("entity-swap", set()) <= {"Zelensky", "Kyiv"} and kinds.get("entity-drop") == {""}
    assert kinds.get("entity-swap")
    outputs = {Distort().rewrite(source, {"distort_rate": 1.0}, random.Random(s)) for s in range(30)}
    assert any(out.startswith("The letter went. ") for out in outputs)  # " to Zelensky" dropped


def test_a_text_with_nothing_to_change_and_bad_params_are_refused():
    with pytest.raises(RewriteError, match="distort: no number"):
        Distort().rewrite("hello, my friend", {"distort_rate": 0.5}, random.Random(0))
    with pytest.raises(BenchError, match="distort param distort_rate"):
        Distort().rewrite("It was 30.", {"distort_rate": 2}, random.Random(0))
