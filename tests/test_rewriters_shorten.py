"""The shorten rewriter: which phrases it cuts, the meaning check, determinism and grading.

The end-to-end tests run the real spaCy parser and MiniLM on short texts.
"""
from __future__ import annotations

import random
import statistics

import numpy as np
import pytest

from rewrite_bench.rewriters.glove_spin import spacy_english
from rewrite_bench.rewriters.provenance import problems
from rewrite_bench.rewriters.shorten import Shorten, cut_candidates
from rewrite_bench.text import length_ratio
from rewrite_bench.types import BenchError, Rewriter

TEXTS = (
    "Hundreds of people have been forced to leave their homes as strong winds pushed a huge bushfire "
    "towards the town of Hill Top. John Smith, the mayor of the town, said about 500 residents had left "
    "for nearby Mittagong (about 20 kilometres away). In a statement on Monday, the fire service said "
    "the conditions were also expected to ease.\n\nThe highway, which opened in 1990, was closed for "
    "six hours. Police said the fire had not reached any houses. Residents were told to stay calm.",
    "The committee approved the new budget after a long debate about public spending. Members argued, "
    "however, that the money should be used to improve schools and hospitals in rural areas. After a "
    "vote late on Tuesday, the chair thanked the members. The former minister did not attend the "
    "meeting, which lasted four hours.",
)


def cuts(sentence: str) -> list[str]:
    """What each cut removes (its text) and puts in its place, as ``removed -> new``."""
    doc = next(spacy_english(("ner",)).pipe([sentence]))
    return [f"{sentence[a:b]}->{new}" for a, b, new in cut_candidates(sentence, doc)]


def test_protocol_strengths_and_bad_params():
    rewriter = Shorten()
    assert isinstance(rewriter, Rewriter) and rewriter.name == "shorten"
    assert list(rewriter.strengths) == ["light", "medium", "heavy"]
    with pytest.raises(BenchError, match="shorten param cut_rate"):
        rewriter.rewrite(TEXTS[0], {"cut_rate": 1.5, "drop_share": 0.0}, random.Random(0))


def test_cuts_parentheticals_appositives_side_clauses_and_intro_phrases():
    assert cuts("John Smith, the mayor of the town, said residents had left (about 20 kilometres away).") == [
        ", the mayor of the town,->", " (about 20 kilometres away)->"]
    assert cuts("The highway, which opened in 1990, was closed for six hours.") == [", which opened in 1990,->"]
    assert cuts("In a statement on Monday, the fire service said the fire was under control.") == [
        "In a statement on Monday, t->T"]
    assert cuts("Members argued, however, that the money should be spent.") == [", however,->"]
    assert "huge ->" in cuts("Winds pushed a huge bushfire towards the town.")


def test_never_cuts_negations_claim_bounding_words_or_a_comma_inside_a_clause():
    assert cuts("Police said the fire had not reached any houses.") == []
    assert cuts("The former minister only spoke once.") == []
    # The first comma falls inside the opening clause: cutting up to it would break the sentence.
    assert cuts("After announcing that the senate leader, Ramon Puerta, would take over, the government "
                "said he had quit.") == [", Ramon Puerta,->"]
    assert cuts("The meeting, which did not start on time, lasted four hours.") == []


def test_a_cut_sentence_must_keep_its_meaning_or_give_its_larger_cuts_back():
    sentence = "Smith, the mayor of the town, said (loudly) that it was over."
    small, large = (30, 38, ""), (5, 29, "")
    # A fake encoder: a trial keeps its meaning only without the large cut.
    def embed(texts):
        return np.array([[1.0, 0.0] if "mayor" in t else [0.0, 1.0] for t in texts])

    anchors = embed([sentence])
    kept = Shorten()._settle([sentence], anchors, [[large, small]], embed)
    assert kept == [[small]]


def test_deterministic_graded_and_valid_provenance():
    rewriter = Shorten()
    ratios: dict[str, list[float]] = {s: [] for s in rewriter.strengths}
    for i, text in enumerate(TEXTS):
        for strength, params in rewriter.strengths.items():
            for seed in (1, 2):
                out, spans = rewriter.rewrite_with_provenance(text, params, random.Random(seed + i))
                again = rewriter.rewrite(text, params, random.Random(seed + i))
                assert out == again
                assert problems(text, out, spans) == []
                assert all(span.meaning == "keeps" for span in spans)
                assert out.split("\n\n")[0].split(".")[0].split()[0] == text.split()[0]  # the lede stays
                ratios[strength].append(length_ratio(text, out))
    light, medium, heavy = (statistics.mean(ratios[s]) for s in ("light", "medium", "heavy"))
    assert 1.0 > light > medium > heavy


def test_least_central_sentences_never_include_the_lede_and_leave_two():
    # The lede is the least like the others here, and still stays.
    vectors = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.8, 0.2]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert Shorten._least_central(vectors, 1) == {1}
    assert Shorten._least_central(vectors, 2) == {1, 2}
    assert Shorten._least_central(vectors, 3) == {1, 2}  # at least two sentences are left
    assert Shorten._least_central(vectors[:2], 1) == set()
