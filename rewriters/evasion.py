"""``evasion``: invisible changes that defeat fingerprinting while the text looks the same.

Copiers who expect their copy to be checked against the original swap Latin letters for
Cyrillic or Greek look-alikes ("a" -> U+0430), hide zero-width characters inside words, and
replace spaces with no-break or thin spaces. A reader sees the same text; a tokenizer sees
different words (a homoglyph makes a new token, a zero-width character cuts a word in two), so
exact and n-gram matching miss the copy. A detector that normalises its input (see
:func:`reveal`) undoes all of it: that is what this slice of the benchmark tests.

The strength is the share of words given a look-alike letter or an invisible character and the
share of spaces replaced. Line and paragraph breaks are never touched.
"""
from __future__ import annotations

import random
import re
from typing import Mapping

from rewrite_bench.types import RewriteError
from rewrite_bench.rewriters.common import rate_param
from rewrite_bench.rewriters.provenance import Provenance, apply_replacements

__all__ = ["Evasion", "HOMOGLYPHS", "ZERO_WIDTH", "ODD_SPACES", "reveal"]

#: Latin letter -> Cyrillic/Greek letters drawn with the same glyph in common fonts.
HOMOGLYPHS: Mapping[str, str] = {
    "a": "\u0430", "c": "\u0441\u03f2", "d": "\u0501", "e": "\u0435", "h": "\u04bb",
    "i": "\u0456", "j": "\u0458", "o": "\u043e\u03bf", "p": "\u0440", "q": "\u051b",
    "s": "\u0455", "w": "\u051d", "x": "\u0445", "y": "\u0443",
    "A": "\u0410\u0391", "B": "\u0412\u0392", "C": "\u0421", "E": "\u0415\u0395",
    "H": "\u041d\u0397", "I": "\u0406\u0399", "J": "\u0408", "K": "\u041a\u039a",
    "M": "\u041c\u039c", "N": "\u039d", "O": "\u041e\u039f", "P": "\u0420\u03a1",
    "S": "\u0405", "T": "\u0422\u03a4", "X": "\u0425\u03a7", "Y": "\u04ae\u03a5", "Z": "\u0396",
}
#: Zero-width space, non-joiner, joiner, word joiner, byte-order mark (zero-width no-break space).
ZERO_WIDTH: str = "\u200b\u200c\u200d\u2060\ufeff"
#: No-break space (drawn twice as often: it is the commonest), thin space, narrow no-break space.
ODD_SPACES: str = "\u00a0\u00a0\u2009\u202f"

_UNDO = {ord(g): latin for latin, glyphs in HOMOGLYPHS.items() for g in glyphs}
_UNDO.update({ord(z): None for z in ZERO_WIDTH})
_UNDO.update({ord(s): " " for s in ODD_SPACES})
_WORD = re.compile(r"[^\W\d_]+")


def reveal(text: str) -> str:
    """Undo this rewriter's tricks: look-alikes back to Latin, invisible characters removed,
    odd spaces back to plain spaces. Genuine Cyrillic or Greek letters in the text are folded
    to Latin too (harmless for English; compare ``reveal(a) == reveal(b)``)."""
    return text.translate(_UNDO)


def _homoglyphs(word: str, rng: random.Random) -> str:
    """The word with one look-alike letter (and each further one with probability 0.3)."""
    positions = [i for i, c in enumerate(word) if c in HOMOGLYPHS]
    chosen = {rng.choice(positions)} | {i for i in positions if rng.random() < 0.3}
    return "".join(rng.choice(HOMOGLYPHS[c]) if i in chosen else c for i, c in enumerate(word))


def _zero_width(word: str, rng: random.Random) -> str:
    """The word with one invisible character between two of its letters."""
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice(ZERO_WIDTH) + word[i:]


class Evasion:
    """Swap letters for look-alikes, hide zero-width characters in words, vary the spaces."""

    name = "evasion"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"homoglyph_rate": 0.04, "zero_width_rate": 0.02, "space_rate": 0.1},
        "medium": {"homoglyph_rate": 0.15, "zero_width_rate": 0.08, "space_rate": 0.3},
        "heavy": {"homoglyph_rate": 0.4, "zero_width_rate": 0.25, "space_rate": 0.6},
    }

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` looking the same but tokenised differently.

        Raises :class:`RewriteError` if no word has a letter with a look-alike or two letters to
        put an invisible character between.
        """
        return self.rewrite_with_provenance(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits: each changed word or space a ``substituted`` span that keeps the meaning."""
        homoglyph_rate = rate_param(params, "homoglyph_rate", "evasion")
        zero_width_rate = rate_param(params, "zero_width_rate", "evasion")
        space_rate = rate_param(params, "space_rate", "evasion")
        spans = [
            (m.start(), m.end())
            for m in _WORD.finditer(text)
            if len(m.group()) >= 2 or m.group() in HOMOGLYPHS
        ]
        if not spans:
            raise RewriteError(
                "evasion: no word with a look-alike letter or two letters to hide a character in"
            )
        edits: dict[int, tuple[int, str]] = {}
        for start, end in spans:
            word = text[start:end]
            new = word
            if rng.random() < homoglyph_rate and any(c in HOMOGLYPHS for c in word):
                new = _homoglyphs(new, rng)
            if len(word) >= 2 and rng.random() < zero_width_rate:
                new = _zero_width(new, rng)
            if new != word:
                edits[start] = (end, new)
        if not edits:
            # Nothing drawn at these rates: one word is still changed, so that its tokens differ.
            start, end = rng.choice(spans)
            word = text[start:end]
            use_glyph = any(c in HOMOGLYPHS for c in word) and (len(word) < 2 or rng.random() < 0.6)
            edits[start] = (end, _homoglyphs(word, rng) if use_glyph else _zero_width(word, rng))
        for m in re.finditer(r"(?<=\S) (?=\S)", text):
            if rng.random() < space_rate:
                edits[m.start()] = (m.end(), rng.choice(ODD_SPACES))
        return apply_replacements(text, [(start, end, new, "substituted", "keeps")
                                         for start, (end, new) in sorted(edits.items())])
