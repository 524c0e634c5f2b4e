"""Small helpers every rewriter shares: parameter checks and span replacement."""
from __future__ import annotations

from typing import Mapping, Sequence

from rewrite_bench.types import BenchError

__all__ = ["NUMBER_WORDS", "rate_param", "replace_spans"]

#: Number words whose misspelling or change changes a figure ("one" is left out: mostly a pronoun).
NUMBER_WORDS = frozenset("two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
                         "fifty sixty seventy eighty ninety hundred thousand million billion".split())


def rate_param(params: Mapping[str, object], key: str, rewriter: str) -> float:
    """``params[key]`` as a float in [0, 1]; a :class:`BenchError` naming rewriter and key otherwise."""
    value = params.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
        raise BenchError(f"{rewriter} param {key} must be a number in [0, 1], got {value!r}")
    return float(value)


def replace_spans(text: str, replacements: Sequence[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, new)`` span replaced; spans sorted, not overlapping."""
    pieces: list[str] = []
    cursor = 0
    for start, end, new in replacements:
        pieces.append(text[cursor:start])
        pieces.append(new)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
