"""Span metrics: plagdet, span F1 and token-level distortion scores on hand-worked cases."""
from __future__ import annotations

import math

import pytest

from rewrite_bench.span_metrics import (check_spans, distortion_scores, merge, plagdet, span_f1, token_labels,
                                        token_scores)
from rewrite_bench.types import BenchError


def test_plagdet_rewards_whole_detections_and_punishes_split_ones():
    one = plagdet([[(0, 10)]], [[(0, 10)]])
    assert (one.precision, one.recall, one.granularity, one.plagdet) == (1.0, 1.0, 1.0, 1.0)
    split = plagdet([[(0, 10)]], [[(0, 5), (5, 10)]])
    assert split.precision == split.recall == 1.0 and split.granularity == 2.0
    assert split.plagdet == pytest.approx(1 / math.log2(3))
    too_long = plagdet([[(0, 10)]], [[(0, 20)]])
    assert (too_long.precision, too_long.recall) == (0.5, 1.0) and too_long.plagdet == pytest.approx(2 / 3)
    half = plagdet([[(0, 10), (20, 30)]], [[(0, 10)]])
    assert (half.precision, half.recall) == (1.0, 0.5) and half.plagdet == pytest.approx(2 / 3)


def test_plagdet_averages_over_every_detection_and_case_of_every_candidate():
    scores = plagdet([[(0, 10)], [], [(0, 4)]], [[(0, 10)], [(0, 5)], []])
    assert scores.precision == pytest.approx(0.5)  # the detection in a copy-free candidate is all wrong
    assert scores.recall == pytest.approx(0.5)  # the third candidate's case is missed
    assert plagdet([[], []], [[], []]).plagdet == 1.0  # nothing to find and nothing found
    with pytest.raises(BenchError, match="one list of cases per candidate"):
        plagdet([[]], [])


def test_span_f1_counts_overlaps_on_both_sides():
    scores = span_f1([[(0, 10), (20, 30)]], [[(5, 8), (40, 50)]])
    assert (scores.precision, scores.recall) == (0.5, 0.5) and scores.f1 == 0.5
    assert span_f1([[]], [[]]).f1 == 1.0
    assert span_f1([[(0, 3)]], [[]]).f1 == 0.0


def test_tokens_are_labelled_by_overlap_and_deletions_by_what_they_touch():
    text = "Thirty members voted."
    assert token_labels(text, [(0, 6)]) == [1, 0, 0, 0]
    assert token_labels(text, [(14, 14)]) == [0, 1, 0, 0]  # a deletion right after "members"
    assert token_labels(text, [(20, 20)]) == [0, 0, 1, 1]  # one between "voted" and "." touches both
    assert token_scores(text, [(0, 14, 0.4), (15, 20, 0.9)]) == [0.4, 0.4, 0.9, 0.0]


def test_distortion_scores_pool_tokens_over_candidates():
    texts = ["Thirty members voted.", "The plan was approved."]
    gold = [[(0, 6)], []]
    predicted = [[(0, 6, 0.9), (15, 20, 0.2)], [(13, 21, 0.1)]]
    scores = distortion_scores(texts, gold, predicted)
    assert scores.token_recall == 1.0
    assert scores.token_precision == pytest.approx(1 / 3)  # flagged: Thirty, voted, approved
    assert scores.token_f1 == pytest.approx(0.5)
    assert scores.token_ap == 1.0  # the one changed token has the top score
    assert distortion_scores(["No change."], [[]], [[]]).token_ap is None


def test_merge_joins_touching_and_close_spans():
    assert merge([(5, 8), (0, 3), (3, 4), (9, 9)]) == [(0, 4), (5, 8)]
    assert merge([(0, 3), (5, 8)], gap=2) == [(0, 8)]


@pytest.mark.parametrize(("raw", "message"), [
    ("0-5", "must be a list"),
    ([(0, 5)], r"span 0 must be \(start, end, score\)"),
    ([(0, 5.0, 1.0)], "offsets must be integers"),
    ([(3, 3, 1.0)], "0 <= start < end <= 10"),
    ([(0, 11, 1.0)], "0 <= start < end <= 10"),
    ([(0, 5, float("nan"))], "finite number"),
    ([(0, 5, 1.0), (4, 8, 1.0)], "starts before span 0 ends"),
])
def test_malformed_spans_are_refused_naming_the_item(raw, message):
    with pytest.raises(BenchError, match=message) as error:
        check_spans(raw, "0123456789", "model m, item news-1")
    assert str(error.value).startswith("model m, item news-1: ")


def test_good_spans_come_back_as_float_scored_triples():
    assert check_spans([[0, 2, 1], (4, 10, 0.5)], "0123456789", "x") == [(0, 2, 1.0), (4, 10, 0.5)]


def test_gold_from_provenance_leaves_out_inserted_text_and_lone_white_space():
    from rewrite_bench.rewriters.provenance import Builder
    from rewrite_bench.span_metrics import derived_cases, meaning_changes

    source = "One. Two. Three."
    builder = Builder(source)
    builder.take(0, 4)
    builder.add(" ", 4, 5, "copied")
    builder.insert("Donor.", 5)
    builder.add(" ", 9, 10, "copied")  # between two donor sentences: derives from nothing
    builder.insert("More.", 10)
    builder.add(" ", 9, 10, "copied")
    builder.add("Tree.", 10, 16, "substituted", "changes")
    rewrite, spans = builder.result()
    assert rewrite == "One. Donor. More. Tree."
    assert derived_cases(rewrite, spans) == [(0, 4), (18, 23)]
    assert meaning_changes(spans) == [(18, 23)]
