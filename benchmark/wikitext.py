"""Wikitext to plain prose: the renderer that turns a Wikipedia article's markup into paragraphs.

:func:`clean_wiki_article` is all the corpus needs (``benchmark/corpus.py`` cuts its output into
passages). It keeps prose and drops everything a reader would not read as running text:
references, tables, infoboxes, file links, lists, headings-only sections (see also, notes...);
templates that stand for words (``convert``, ``lang``, dates) are rendered, others are dropped,
and a paragraph left with markup residue is dropped rather than kept damaged.
"""
from __future__ import annotations

import re

from rewrite_bench.text import split_sentences

__all__ = ["INLINE_TAG", "clean_wiki_article"]

#: An HTML tag, removed with its brackets (news has one stray <i>; wiki prose has <sup>, <small>, ...).
INLINE_TAG = re.compile(r"<[a-zA-Z/][^<>]*>")

_DROP_SECTIONS = frozenset(
    {
        "see also", "references", "external links", "further reading", "notes", "bibliography",
        "sources", "citations", "footnotes", "works cited", "gallery", "notes and references",
        "references and notes", "cited sources", "primary sources", "secondary sources",
        "literature", "selected bibliography", "selected works", "works", "publications",
        "discography", "filmography", "bibliography and further reading", "explanatory notes",
    }
)
_H2 = re.compile(r"^==(?!=)[ \t]*(.*?)[ \t]*(?<!=)==[ \t]*$", re.MULTILINE)
_HEADING_LINE = re.compile(r"^=+.*=+$")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_REF = re.compile(r"<ref\b[^>]*?/>|<ref\b[^>]*>.*?</ref\s*>", re.DOTALL | re.IGNORECASE)
_BLOCK_TAGS = re.compile(
    r"<(gallery|math|chem|ce|timeline|score|syntaxhighlight|source|pre|poem|blockquote|table|"
    r"imagemap|references|hiero)\b[^>]*>.*?</\1\s*>",
    re.DOTALL | re.IGNORECASE,
)
#: Put where something was removed that a sentence needs (a formula): the paragraph is dropped.
_HOLE = "\x00"
#: Put where a pronunciation was removed: the parenthesis around it goes too.
_PRON = "\ue000"
_PRON_PAREN = re.compile(r"\([^()]*\ue000[^()]*\)")
_INNER_TEMPLATE = re.compile(r"\{\{([^{}]*(?:\{(?!\{)[^{}]*|\}(?!\})[^{}]*)*)\}\}")
_PARAM_SPLIT = re.compile(r"\|(?![^\[\]]*\]\])")
_LINK = re.compile(r"\[\[([^\[\]|#]*)(?:#[^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")
_MARKUP_CHAR = re.compile(r"[\[\]<>&{}|]")
_FILE_LINK = re.compile(r"\[\[\s*(?:file|image|media|category)\s*:", re.IGNORECASE)
_NON_PROSE_START = tuple("*#:;|!{}<=")
_RESIDUE = re.compile(r"[\[\]{}|<>=_\\^~]|https?:|www\.|\bthumb\b|\d+px\b|''|\x00|\s[,.;:]")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)]*$")
_NOT_PROSE_LEAD = re.compile(r"^(?:see also|see|note|notes|main article|further information)\b", re.I)

#: Inline templates whose text belongs in the sentence: name -> which positional parameter.
_KEEP_PARAM = {
    "nowrap": 0, "nobr": 0, "lang": -1, "transl": -1, "transliteration": -1, "rtl-lang": -1,
    "nihongo": 0, "sc": 0, "smallcaps": 0, "small": 0, "linktext": 0, "em": 0, "i": 0,
    "keypress": 0, "abbr": 0, "big": 0, "lang-rtl": -1, "visible anchor": 0, "anchor": None,
}
_LITERAL = {
    "'s": "'s", "'": "'", "' \"": "'\"", "\" '": "\"'", "snd": " – ", "spaced ndash": " – ",
    "ndash": "–", "mdash": "—", "mdashb": " — ", "nbsp": " ", "-": "", "·": " · ", "dot": " · ",
}
#: Templates that stand for a formula, a symbol or a value: removing them leaves a hole.
_HOLE_TEMPLATES = frozenset(
    {
        "ipa", "vr", "angbr", "chem", "val", "e", "eqm", "music", "math", "mvar", "frac", "sfrac",
        "overline", "sub", "sup", "inflation", "currentyear", "coord", "pre2", "ipablink", "ipa link",
        "unicode", "polytonic", "bra", "ket", "braket", "abs", "tmath", "pi", "radic", "sqrt",
    }
)
_UNITS = {"c": "°C", "°c": "°C", "f": "°F", "°f": "°F", "sqmi": "sq mi", "sqkm": "km2", "km2": "km2",
          "sqft": "sq ft", "mph": "mph", "kph": "km/h", "km/h": "km/h", "acre": "acres"}
_RANGE_WORDS = frozenset({"to", "-", "–", "and", "or", "by", "x", "+/-", "±", "&"})


def _render_template(body: str) -> str:
    """Plain text for one innermost template: kept words, a literal, a hole or nothing."""
    params = [p.strip() for p in _PARAM_SPLIT.split(body)]
    name = params[0].lower().replace("_", " ").strip()
    positional = [p for p in params[1:] if not re.match(r"^[\w -]+=", p)]
    if name in _LITERAL:
        return _LITERAL[name]
    if name in _HOLE_TEMPLATES:
        return _HOLE
    if name.startswith(("ipac-", "ipa-", "respell", "pronunciation", "audio")):
        return _PRON
    if ":" in name or name.startswith("#"):  # parser functions: keep formatted numbers only
        head, _, rest = params[0].partition(":")
        return rest.strip() if head.strip().lower() == "formatnum" else ""
    if name == "convert" or name == "cvt":
        return _render_convert(positional)
    if name == "as of" and positional:
        lower = any(p.replace(" ", "") in ("lc=y", "lc=yes") for p in params[1:])
        return ("as of " if lower else "As of ") + " ".join(positional[:1])
    if name.startswith("lang-") and positional:
        return positional[0]
    if name in _KEEP_PARAM:
        index = _KEEP_PARAM[name]
        if index is None or not positional:
            return ""
        return positional[index]
    return ""


