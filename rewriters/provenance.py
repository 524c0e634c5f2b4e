"""Edit provenance: which spans of a rewrite come from which spans of its source.

A rewriter knows every edit it makes, so it can say exactly where each part of its output
came from. :func:`rewrite_with_provenance` asks it: the answer is the rewrite and a tuple of
:class:`Span`, in rewrite order, that together cover every character of the rewrite. Each
span says what happened to a piece of the source:

- ``copied``: the same characters, in their place;
- ``moved``: the same characters, elsewhere (a sentence or clause reordered);
- ``substituted``: other characters for these (a synonym, a typo, a homoglyph, a new number);
- ``translated``: a sentence that went through another language and back;
- ``inserted``: text with no source (boilerplate, a headline, a donor's sentences), its
  source span empty at the place it was inserted;
- ``deleted``: source text that is gone, an empty span of the rewrite where it was.

and whether the edit ``keeps`` or ``changes`` the meaning: a mangled number or name, a
dropped or swapped name, a negation or antonym changes it; a synonym, a reordering or a
translation (checked for meaning where the rewriter checks) keeps it. Copied and moved
spans keep it by definition.

Offsets are Python string indices (code points). Chains compose their steps' provenance
(:func:`compose`), so a rewrite of a rewrite still points into the original.
"""
from __future__ import annotations

import bisect
import json
import random
import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from rewrite_bench.types import BenchError

__all__ = ["KINDS", "MEANINGS", "VERBATIM", "Span", "Provenance", "Replacement", "Builder", "aligned_spans",
           "verbatim_tiles", "apply_replacements", "copied_whole", "compose", "locate", "restrict", "problems",
           "rewrite_with_provenance", "has_provenance", "shift", "encode_spans", "decode_spans"]

KINDS = ("copied", "moved", "substituted", "translated", "inserted", "deleted")
MEANINGS = ("keeps", "changes")
#: Kinds whose rewrite text equals their source text character for character.
VERBATIM = frozenset({"copied", "moved"})


@dataclass(frozen=True)
class Span:
    """``rewrite[start:end]`` comes from ``source[source_start:source_end]`` by ``kind``."""

    start: int
    end: int
    source_start: int
    source_end: int
    kind: str
    meaning: str = "keeps"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise BenchError(f"provenance span kind must be one of {list(KINDS)}, got {self.kind!r}")
        if self.meaning not in MEANINGS:
            raise BenchError(f"provenance span meaning must be one of {list(MEANINGS)}, got {self.meaning!r}")
        if not (0 <= self.start <= self.end and 0 <= self.source_start <= self.source_end):
            raise BenchError(f"provenance span offsets must be ordered and not negative: {self}")
        if self.kind in VERBATIM and (self.end - self.start != self.source_end - self.source_start
                                      or self.meaning != "keeps"):
            raise BenchError(f"a {self.kind} span has as many characters as its source and keeps the meaning: {self}")
        if self.kind == "inserted" and self.source_start != self.source_end:
            raise BenchError(f"an inserted span has an empty source span: {self}")
        if self.kind == "deleted" and self.start != self.end:
            raise BenchError(f"a deleted span is empty in the rewrite: {self}")


Provenance = tuple[Span, ...]
#: One edit for :func:`apply_replacements`: ``source[start:end]`` becomes ``new`` by ``kind``, with ``meaning``.
Replacement = tuple[int, int, str, str, str]


def copied_whole(text: str) -> Provenance:
    """The provenance of an unchanged text: one copied span (none for an empty text)."""
    return (Span(0, len(text), 0, len(text), "copied"),) if text else ()


