"""Tests for the composed rewriters: ``partial`` (part original, part donor) and ``Chain``."""
from __future__ import annotations

import json
import random
import re
from statistics import mean
from typing import Mapping

import pytest

from rewrite_bench.corpus import load_news
from rewrite_bench.text import (
    length_ratio,
    ngram_containment,
    split_paragraphs,
    split_sentences,
    word_change_rate,
    words,
)
from rewrite_bench.types import STRENGTHS, BenchError, Rewriter, RewriteError
from rewrite_bench.rewriters.chain import Chain
from rewrite_bench.rewriters.partial import Partial
from rewrite_bench.rewriters.restructure import Restructure
from rewrite_bench.rewriters.wordnet_spin import WordNetSpin


def iter_sentences(text: str):
    """All sentences of a multi-paragraph text, in order."""
    for paragraph in split_paragraphs(text):
        yield from split_sentences(paragraph)


N_ARTICLES = 16


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    """(original, donor) pairs of real Lee news articles of 5+ sentences.

    Each donor is the next such article at least as long as the original's dropped part
    can need (80% of it), so the filled copy can reach about the original's length.
    """
    articles = [t for _, _, _, t in load_news() if len(list(iter_sentences(t))) >= 5]
    out: list[tuple[str, str]] = []
    for i, original in enumerate(articles):
        donor = next(
            d for d in articles[i + 1 :] + articles[:i] if len(words(d)) >= 0.8 * len(words(original))
        )
        out.append((original, donor))
        if len(out) == N_ARTICLES:
            break
    return out


def _partial(text: str, donor: str, params: Mapping[str, object], seed: int) -> str:
    return Partial().rewrite(text, params, random.Random(seed), donor=donor)


def _verbatim_share(original: str, out: str) -> float:
    sentences = list(iter_sentences(original))
    return sum(s in out for s in sentences) / len(sentences)


def _unspun(strength: str) -> dict[str, object]:
    return {**Partial.strengths[strength], "spin_rate": 0.0}


# --- partial -------------------------------------------------------------------------------


def test_partial_implements_the_protocol_and_needs_a_donor() -> None:
    partial = Partial()
    assert isinstance(partial, Rewriter)
    assert partial.name == "partial" and partial.needs_donor is True
    assert tuple(partial.strengths) == STRENGTHS
    shares = [partial.strengths[s]["keep_share"] for s in STRENGTHS]
    assert shares == sorted(shares, reverse=True)  # heavy = least derived


@pytest.mark.parametrize("strength", STRENGTHS)
def test_partial_keeps_about_the_requested_share_in_order(pairs, strength: str) -> None:
    params = _unspun(strength)
    shares = []
    for seed, (original, donor) in enumerate(pairs):
        out = _partial(original, donor, params, seed)
        sentences = list(iter_sentences(original))
        kept = [s for s in sentences if s in out]
        shares.append(len(kept) / len(sentences))
        assert 0 < len(kept) < len(sentences)
        positions = [out.index(s) for s in kept]
        assert positions == sorted(positions), "kept sentences must keep the original's order"
        mask = [s in out for s in sentences]
        runs = sum(1 for i, keep in enumerate(mask) if keep and (i == 0 or not mask[i - 1]))
        assert runs <= params["max_blocks"]
    assert abs(mean(shares) - params["keep_share"]) <= 0.08


@pytest.mark.parametrize("strength", STRENGTHS)
def test_partial_fills_with_donor_sentences_to_about_the_original_length(pairs, strength: str) -> None:
    for seed, (original, donor) in enumerate(pairs):
        out = _partial(original, donor, Partial.strengths[strength], seed)
        assert out != original
        assert any(s in out for s in iter_sentences(donor)), "donor sentences are used verbatim"
        assert 0.6 <= length_ratio(original, out) <= 1.6


def test_partial_spins_the_kept_part_only_where_asked(pairs) -> None:
    for strength in STRENGTHS:
        spun = [_verbatim_share(o, _partial(o, d, Partial.strengths[strength], 1)) for o, d in pairs]
        plain = [_verbatim_share(o, _partial(o, d, _unspun(strength), 1)) for o, d in pairs]
        if Partial.strengths[strength]["spin_rate"] == 0.0:
            assert spun == plain
        else:
            assert mean(spun) < mean(plain) / 2


