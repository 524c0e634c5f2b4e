"""``restructure``: clause-, sentence- and paragraph-level rewriting with the words left as they are.

Content farms often disguise a copy by moving things around rather than by changing the
wording. This rewriter, in order:

1. reorders clauses within a sentence: a trailing subordinate clause moves to the front
   ("X because Y." -> "Because Y, x."), a fronted one moves to the back, and reported speech
   turns around ("X, the police said." <-> "The police said x.");
2. splits long sentences at clause boundaries;
3. merges adjacent sentences;
4. swaps adjacent sentences within a paragraph;
5. swaps adjacent paragraphs after the first (the lede stays on top, as it does on the sites
   that republish).

Paragraph breaks (``"\\n\\n"``) are kept; paragraphs no operation touched are kept verbatim.
"""
from __future__ import annotations

import random
import re
from dataclasses import replace
from typing import Mapping

from rewrite_bench.text import split_paragraphs, split_sentences, word_change_rate
from rewrite_bench.types import RewriteError
from rewrite_bench.rewriters.common import rate_param
from rewrite_bench.rewriters.provenance import Builder, Provenance, aligned_spans, locate

__all__ = ["Restructure"]

# Sentence-initial words that are lower-cased when their sentence is joined to the previous one.
_LOWER_ON_MERGE = frozenset(
    """
    a an the it its this that these those there here he she they we you his her their our
    your in on at for as after before during when while with by from to of if since because
    although though some many most all each every one several another such both no not
    two three four five six seven eight nine ten eleven twelve dozens hundreds thousands
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


# Subordinating conjunctions whose clause may move between the end and the front of a sentence.
# "if" and "since" are left out: after verbs of asking ("asked if ...") and in phrases such as
# "not seen since 1971" their clause does not belong to the main verb.
_SUBORDINATORS = "because|although|though|while|whereas|unless|when|after|before|until|once"
_TRAILING_CLAUSE = re.compile(rf"(?<=[^\W_]),? ({_SUBORDINATORS}) (?=[^\W_])")
_FRONTED_CLAUSE = re.compile(rf"^({_SUBORDINATORS.title()}) ([^,;:]+), ")
# Words that belong with the conjunction after them ("shortly after", "days before", "not until"):
# moving the clause without them would strand them.
# The same for prepositions ("vowels from before the shift") and for nouns a "when" clause
# modifies ("at times when ...").
_STRANDED = frozenset(
    """
    shortly soon just long even right only not ever immediately moments minutes hours days
    weeks months years day week month year ago time times moment point period era age place
    case cases from of in on at to by with for than as and or but that the a an
    """.split()
)
# A main clause made of several clauses: a subordinate clause moved to its other end would
# attach to a different one of them.
_COORDINATED = re.compile(
    r", (?:and|but|or|so|although|though|while|whereas|which|who|because|when|after|before) |[;:]"
)
_SPEECH_VERBS = "said|says"
# "Body, the police said."  and  "Body, said the police."
_SPEECH_AFTER = re.compile(rf"^(?P<body>[^;:\"“”]+), (?P<speaker>[^,;:\"“”]+?) (?P<verb>{_SPEECH_VERBS})\.$")
_SPEECH_AFTER_INVERTED = re.compile(rf"^(?P<body>[^;:\"“”]+), (?P<verb>{_SPEECH_VERBS}) (?P<speaker>[^,;:\"“”]+)\.$")
# "The police said body."  with a speaker of one to four words (a name, a title, a pronoun).
_SPEECH_BEFORE = re.compile(
    rf"^(?P<speaker>(?:[A-Z][\w'.-]*|[Tt]he|[Hh]e|[Ss]he|[Tt]hey)(?: [\w'.-]+){{0,3}}) "
    rf"(?P<verb>{_SPEECH_VERBS}) (?P<body>[^;:\"“”]+)\.$"
)
_PRONOUNS = frozenset("he she it they we i you his her its their this these".split())
_MAX_SPEAKER_WORDS = 6
_MAX_MOVED_CLAUSE_WORDS = 25


def _lower_first(text: str) -> str:
    """Lower-case the first word if it is a function word (names keep their capital)."""
    head = _WORD.match(text)
    if head is not None and head.start() == 0 and head.group().lower() in _LOWER_ON_MERGE:
        return text[0].lower() + text[1:]
    return text


def _clause_reorders(sentence: str) -> list[str]:
    """All ways to reorder the clauses of one sentence, keeping every word."""
    if not sentence.endswith(".") or not _balanced(sentence) or not sentence[:1].isupper():
        return []
    body = sentence[:-1]
    out: list[str] = []
    fronted = _FRONTED_CLAUSE.match(body)
    opener = _WORD.match(body)
    already_fronted = opener is not None and opener.group().lower() in {*_SUBORDINATORS.split("|"), "if"}
    # "Main because sub." -> "Because sub, main."
    for match in _TRAILING_CLAUSE.finditer(body):
        main, sub = body[: match.start()], body[match.end() :]
        before = _WORD.findall(main)
        if already_fronted or len(before) < _MIN_PART_WORDS or before[-1].lower() in _STRANDED:
            continue
        if any(mark in sub for mark in ",;:()\"“”") or not _balanced(main) or _COORDINATED.search(main):
            continue
        if not 3 <= _n_words(sub) <= _MAX_MOVED_CLAUSE_WORDS or main.endswith((",", ";", ":")):
            continue
        if sub.startswith("of "):  # "because of X" is a phrase about a noun, not the main verb
            continue
        if " and " in sub:  # "left Nike after 17 years and signed ...": the clause ends early
            continue
        if "," in main:
            continue  # an opener ("However, ...") must stay in front; a list would be split
        if match.group().startswith(",") and match.group(1) == "when":
            continue  # "until 24 AD, when ..." is a relative clause about the time
        out.append(f"{_capitalise(match.group(1))} {sub}, {_lower_first(main)}.")
    # "Because sub, main." -> "Main because sub."
    if fronted is not None:
        conjunction, sub = fronted.group(1), fronted.group(2)
        main = body[fronted.end() :]
        # The main clause must look like one: its own subject and no comma, or at least six
        # words before the first (so "After X, the son of Nestor, Achilles ..." is left alone).
        head = main.split(",", 1)[0]
        # A pronoun subject would come before the name it stands for ("He found ... when
        # John Adams went ..."), so such sentences keep their order.
        pronoun = main.split(" ", 1)[0].lower() in _PRONOUNS
        if (
            not pronoun
            and _has_subject(main) and (head == main or _n_words(head) >= 6) and _n_words(sub) >= 2
            and _balanced(main) and not _COORDINATED.search(main)
        ):
            joint = ", " if "," in main else " "  # a list in the main clause ends before the move
            out.append(f"{_capitalise(main)}{joint}{conjunction.lower()} {sub}.")
    # Reported speech: "Body, the police said." <-> "The police said body."
    for pattern in (_SPEECH_AFTER, _SPEECH_AFTER_INVERTED):
        speech = pattern.match(sentence)
        if speech is None:
            continue
        said, speaker = speech.group("body"), speech.group("speaker")
        if speaker.split(" ", 1)[0].lower() in _CONNECTIVES:
            continue
        if pattern is _SPEECH_AFTER_INVERTED and _n_words(speaker) > 4:
            continue  # ", said the main problem was X" is a clause, not a speaker
        if _n_words(said) >= _MIN_PART_WORDS and 1 <= _n_words(speaker) <= _MAX_SPEAKER_WORDS:
            out.append(f"{_capitalise(speaker)} {speech.group('verb')} {_lower_first(said)}.")
    speech = _SPEECH_BEFORE.match(sentence)
    if speech is not None and _has_subject(speech.group("body")):
        said, speaker = speech.group("body"), speech.group("speaker")
        # "But he says ..." keeps its connective in front; a second "says" or a coordinated
        # clause in the body would end up reported by the wrong speaker.
        connective = speaker.split(" ", 1)[0].lower() in _CONNECTIVES
        nested = _COORDINATED.search(said) or re.search(rf"\b(?:{_SPEECH_VERBS})\b", said)
        if _n_words(said) >= _MIN_PART_WORDS and not connective and not nested:
            out.append(f"{_capitalise(said)}, {_lower_first(speaker)} {speech.group('verb')}.")
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
    """Reorder clauses, sentences and paragraphs, split and merge sentences; never substitute words."""

    name = "restructure"
    version = "1.1"
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"clause_rate": 0.15, "swap_rate": 0.15, "merge_rate": 0.1, "split_rate": 0.15,
                  "paragraph_rate": 0.1},
        "medium": {"clause_rate": 0.3, "swap_rate": 0.35, "merge_rate": 0.2, "split_rate": 0.3,
                   "paragraph_rate": 0.25},
        "heavy": {"clause_rate": 0.5, "swap_rate": 0.6, "merge_rate": 0.35, "split_rate": 0.5,
                  "paragraph_rate": 0.5},
    }

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` restructured; raise :class:`RewriteError` if no operation applies."""
        return self._restructure(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The restructured text and its edits.

        Which paragraph of the source each paragraph of the rewrite is, is known; inside a
        changed paragraph the pieces are found by aligning it with its source paragraph
        (:func:`~rewrite_bench.rewriters.provenance.aligned_spans`), which is exact up to a
        phrase repeated within one paragraph, because every operation only moves words, changes a
        capital or punctuation, or adds a short opener ("Meanwhile, "). Every span keeps the
        meaning.
        """
        out, originals, before, paragraphs, order = self._restructure(text, params, rng)
        return out, self._provenance(text, originals, before, paragraphs, order)

    def _restructure(self, text: str, params: Mapping[str, object], rng: random.Random
                     ) -> tuple[str, list[str], list[list[str]], list[list[str]], list[int]]:
        """The rewrite, the source's paragraphs and sentences, the rewrite's sentences and paragraph order."""
        clause_rate = rate_param(params, "clause_rate", "restructure")
        split_rate = rate_param(params, "split_rate", "restructure")
        merge_rate = rate_param(params, "merge_rate", "restructure")
        swap_rate = rate_param(params, "swap_rate", "restructure")
        paragraph_rate = rate_param(params, "paragraph_rate", "restructure")
        originals = split_paragraphs(text)
        if not originals:
            raise RewriteError("restructure: empty text")
        before = [split_sentences(p) for p in originals]
        paragraphs = [list(sentences) for sentences in before]
        for sentences in paragraphs:
            self._reorder_clauses(sentences, clause_rate, rng)
            halves = self._split(sentences, split_rate, rng)
            self._merge(sentences, halves, merge_rate, rng)
            self._swap(sentences, swap_rate, rng)
        order = list(range(len(paragraphs)))
        self._swap_paragraphs(order, originals, paragraph_rate, rng)
        out = self._join(originals, before, paragraphs, order)
        if word_change_rate(text, out) == 0.0:
            # Only punctuation and case changed (or nothing): start again from the original
            # sentences with one operation that moves or drops words, if there is one.
            paragraphs = [list(sentences) for sentences in before]
            order = list(range(len(paragraphs)))
            self._force_one(paragraphs, order, originals, rng)
            out = self._join(originals, before, paragraphs, order)
        if out == text:
            raise RewriteError("restructure: the operations left the text unchanged")
        return out, originals, before, paragraphs, order

    @staticmethod
    def _provenance(text: str, originals: list[str], before: list[list[str]], after: list[list[str]],
                    order: list[int]) -> Provenance:
        """The spans of :meth:`_join`'s text in ``text``, paragraph by paragraph."""
        starts = locate(text, originals)
        out = Builder(text)
        previous_end = 0
        for place, k in enumerate(order):
            start, end = starts[k], starts[k] + len(originals[k])
            if place:
                out.add("\n\n", previous_end, max(previous_end, start), "substituted")
            moved = k != place
            if after[k] == before[k]:
                out.take(start, end, moved=moved)
            else:
                rendered = " ".join(after[k])
                spans = aligned_spans(rendered, originals[k], start)
                if moved:
                    spans = tuple(replace(s, kind="moved") if s.kind == "copied" else s for s in spans)
                out.extend(rendered, spans)
            previous_end = end
        return out.result()[1]

    @staticmethod
    def _join(
        originals: list[str], before: list[list[str]], after: list[list[str]], order: list[int]
    ) -> str:
        """The text in paragraph ``order``, untouched paragraphs verbatim, changed ones re-joined."""
        rendered = [
            original if sentences == old else " ".join(sentences)
            for original, old, sentences in zip(originals, before, after)
        ]
        return "\n\n".join(rendered[k] for k in order)

    @staticmethod
    def _reorder_clauses(sentences: list[str], rate: float, rng: random.Random) -> None:
        """Reorder the clauses of sentences (see :func:`_clause_reorders`), each with probability ``rate``."""
        for i, sentence in enumerate(sentences):
            options = _clause_reorders(sentence)
            if options and rng.random() < rate:
                sentences[i] = rng.choice(options)

    @staticmethod
    def _swap_paragraphs(order: list[int], texts: list[str], rate: float, rng: random.Random) -> None:
        """Swap adjacent paragraphs after the first, each pair with probability ``rate``."""
        i = 1
        while i + 1 < len(order):
            if texts[order[i]] != texts[order[i + 1]] and rng.random() < rate:
                order[i], order[i + 1] = order[i + 1], order[i]
                i += 2
            else:
                i += 1

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
    def _force_one(
        paragraphs: list[list[str]], order: list[int], texts: list[str], rng: random.Random
    ) -> None:
        """Apply one possible operation, chosen at random, preferring those that move words.

        Clause reorders, swaps and cuts that drop a conjunction change the word sequence; merges
        and other cuts only change punctuation and case, so they are used only when nothing else
        is possible.
        """
        # (paragraph, first sentence, sentences replaced, replacement); paragraph -1 stands for
        # a swap of paragraphs ``i`` and ``i + 1``.
        moving: list[tuple[int, int, int, tuple[str, ...]]] = []
        other: list[tuple[int, int, int, tuple[str, ...]]] = []
        for k, sentences in enumerate(paragraphs):
            for i, sentence in enumerate(sentences):
                moving.extend((k, i, 1, (reordered,)) for reordered in _clause_reorders(sentence))
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
        moving.extend((-1, i, 2, ()) for i in range(1, len(texts) - 1) if texts[i] != texts[i + 1])
        options = moving or other
        if not options:
            raise RewriteError(
                "restructure: no clause to move, no sentence or paragraph pair to swap or merge "
                "and no clause boundary to split at"
            )
        k, i, width, replacement = rng.choice(options)
        if k == -1:
            order[i], order[i + 1] = order[i + 1], order[i]
        else:
            paragraphs[k][i : i + width] = list(replacement)