def apply_replacements(source: str, replacements: Sequence[Replacement]) -> tuple[str, Provenance]:
    """``source`` with each ``(start, end, new, kind, meaning)`` applied, and its provenance.

    Replacements are sorted and do not overlap (an empty ``source[start:end]`` inserts, an
    empty ``new`` deletes); the text between them is copied.
    """
    pieces: list[str] = []
    spans: list[Span] = []
    cursor = at = 0
    for start, end, new, kind, meaning in replacements:
        if start < cursor or end < start:
            raise BenchError(f"replacements must be sorted and not overlap: ({start}, {end}) after {cursor}")
        if start > cursor:
            spans.append(Span(at, at + start - cursor, cursor, start, "copied"))
            pieces.append(source[cursor:start])
            at += start - cursor
        if start == end and not new:
            cursor = end
            continue
        if not new:
            kind = "deleted"
        elif start == end:
            kind = "inserted"
        if kind in VERBATIM and new == source[start:end]:
            meaning = "keeps"
        spans.append(Span(at, at + len(new), start, end, kind, meaning))
        pieces.append(new)
        at += len(new)
        cursor = end
    if cursor < len(source):
        spans.append(Span(at, at + len(source) - cursor, cursor, len(source), "copied"))
        pieces.append(source[cursor:])
    return "".join(pieces), tuple(spans)


class Builder:
    """Builds a rewrite piece by piece, recording where each piece comes from.

    For rewriters that assemble their output (reordered sentences, inserted lines) rather
    than edit it in place. Adjacent copied pieces that are adjacent in the source too merge
    into one span.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._pieces: list[str] = []
        self._spans: list[Span] = []
        self._at = 0

    def take(self, start: int, end: int, *, moved: bool = False) -> None:
        """Append ``source[start:end]`` as it is (``moved``: it is not where it was)."""
        if end <= start:
            return
        kind = "moved" if moved else "copied"
        last = self._spans[-1] if self._spans else None
        if last is not None and last.kind == kind and last.end == self._at and last.source_end == start:
            self._spans[-1] = replace(last, end=self._at + end - start, source_end=end)
        else:
            self._spans.append(Span(self._at, self._at + end - start, start, end, kind))
        self._pieces.append(self.source[start:end])
        self._at += end - start

    def add(self, text: str, start: int, end: int, kind: str, meaning: str = "keeps") -> None:
        """Append ``text`` made from ``source[start:end]`` by ``kind``; copied if it is that text."""
        if text == self.source[start:end] and start < end:
            self.take(start, end, moved=kind == "moved")
            return
        if not text and start == end:
            return
        kind = "deleted" if not text else "inserted" if start == end else kind
        self._spans.append(Span(self._at, self._at + len(text), start, end, kind, meaning))
        self._pieces.append(text)
        self._at += len(text)

    def insert(self, text: str, at: int, meaning: str = "keeps") -> None:
        """Append ``text`` that has no source, placed at source position ``at``."""
        self.add(text, at, at, "inserted", meaning)

    def extend(self, text: str, spans: Iterable[Span]) -> None:
        """Append ``text`` whose provenance in the source is ``spans`` (offsets from the text's start)."""
        for span in shift(spans, self._at):
            last = self._spans[-1] if self._spans else None
            if (last is not None and span.kind == last.kind == "copied" and last.end == span.start
                    and last.source_end == span.source_start):
                self._spans[-1] = replace(last, end=span.end, source_end=span.source_end)
            else:
                self._spans.append(span)
        self._pieces.append(text)
        self._at += len(text)

    @property
    def text(self) -> str:
        return "".join(self._pieces)

    def result(self) -> tuple[str, Provenance]:
        return self.text, tuple(self._spans)


_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def verbatim_tiles(text: str, source: str, min_length: int = 8) -> list[tuple[int, int, int]]:
    """Greedy string tiling: ``(text_start, source_start, length)`` of the longest common pieces.

    The longest piece the two share is taken first, then the longest among what is left of
    both, and so on down to ``min_length`` characters (shorter pieces, such as "the", would
    match anywhere). Pieces are runs of whole tokens (words, spaces, punctuation marks), which
    keeps the search fast on long texts. Sorted by position in ``text``. For rewriters whose
    edits only move text (clauses and sentences) this recovers where each moved piece came
    from; a phrase that occurs twice in ``source`` may be given its other occurrence.
    """
    from difflib import SequenceMatcher

    text_tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(text)]
    source_tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(source)]
    matcher = SequenceMatcher(None, [t for _, t in text_tokens], [t for _, t in source_tokens], autojunk=False)
    text_at = [at for at, _ in text_tokens] + [len(text)]
    source_at = [at for at, _ in source_tokens] + [len(source)]
    free_text, free_source = [(0, len(text_tokens))], [(0, len(source_tokens))]
    tiles: list[tuple[int, int, int]] = []
    # The longest match of a pair of free intervals stays the same until one of them is cut.
    longest: dict[tuple[int, int, int, int], Any] = {}
    while True:
        best, best_chars = None, 0
        for text_low, text_high in free_text:
            for source_low, source_high in free_source:
                key = (text_low, text_high, source_low, source_high)
                if key not in longest:
                    longest[key] = matcher.find_longest_match(text_low, text_high, source_low, source_high)
                match = longest[key]
                chars = text_at[match.a + match.size] - text_at[match.a]
                if match.size and chars >= min_length and chars > best_chars:
                    best, best_chars = match, chars
        if best is None:
            return sorted(tiles)
        tiles.append((text_at[best.a], source_at[best.b], best_chars))
        free_text = _cut(free_text, best.a, best.a + best.size)
        free_source = _cut(free_source, best.b, best.b + best.size)


