"""Tests for the web-noise and evasion rewriters on small news and encyclopedia texts."""
from __future__ import annotations

import random
import re
import unicodedata
from statistics import mean

import pytest

from rewrite_bench.text import (
    length_ratio,
    ngram_containment,
    split_paragraphs,
    split_sentences,
    word_change_rate,
    words,
)
from rewrite_bench.types import STRENGTHS, BenchError, RewriteError
from rewrite_bench.rewriters import web_noise
from rewrite_bench.rewriters.evasion import HOMOGLYPHS, ODD_SPACES, ZERO_WIDTH, Evasion, reveal
from rewrite_bench.rewriters.web_noise import BOILERPLATE, WebNoise

NEWS_1 = """\
Police in Melbourne have arrested two men over a string of armed robberies at service \
stations across the city's east. Detective Inspector Paul Hollowood said the men, aged 24 and \
31, were taken into custody early on Thursday after officers raided a house in Ringwood. \
"We believe these two are responsible for at least 12 robberies since October," he said. \
Officers seized a sawn-off shotgun, cash and a stolen car during the search.

The men are expected to face the Melbourne Magistrates Court tomorrow on more than 40 charges. \
Inspector Hollowood thanked members of the public who had called Crime Stoppers with \
information, and he urged anyone with further details to come forward. Service station \
operators say the robberies have cost the industry about $1,200 a week in lost takings."""

NEWS_2 = """\
The Federal Government has announced a $450 million package to help farmers affected by the \
drought in New South Wales and Queensland. Agriculture Minister Warren Truss said the money \
would be available from next month as interest rate subsidies and household support. "This is \
the worst drought many of these communities have seen in 100 years," Mr Truss said. Farm \
groups welcomed the announcement but warned that it would not be enough if the dry conditions \
continued into spring. The National Farmers Federation president, Peter Corish, said more than \
3,000 families had already left the land."""

ENCYCLOPEDIA = """\
The koala is an arboreal herbivorous marsupial native to Australia. It is the only extant \
representative of the family Phascolarctidae, and its closest living relatives are the \
wombats. The koala is found in coastal areas of the mainland's eastern and southern regions, \
inhabiting Queensland, New South Wales, Victoria and South Australia.

Koalas typically inhabit open eucalypt woodland, as the leaves of these trees make up most of \
their diet. Because this diet has limited nutritional and caloric content, koalas are largely \
sedentary and sleep up to 20 hours a day. They are asocial animals, and bonding exists only \
between mothers and dependent offspring. Adult males communicate with loud bellows that \
intimidate rivals and attract mates."""

SAMPLE = (NEWS_1, NEWS_2, ENCYCLOPEDIA)
SEEDS = tuple(range(8))
REWRITERS = (WebNoise(), Evasion())


def _run(rewriter, text: str, strength: str, seed: int) -> str:
    return rewriter.rewrite(text, rewriter.strengths[strength], random.Random(seed))


def _mean_over_sample(rewriter, strength: str, metric) -> float:
    return mean(
        metric(text, _run(rewriter, text, strength, seed)) for text in SAMPLE for seed in SEEDS
    )


def _web(text: str, seed: int = 0, **rates: float) -> str:
    """web-noise with every rate 0 except those given."""
    params = {key: 0.0 for key in WebNoise._PARAMS} | rates
    return WebNoise().rewrite(text, params, random.Random(seed))


# --- both rewriters ------------------------------------------------------------------------


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_every_strength_changes_the_text(rewriter, strength: str) -> None:
    for text in SAMPLE:
        for seed in SEEDS:
            out = _run(rewriter, text, strength, seed)
            assert out != text
            assert 1.0 <= length_ratio(text, out) <= 1.6
            assert ngram_containment(out, text, 5) < 1.0


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_change_is_graded_by_strength(rewriter) -> None:
    change = [_mean_over_sample(rewriter, s, word_change_rate) for s in STRENGTHS]
    overlap = [
        _mean_over_sample(rewriter, s, lambda src, out: ngram_containment(out, src, 5))
        for s in STRENGTHS
    ]
    growth = [_mean_over_sample(rewriter, s, length_ratio) for s in STRENGTHS]
    assert 0 < change[0] < change[1] < change[2]
    assert overlap[0] > overlap[1] > overlap[2]
    assert growth[0] < growth[1] < growth[2]


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_deterministic_for_a_seed_and_seed_dependent(rewriter) -> None:
    first = _run(rewriter, NEWS_1, "medium", seed=3)
    assert _run(rewriter, NEWS_1, "medium", seed=3) == first
    assert _run(rewriter, NEWS_1, "medium", seed=4) != first


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_out_of_range_params_name_the_parameter(rewriter) -> None:  # missing ones: test_registry_protocols.py
    params = dict(rewriter.strengths["light"])
    key = sorted(params)[0]
    params[key] = 1.5
    with pytest.raises(BenchError, match=key):
        rewriter.rewrite(NEWS_1, params, random.Random(0))


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_raises_when_there_is_nothing_to_act_on(rewriter) -> None:
    for text in ("", "   \n\n  ", "... -- !!!"):
        with pytest.raises(RewriteError):
            _run(rewriter, text, "heavy", seed=0)


