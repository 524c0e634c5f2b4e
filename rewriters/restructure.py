"""``restructure``: sentence-level rewriting with the words left as they are.

Content farms often disguise a copy by moving sentences around and by cutting or gluing them
rather than by changing the wording. This rewriter splits long sentences at clause boundaries,
merges adjacent sentences and swaps adjacent sentences, all within paragraphs; the paragraph
structure (``"\\n\\n"`` between paragraphs) is kept.
"""
from __future__ import annotations

import random
import re
from typing import Mapping

from benchmark.text import split_paragraphs, split_sentences, word_change_rate
from benchmark.types import RewriteError
from rewriters.common import rate_param

__all__ = ["Restructure"]

# Sentence-initial words that are lower-cased when their sentence is joined to the previous one.
_LOWER_ON_MERGE = frozenset(
    """
    a an the it its this that these those there here he she they we you his her their our
    your in on at for as after before during when while with by from to of if since because
    although though some many most all each every one several another such both no not
    """.split()
)
# Sentence-initial connectives: the merge uses "; " instead of ", and ".
_CONNECTIVES = frozenset(
    "and but or so yet however meanwhile moreover also still nevertheless instead then".split()
)
# Clause boundaries a long sentence is cut at: (pattern, text that starts the second sentence).
_BOUNDARIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"; "), ""),
    (re.compile(r", but "), "But "),
    (re.compile(r", and "), ""),
    (re.compile(r", which "), "This "),
    (re.compile(r", so "), "So "),
    (re.compile(r", while "), "Meanwhile, "),
    (re.compile(r", although "), "Still, "),
)
# First words that make the second half of a cut a sentence with its own subject.
_SUBJECT_STARTS = frozenset(
    """
    a an the this that these those it its he she they we i you there his her their our my
    some many most all no both each one several such another other
    """.split()
)
_MIN_PART_WORDS = 5
_MAX_MERGED_WORDS = 60
_WORD = re.compile(r"[^\W_]+")
_ENDS_CLEANLY = re.compile(r"[^\W_]{2,}\.$")


def _n_words(text: str) -> int:
    return len(_WORD.findall(text))


def _balanced(text: str) -> bool:
    """No quotation or bracket left open (so a cut or join cannot break one)."""
    return (
        text.count('"') % 2 == 0
        and text.count("“") == text.count("”")
        and text.count("(") == text.count(")")
    )


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _has_subject(clause: str) -> bool:
    """Whether a clause plausibly starts with its own subject (pronoun, article, name, number)."""
    head = _WORD.match(clause)
    if head is None:
        return False
    first = head.group()
    return first.lower() in _SUBJECT_STARTS or first[0].isupper() or first[0].isdigit()


def _split_points(sentence: str) -> list[tuple[str, str]]:
    """All ways to cut a sentence into two sentences at a clause boundary."""
    if not sentence.endswith((".", "!", "?")) or not _balanced(sentence):
        return []
    out: list[tuple[str, str]] = []
    for pattern, opener in _BOUNDARIES:
        for match in pattern.finditer(sentence):
            left, right = sentence[: match.start()], sentence[match.end() :]
            if _n_words(left) < _MIN_PART_WORDS or _n_words(right) < _MIN_PART_WORDS:
                continue
            if not _balanced(left) or not right[:1].isalnum():
                continue
            if not opener.startswith("This") and not _has_subject(right):
                continue  # "..., and was released" would leave a sentence without a subject
            if left.endswith(("!", "?", ".", ":")):
                continue
            second = opener + right if opener else _capitalise(right)
            out.append((left + ".", second))
    return out


def _merge(first: str, second: str, rng: random.Random) -> str | None:
    """Join two adjacent sentences into one, or ``None`` if they cannot be joined cleanly."""
    if not _ENDS_CLEANLY.search(first) or not second[:1].isalpha():
        return None
    if not (_balanced(first) and _balanced(second)):
        return None
    if _n_words(first) + _n_words(second) > _MAX_MERGED_WORDS:
        return None
    head = _WORD.match(second)
    first_word = head.group().lower() if head else ""
    if first_word in _LOWER_ON_MERGE or first_word in _CONNECTIVES:
        second = second[0].lower() + second[1:]
    body = first[:-1]
    if first_word in _CONNECTIVES or rng.random() < 0.5:
        return f"{body}; {second}"
    return f"{body}, and {second}"