def test_partial_change_is_graded_by_strength(pairs) -> None:
    change, overlap = [], []
    for strength in STRENGTHS:
        outs = [(o, _partial(o, d, Partial.strengths[strength], seed)) for seed, (o, d) in enumerate(pairs)]
        change.append(mean(word_change_rate(o, out) for o, out in outs))
        overlap.append(mean(ngram_containment(out, o, 5) for o, out in outs))
    assert change[0] < change[1] < change[2]
    assert overlap[0] > overlap[1] > overlap[2]
    assert overlap[0] > 0.5 and overlap[2] < 0.25


def test_partial_is_deterministic_for_a_seed_and_seed_dependent(pairs) -> None:
    original, donor = pairs[2]
    params = Partial.strengths["medium"]
    first = _partial(original, donor, params, 3)
    assert _partial(original, donor, params, 3) == first
    assert _partial(original, donor, params, 4) != first


def test_partial_keeps_kept_sentences_in_their_paragraphs(pairs) -> None:
    first, second = pairs[0][0], pairs[1][0]
    original = f"{first}\n\n{second}"
    donor = pairs[5][1]
    for seed in range(6):
        out = _partial(original, donor, _unspun("light"), seed)
        paragraphs = split_paragraphs(out)
        assert 1 <= len(paragraphs) <= 2 and out.count("\n\n") == len(paragraphs) - 1
        homes = [
            {i for s in iter_sentences(source) for i, p in enumerate(paragraphs) if s in p}
            for source in (first, second)
        ]
        # Kept sentences of the first paragraph sit in the first output paragraph, those of
        # the second in the last, never together.
        assert homes[0] <= {0} and homes[1] <= {len(paragraphs) - 1}
        assert not (homes[0] and homes[1]) or len(paragraphs) == 2


def test_partial_needs_three_sentences_and_a_donor_sentence(pairs) -> None:
    donor = pairs[0][1]
    params = Partial.strengths["light"]
    with pytest.raises(RewriteError, match="2 sentence"):
        _partial("The bank raised rates today. Shares fell sharply.", donor, params, 0)
    with pytest.raises(RewriteError, match="donor"):
        _partial(pairs[0][0], "  \n\n ", params, 0)


@pytest.mark.parametrize(
    "bad",
    [{"keep_share": 1.5}, {"spin_rate": -0.1}, {"fill_ratio": "full"}, {"max_blocks": 0}, {"keep_share": None}],
)
def test_partial_rejects_bad_params(pairs, bad: dict[str, object]) -> None:
    original, donor = pairs[0]
    params = {**Partial.strengths["light"], **bad}
    key = next(iter(bad))
    with pytest.raises(BenchError, match=f"partial param {key}"):
        _partial(original, donor, params, 0)


# --- chain ---------------------------------------------------------------------------------


class _Recorder:
    """A rewriter that appends the first number its rng gives, so seeds can be checked."""

    version = "2.1"
    strengths = {s: {"tag": s} for s in STRENGTHS}

    def __init__(self, name: str) -> None:
        self.name = name

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        return f"{text} [{self.name}:{params['tag']}:{rng.random():.6f}]"


class _Failing:
    name = "always-fails"
    version = "1.0"
    strengths = {s: {} for s in STRENGTHS}

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        raise RewriteError("always-fails: nothing to change")


class _DonorUser:
    name = "donor-user"
    version = "1.0"
    needs_donor = True
    strengths = {s: {} for s in STRENGTHS}

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random, *, donor: str) -> str:
        return f"{text} {donor}"


def test_chain_composes_name_version_and_params() -> None:
    chain = Chain([WordNetSpin(), Restructure()])
    assert isinstance(chain, Rewriter)
    assert chain.name == "wordnet-spin+restructure"
    assert chain.version == f"{WordNetSpin.version}+{Restructure.version}" == "1.0+1.1"
    assert tuple(chain.strengths) == STRENGTHS
    for strength in STRENGTHS:
        assert chain.strengths[strength] == {
            "steps": [
                {"rewriter": "wordnet-spin", "params": dict(WordNetSpin.strengths[strength])},
                {"rewriter": "restructure", "params": dict(Restructure.strengths[strength])},
            ]
        }
        json.dumps(chain.strengths[strength], sort_keys=True)  # recordable as the build does
    assert Chain([_Recorder("a"), _Recorder("b")]).version == "2.1+2.1"