# --- web-noise -----------------------------------------------------------------------------


def test_web_noise_only_adds_lines_when_words_are_left_alone() -> None:
    # Boilerplate, headline and byline only: every original paragraph survives, in order, its
    # sentences verbatim (boilerplate lines may sit between them).
    for text in SAMPLE:
        for seed in SEEDS:
            out = _web(text, seed, boilerplate_rate=0.5, headline_rate=1.0, byline_rate=1.0)
            assert word_change_rate(text, out) == 0.0
            position = 0
            for sentence in (s for p in split_paragraphs(text) for s in split_sentences(p)):
                found = out.find(sentence, position)
                assert found >= position, sentence
                position = found + len(sentence)


def test_web_noise_header_is_a_headline_and_a_byline() -> None:
    out = _web(NEWS_2, 1, headline_rate=1.0, byline_rate=1.0)
    headline, byline, *body = split_paragraphs(out)
    assert body == split_paragraphs(NEWS_2)
    first_sentence_words = words(split_sentences(NEWS_2)[0])
    head_words = words(re.sub(r"^[A-Z]+: ", "", headline))
    assert 3 <= len(head_words) <= 10
    assert head_words == first_sentence_words[: len(head_words)]
    assert re.search(r"[A-Z][a-z]+ [A-Z][a-z]+", byline)
    assert re.search(r"(January|February|March|April|May|June|July|August|September|October|"
                     r"November|December) \d{1,2}, \d{4}", byline) or "By " in byline


def test_web_noise_boilerplate_fills_every_gap_at_rate_one() -> None:
    out = _web(NEWS_1, 2, boilerplate_rate=1.0)
    paragraphs = split_paragraphs(out)
    # Two original paragraphs, each followed by a boilerplate paragraph.
    assert len(paragraphs) == 4
    fixed = {t for t in BOILERPLATE if "{" not in t}
    prefixes = tuple(t.split("{")[0] for t in BOILERPLATE if "{" in t)
    for line in paragraphs[1::2] + [ln for p in paragraphs[::2] for ln in p.split("\n")[1::2]]:
        assert line in fixed or line.startswith(prefixes), line
    n_gaps = sum(len(split_sentences(p)) - 1 for p in split_paragraphs(NEWS_1))
    assert sum(p.count("\n") for p in paragraphs[::2]) == 2 * n_gaps


def test_web_noise_char_noise_keeps_tokens_aligned() -> None:
    # Typos, numbers and names change single tokens: same token count, small edits only.
    for text in SAMPLE:
        out = _web(text, 3, typo_rate=0.3, number_rate=1.0, name_rate=0.5)
        assert len(split_paragraphs(out)) == len(split_paragraphs(text))
        src, new = words(text), words(out)
        assert len(src) == len(new)
        changed = [(a, b) for a, b in zip(src, new) if a != b]
        assert changed
        for a, b in changed:
            if a.isdigit():  # a number keeps its digits count
                assert b.isdigit() and len(a) == len(b), (a, b)
            else:  # a typo or a misspelt name keeps its first letter
                assert a[0] == b[0] and abs(len(a) - len(b)) <= 1, (a, b)


def test_web_noise_mangles_every_number_and_no_sentence_opener() -> None:
    out = _web(NEWS_1, 4, number_rate=1.0, name_rate=1.0)
    for number in ("24", "31", "12", "40", "1,200"):
        assert not re.search(rf"(?<![\d,]){re.escape(number)}(?![\d,])", out), number
    assert re.search(r"\$\d,\d00 a week", out)
    for name in ("Hollowood", "Ringwood", "Magistrates", "Stoppers", "October"):
        if name == "October":  # months are not names
            assert name in out
        else:
            assert name not in out, name
    for sentence in split_sentences(split_paragraphs(out)[0]):
        assert sentence.split()[0] in {"Police", "Detective", '"We', "Officers"}


