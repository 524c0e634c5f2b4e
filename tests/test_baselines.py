from __future__ import annotations

import pytest

from rewrite_bench.baselines.lexical import CharTfidfCosine, ShingleJaccard, TfidfCosine
from rewrite_bench.baselines.random import RandomScorer, hash_uniform

SOURCE = "The council approved the new budget for public schools on Tuesday evening."
SPUN = "The council sanctioned the novel budget for public schools on Tuesday evening."
OTHER = "Heavy rain flooded the river valley and forced hundreds of families from their homes."


def test_random_is_deterministic_per_item_and_uniform():
    scorer = RandomScorer()
    a = scorer.score_pairs([SOURCE, SOURCE], [SPUN, OTHER])
    assert a == scorer.score_pairs([SOURCE], [SPUN]) + scorer.score_pairs([SOURCE], [OTHER])
    assert all(0.0 <= s < 1.0 for s in a) and a[0] != a[1]
    assert RandomScorer(salt="x").score_pairs([SOURCE], [SPUN]) != a[:1]
    draws = [hash_uniform(str(i)) for i in range(2000)]
    assert 0.45 < sum(draws) / len(draws) < 0.55


@pytest.mark.parametrize("cls", [TfidfCosine, CharTfidfCosine])
def test_tfidf_ranks_rewrite_above_unrelated(cls):
    model = cls().fit_texts([SOURCE, OTHER, "An unrelated sentence about cricket."])
    same, spun, other = model.score_pairs([SOURCE] * 3, [SOURCE, SPUN, OTHER])
    assert same == pytest.approx(1.0)
    assert 0.0 <= other < spun < 1.0


def test_tfidf_needs_idf_statistics():
    with pytest.raises(RuntimeError, match="fit_texts"):
        TfidfCosine().score_pairs([SOURCE], [SPUN])


def test_tfidf_score_does_not_depend_on_batch():
    model = TfidfCosine().fit_texts([SOURCE, OTHER])
    together = model.score_pairs([SOURCE, SOURCE], [SPUN, OTHER])
    apart = model.score_pairs([SOURCE], [SPUN]) + model.score_pairs([SOURCE], [OTHER])
    assert together == pytest.approx(apart, abs=1e-12)


def test_shingle_jaccard_by_hand():
    # word 2-grams: {a b, b c, c d} vs {a b, b c, c e}: 2 shared of 4 distinct -> 0.5
    assert ShingleJaccard(n=2).score_pairs(["a b c d"], ["a b c e"]) == [0.5]
    assert ShingleJaccard(n=3).score_pairs(["a b"], ["a b"]) == [0.0]  # no 3-grams at all
    with pytest.raises(ValueError):
        ShingleJaccard(n=0)
