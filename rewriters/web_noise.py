"""``web-noise``: what scraping and republishing add to a copied article, and nothing else.

A content farm that lifts an article from a web page brings the page's furniture along
("Advertisement", "Read More: ...", newsletter prompts, share buttons), puts its own headline
and byline on top, loses quotation marks in the copy-paste, and its editors (or OCR and
re-typing) leave typos, wrong digits and misspelt names. This rewriter adds that noise to a
text while keeping its sentences otherwise as they are:

- boilerplate lines between sentences (each on its own line, inside the paragraph) and between
  paragraphs (as paragraphs of their own);
- a headline made from the first sentence and/or a byline ("By <name> | <date>"), prepended
  as paragraphs of their own;
- quotation marks dropped, per paragraph;
- typos in lower-case words (adjacent-key substitution, dropped, doubled or transposed
  letters), mangled numbers (1,200 -> 1,300, 12 -> 21) and names with a letter changed.

The original paragraphs stay in order, separated by ``"\\n\\n"``; inserted paragraphs
(headline, byline, boilerplate) are added between or before them.
"""
from __future__ import annotations

import random
import re
from typing import Mapping

from rewrite_bench.text import split_paragraphs, split_sentences, words
from rewrite_bench.types import RewriteError
from rewrite_bench.rewriters.common import NUMBER_WORDS, rate_param
from rewrite_bench.rewriters.provenance import (Builder, Provenance, Replacement, apply_replacements, compose,
                                                locate as _locate)

__all__ = ["WebNoise", "BOILERPLATE"]

#: Boilerplate line templates; ``{headline}`` is a headline made from the text, ``{tags}``
#: a few of its names and long words.
BOILERPLATE: tuple[str, ...] = (
    "Advertisement",
    "ADVERTISEMENT",
    "Story continues below advertisement",
    "Continue reading below",
    "Read More: {headline}",
    "READ MORE: {headline}",
    "Related: {headline}",
    "Also read: {headline}",
    "Don't miss: {headline}",
    "Trending now: {headline}",
    "Watch: {headline}",
    "Sign up for our newsletter to get the latest news delivered to your inbox.",
    "Subscribe now for unlimited access to breaking news and analysis.",
    "Share this article",
    "Share on Facebook Share on Twitter Share via Email",
    "Follow us on Facebook and Twitter for the latest updates.",
    "Scroll down for video",
    "Image: Supplied",
    "Got a news tip? Contact our newsroom.",
    "Thank you for reading. Please consider supporting independent journalism.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "Please enable JavaScript to view the comments.",
    "Tags: {tags}",
)

_FIRST_NAMES = (
    "James Mary Robert Linda Michael Sarah David Karen Daniel Emma Thomas Laura Mark Rachel "
    "Peter Jessica Andrew Emily Paul Sophie Steven Hannah Kevin Chloe Brian Olivia Jason Megan "
    "Ryan Natalie Aaron Grace"
).split()
_SURNAMES = (
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clarke Lewis Robinson Walker Young Allen King Wright Scott "
    "Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner"
).split()
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_ROLES = ("Staff Writer", "Senior Reporter", "Contributor", "News Desk", "Staff Reporter")
_BYLINES = (
    "By {name} | {date}",
    "By {name}, {role} | {date}",
    "By {name}, {role}",
    "{name} | Published {date}",
    "Posted by {name} on {date}",
    "{date} | By {name}",
    "By {name} | Updated {date} {time}",
)
_HEADLINE_PREFIXES = ("", "", "", "", "BREAKING: ", "UPDATE: ", "EXCLUSIVE: ")