def test_mangle_number_examples() -> None:
    rng = random.Random(0)
    for _ in range(50):
        assert web_noise._mangle_number("12", rng) in {"21", "22", "11", "13"}
        assert web_noise._mangle_number("2001", rng) in {"2000", "2002"}
        new = web_noise._mangle_number("1,200", rng)
        assert re.fullmatch(r"[1-9],\d{3}", new)
        assert 1 <= sum(a != b for a, b in zip(new, "1,200")) <= 2
        assert web_noise._mangle_number("7", rng) in {"6", "8"}


def test_typo_keeps_the_first_letter_and_changes_the_word() -> None:
    rng = random.Random(0)
    for word in ("robberies", "seized", "custody", "weekly", "tool"):
        for _ in range(30):
            typo = web_noise._typo(word, rng)
            assert typo != word and typo[0] == word[0] and abs(len(typo) - len(word)) <= 1


def test_web_noise_drops_quotation_marks() -> None:
    text = NEWS_1 + '\n\n"Quoted," she said.'
    out = _web(text, 0, quote_drop_rate=1.0, boilerplate_rate=1.0)
    assert '"' not in out and "\nQuoted, she said." in out
    assert word_change_rate(text, out) == 0.0


def test_web_noise_adds_one_line_when_nothing_is_drawn() -> None:
    out = _web(ENCYCLOPEDIA, 5)
    assert len(split_paragraphs(out)) == len(split_paragraphs(ENCYCLOPEDIA)) + 1
    assert out.startswith(split_paragraphs(ENCYCLOPEDIA)[0][:40])


def test_web_noise_heavy_is_visibly_noisy() -> None:
    heavy = _mean_over_sample(WebNoise(), "heavy", lambda s, o: ngram_containment(o, s, 5))
    light = _mean_over_sample(WebNoise(), "light", lambda s, o: ngram_containment(o, s, 5))
    assert heavy < 0.75 and light > 0.8


# --- evasion -------------------------------------------------------------------------------


@pytest.mark.parametrize("strength", STRENGTHS)
def test_evasion_looks_the_same_but_tokenises_differently(strength: str) -> None:
    allowed = set("".join(HOMOGLYPHS.values())) | set(ZERO_WIDTH) | set(ODD_SPACES)
    for text in SAMPLE:
        for seed in SEEDS:
            out = _run(Evasion(), text, strength, seed)
            assert reveal(out) == text
            assert words(out) != words(text)
            assert word_change_rate(text, out) > 0
            assert set(out) - set(text) <= allowed
            assert out.count("\n") == text.count("\n")
            assert len(split_paragraphs(out)) == len(split_paragraphs(text))


def test_evasion_characters_are_what_they_claim() -> None:
    for latin, glyphs in HOMOGLYPHS.items():
        for glyph in glyphs:
            assert glyph.isalpha() and not glyph.isascii()
            assert unicodedata.name(glyph).split()[0] in {"CYRILLIC", "GREEK"}
            assert (glyph.isupper(), glyph.islower()) == (latin.isupper(), latin.islower())
    for char in ZERO_WIDTH:
        assert not char.isspace() and not re.match(r"\w", char)
        assert unicodedata.category(char) == "Cf"
    for char in ODD_SPACES:
        assert char.isspace() and char not in "\n\r\t "


def test_evasion_changes_one_word_when_nothing_is_drawn() -> None:
    params = {"homoglyph_rate": 0.0, "zero_width_rate": 0.0, "space_rate": 0.0}
    for seed in SEEDS:
        out = Evasion().rewrite(NEWS_2, params, random.Random(seed))
        assert reveal(out) == NEWS_2
        assert 0 < word_change_rate(NEWS_2, out) <= 2 / len(words(NEWS_2))
    out = Evasion().rewrite("a", params, random.Random(0))
    assert out == "\u0430"
    with pytest.raises(RewriteError):
        Evasion().rewrite("4 5 6 1,200", params, random.Random(0))


def test_evasion_spaces_only_at_full_space_rate() -> None:
    params = {"homoglyph_rate": 0.0, "zero_width_rate": 0.0, "space_rate": 1.0}
    out = Evasion().rewrite(NEWS_1, params, random.Random(0))
    assert " " not in out and "\n\n" in out
    assert len(re.findall(r"\s", out)) == len(re.findall(r"\s", NEWS_1))


def test_evasion_heavy_breaks_most_five_grams() -> None:
    heavy = _mean_over_sample(Evasion(), "heavy", lambda s, o: ngram_containment(o, s, 5))
    assert heavy < 0.15


def test_web_noise_never_returns_the_same_words() -> None:
    # Dropping quotation marks alone would leave the word sequence as it was (the build
    # rejects such an output), so a boilerplate line is added.
    out = _web(NEWS_1, 0, quote_drop_rate=1.0)
    assert '"' not in out
    assert len(split_paragraphs(out)) == len(split_paragraphs(NEWS_1)) + 1
