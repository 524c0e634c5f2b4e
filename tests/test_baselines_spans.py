"""Span baselines: alignment (ngram-align, minilm-sentence-spans) and distortion (fact-diff, negation-lexicon)."""
from __future__ import annotations

import random

import pytest

from rewrite_bench.baselines.alignment import MiniLMSentenceSpans, NgramAlignment
from rewrite_bench.baselines.distortion import FactDiff, NegationLexicon
from rewrite_bench.span_metrics import check_spans, derived_cases, plagdet
from rewrite_bench.types import BenchError

ORIGINAL = ("Thirty members of the governing party voted against the budget on Tuesday evening. "
            "The vote was close, the speaker of the house said afterwards.")
COPY = "Thirty members of the governing party voted against the budget on Tuesday evening."
CANDIDATE = f"Advertisement. {COPY} Read more: weather for the weekend brings heavy rain to the coast."


def test_ngram_align_finds_a_copied_sentence_among_inserted_lines():
    [spans] = NgramAlignment().align_spans([ORIGINAL], [CANDIDATE])
    assert check_spans(spans, CANDIDATE, "ngram-align") == spans
    start = CANDIDATE.index(COPY)
    assert [(s, e) for s, e, _ in spans] == [(start, start + len(COPY) - 1)]  # up to the last word
    assert spans[0][2] == 1.0  # every word of the span is seeded
    assert NgramAlignment().align_spans([ORIGINAL], ["Nothing in common with it at all."]) == [[]]
    with pytest.raises(BenchError, match="n >= 1 and max_gap >= 0"):
        NgramAlignment(n=0)


def test_minilm_sentence_spans_keeps_the_derived_sentence_only():
    [spans] = MiniLMSentenceSpans().align_spans([ORIGINAL], [CANDIDATE])
    assert check_spans(spans, CANDIDATE, "minilm-sentence-spans") == spans
    start = CANDIDATE.index(COPY)
    assert [(s, e) for s, e, _ in spans] == [(start, start + len(COPY))]
    assert spans[0][2] > 0.99
    with pytest.raises(BenchError, match="cosine in"):
        MiniLMSentenceSpans(threshold=2)


def test_alignment_of_a_real_partial_copy_scores_well_against_its_provenance():
    from rewrite_bench.corpus import load_news
    from rewrite_bench.rewriting import make_rewriter

    texts = [text for *_, text in load_news()][:4]
    partial = make_rewriter("partial")
    rewrite, provenance = partial.rewrite_with_provenance(texts[0], partial.strengths["light"], random.Random(1),
                                                          donor=texts[3])
    [spans] = NgramAlignment().align_spans([texts[0]], [rewrite])
    scores = plagdet([derived_cases(rewrite, provenance)], [spans])
    assert scores.precision > 0.9 and scores.recall > 0.9 and scores.plagdet > 0.8


def test_fact_diff_flags_changed_numbers_and_new_names_only():
    candidate = "Thirty-one members of the governing party voted against the budget on Tuesday evening, Jones said."
    [spans] = FactDiff().distortion_spans([ORIGINAL], [candidate])
    assert check_spans(spans, candidate, "fact-diff") == spans
    flagged = {candidate[s:e] for s, e, _ in spans}
    assert "one" in flagged and "Jones" in flagged
    assert "Thirty" not in flagged and "Tuesday" not in flagged
    assert FactDiff().distortion_spans([ORIGINAL], [COPY]) == [[]]


def test_negation_lexicon_flags_added_negations_and_antonyms_against_the_matching_sentence():
    original = "The vote was close. The early results were good."
    candidate = "The vote was not close. The late results were good."
    [spans] = NegationLexicon().distortion_spans([original], [candidate])
    assert check_spans(spans, candidate, "negation-lexicon") == spans
    assert {candidate[s:e] for s, e, _ in spans} == {"not", "late"}
    [gone] = NegationLexicon().distortion_spans([candidate], [original])
    assert gone and gone[0][2] == 0.5  # a removed negation marks its whole sentence, with less confidence
    assert NegationLexicon().distortion_spans([original], [original]) == [[]]
