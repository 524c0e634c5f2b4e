"""Text utilities shared by the corpus, the rewriters, the tasks and the baselines.

Everything here is a pure function of its arguments (no state, no I/O).
"""
from __future__ import annotations

import difflib
import re
from typing import Sequence

__all__ = [
    "words",
    "word_spans",
    "word_ngrams",
    "ngram_containment",
    "word_change_rate",
    "length_ratio",
    "split_paragraphs",
    "split_sentences",
    "normalize_for_dedup",
]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt ft no vs etc inc ltd co corp gov sen rep gen col lt sgt "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters/digits, inner apostrophes kept)."""
    return [w.lower() for w in _WORD.findall(text)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens :func:`words` returns, in order."""
    return [m.span() for m in _WORD.finditer(text)]


def word_ngrams(tokens: Sequence[str], n: int) -> set[tuple[str, ...]]:
    """The set of word n-grams of a token list (empty if it has fewer than ``n`` tokens)."""
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def ngram_containment(candidate: str, source: str, n: int = 5) -> float:
    """Share of the candidate's distinct word n-grams that also occur in the source.

    This is the "how much of the copy is verbatim" figure: a typical spun copy keeps only a
    few percent of its 5-grams. Returns 0.0 when the candidate has no n-gram.
    """
    cand = word_ngrams(words(candidate), n)
    if not cand:
        return 0.0
    return len(cand & word_ngrams(words(source), n)) / len(cand)


def word_change_rate(source: str, candidate: str) -> float:
    """Share of the source's words that the candidate does not keep in the same order.

    Uses a difflib alignment of the two word sequences; moved sentences count as changed,
    which is what a reader of the copy would see.
    """
    src, cand = words(source), words(candidate)
    if not src:
        return 0.0 if not cand else 1.0
    matcher = difflib.SequenceMatcher(a=src, b=cand, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return 1.0 - kept / len(src)


def length_ratio(source: str, candidate: str) -> float:
    """Candidate word count over source word count (0.0 for an empty source)."""
    n_src = len(words(source))
    return len(words(candidate)) / n_src if n_src else 0.0


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines, stripped, empties dropped."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _ends_with_abbreviation(chunk: str) -> bool:
    last = chunk.rstrip().rsplit(None, 1)[-1].rstrip(".").lower() if chunk.strip() else ""
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences with a rule-based splitter.

    Splits after ``.``, ``!`` or ``?`` (plus closing quotes/brackets) followed by whitespace
    and an upper-case letter or digit, except after common abbreviations and initials.
    Joining the result with single spaces gives back the paragraph up to whitespace.
    """
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        chunk = paragraph[start : match.start()]
        if _ends_with_abbreviation(chunk):
            continue
        pieces.append(paragraph[start : match.end()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return [p for p in pieces if p]


def normalize_for_dedup(text: str) -> str:
    """The text as a single-spaced run of lower-case words, for exact-duplicate checks."""
    return " ".join(words(text))