def _cut(intervals: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for low, high in intervals:
        if end <= low or start >= high:
            out.append((low, high))
            continue
        if low < start:
            out.append((low, start))
        if end < high:
            out.append((end, high))
    return out


def _lower(text: str) -> str:
    """Lower case, one character for one (so offsets stay valid)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def aligned_spans(text: str, source: str, source_offset: int = 0, *, edited: str = "substituted",
                  meaning: str = "keeps") -> Provenance:
    """Spans of ``text`` against ``source`` (a piece starting at ``source_offset`` of the whole source).

    Tiles (:func:`verbatim_tiles`, found ignoring case, so that "the" moved to the front of a
    sentence as "The" is still found) are ``copied`` where they keep the order of the tiles
    before them and ``moved`` where they jump back; a changed capital inside a tile is an
    ``edited`` character of its own. The characters between tiles (a new comma, an opener such
    as "Meanwhile, ") are ``edited`` too and point at the source characters between the
    neighbouring tiles, or at the whole piece when the neighbours are out of order; where they
    equal those characters they are copied.
    """
    spans: list[Span] = []
    cursor = source_cursor = 0
    tiles = verbatim_tiles(_lower(text), _lower(source))

    def gap(start: int, end: int, next_source: int) -> None:
        low, high = (source_cursor, next_source) if next_source >= source_cursor else (0, len(source))
        kind = "copied" if text[start:end] == source[low:high] else "inserted" if low == high else edited
        spans.append(Span(start, end, source_offset + low, source_offset + high, kind,
                          "keeps" if kind == "copied" else meaning))

    for text_start, source_start, length in tiles:
        if text_start > cursor:
            gap(cursor, text_start, source_start)
        verbatim = "copied" if source_start >= source_cursor else "moved"
        run = 0
        while run < length:  # split the tile where the case differs
            same = text[text_start + run] == source[source_start + run]
            end = run + 1
            while end < length and (text[text_start + end] == source[source_start + end]) == same:
                end += 1
            spans.append(Span(text_start + run, text_start + end, source_offset + source_start + run,
                              source_offset + source_start + end, verbatim if same else edited,
                              "keeps" if same else meaning))
            run = end
        cursor = text_start + length
        source_cursor = max(source_cursor, source_start + length)
    if cursor < len(text):
        gap(cursor, len(text), len(source))
    return tuple(spans)


def locate(text: str, pieces: Sequence[str]) -> list[int]:
    """Where each of ``pieces`` (substrings of ``text``, in order) starts in ``text``."""
    out, cursor = [], 0
    for piece in pieces:
        cursor = text.index(piece, cursor)
        out.append(cursor)
        cursor += len(piece)
    return out


def restrict(spans: Sequence[Span], start: int, end: int) -> Provenance:
    """The spans of ``rewrite[start:end]``, with rewrite offsets from ``start``.

    Copied and moved spans are cut to the piece; another span that crosses its edge keeps its
    whole source span.
    """
    out: list[Span] = []
    for span in spans:
        if span.start == span.end:
            if start <= span.start <= end:
                out.append(replace(span, start=span.start - start, end=span.end - start))
            continue
        low, high = max(span.start, start), min(span.end, end)
        if low >= high:
            continue
        source_start, source_end = _source_of(span, low, high)
        out.append(replace(span, start=low - start, end=high - start, source_start=source_start,
                           source_end=source_end))
    return tuple(out)


def shift(spans: Iterable[Span], by: int, source_by: int = 0) -> Provenance:
    """The spans moved ``by`` characters in the rewrite and ``source_by`` in the source."""
    return tuple(replace(s, start=s.start + by, end=s.end + by, source_start=s.source_start + source_by,
                         source_end=s.source_end + source_by) for s in spans)


def _source_position(first: Sequence[Span], position: int) -> int:
    """Where a position of the middle text lies in the first source (the start of a non-verbatim span)."""
    for span in first:
        if span.start <= position < span.end or (span.start == span.end == position and span.kind != "deleted"):
            if span.kind in VERBATIM:
                return span.source_start + position - span.start
            return span.source_start
    return first[-1].source_end if first else 0


def _source_of(span: Span, start: int, end: int) -> tuple[int, int]:
    """The source span under ``[start, end)`` of a span's rewrite side: exact for verbatim spans."""
    if span.kind not in VERBATIM:
        return span.source_start, span.source_end
    low, high = max(span.start, start), min(span.end, end)
    return span.source_start + low - span.start, span.source_start + high - span.start


def compose(first: Sequence[Span], second: Sequence[Span]) -> Provenance:
    """Provenance of ``C`` in ``A`` from that of ``B`` in ``A`` (first) and of ``C`` in ``B`` (second).

    A verbatim span of ``C`` splits along the spans of ``B`` it copies: a copied piece of a
    copied piece stays copied (moved if either step moved it), a copied piece of a substituted
    or translated span keeps that span's kind, source span and meaning. Any other span of ``C``
    keeps its kind and points at the union of the source spans under its ``B`` span; it changes
    the meaning if it or any of them does. Deletions of the first step inside copied text are
    carried over, as empty spans where the text would have been.
    """
    out: list[Span] = []
    carried: set[int] = set()
    # ``first`` is in text order, so the spans under a range of ``B`` are found by bisection.
    starts, ends = [early.start for early in first], [early.end for early in first]

    def near(low: int, high: int) -> range:
        return range(bisect.bisect_left(ends, low), bisect.bisect_right(starts, high))

    for late in second:
        if late.kind in VERBATIM:
            for index in near(late.source_start, late.source_end):
                early = first[index]
                if early.kind == "deleted":
                    if late.source_start <= early.start <= late.source_end and index not in carried:
                        carried.add(index)
                        at = late.start + early.start - late.source_start
                        out.append(Span(at, at, early.source_start, early.source_end, "deleted", early.meaning))
                    continue
                low, high = max(early.start, late.source_start), min(early.end, late.source_end)
                if low >= high:
                    continue
                at = late.start + low - late.source_start
                if early.kind in VERBATIM:
                    kind = "moved" if "moved" in (early.kind, late.kind) else "copied"
                    source = early.source_start + low - early.start
                    out.append(Span(at, at + high - low, source, source + high - low, kind))
                else:
                    out.append(Span(at, at + high - low, early.source_start, early.source_end, early.kind,
                                    early.meaning))
            continue
        nearby = [first[index] for index in near(late.source_start, late.source_end)]
        under = [early for early in nearby if early.kind != "deleted" and early.start < late.source_end
                 and early.end > late.source_start]
        if under and late.kind != "inserted":
            pieces = [_source_of(early, late.source_start, late.source_end) for early in under]
            source_start = min(start for start, _ in pieces)
            source_end = max(end for _, end in pieces)
            # A deletion of the first step under this span is absorbed by it, its meaning change too.
            absorbed = [early for early in nearby if early.kind == "deleted"
                        and late.source_start <= early.start < late.source_end]
            changes = late.meaning == "changes" or any(early.meaning == "changes" for early in under + absorbed)
        else:
            source_start = source_end = _source_position(first, late.source_start)
            changes = late.meaning == "changes"
        out.append(Span(late.start, late.end, source_start, source_end, late.kind,
                        "changes" if changes else "keeps"))
    return tuple(sorted(out, key=lambda s: (s.start, s.end)))


def problems(source: str, rewrite: str, spans: Sequence[Span]) -> list[str]:
    """What is wrong with ``spans`` as the provenance of ``rewrite`` from ``source`` (empty: nothing).

    Checked: every offset inside its text; spans in rewrite order, not overlapping, covering
    every character of the rewrite; every copied or moved span equal to its source text.
    """
    found: list[str] = []
    cursor = 0
    for number, span in enumerate(spans):
        where = f"span {number} {span.kind} [{span.start}, {span.end}) from [{span.source_start}, {span.source_end})"
        if span.end > len(rewrite) or span.source_end > len(source):
            found.append(f"{where}: past the end of the text ({len(rewrite)}) or source ({len(source)})")
            continue
        if span.start != cursor and span.start != span.end:
            found.append(f"{where}: expected to start at {cursor} (gap or overlap)")
        if span.start < cursor:
            found.append(f"{where}: before the previous span's end {cursor}")
        cursor = max(cursor, span.end)
        if span.kind in VERBATIM and rewrite[span.start:span.end] != source[span.source_start:span.source_end]:
            found.append(f"{where}: {rewrite[span.start:span.end]!r} is not its source "
                         f"{source[span.source_start:span.source_end]!r}")
    if cursor != len(rewrite):
        found.append(f"the spans end at {cursor}, the rewrite at {len(rewrite)}")
    return found


def encode_spans(spans: Sequence[Span]) -> str:
    """Spans as compact JSON for storing with a rewrite: ``[[start, end, source_start,
    source_end, kind index in KINDS, 1 if it changes the meaning], ...]``."""
    return json.dumps([[s.start, s.end, s.source_start, s.source_end, KINDS.index(s.kind),
                        int(s.meaning == "changes")] for s in spans], separators=(",", ":"))


def decode_spans(text: str) -> Provenance:
    """The spans :func:`encode_spans` stored; a :class:`BenchError` for anything else."""
    try:
        rows = json.loads(text)
        return tuple(Span(a, b, c, d, KINDS[k], MEANINGS[m]) for a, b, c, d, k, m in rows)
    except (ValueError, TypeError, IndexError) as error:
        raise BenchError(f"stored edits are not a list of [start, end, source_start, source_end, kind, "
                         f"changes] rows ({error}): {text[:80]!r}") from error


def has_provenance(rewriter: object) -> bool:
    """Whether the rewriter reports its edits (``rewrite_with_provenance``; a chain: every part does)."""
    parts = getattr(rewriter, "parts", None)
    if parts is not None:
        return all(has_provenance(part) for part in parts)
    return callable(getattr(rewriter, "rewrite_with_provenance", None))


def rewrite_with_provenance(rewriter: Any, text: str, params: Mapping[str, object], rng: random.Random,
                            **options: Any) -> tuple[str, Provenance]:
    """The rewrite of ``text`` and its provenance; :class:`BenchError` naming a rewriter that has none."""
    if not has_provenance(rewriter):
        raise BenchError(f"rewriter {getattr(rewriter, 'name', rewriter)!r} does not report its edits "
                         "(it has no rewrite_with_provenance method)")
    return rewriter.rewrite_with_provenance(text, params, rng, **options)
