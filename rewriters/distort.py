"""``distort``: the meaning changes real spinners make, each one recorded where it is.

A spun copy keeps most of an article's meaning but not all of it. In one real content-farm
copy, "Thirty members" became "Threety members", a message "via President Embalo" lost its
recipient, and claims came out reversed. This rewriter makes such changes, and only such
changes, so that every difference between source and rewrite is a known meaning change:

- ``number``: a figure changed (a year moved by one to three, another digit of a number
  replaced: 30 -> 38, 1,200 -> 1,700);
- ``numeral``: a number word misspelt (thirty -> thirrty, seven -> sevan);
- ``negation``: an auxiliary negated or its negation removed (was -> was not, didn't -> did);
- ``antonym``: an adjective or adverb replaced by its WordNet antonym (early -> late);
- ``attribution``: the speaker of a quote or claim replaced by another name of the text
  ("Puerta said" -> "Saa said", "said Smith" -> "said Jones");
- ``entity-swap``: a capitalised name replaced by another name of the same text;
- ``entity-drop``: a name dropped with the preposition that introduced it ("via Embalo").

:meth:`Distort.distort` returns the rewrite with one :class:`Distortion` per change: its span
in the rewrite, its span in the source, and both texts. Everything outside those spans is
copied from the source unchanged. The strength is the share of sentences that get one change
(at least one sentence); one change per sentence at most, so two changes never cancel out ("were
not successful" negated *and* turned into its antonym would say the same again). Not part of the
default build; ``--rewriter distort`` adds it.
"""
from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from typing import Mapping

from rewrite_bench.rewriters.common import NUMBER_WORDS, rate_param, replace_spans
from rewrite_bench.rewriters.provenance import Provenance, apply_replacements
from rewrite_bench.rewriters.substitution import case_like, sentence_starts
from rewrite_bench.types import RewriteError

__all__ = ["Distort", "Distortion", "KINDS"]

#: Every kind of change, in the order the module docstring explains them.
KINDS = ("number", "numeral", "negation", "antonym", "attribution", "entity-swap", "entity-drop")