# Capitalised words that are not names (not mangled as names).
_NOT_NAMES = frozenset(
    _MONTHS
    + "Monday Tuesday Wednesday Thursday Friday Saturday Sunday The This That These Those".split()
)
# Words title case leaves in lower case.
_LOWER_IN_TITLES = frozenset(
    "a an the and but or nor for of on in at to by as from with via".split()
)
# Words a headline does not end with.
_SMALL = frozenset(
    """
    a an the and but or nor for of on in at to by with from as is are was were be been has
    have had that which who its their his her this these those it he she they we than if
    into about after before over under while because when said says
    """.split()
)
_CLAUSE_OPENERS = frozenset("and but or so which while saying that because although".split())

# QWERTY neighbours of each lower-case letter, for adjacent-key typos.
_ADJACENT: dict[str, str] = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}

_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]{4,}(?![\w'’-])")
_NAME_WORD = re.compile(r"(?<![\w'’-])[A-Z][a-z]{3,}(?![\w-])")
_NUMBER = re.compile(r"(?<![\w.,])\d(?:[\d,.]*\d)?(?![\w])")
_QUOTES = re.compile(r"[\"“”]")
_YEAR = re.compile(r"(?:19|20)\d\d")
_OPENING = " \t\"“‘'(["


# --- character-level noise -----------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    """One typing error in a lower-case word; the first letter is kept."""
    op = rng.choice(("key", "drop", "double", "swap"))
    if op == "swap":
        pairs = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
        if pairs:
            i = rng.choice(pairs)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        op = "key"
    i = rng.randrange(1, len(word))
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_ADJACENT[word[i]]) + word[i + 1 :]


def _mangle_name(name: str, rng: random.Random) -> str:
    """A name with one letter (not the first) changed to a neighbouring key."""
    i = rng.randrange(1, len(name))
    return name[:i] + rng.choice(_ADJACENT[name[i]]) + name[i + 1 :]


def _mangle_number(token: str, rng: random.Random) -> str:
    """A number with a digit changed by one (1,200 -> 1,300) or two digits swapped (12 -> 21)."""
    swaps = [
        i
        for i in range(len(token) - 1)
        if token[i].isdigit() and token[i + 1].isdigit() and token[i] != token[i + 1]
        and not (i == 0 and token[1] == "0")
    ]
    if swaps and not _YEAR.fullmatch(token) and rng.random() < 0.35:
        i = rng.choice(swaps)
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    digits = [i for i, c in enumerate(token) if c.isdigit()]
    # Years change in their last digit (2001 -> 2002); other numbers in a leading digit.
    i = digits[-1] if _YEAR.fullmatch(token) else rng.choice(digits[:2])
    d = int(token[i])
    leading = i == 0 and len(digits) > 1
    options = [x for x in (d - 1, d + 1) if 0 <= x <= 9 and not (x == 0 and leading)]
    return token[:i] + str(rng.choice(options)) + token[i + 1 :]


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens a sentence (so its capital says nothing)."""
    j = start - 1
    while j >= 0 and text[j] in _OPENING:
        j -= 1
    return j < 0 or text[j] in ".!?:\n"


def _char_edits(
    text: str, params: Mapping[str, float], rng: random.Random
) -> list[Replacement]:
    """Typo, number, name and quotation-mark edits as ``(start, end, replacement, kind, meaning)``.

    A typo in a word keeps the meaning, except in a number word; a mangled number or name
    changes it ("Thirty" -> "Threety" is another number to a reader); dropped quotation marks
    keep it.
    """
    edits: list[Replacement] = []
    for m in _LOWER_WORD.finditer(text):
        if rng.random() < params["typo_rate"]:
            # A misspelt number word ("thirty" -> "thirrty") is a changed figure to a reader.
            meaning = "changes" if m.group() in NUMBER_WORDS else "keeps"
            edits.append((m.start(), m.end(), _typo(m.group(), rng), "substituted", meaning))
    for m in _NUMBER.finditer(text):
        if rng.random() < params["number_rate"]:
            edits.append((m.start(), m.end(), _mangle_number(m.group(), rng), "substituted", "changes"))
    for m in _NAME_WORD.finditer(text):
        if m.group() in _NOT_NAMES or _sentence_initial(text, m.start()):
            continue
        if rng.random() < params["name_rate"]:
            edits.append((m.start(), m.end(), _mangle_name(m.group(), rng), "substituted", "changes"))
    for start, end in _paragraph_spans(text):
        quotes = list(_QUOTES.finditer(text, start, end))
        if quotes and rng.random() < params["quote_drop_rate"]:
            edits.extend((q.start(), q.end(), "", "deleted", "keeps") for q in quotes)
    return sorted(edits)


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"\n\s*\n", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


# --- inserted lines -------------------------------------------------------------------------


def _title(tokens: list[str], title_case: bool) -> str:
    out: list[str] = []
    for k, tok in enumerate(tokens):
        if k == 0 or (title_case and tok.lower() not in _LOWER_IN_TITLES):
            tok = tok[:1].upper() + tok[1:]
        out.append(tok)
    return " ".join(out)


def _headline(sentence: str, rng: random.Random, first_clause: bool) -> str | None:
    """A headline from one clause of a sentence: up to ten words, in title or sentence case."""
    clauses = [c for c in re.split(r"[,;:()]|\s[-–—]\s", _QUOTES.sub("", sentence)) if c.strip()]
    tokens_per_clause = []
    for clause in clauses:
        tokens = [t.strip(".!?'‘’") for t in clause.split()]
        tokens = [t for t in tokens if t]
        while tokens and tokens[0].lower() in _CLAUSE_OPENERS:
            tokens.pop(0)
        if len(tokens) >= 4:
            tokens_per_clause.append(tokens)
    if not tokens_per_clause:
        return None
    tokens = tokens_per_clause[0] if first_clause else rng.choice(tokens_per_clause)
    tokens = tokens[: rng.randint(6, 10)]
    while len(tokens) > 3 and tokens[-1].lower() in _SMALL:
        tokens.pop()
    return _title(tokens, title_case=rng.random() < 0.6)


def _tags(text: str, rng: random.Random) -> str:
    names = [m.group() for m in _NAME_WORD.finditer(text) if not _sentence_initial(text, m.start())]
    long_words = [m.group() for m in _LOWER_WORD.finditer(text) if len(m.group()) >= 7]
    pool = list(dict.fromkeys(names + long_words)) or list(dict.fromkeys(words(text)))
    return ", ".join(rng.sample(pool, min(len(pool), rng.randint(2, 4))))


def _boilerplate(text: str, sentences: list[str], rng: random.Random) -> str:
    template = rng.choice(BOILERPLATE)
    if "{headline}" in template:
        headline = _headline(rng.choice(sentences), rng, first_clause=False) if sentences else None
        if headline is None:
            return "Advertisement"
        return template.format(headline=headline)
    if "{tags}" in template:
        return template.format(tags=_tags(text, rng))
    return template


def _byline(rng: random.Random) -> str:
    hour, minute = rng.randint(1, 12), rng.randrange(60)
    return rng.choice(_BYLINES).format(
        name=f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)}",
        role=rng.choice(_ROLES),
        date=f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}, {rng.randint(1998, 2024)}",
        time=f"{hour}:{minute:02d} {rng.choice(('AM', 'PM'))}",
    )


def _sentence_gaps(paragraph: str) -> list[tuple[int, int]]:
    """``(end of sentence i, start of sentence i + 1)`` offsets for each gap in a paragraph."""
    bounds: list[tuple[int, int]] = []
    cursor = 0
    for sentence in split_sentences(paragraph):
        at = paragraph.find(sentence, cursor)
        if at >= 0:
            bounds.append((at, at + len(sentence)))
            cursor = at + len(sentence)
    return [(end, start) for (_, end), (start, _) in zip(bounds, bounds[1:])]


class WebNoise:
    """Add republishing noise (boilerplate, headline, byline, typos, wrong digits and names)."""

    name = "web-noise"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {
            "boilerplate_rate": 0.06, "headline_rate": 0.2, "byline_rate": 0.3,
            "quote_drop_rate": 0.15, "typo_rate": 0.01, "number_rate": 0.1, "name_rate": 0.04,
        },
        "medium": {
            "boilerplate_rate": 0.15, "headline_rate": 0.5, "byline_rate": 0.5,
            "quote_drop_rate": 0.35, "typo_rate": 0.03, "number_rate": 0.3, "name_rate": 0.1,
        },
        "heavy": {
            "boilerplate_rate": 0.3, "headline_rate": 0.85, "byline_rate": 0.85,
            "quote_drop_rate": 0.7, "typo_rate": 0.07, "number_rate": 0.6, "name_rate": 0.25,
        },
    }

    _PARAMS = (
        "boilerplate_rate", "headline_rate", "byline_rate", "quote_drop_rate",
        "typo_rate", "number_rate", "name_rate",
    )

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` with web noise added; raise :class:`RewriteError` if it has no words."""
        return self.rewrite_with_provenance(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits: typos and mangled numbers and names substituted in place
        (the last two change the meaning), boilerplate, headline and byline inserted."""
        rates = {key: rate_param(params, key, "web-noise") for key in self._PARAMS}
        if not words(text):
            raise RewriteError("web-noise: the text has no words to add noise to")
        sentences = [s for p in split_paragraphs(text) for s in split_sentences(p)]
        noisy, edited = apply_replacements(text, _char_edits(text, rates, rng))
        paragraphs = split_paragraphs(noisy)
        located = _locate(noisy, paragraphs)

        # Boilerplate: inside paragraphs at sentence gaps (own line), and after each paragraph.
        # Each body entry is built over ``noisy`` with where its pieces come from.
        inserted = 0
        body: list[Builder] = []
        for paragraph, at in zip(paragraphs, located):
            piece = Builder(noisy)
            cursor = 0
            for end, start in _sentence_gaps(paragraph):
                if rng.random() < rates["boilerplate_rate"]:
                    line = _boilerplate(text, sentences, rng)
                    piece.take(at + cursor, at + end)
                    piece.add("\n", at + end, at + start, "substituted")  # the space before the line
                    piece.insert(line + "\n", at + start)
                    cursor = start
                    inserted += 1
            piece.take(at + cursor, at + len(paragraph))
            body.append(piece)
            if rng.random() < rates["boilerplate_rate"]:
                body.append(_inserted(noisy, _boilerplate(text, sentences, rng), at + len(paragraph)))
                inserted += 1

        header: list[Builder] = []
        if sentences and rng.random() < rates["headline_rate"]:
            headline = _headline(sentences[0], rng, first_clause=True)
            if headline is not None:
                header.append(_inserted(noisy, rng.choice(_HEADLINE_PREFIXES) + headline, 0))
        if rng.random() < rates["byline_rate"]:
            header.append(_inserted(noisy, _byline(rng), 0))

        if not (inserted or header) and words(noisy) == words(text):
            # Nothing drawn at these rates, or only quotation marks dropped (which a word-level
            # comparison cannot see): one boilerplate line after a random paragraph.
            k = rng.randrange(len(body))
            after = max(span.source_end for span in body[k].result()[1]) if body[k].text else 0
            body.insert(k + 1, _inserted(noisy, _boilerplate(text, sentences, rng), after))
        out = Builder(noisy)
        for i, piece in enumerate(header + body):
            if i:  # a paragraph break: the source's own where it stood between these two
                _, before = (header + body)[i - 1].result()
                _, after = piece.result()
                low = before[-1].source_end if before else 0
                high = after[0].source_start if after else low
                out.add("\n\n", low, max(low, high), "substituted")
            out.extend(piece.text, piece.result()[1])
        rewrite, spans = out.result()
        return rewrite, compose(edited, spans)


def _inserted(source: str, line: str, at: int) -> Builder:
    piece = Builder(source)
    piece.insert(line, at)
    return piece