def _render_convert(positional: list[str]) -> str:
    if len(positional) >= 4 and positional[1].lower() in _RANGE_WORDS:
        value, unit = f"{positional[0]} {positional[1]} {positional[2]}", positional[3]
    elif len(positional) >= 2:
        value, unit = positional[0], positional[1]
    else:
        return _HOLE
    if not value.strip() or not unit.strip():  # the number came from a template we removed
        return _HOLE
    return f"{value} {_UNITS.get(unit.lower(), unit)}"


def _remove_nested(text: str, opener: re.Pattern[str], open_tok: str, close_tok: str) -> str:
    """Remove every span from an ``opener`` match to the ``close_tok`` that balances it."""
    tokens = re.compile(re.escape(open_tok) + "|" + re.escape(close_tok))
    out: list[str] = []
    pos = 0
    while True:
        match = opener.search(text, pos)
        if match is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : match.start()])
        depth, end = 0, len(text)
        for token in tokens.finditer(text, match.start()):
            depth += 1 if token.group() == open_tok else -1
            if depth == 0:
                end = token.end()
                break
        pos = end


def _strip_structures(raw: str) -> str:
    """Raw wikitext without comments, refs, templates, tables, files and block-level tags."""
    text = _COMMENT.sub("", raw)
    text = _REF.sub("", text)
    text = re.sub(r"<math\b[^>]*>.*?</math\s*>", _HOLE, text, flags=re.DOTALL | re.IGNORECASE)
    text = _BLOCK_TAGS.sub("", text)
    for _ in range(20):  # templates nest: render the innermost ones until none is left
        text, n = _INNER_TEMPLATE.subn(lambda m: _render_template(m.group(1)), text)
        if not n:
            break
    text = _remove_nested(text, re.compile(r"\{\|"), "{|", "|}")
    text = _remove_nested(text, _FILE_LINK, "[[", "]]")
    return text


def _clean_paragraph(raw: str) -> str | None:
    """Plain text of one raw wikitext paragraph, or None if it is not prose."""
    from gensim.corpora.wikicorpus import filter_wiki

    if _HOLE in raw or len(raw.split()) < 8:
        return None
    # Links and inline tags first (cheap); filter_wiki then handles whatever markup is left.
    # It returns plain prose unchanged, so it is only run where markup remains (10x faster).
    text = raw
    for _ in range(5):
        text, n = _LINK.subn(lambda m: m.group(2) or m.group(1), text)
        if not n:
            break
    text = INLINE_TAG.sub("", re.sub(r"<br\s*/?>", " ", text, flags=re.IGNORECASE))
    if _MARKUP_CHAR.search(text):
        text = filter_wiki(text)
    text = re.sub(r"'{2,}", "", text)
    text = _PRON_PAREN.sub("", text).replace(_PRON, "")
    text = " ".join(text.replace("\xa0", " ").replace("\u200e", "").split())
    # Holes left by removed templates: "Rand (; born 1905)" -> "Rand (born 1905)".
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"(?<=\w)\.\.(?=\s|$)", ".", text)
    text = re.sub(r"\(\s*(?:[,;:]\s*)+", "(", text)
    text = re.sub(r"(?:\s*[,;:])+\s*\)", ")", text)
    text = re.sub(r"\s*\(\s*\)", "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = text.strip()
    if text.endswith(":"):  # the last sentence introduces a list, quote or formula we removed
        text = " ".join(split_sentences(text)[:-1])
    if not text or _RESIDUE.search(text) or _NOT_PROSE_LEAD.match(text):
        return None
    starts_well = text[0].isupper() or text[0].isdigit() or text[0] in "\"“'("
    if not starts_well or not _ENDS_SENTENCE.search(text):
        return None
    if len(text.split()) < 8:
        return None
    return text


def _section_paragraphs(raw_section: str) -> list[str]:
    """Prose paragraphs of one section: non-prose lines (lists, headings, rows) break paragraphs."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            cleaned = _clean_paragraph(" ".join(current))
            if cleaned:
                paragraphs.append(cleaned)
            current.clear()

    for line in raw_section.split("\n"):
        stripped = line.strip()
        if (
            not stripped
            or stripped.startswith(_NON_PROSE_START)
            or _HEADING_LINE.match(stripped)
            or line[:1] in (" ", "\t")  # preformatted text
        ):
            flush()
            continue
        current.append(stripped)
    flush()
    return paragraphs


def clean_wiki_article(raw: str) -> list[tuple[str, list[str]]]:
    """``(heading, paragraphs)`` for each kept level-2 section of an article (lead is ``""``).

    Reference-like sections (See also, References, ...) and sections with no prose are left out.
    """
    text = _strip_structures(raw)
    pieces = _H2.split(text)
    sections = [("", pieces[0])] + list(zip(pieces[1::2], pieces[2::2]))
    out: list[tuple[str, list[str]]] = []
    for heading, body in sections:
        name = re.sub(r"'{2,}|\[\[|\]\]", "", heading).strip().lower()
        if name in _DROP_SECTIONS:
            continue
        paragraphs = _section_paragraphs(body)
        if paragraphs:
            out.append((heading, paragraphs))
    return out