def test_chain_applies_the_parts_in_order_with_derived_seeds(pairs) -> None:
    chain = Chain([_Recorder("a"), _Recorder("b")])
    out = chain.rewrite("Text.", chain.strengths["medium"], random.Random(9))
    seeds = random.Random(9)
    first, second = random.Random(seeds.getrandbits(64)), random.Random(seeds.getrandbits(64))
    assert out == f"Text. [a:medium:{first.random():.6f}] [b:medium:{second.random():.6f}]"

    spin, restructure = WordNetSpin(), Restructure()
    chain = Chain([spin, restructure])
    for seed, (original, _) in enumerate(pairs[:4]):
        seeds = random.Random(seed)
        expected = spin.rewrite(original, spin.strengths["heavy"], random.Random(seeds.getrandbits(64)))
        expected = restructure.rewrite(expected, restructure.strengths["heavy"], random.Random(seeds.getrandbits(64)))
        assert chain.rewrite(original, chain.strengths["heavy"], random.Random(seed)) == expected


def test_spin_of_a_spin_changes_more_than_one_spin(pairs) -> None:
    spin, twice = WordNetSpin(), Chain([WordNetSpin(), WordNetSpin()])
    assert twice.name == "wordnet-spin+wordnet-spin"
    # At heavy the second pass often puts the original word back (synonymy is symmetric),
    # so the gain is measured where it is clear.
    for strength in ("light", "medium"):
        once = mean(
            word_change_rate(o, spin.rewrite(o, spin.strengths[strength], random.Random(seed)))
            for seed, (o, _) in enumerate(pairs)
        )
        double = mean(
            word_change_rate(o, twice.rewrite(o, twice.strengths[strength], random.Random(seed)))
            for seed, (o, _) in enumerate(pairs)
        )
        assert double > once * 1.15


def test_chain_names_the_failing_step() -> None:
    chain = Chain([_Recorder("a"), _Failing()])
    with pytest.raises(RewriteError, match=re.escape("a+always-fails: step 2 (always-fails)")) as info:
        chain.rewrite("Text.", chain.strengths["light"], random.Random(0))
    assert "nothing to change" in str(info.value)
    assert isinstance(info.value.__cause__, RewriteError)


def test_chain_passes_a_donor_only_to_parts_that_need_one(pairs) -> None:
    plain = Chain([_Recorder("a"), _Recorder("b")])
    assert plain.needs_donor is False
    chain = Chain([_Recorder("a"), _DonorUser()])
    assert chain.needs_donor is True
    out = chain.rewrite("Text.", chain.strengths["light"], random.Random(0), donor="Other.")
    assert out.startswith("Text. [a:light:") and out.endswith("] Other.")
    with pytest.raises(BenchError, match="donor"):
        chain.rewrite("Text.", chain.strengths["light"], random.Random(0))

    original, donor = pairs[3]
    partial_spin = Chain([Partial(), WordNetSpin()])
    assert partial_spin.needs_donor is True
    seeds = random.Random(5)
    expected = Partial().rewrite(
        original, Partial.strengths["medium"], random.Random(seeds.getrandbits(64)), donor=donor
    )
    expected = WordNetSpin().rewrite(expected, WordNetSpin.strengths["medium"], random.Random(seeds.getrandbits(64)))
    assert partial_spin.rewrite(original, partial_spin.strengths["medium"], random.Random(5), donor=donor) == expected


def test_chain_rejects_bad_parts_and_params() -> None:
    with pytest.raises(BenchError, match="at least one rewriter"):
        Chain([])

    class NoHeavy(_Recorder):
        strengths = {"light": {"tag": "l"}, "medium": {"tag": "m"}}

    with pytest.raises(BenchError, match=r"'x' has no params for strength\(s\) \['heavy'\]"):
        Chain([NoHeavy("x")])
    chain = Chain([_Recorder("a"), _Recorder("b")])
    with pytest.raises(BenchError, match="a list of 2"):
        chain.rewrite("Text.", {"steps": []}, random.Random(0))
    with pytest.raises(BenchError, match="step 1 must be"):
        chain.rewrite("Text.", Chain([_Recorder("b"), _Recorder("a")]).strengths["light"], random.Random(0))
    with pytest.raises(BenchError, match=r"step 2 \(b\) params must be a mapping"):
        chain.rewrite("Text.", {"steps": [{"rewriter": "a", "params": {"tag": "x"}}, {"rewriter": "b"}]}, random.Random(0))
