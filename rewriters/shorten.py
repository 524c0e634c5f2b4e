"""``shorten``: the "shorten" mode of neural spinners: the same story in fewer words.

Real spinner output is not only reworded, it is often shorter: over the real sample the card
cites (``benchmark/realism.py``), the length ratio's 10th percentile is 0.59 and its median
0.96, and the spinners' "shorten" mode (medians: change 0.67, 5-gram containment 0.05, MiniLM
cosine 0.91) cuts well below the source's length. ``paraphrase`` alone lengthens a text a
little (back-translation and phrase rewordings add words). This rewriter cuts what a
summarising paraphraser drops first, phrase by phrase, and checks that each cut sentence
still says what its source sentence said:

- parentheticals: ``" (PA)"``, ``" (about 40 miles)"``;
- appositives and non-restrictive relative clauses set off by commas: ``"Smith, the mayor,
  said"`` -> ``"Smith said"``, ``", which opened in 1990,"``;
- an introductory phrase or clause before the first comma, hanging off the main verb:
  ``"In a statement on Monday, the minister said"`` -> ``"The minister said"``;
- filler adverbs from a curated list (``also``, ``however``, ``currently``...), never a
  negation or a word that limits a claim (``not``, ``only``, ``never``); descriptive
  adjectives right before their noun (``"a huge bushfire"`` -> ``"a bushfire"``), never one
  that says which or whose (``former``, ``federal``, ``interim``...);
- at medium and heavy, whole sentences (``drop_share`` of them, never the first): those least
  like the text as a whole (lowest MiniLM cosine to the mean of its sentence vectors, the
  classic centroid method of extractive summarising).

Each candidate cut is taken with probability ``cut_rate`` (the strength), so at light a short
text may come back uncut (alone, the build records that as a failure; in a chain, the text
passes on as the earlier steps left it). Every sentence that
lost something must keep a MiniLM cosine of at least ``sentence_min`` to its source sentence;
one that does not gives back its larger half of cuts until it does (or all of them). The cuts
drop detail, not claims: each is a ``deleted`` span that keeps the meaning (the distortion
task's changes come from ``distort``), and a capital letter moved to the new sentence start
is a one-character ``substituted`` span. Deterministic for a given rng (spaCy's parser and
MiniLM are).
"""
from __future__ import annotations

import random
import re
from typing import Any, Mapping

import numpy as np

from rewrite_bench.rewriters.common import rate_param
from rewrite_bench.rewriters.provenance import Provenance, apply_replacements, locate
from rewrite_bench.text import split_paragraphs, split_sentences, words
from rewrite_bench.types import RewriteError

__all__ = ["Shorten", "cut_candidates"]

_VERSION = "1.0"

#: Adverbs a summary drops without changing a claim. Not here on purpose: negations and
#: words that bound a claim (not, never, only, just, still, already, nearly, almost).
FILLER_ADVERBS = frozenset(
    "also however currently recently reportedly meanwhile additionally furthermore moreover indeed "
    "actually really very quite further subsequently eventually ultimately previously".split())
#: Dependency labels of an introductory phrase that may be cut (attached to the main verb).
_INTRO_DEPS = frozenset({"prep", "advcl", "advmod", "npadvmod"})
#: At most this many tokens before the comma in an introductory phrase.
_INTRO_MAX_TOKENS = 10
#: Adjectives that carry a claim rather than colour (what kind, whose, which one): never cut.
KEPT_ADJECTIVES = frozenset(
    "former late new old first last next previous other same own only main federal national "
    "international local foreign public private military political economic nuclear civil "
    "chief senior top deputy acting interim".split())
_PARENTHETICAL = re.compile(r"\s*\([^()]{1,200}\)")
_NEGATIONS = frozenset({"not", "n't", "never", "no", "without", "nor"})

#: A cut: ``(start, end, new)`` in the sentence's offsets; ``new`` is "" or the capital letter
#: that starts the sentence after an introductory phrase is cut.
Cut = tuple[int, int, str]


def _comma_set_off(sentence: str, start: int, end: int) -> Cut | None:
    """The cut of ``sentence[start:end]`` with the comma before it (and the one after it, if
    any), or None if the piece is not set off by a comma before it and a comma or the
    sentence's end after it."""
    before = sentence[:start].rstrip()
    if not before.endswith(","):
        return None
    after = sentence[end:]
    cut_start = len(before) - 1
    if after.startswith(","):
        return (cut_start, end + 1, "")
    if not after.strip(" \"'”’.!?;:"):  # the sentence ends here
        return (cut_start, end, "")
    return None


