"""Shared machinery of the word-substitution spinners (wordnet-spin, moby-spin, glove-spin).

A substitution spinner finds the content words a cheap spinner would touch (not function
words, proper names or acronyms), picks a share of them with the seeded rng and replaces each
by a synonym or neighbour, keeping the capitalisation, punctuation and whitespace of the
original string. Only the word spans are replaced, so paragraph breaks survive untouched.
The regular English (re-)inflection used to turn a synonym of a base form into the form found
in the text ("banks" -> "banking companies") lives here too.
"""
from __future__ import annotations

import bisect
import random
import re
from typing import Callable, Mapping, Sequence

from rewrite_bench.text import split_paragraphs, split_sentences
from rewrite_bench.types import RewriteError
from rewrite_bench.rewriters.common import rate_param, replace_spans
from rewrite_bench.rewriters.provenance import Provenance, apply_replacements

__all__ = [
    "STOPWORDS",
    "case_like",
    "sentence_starts",
    "eligible_spans",
    "inflect_word",
    "inflect",
    "reductions",
    "replace_rate",
    "replace_spans",
    "substitute",
    "substitute_with_provenance",
]

#: English function words (and a few empty verbs/adverbs) that spinners leave alone.
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above across after afterwards again against ago all almost along already also
    although always am among amongst an and another any anybody anyone anything anyway
    anywhere are around as at be became because become becomes been before behind being below
    beside besides between beyond both but by can cannot could did do does doing done down
    during each either else elsewhere enough etc even ever every everybody everyone everything
    everywhere few for from further had has have having he her here hers herself him himself
    his how however i if in into is it its itself just least less many may me might mine more
    moreover most mostly much must my myself neither never nevertheless next no nobody none
    nor not nothing now nowhere of off often on once one only onto or other others otherwise
    our ours ourselves out over own per perhaps rather same several shall she should since so
    some somebody someone something sometimes somewhat somewhere still such than that the
    their theirs them themselves then thence there thereafter thereby therefore these they
    this those though through throughout thus to together too toward towards under unless
    until up upon us very via was we were what whatever when whenever where whereas wherever
    whether which while who whoever whole whom whose why will with within without would yet
    you your yours yourself yourselves
    zero two three four five six seven eight nine ten eleven twelve hundred thousand million
    billion first second third
    said says say get got gets make made let lets yes okay mr mrs ms dr
    """.split()
)


# A candidate word: a run of ASCII letters that is not part of a hyphenated compound, a
# number-letter token or a contraction ("don't"), though a possessive "'s" may follow it.
_TOKEN = re.compile(r"(?<![\w'’-])[A-Za-z]+(?![\w-])(?!['’](?!s\b)[A-Za-z])")
_VOWELS = frozenset("aeiou")

# Past tense of common irregular verbs, so that a verb synonym such as "take the air" for
# "walked" comes out as "took the air" rather than "taked the air".
_IRREGULAR_PAST: dict[str, str] = dict(
    pair.split(":")
    for pair in """
    arise:arose be:was bear:bore beat:beat become:became begin:began bend:bent bet:bet
    bid:bid bind:bound bite:bit bleed:bled blow:blew break:broke breed:bred bring:brought
    build:built buy:bought cast:cast catch:caught choose:chose cling:clung come:came cost:cost
    creep:crept cut:cut deal:dealt dig:dug do:did draw:drew drink:drank drive:drove eat:ate
    fall:fell feed:fed feel:felt fight:fought find:found flee:fled fling:flung fly:flew
    forbid:forbade forget:forgot forgive:forgave freeze:froze get:got give:gave go:went
    grind:ground grow:grew hang:hung have:had hear:heard hide:hid hit:hit hold:held hurt:hurt
    keep:kept know:knew lay:laid lead:led leave:left lend:lent let:let lie:lay light:lit
    lose:lost make:made mean:meant meet:met overcome:overcame pay:paid put:put quit:quit
    read:read ride:rode ring:rang rise:rose run:ran say:said see:saw seek:sought sell:sold
    send:sent set:set shake:shook shed:shed shine:shone shoot:shot shut:shut sing:sang
    sink:sank sit:sat slay:slew sleep:slept slide:slid sling:slung speak:spoke spend:spent
    spin:spun split:split spread:spread spring:sprang stand:stood steal:stole stick:stuck
    sting:stung strike:struck string:strung strive:strove swear:swore sweep:swept swim:swam
    swing:swung take:took teach:taught tear:tore tell:told think:thought throw:threw
    thrust:thrust tread:trod undergo:underwent understand:understood undertake:undertook
    upset:upset wake:woke wear:wore weave:wove weep:wept win:won wind:wound withdraw:withdrew
    wring:wrung write:wrote
    """.split()
)
_DOUBLING_ENDINGS = ("mit", "pel", "cur", "trol", "gin", "fer", "bet", "quip")
_PREPOSITIONS = frozenset("of on in for to at by with from".split())
_IRREGULAR_PLURAL: dict[str, str] = {
    "child": "children", "person": "people", "foot": "feet", "tooth": "teeth",
    "goose": "geese", "mouse": "mice", "louse": "lice", "ox": "oxen", "criterion": "criteria",
    "phenomenon": "phenomena", "analysis": "analyses", "crisis": "crises", "thesis": "theses",
}
_MAN_PLURAL_S = frozenset("human shaman talisman caiman ottoman dolman".split())
_IRREGULAR_S: dict[str, str] = {"be": "is", "have": "has", "do": "does", "go": "goes"}


# --- regular inflection -------------------------------------------------------------------


#: Graded strengths shared by the substitution spinners: the share of eligible words replaced.
SPIN_STRENGTHS: Mapping[str, Mapping[str, object]] = {
    "light": {"replace_rate": 0.3},
    "medium": {"replace_rate": 0.6},
    "heavy": {"replace_rate": 0.9},
}


def _is_cvc(word: str) -> bool:
    """Short consonant-vowel-consonant word whose last letter doubles ("stop" -> "stopped")."""
    if len(word) < 3 or word[-1] in "wxy" or word[-1] in _VOWELS:
        return False
    if word[-2] not in _VOWELS or word[-3] in _VOWELS:
        return False
    if len(re.findall(r"[aeiouy]+", word)) == 1:
        return True
    # Stressed final syllables of longer verbs ("admit", "compel", "occur", "control").
    return word.endswith(_DOUBLING_ENDINGS) and not word.endswith("ffer")


def inflect_word(word: str, pos: str, form: str) -> str:
    """English inflection of one word: ``s`` (plural / 3rd person), ``ed``, ``ing``.

    Regular rules, plus the past tense and 3rd person of common irregular verbs.
    """
    if pos == "verb" and form == "s" and word in _IRREGULAR_S:
        return _IRREGULAR_S[word]
    if pos == "verb" and form == "ed" and word in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[word]
    if pos == "noun" and form == "s":
        if word in _IRREGULAR_PLURAL:
            return _IRREGULAR_PLURAL[word]
        if word.endswith("man") and word not in _MAN_PLURAL_S:
            return word[:-3] + "men"  # "fireman" -> "firemen"
    if form == "s":
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return word + "es"
        if pos == "verb" and len(word) > 1 and word[-1] == "o" and word[-2] not in _VOWELS:
            return word + "es"
        if len(word) > 1 and word[-1] == "y" and word[-2] not in _VOWELS:
            return word[:-1] + "ies"
        return word + "s"
    if form == "ed":
        if word.endswith("e"):
            return word + "d"
        if len(word) > 1 and word[-1] == "y" and word[-2] not in _VOWELS:
            return word[:-1] + "ied"
        return word + word[-1] + "ed" if _is_cvc(word) else word + "ed"
    if form == "ing":
        if word.endswith("ie"):
            return word[:-2] + "ying"
        if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) and len(word) > 2:
            return word[:-1] + "ing"
        return word + word[-1] + "ing" if _is_cvc(word) else word + "ing"
    raise ValueError(f"unknown inflection form {form!r}; use 's', 'ed' or 'ing'")


def inflect(lemma: str, pos: str, form: str) -> str:
    """Inflect a (possibly multiword) lemma: verbs on their first word, nouns on their head."""
    parts = lemma.split(" ")
    if pos == "verb":
        index = 0
    else:  # the head noun: the last word, or the one before "of"/"on"... ("field of study")
        index = next((i - 1 for i, p in enumerate(parts) if i and p in _PREPOSITIONS), -1)
    parts[index] = inflect_word(parts[index], pos, form)
    return " ".join(parts)


def reductions(word: str) -> list[tuple[str, str, str]]:
    """Candidate ``(base, pos, form)`` analyses of a regularly inflected word."""
    out: list[tuple[str, str, str]] = []
    if len(word) > 4 and word.endswith("ies"):
        out += [(word[:-3] + "y", "noun", "s"), (word[:-3] + "y", "verb", "s")]
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        out += [(word[:-2], "noun", "s"), (word[:-2], "verb", "s")]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        out += [(word[:-1], "noun", "s"), (word[:-1], "verb", "s")]
    if len(word) > 4 and word.endswith("ied"):
        out.append((word[:-3] + "y", "verb", "ed"))
    if word.endswith("ed"):
        stem = word[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append((stem[:-1], "verb", "ed"))
        if not _is_cvc(stem):  # "hoped" is "hope" + d, not "hop" (which gives "hopped")
            out.append((stem, "verb", "ed"))
        out.append((word[:-1], "verb", "ed"))
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        if stem.endswith("y"):
            out.append((stem[:-1] + "ie", "verb", "ing"))
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append((stem[:-1], "verb", "ing"))
        if not _is_cvc(stem):
            out.append((stem, "verb", "ing"))
        out.append((stem + "e", "verb", "ing"))
    return out


# --- spans and substitution -----------------------------------------------------------------


def case_like(template: str, word: str) -> str:
    """``word`` written with the capitalisation of ``template`` (ALL CAPS, Title or lower)."""
    if template.isupper():
        return word.upper()
    if template[0].isupper():
        return word[0].upper() + word[1:]
    return word


def sentence_starts(text: str) -> list[int]:
    """Offsets in ``text`` where the shared sentence splitter starts a sentence."""
    starts: list[int] = []
    cursor = 0
    for paragraph in split_paragraphs(text):
        for sentence in split_sentences(paragraph):
            at = text.find(sentence, cursor)
            if at < 0:  # cannot happen for the splitter's exact substrings; stay safe
                continue
            starts.append(at)
            cursor = at + len(sentence)
    return starts


def eligible_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the content words a spinner would touch (proper names and acronyms excluded)."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    starts = sentence_starts(text)
    initial: set[int] = set()
    positions = [t[0] for t in tokens]
    for s in starts:
        i = bisect.bisect_left(positions, s)
        if i < len(tokens):
            initial.add(i)
    # A word seen capitalised mid-sentence is a name wherever it occurs.
    names = {
        tok.lower()
        for i, (_, _, tok) in enumerate(tokens)
        if i not in initial and tok[0].isupper()
    }
    spans: list[tuple[int, int]] = []
    for i, (start, end, tok) in enumerate(tokens):
        low = tok.lower()
        if len(tok) < 3 or low in STOPWORDS:
            continue
        if tok.isupper():
            neighbours = [tokens[j][2] for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
            if not any(len(n) >= 3 and n.isupper() for n in neighbours):
                continue  # acronym; an upper-case run (a shouted headline) is fair game
        elif tok[0].isupper():
            if i not in initial or low in names or not tok[1:].islower():
                continue
        elif not tok.islower():
            continue
        spans.append((start, end))
    return spans


def replace_rate(params: Mapping[str, object], name: str) -> float:
    """The ``replace_rate`` parameter as a float in [0, 1]; a :class:`BenchError` otherwise."""
    return rate_param(params, "replace_rate", name)


def _choice(options: Sequence[str], rng: random.Random) -> str:
    return rng.choice(options)


def substitute_with_provenance(
    text: str,
    candidates: Sequence[tuple[int, int, Sequence[str]]],
    rate: float,
    rng: random.Random,
    *,
    name: str,
    what: str,
    pick: Callable[[Sequence[str], random.Random], str] = _choice,
) -> tuple[str, Provenance]:
    """Replace about ``rate`` of the candidate spans, each by ``pick(options, rng)``; the rewrite and its edits.

    ``candidates`` are ``(start, end, options)`` in text order, every one with at least one
    option. Each is chosen with probability ``rate`` (at least one is always chosen), then the
    chosen ones get their replacement in text order, cased like the word they replace. Each
    replacement is a ``substituted`` span that keeps the meaning: a spinner offers synonyms,
    and which sense it picked is not known here. Raises :class:`RewriteError` naming the
    spinner ``name`` when there is no candidate ("no content word with {what}") or the output
    equals the input.
    """
    if not candidates:
        raise RewriteError(f"{name}: no content word with {what}")
    chosen = {i for i in range(len(candidates)) if rng.random() < rate}
    if not chosen:
        chosen = {rng.randrange(len(candidates))}
    out, spans = apply_replacements(
        text,
        [
            (start, end, case_like(text[start:end], pick(options, rng)), "substituted", "keeps")
            for i, (start, end, options) in enumerate(candidates)
            if i in chosen
        ],
    )
    if out == text:
        raise RewriteError(f"{name}: the substitutions left the text unchanged")
    return out, spans


def substitute(text: str, candidates: Sequence[tuple[int, int, Sequence[str]]], rate: float, rng: random.Random,
               *, name: str, what: str, pick: Callable[[Sequence[str], random.Random], str] = _choice) -> str:
    """:func:`substitute_with_provenance` without the provenance."""
    return substitute_with_provenance(text, candidates, rate, rng, name=name, what=what, pick=pick)[0]