class Restructure:
    """Reorder, split and merge sentences within paragraphs; never substitute words."""

    name = "restructure"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"swap_rate": 0.15, "merge_rate": 0.1, "split_rate": 0.15},
        "medium": {"swap_rate": 0.35, "merge_rate": 0.2, "split_rate": 0.3},
        "heavy": {"swap_rate": 0.6, "merge_rate": 0.35, "split_rate": 0.5},
    }

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` restructured; raise :class:`RewriteError` if no operation applies."""
        split_rate = rate_param(params, "split_rate", "restructure")
        merge_rate = rate_param(params, "merge_rate", "restructure")
        swap_rate = rate_param(params, "swap_rate", "restructure")
        originals = split_paragraphs(text)
        if not originals:
            raise RewriteError("restructure: empty text")
        before = [split_sentences(p) for p in originals]
        paragraphs = [list(sentences) for sentences in before]
        for sentences in paragraphs:
            halves = self._split(sentences, split_rate, rng)
            self._merge(sentences, halves, merge_rate, rng)
            self._swap(sentences, swap_rate, rng)
        out = self._join(originals, before, paragraphs)
        if word_change_rate(text, out) == 0.0:
            # Only punctuation and case changed (or nothing): start again from the original
            # sentences with one operation that moves or drops words, if there is one.
            paragraphs = [list(sentences) for sentences in before]
            self._force_one(paragraphs, rng)
            out = self._join(originals, before, paragraphs)
        if out == text:
            raise RewriteError("restructure: the operations left the text unchanged")
        return out

    @staticmethod
    def _join(originals: list[str], before: list[list[str]], after: list[list[str]]) -> str:
        """The text, with untouched paragraphs kept verbatim and changed ones re-joined."""
        return "\n\n".join(
            original if sentences == old else " ".join(sentences)
            for original, old, sentences in zip(originals, before, after)
        )

    @staticmethod
    def _split(sentences: list[str], rate: float, rng: random.Random) -> list[bool]:
        """Cut sentences at a random clause boundary, each with probability ``rate``.

        Returns, per resulting sentence, whether it is the second half of a cut (so that the
        merge step does not glue the halves back together).
        """
        halves = [False] * len(sentences)
        i = 0
        while i < len(sentences):
            points = _split_points(sentences[i])
            if points and rng.random() < rate:
                sentences[i : i + 1] = list(rng.choice(points))
                halves[i : i + 1] = [False, True]
                i += 2  # the two halves are not cut again
            else:
                i += 1
        return halves

    @staticmethod
    def _merge(sentences: list[str], halves: list[bool], rate: float, rng: random.Random) -> None:
        """Join adjacent sentence pairs, each with probability ``rate``."""
        i = 0
        while i + 1 < len(sentences):
            if not halves[i + 1] and rng.random() < rate:
                merged = _merge(sentences[i], sentences[i + 1], rng)
                if merged is not None:
                    sentences[i : i + 2] = [merged]
                    halves[i : i + 2] = [halves[i]]
            i += 1

    @staticmethod
    def _swap(sentences: list[str], rate: float, rng: random.Random) -> None:
        """Swap adjacent sentences, each pair with probability ``rate``."""
        i = 0
        while i + 1 < len(sentences):
            if sentences[i] != sentences[i + 1] and rng.random() < rate:
                sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
                i += 2
            else:
                i += 1

    @staticmethod
    def _force_one(paragraphs: list[list[str]], rng: random.Random) -> None:
        """Apply one possible operation, chosen at random, preferring those that move words.

        Swaps and cuts that drop a conjunction change the word sequence; merges and other cuts
        only change punctuation and case, so they are used only when nothing else is possible.
        """
        # (paragraph, first sentence, sentences replaced, replacement)
        moving: list[tuple[int, int, int, tuple[str, ...]]] = []
        other: list[tuple[int, int, int, tuple[str, ...]]] = []
        for k, sentences in enumerate(paragraphs):
            for i, sentence in enumerate(sentences):
                for point in _split_points(sentence):
                    moves = word_change_rate(sentence, " ".join(point)) > 0.0
                    (moving if moves else other).append((k, i, 1, point))
                if i + 1 < len(sentences):
                    nxt = sentences[i + 1]
                    if sentence != nxt:
                        moving.append((k, i, 2, (nxt, sentence)))
                    merged = _merge(sentence, nxt, rng)
                    if merged is not None:
                        other.append((k, i, 2, (merged,)))
        options = moving or other
        if not options:
            raise RewriteError(
                "restructure: no sentence pair to swap or merge and no clause boundary to split at"
            )
        k, i, width, replacement = rng.choice(options)
        paragraphs[k][i : i + width] = list(replacement)