def cut_candidates(sentence: str, doc: Any) -> list[Cut]:
    """Every cut ``sentence`` offers (its spaCy parse ``doc``), sorted, not overlapping."""
    found: list[Cut] = [(m.start(), m.end(), "") for m in _PARENTHETICAL.finditer(sentence)]
    tokens = list(doc)
    for token in tokens:
        if token.dep_ in ("appos", "relcl"):
            subtree = list(token.subtree)
            start, end = subtree[0].idx, subtree[-1].idx + len(subtree[-1])
            if token.dep_ == "relcl" and any(t.lower_ in _NEGATIONS for t in subtree):
                continue
            cut = _comma_set_off(sentence, start, end)
            if cut is not None:
                found.append(cut)
        elif token.dep_ == "amod" and token.i > 0 and token.tag_ == "JJ" and token.head.pos_ == "NOUN" and token.i + 1 == token.head.i \
                and token.lower_ not in KEPT_ADJECTIVES and sentence[token.idx + len(token):][:1] == " ":
            found.append((token.idx, token.idx + len(token) + 1, ""))  # "a huge bushfire" -> "a bushfire"
        elif token.dep_ == "advmod" and token.lower_ in FILLER_ADVERBS and token.i > 0:
            start, end = token.idx, token.idx + len(token)
            cut = _comma_set_off(sentence, start, end)
            if cut is None and end < len(sentence) and sentence[end] == " ":
                cut = (start, end + 1, "")
            if cut is not None:
                found.append(cut)
    # An introductory phrase: the tokens before the first comma, hanging off the root.
    comma = next((t.i for t in tokens[:_INTRO_MAX_TOKENS + 1] if t.text == ","), None)
    if comma and comma + 1 < len(tokens):
        head = tokens[0]
        while head.head.i != head.i and head.head.i < comma:
            head = head.head
        rest = tokens[comma + 1]
        # The phrase is exactly the tokens before the comma (not a clause the comma falls inside).
        if (head.dep_ in _INTRO_DEPS and head.head.dep_ == "ROOT" and head.head.i > comma
                and head.left_edge.i == 0 and head.right_edge.i == comma - 1
                and not any(t.lower_ in _NEGATIONS for t in tokens[:comma])
                and sentence[0].isalpha() and rest.text[:1].isalpha()):
            found.append((0, rest.idx + 1, rest.text[0].upper()))
    found.sort()
    kept: list[Cut] = []
    for cut in found:
        if not kept or cut[0] >= kept[-1][1]:
            kept.append(cut)
    return kept


def _apply(sentence: str, cuts: list[Cut]) -> str:
    out, cursor = [], 0
    for start, end, new in sorted(cuts):
        out += [sentence[cursor:start], new]
        cursor = end
    return "".join(out) + sentence[cursor:]


class Shorten:
    """Cut parentheticals, appositives, side clauses, introductory phrases and filler adverbs,
    each cut sentence checked with MiniLM against its source sentence."""

    name = "shorten"
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"cut_rate": 0.35, "drop_share": 0.0},
        "medium": {"cut_rate": 0.65, "drop_share": 0.1},
        "heavy": {"cut_rate": 1.0, "drop_share": 0.2},
    }
    #: No cut sentence ends further from its source sentence than this MiniLM cosine (as in
    #: ``paraphrase``).
    sentence_min = 0.85
    #: Seconds per text (a parse and MiniLM checks): small smoke builds apply it to few originals.
    slow = True

    @property
    def version(self) -> str:
        return _VERSION

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        return self.rewrite_with_provenance(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The shortened text and its edits: one ``deleted`` span per cut (and a ``substituted``
        capital where a sentence lost its opening phrase); everything else is copied."""
        from rewrite_bench.embeddings import embed
        from rewrite_bench.rewriters.glove_spin import spacy_english

        rate = rate_param(params, "cut_rate", self.name)
        drop_share = rate_param(params, "drop_share", self.name)
        sentences = [s for paragraph in split_paragraphs(text) for s in split_sentences(paragraph)]
        sentences = [s for s in sentences if words(s)]
        if not sentences:
            raise RewriteError(f"{self.name}: the text has no sentence with words")
        starts = locate(text, sentences)
        vectors = embed(sentences)
        dropped = self._least_central(vectors, round(drop_share * len(sentences)))
        chosen = []
        for k, (sentence, doc) in enumerate(zip(sentences, spacy_english(("ner",)).pipe(sentences))):
            cuts = [cut for cut in cut_candidates(sentence, doc) if rng.random() < rate]
            chosen.append([] if k in dropped else cuts)
        kept = self._settle(sentences, vectors, chosen, embed)
        replacements = [(start + a, start + b, new, "substituted" if new else "deleted", "keeps")
                        for start, cuts in zip(starts, kept) for a, b, new in sorted(cuts)]
        # A dropped sentence goes with the space or paragraph break before it.
        replacements += [(starts[k - 1] + len(sentences[k - 1]), starts[k] + len(sentences[k]), "", "deleted", "keeps")
                         for k in sorted(dropped)]
        replacements.sort()
        # Nothing to cut is not an error: in a chain the text has changed already, and alone the
        # harness records an unchanged text as a failure.
        return apply_replacements(text, replacements)

    @staticmethod
    def _least_central(vectors: np.ndarray, n: int) -> set[int]:
        """The ``n`` sentences (never the first: the lede) least like the text as a whole: the
        lowest cosine to the mean of all sentence vectors (centroid extractive summarising)."""
        if n < 1 or len(vectors) < 3:
            return set()
        centrality = vectors @ vectors.mean(axis=0)
        order = sorted(range(1, len(vectors)), key=lambda k: (centrality[k], k))
        return set(order[: min(n, len(vectors) - 2)])

    def _settle(self, sentences: list[str], anchors: np.ndarray, chosen: list[list[Cut]],
                embed: Any) -> list[list[Cut]]:
        """Each sentence's cuts that keep its meaning: while a cut sentence is under
        ``sentence_min``, give back the larger half of its cuts (all such sentences in one
        encoder call per round)."""
        kept = [sorted(cuts, key=lambda c: (c[1] - c[0], c)) for cuts in chosen]  # smallest cut first
        settled: list[list[Cut]] = [[] for _ in sentences]
        pending = [i for i, cuts in enumerate(kept) if cuts]
        while pending:
            trials = [_apply(sentences[i], kept[i]) for i in pending]
            cosine = np.einsum("ij,ij->i", anchors[pending], embed(trials))
            retry = []
            for i, trial, c in zip(pending, trials, cosine):
                if c >= self.sentence_min and words(trial):
                    settled[i] = kept[i]
                elif len(kept[i]) > 1:
                    kept[i] = kept[i][: len(kept[i]) // 2]
                    retry.append(i)
            pending = retry
        return settled