_STRENGTHS: Mapping[str, Mapping[str, object]] = {
    "light": {"distort_rate": 0.1},
    "medium": {"distort_rate": 0.25},
    "heavy": {"distort_rate": 0.5},
}

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w,])|(?<![\w.,])\d+(?![\w,])")
_NUMERAL = re.compile(rf"\b(?:{'|'.join(sorted(NUMBER_WORDS))})\b", re.IGNORECASE)
_AUXILIARIES = "is|are|was|were|has|have|had|does|do|did|can|could|will|would|should|must|may|might"
# A negated auxiliary: "was not", "didn't", "can't", "won't".
_NEGATED = re.compile(rf"\b(?:(?:{_AUXILIARIES}) not|(?:{_AUXILIARIES})n't|can't|won't)\b", re.IGNORECASE)
# A plain auxiliary followed by a word that it could govern (not "is." or "has,").
_PLAIN = re.compile(rf"\b(?:{_AUXILIARIES})\b(?= [a-z])", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*\b")
# The speaker of a claim: "Smith said", "said Mr Smith".
_SPEAKER = re.compile(r"\b((?:[A-Z][a-z]+ )*[A-Z][a-z]+) (?:said|says|told)\b"
                      r"|\b(?:said|says) ((?:[A-Z][a-z]+ )*[A-Z][a-z]+)\b")
_INTRODUCED = re.compile(r" (?:to|via|by|from|with) ([A-Z][a-z]+(?: [A-Z][a-z]+)*)\b")
_WORD = re.compile(r"\b[a-z]+\b")
_VOWELS = "aeiou"
# Capitalised words inside a sentence that are not names.
_NOT_NAMES = frozenset({"I", "The", "A", "An", "In", "On", "At", "It", "He", "She", "They", "We", "But", "And",
                        "Mr", "Mrs", "Ms", "Dr"})


@dataclass(frozen=True)
class Distortion:
    """One meaning change: ``rewrite[start:end] == after`` came from ``source[source_start:source_end] == before``."""

    kind: str
    start: int
    end: int
    source_start: int
    source_end: int
    before: str
    after: str


@dataclass(frozen=True)
class _Site:
    kind: str
    start: int
    end: int


class Distort:
    """Meaning distortions at graded rates; see the module docstring."""

    name = "distort"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = _STRENGTHS

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        return self.distort(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits: every distortion a span that changes the meaning."""
        out, distortions = self.distort(text, params, rng)
        return out, apply_replacements(text, [(d.source_start, d.source_end, d.after, "substituted", "changes")
                                              for d in distortions])[1]

    def distort(self, text: str, params: Mapping[str, object],
                rng: random.Random) -> tuple[str, list[Distortion]]:
        """The rewrite and its distortions in text order; :class:`RewriteError` if nothing can change."""
        rate = rate_param(params, "distort_rate", self.name)
        starts = sentence_starts(text)
        names = sorted({m.group() for m in _NAME.finditer(text)  # a sentence's first word may be no name
                        if m.start() not in starts and m.group() not in _NOT_NAMES}
                       | {speaker for _, _, speaker in _speakers(text)})
        by_sentence: dict[int, list[_Site]] = {}
        for site in _sites(text, set(starts), swappable=len(names) > 1):
            by_sentence.setdefault(bisect.bisect_right(starts, site.start), []).append(site)
        sentences = sorted(by_sentence)
        chosen = [n for n in sentences if rng.random() < rate] or ([rng.choice(sentences)] if sentences else [])
        replacements = []
        for n in chosen:
            site = rng.choice(by_sentence[n])
            before = text[site.start:site.end]
            replacements.append((site, before, _change(site.kind, before, names, rng)))
        if not replacements:
            raise RewriteError(f"{self.name}: no number, numeral, auxiliary, adjective with an antonym or name to change")
        out = replace_spans(text, [(site.start, site.end, after) for site, _, after in replacements])
        distortions, shift = [], 0
        for site, before, after in replacements:
            start = site.start + shift
            distortions.append(Distortion(site.kind, start, start + len(after), site.start, site.end, before, after))
            shift += len(after) - len(before)
        return out, distortions


def _sites(text: str, starts: set[int], swappable: bool) -> list[_Site]:
    """Every place a distortion could go, in text order, none overlapping (the earlier one wins);
    ``starts``: where sentences start (a capitalised word there is not taken for a name);
    ``swappable``: whether the text has two names, so that one can take the other's place."""
    from rewrite_bench.rewriters.wordnet_spin import wordnet_antonyms

    antonyms = wordnet_antonyms()
    found = [_Site("number", m.start(), m.end()) for m in _NUMBER.finditer(text)]
    found += [_Site("numeral", m.start(), m.end()) for m in _NUMERAL.finditer(text)]
    found += [_Site("negation", m.start(), m.end()) for m in _NEGATED.finditer(text)]
    found += [_Site("negation", m.start(), m.end()) for m in _PLAIN.finditer(text)]
    found += [_Site("antonym", m.start(), m.end()) for m in _WORD.finditer(text) if m.group() in antonyms]
    found += [_Site("entity-drop", m.start(), m.end()) for m in _INTRODUCED.finditer(text)
              if m.group(1) not in _NOT_NAMES]
    found += [_Site("attribution", start, end) for start, end, _ in _speakers(text) if swappable]
    found += [_Site("entity-swap", m.start(), m.end()) for m in _NAME.finditer(text)
              if swappable and m.start() not in starts and m.group() not in _NOT_NAMES]
    kept: list[_Site] = []
    for site in sorted(found, key=lambda s: (s.start, -s.end, KINDS.index(s.kind))):
        if not kept or site.start >= kept[-1].end:
            kept.append(site)
    return kept


def _speakers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, name)`` of every speaker a claim is attributed to (pronouns left out)."""
    out = []
    for m in _SPEAKER.finditer(text):
        group = 1 if m.group(1) is not None else 2
        if m.group(group) not in _NOT_NAMES:
            out.append((m.start(group), m.end(group), m.group(group)))
    return out


def _change(kind: str, before: str, names: list[str], rng: random.Random) -> str:
    """The distorted text for one site (never ``before`` itself)."""
    if kind == "number":
        return _other_number(before, rng)
    if kind == "numeral":
        return _misspelt(before, rng)
    if kind == "negation":
        return _flip_negation(before)
    if kind == "antonym":
        from rewrite_bench.rewriters.wordnet_spin import wordnet_antonyms

        return case_like(before, rng.choice(wordnet_antonyms()[before.lower()]))
    if kind in ("attribution", "entity-swap"):
        return rng.choice([name for name in names if name != before])
    return ""  # entity-drop: the preposition and the name go


def _other_number(number: str, rng: random.Random) -> str:
    digits = number.replace(",", "")
    if len(digits) == 4 and 1800 <= int(digits) <= 2100:  # a year: move it a little
        return str(int(digits) + rng.choice((-3, -2, -1, 1, 2, 3)))
    positions = [i for i, c in enumerate(number) if c.isdigit()]
    at = positions[1] if len(positions) > 1 else positions[0]  # keep the leading digit's magnitude
    choices = [d for d in "0123456789" if d != number[at] and not (at == positions[0] and d == "0")]
    return number[:at] + rng.choice(choices) + number[at + 1:]


def _misspelt(word: str, rng: random.Random) -> str:
    vowels = [i for i, c in enumerate(word) if c.lower() in _VOWELS]
    if vowels and rng.random() < 0.5:
        at = rng.choice(vowels)
        other = rng.choice([v for v in _VOWELS if v != word[at].lower()])
        return word[:at] + (other.upper() if word[at].isupper() else other) + word[at + 1:]
    at = rng.randrange(1, len(word))  # double a letter: thirty -> thirrty
    return word[:at] + word[at] + word[at:]


def _flip_negation(auxiliary: str) -> str:
    lower = auxiliary.lower()
    if lower in ("can't", "won't"):
        return case_like(auxiliary, {"can't": "can", "won't": "will"}[lower])
    if lower.endswith("n't"):
        return auxiliary[:-3]
    if lower.endswith(" not"):
        return auxiliary[:-4]
    return auxiliary + " not"
