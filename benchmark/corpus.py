"""The benchmark's originals: real prose shipped inside installed packages, deduplicated and split.

Two sources, both in gensim's ``test/test_data`` folder (no download needed):

* ``news``: the Lee corpus of ABC news articles (``lee_background.cor``, ``lee.cor``), one
  article per line; each article is one passage and its own source document.
* ``encyclopedia``: a 106-article English Wikipedia sample (CC BY-SA). Markup is stripped,
  each article is cut at its level-2 headings and each section into passages of
  :data:`MIN_PASSAGE_WORDS`..:data:`MAX_PASSAGE_WORDS` words; all passages of one article
  share a source document.

Exact and near duplicates (MinHash LSH over word 5-gram shingles) are dropped, keeping the
first in id order, and source documents are split into train/dev/test by a seeded hash so
that no document feeds two splits. Everything is deterministic and takes a few seconds.
"""
from __future__ import annotations

import bz2
import functools
import hashlib
import importlib.util
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from rewrite_bench.text import normalize_for_dedup, split_sentences, words
from rewrite_bench.types import SPLITS, BenchError, Original
from rewrite_bench.wikitext import INLINE_TAG, clean_wiki_article

__all__ = [
    "NEWS_FILES",
    "WIKI_FILE",
    "MIN_WORDS_NEWS",
    "MIN_PASSAGE_WORDS",
    "MAX_PASSAGE_WORDS",
    "SPLIT_FRACTIONS",
    "DEDUP_THRESHOLD",
    "DEDUP_NUM_PERM",
    "DEDUP_SHINGLE",
    "DEDUP_SEED",
    "CorpusStats",
    "DedupResult",
    "data_dir",
    "first_of_each_domain",
    "source_files",
    "load_news",
    "clean_wiki_article",
    "cut_passages",
    "dedupe",
    "split_counts",
    "assign_splits",
    "load_originals",
    "load_originals_with_stats",
]

#: News files in gensim's test data, in id order (``news-bg-*`` then ``news-lee-*``).
NEWS_FILES: tuple[str, ...] = ("lee_background.cor", "lee.cor")
_NEWS_PREFIXES: dict[str, str] = {"lee_background.cor": "news-bg", "lee.cor": "news-lee"}
#: The Wikipedia sample in gensim's test data.
WIKI_FILE = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"

MIN_WORDS_NEWS = 60
MIN_PASSAGE_WORDS = 150
MAX_PASSAGE_WORDS = 800

#: Share of each domain's source documents that goes to each split.
SPLIT_FRACTIONS: dict[str, float] = {"train": 0.45, "dev": 0.15, "test": 0.40}

#: Near-duplicate settings: Jaccard threshold over word shingles of this size.
DEDUP_THRESHOLD = 0.5
DEDUP_NUM_PERM = 128
DEDUP_SHINGLE = 5
DEDUP_SEED = 1

_DOMAINS: tuple[str, ...] = ("news", "encyclopedia")
_GENSIM_HINT = "install it with: pip install 'gensim>=4.3' (the originals ship in its test data)"


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`load_originals_with_stats` kept and dropped."""

    n_news: int
    n_encyclopedia: int
    n_articles: int
    """Wikipedia articles that gave at least one passage (before dedupe)."""
    n_dropped_short: int
    """News articles under :data:`MIN_WORDS_NEWS` words."""
    n_dropped_short_passages: int
    """Wikipedia section pieces under :data:`MIN_PASSAGE_WORDS` words."""
    n_dropped_duplicate: int
    """Exact plus near duplicates dropped (across both domains)."""
    n_dropped_exact: int
    n_dropped_near: int
    n_train: int
    n_dev: int
    n_test: int
    by_split_domain: tuple[tuple[str, str, int], ...]
    """``(split, domain, count)`` for every split and domain, in :data:`SPLITS` order."""

    def count(self, split: str | None = None, domain: str | None = None) -> int:
        """Originals kept in ``split`` and ``domain`` (``None`` means any)."""
        return sum(
            n
            for s, d, n in self.by_split_domain
            if (split is None or s == split) and (domain is None or d == domain)
        )


@dataclass(frozen=True)
class DedupResult:
    """Outcome of :func:`dedupe`: ids kept (input order) and ``(id, kept_id, kind)`` dropped."""

    kept: tuple[str, ...]
    dropped: tuple[tuple[str, str, str], ...]
    """``kind`` is ``exact`` or ``near``; ``kept_id`` is the earlier item it duplicates."""

    @property
    def n_exact(self) -> int:
        return sum(1 for _, _, kind in self.dropped if kind == "exact")

    @property
    def n_near(self) -> int:
        return sum(1 for _, _, kind in self.dropped if kind == "near")


# --------------------------------------------------------------------------- files


def data_dir() -> Path:
    """gensim's ``test/test_data`` folder, which holds both sources."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise BenchError(f"gensim is not installed; {_GENSIM_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data"
    if not folder.is_dir():
        raise BenchError(f"gensim's test data folder {folder} is missing; re{_GENSIM_HINT}")
    return folder


def _corpus_file(name: str) -> Path:
    path = data_dir() / name
    if not path.is_file():
        raise BenchError(f"corpus file {path} is missing (a partial gensim install?); re{_GENSIM_HINT}")
    return path


def source_files() -> list[Path]:
    """Every file the corpus reads, in a fixed order (for the build's cache key)."""
    return [_corpus_file(name) for name in (*NEWS_FILES, WIKI_FILE)]


def _read_text(path: Path) -> str:
    # lee.cor has one Latin-1 byte (a pound sign); the rest is ASCII.
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


# --------------------------------------------------------------------------- news


def _news_rows() -> tuple[list[tuple[str, str, str, str]], int]:
    rows: list[tuple[str, str, str, str]] = []
    n_short = 0
    for name in NEWS_FILES:
        for index, line in enumerate(_read_text(_corpus_file(name)).split("\n")):
            # One article has an HTML italics tag (<i>Diplomacy</i>); markup is not prose.
            text = " ".join(INLINE_TAG.sub("", line).split())
            if not text:
                continue
            if len(words(text)) < MIN_WORDS_NEWS:
                n_short += 1
                continue
            doc_id = f"{_NEWS_PREFIXES[name]}-{index:04d}"
            rows.append((doc_id, "news", doc_id, text))
    return rows, n_short


def load_news() -> list[tuple[str, str, str, str]]:
    """News articles of at least :data:`MIN_WORDS_NEWS` words as ``(id, domain, source_doc, text)``."""
    return _news_rows()[0]


# --------------------------------------------------------------------------- wikipedia
# (the markup renderer is benchmark/wikitext.py)


def _pack(units: Sequence[tuple[str, int]], max_words: int, sep: str) -> list[tuple[str, int]]:
    """Join consecutive ``(text, n_words)`` units greedily into pieces of at most ``max_words``.

    A unit that is longer than ``max_words`` on its own stays a piece of its own.
    """
    pieces: list[tuple[str, int]] = []
    current: list[str] = []
    count = 0
    for text, n in units:
        if current and count + n > max_words:
            pieces.append((sep.join(current), count))
            current, count = [], 0
        current.append(text)
        count += n
    if current:
        pieces.append((sep.join(current), count))
    return pieces


def _split_long(paragraph: str, n_words: int, max_words: int) -> list[tuple[str, int]]:
    """A paragraph as units of at most ``max_words``: itself, or cut at sentence ends."""
    if n_words <= max_words:
        return [(paragraph, n_words)]
    units: list[tuple[str, int]] = []
    for sentence in split_sentences(paragraph):
        n = len(words(sentence))
        if n > max_words:  # a runaway "sentence" (a list run together): cut it between words
            tokens = [(token, len(words(token))) for token in sentence.split()]
            units.extend(_pack(tokens, max_words, " "))
        else:
            units.append((sentence, n))
    return _pack(units, max_words, " ")


def cut_passages(
    paragraphs: Sequence[str],
    min_words: int = MIN_PASSAGE_WORDS,
    max_words: int = MAX_PASSAGE_WORDS,
) -> tuple[list[str], int]:
    """Cut one section's paragraphs into passages of ``min_words``..``max_words`` words.

    A section of at most ``max_words`` is one passage; a longer one is packed greedily by whole
    paragraphs, a paragraph over ``max_words`` being first cut at sentence ends
    (:func:`~rewrite_bench.text.split_sentences`). Paragraphs are joined by a blank line; pieces
    under ``min_words`` are dropped. Returns the passages and how many pieces were dropped.
    """
    if not 0 < min_words <= max_words:
        raise ValueError(f"cut_passages: need 0 < min_words <= max_words, got {min_words}, {max_words}")
    units: list[tuple[str, int]] = []
    for paragraph in paragraphs:
        n = len(words(paragraph))
        if n:
            units.extend(_split_long(paragraph, n, max_words))
    groups = _pack(units, max_words, "\n\n")
    passages = [text for text, n in groups if n >= min_words]
    return passages, len(groups) - len(passages)


def _is_article(title: str, raw: str) -> bool:
    head = raw.lstrip()[:20].lower()
    if not raw or head.startswith("#redirect"):
        return False
    if title.endswith("(disambiguation)") or re.search(r"\{\{\s*(disambig|dab|set index)", raw, re.I):
        return False
    return True


def _wiki_rows() -> tuple[list[tuple[str, str, str, str]], int, int]:
    from gensim.corpora.wikicorpus import extract_pages

    path = _corpus_file(WIKI_FILE)
    rows: list[tuple[str, str, str, str]] = []
    n_short = 0
    articles = set()
    with bz2.open(path) as handle:
        for title, raw, page_id in extract_pages(handle, filter_namespaces=("0",)):
            if not _is_article(title or "", raw):
                continue
            doc = f"wiki-{int(page_id):06d}"
            index = 0
            for _heading, paragraphs in clean_wiki_article(raw):
                passages, short = cut_passages(paragraphs)
                n_short += short
                for passage in passages:
                    rows.append((f"{doc}-{index:02d}", "encyclopedia", doc, passage))
                    articles.add(doc)
                    index += 1
    rows.sort(key=lambda row: row[0])
    return rows, n_short, len(articles)


# --------------------------------------------------------------------------- dedupe


def _shingles(tokens: Sequence[str], n: int) -> set[str]:
    """Distinct word ``n``-grams of a token list, each as one space-joined string."""
    return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def dedupe(
    items: Sequence[tuple[str, str]],
    threshold: float = DEDUP_THRESHOLD,
    num_perm: int = DEDUP_NUM_PERM,
    shingle: int = DEDUP_SHINGLE,
    seed: int = DEDUP_SEED,
) -> DedupResult:
    """Drop exact and near duplicates from ``(id, text)`` pairs, keeping the first of each group.

    Exact: equal :func:`~rewrite_bench.text.normalize_for_dedup`. Near: a MinHash LSH candidate
    (``num_perm`` permutations, fixed ``seed``) whose true Jaccard similarity of word
    ``shingle``-gram sets is at least ``threshold``; checking the true value keeps LSH false
    positives out. Texts with fewer than ``shingle`` words are only checked for exact copies.
    """
    import zlib

    from datasketch import MinHash, MinHashLSH

    ids = [item_id for item_id, _ in items]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ValueError(f"dedupe: id {dup!r} occurs more than once; ids must be unique")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"dedupe: threshold must be in (0, 1], got {threshold!r}")
    keys = [normalize_for_dedup(text) for _, text in items]
    grams = [_shingles(key.split(), shingle) for key in keys]
    # crc32 is a fast deterministic 32-bit hash (seeded permutations do the mixing); a MinHash
    # does not depend on the order its values are fed in, so set order does not matter.
    minhashes = MinHash.bulk(
        [[g.encode("utf-8") for g in s] for s in grams],
        num_perm=num_perm,
        seed=seed,
        hashfunc=zlib.crc32,
    )
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    position: dict[str, int] = {}
    first_exact: dict[str, str] = {}
    kept: list[str] = []
    dropped: list[tuple[str, str, str]] = []
    for index, (item_id, _text) in enumerate(items):
        key = keys[index]
        if key in first_exact:
            dropped.append((item_id, first_exact[key], "exact"))
            continue
        mine = grams[index]
        if mine:
            matches = [
                other
                for other in lsh.query(minhashes[index])
                if len(mine & grams[position[other]]) / len(mine | grams[position[other]]) >= threshold
            ]
            if matches:  # LSH returns a set: pick the earliest match so the result is stable
                dropped.append((item_id, min(matches, key=position.__getitem__), "near"))
                continue
            lsh.insert(item_id, minhashes[index])
        first_exact[key] = item_id
        position[item_id] = index
        kept.append(item_id)
    return DedupResult(kept=tuple(kept), dropped=tuple(dropped))


# --------------------------------------------------------------------------- splits


def split_counts(n: int, fractions: Mapping[str, float] = SPLIT_FRACTIONS) -> dict[str, int]:
    """How many of ``n`` source documents each split gets (largest remainder, none empty)."""
    names = _check_fractions(fractions)
    if n < len(names):
        raise BenchError(f"cannot cut {n} source documents into {len(names)} non-empty splits")
    total = sum(fractions[name] for name in names)
    exact = {name: n * fractions[name] / total for name in names}
    counts = {name: math.floor(exact[name]) for name in names}
    by_remainder = sorted(names, key=lambda name: (-(exact[name] - counts[name]), names.index(name)))
    for name in by_remainder[: n - sum(counts.values())]:
        counts[name] += 1
    for name in names:  # steal from the largest split so that none is empty
        while counts[name] == 0:
            largest = max(names, key=lambda other: (counts[other], -names.index(other)))
            counts[largest] -= 1
            counts[name] += 1
    return counts


def _check_fractions(fractions: Mapping[str, float]) -> list[str]:
    names = [name for name in SPLITS if name in fractions]
    unknown = sorted(set(fractions) - set(SPLITS))
    if unknown or len(names) != len(SPLITS):
        raise BenchError(
            f"split fractions must name exactly {', '.join(SPLITS)}; got {', '.join(sorted(fractions))}"
        )
    bad = [name for name in names if not (fractions[name] > 0 and math.isfinite(fractions[name]))]
    if bad:
        raise BenchError(
            f"split fraction for {bad[0]!r} must be a positive number, got {fractions[bad[0]]!r}"
        )
    total = sum(fractions.values())
    if abs(total - 1.0) > 1e-6:
        raise BenchError(f"split fractions must sum to 1, got {total:g}")
    return names


def assign_splits(
    source_docs: Iterable[str], seed: int = 0, fractions: Mapping[str, float] = SPLIT_FRACTIONS
) -> dict[str, str]:
    """Map each source document to a split: sort by ``sha256(f"{seed}:{doc}")`` and cut in order."""
    def key(doc: str) -> tuple[str, str]:
        return hashlib.sha256(f"{seed}:{doc}".encode()).hexdigest(), doc

    docs = sorted(set(source_docs), key=key)
    counts = split_counts(len(docs), fractions)
    out: dict[str, str] = {}
    start = 0
    for name in SPLITS:
        for doc in docs[start : start + counts[name]]:
            out[doc] = name
        start += counts[name]
    return out


# --------------------------------------------------------------------------- public loader


def load_originals_with_stats(
    seed: int = 0, fractions: Mapping[str, float] = SPLIT_FRACTIONS
) -> tuple[list[Original], CorpusStats]:
    """Load, deduplicate and split all originals (sorted by id), with counts of what was dropped.

    Read once per process and configuration (a few seconds of decompressing and deduplicating):
    the installed corpora do not change while it runs, and the records are frozen.
    """
    _check_fractions(fractions)
    originals, stats = _load_once(seed, tuple(sorted(fractions.items())))
    return list(originals), stats


@functools.lru_cache(maxsize=4)
def _load_once(seed: int, fractions: tuple[tuple[str, float], ...]) -> tuple[tuple[Original, ...], CorpusStats]:
    originals, stats = read_originals(seed, dict(fractions))
    return tuple(originals), stats


def read_originals(seed: int = 0, fractions: Mapping[str, float] = SPLIT_FRACTIONS) -> tuple[list[Original], CorpusStats]:
    """:func:`load_originals_with_stats` without the per-process memo: read the corpora now."""
    _check_fractions(fractions)
    news, n_short_news = _news_rows()
    wiki, n_short_passages, n_articles = _wiki_rows()
    rows = sorted(news + wiki, key=lambda row: row[0])
    result = dedupe([(row[0], row[3]) for row in rows])
    kept = set(result.kept)
    rows = [row for row in rows if row[0] in kept]
    split_of: dict[str, str] = {}
    for domain in sorted({row[1] for row in rows}):
        split_of.update(assign_splits((row[2] for row in rows if row[1] == domain), seed, fractions))
    originals = [
        Original(id=row_id, domain=domain, source_doc=doc, split=split_of[doc], text=text)
        for row_id, domain, doc, text in rows
    ]
    domains = _DOMAINS
    by_split_domain = tuple(
        (split, domain, sum(1 for o in originals if o.split == split and o.domain == domain))
        for split in SPLITS
        for domain in domains
    )
    stats = CorpusStats(
        n_news=sum(1 for o in originals if o.domain == "news"),
        n_encyclopedia=sum(1 for o in originals if o.domain == "encyclopedia"),
        n_articles=n_articles,
        n_dropped_short=n_short_news,
        n_dropped_short_passages=n_short_passages,
        n_dropped_duplicate=len(result.dropped),
        n_dropped_exact=result.n_exact,
        n_dropped_near=result.n_near,
        n_train=sum(1 for o in originals if o.split == "train"),
        n_dev=sum(1 for o in originals if o.split == "dev"),
        n_test=sum(1 for o in originals if o.split == "test"),
        by_split_domain=by_split_domain,
    )
    return originals, stats


def load_originals(seed: int = 0, fractions: Mapping[str, float] = SPLIT_FRACTIONS) -> list[Original]:
    """All originals, deduplicated, with splits assigned, sorted by id."""
    return load_originals_with_stats(seed, fractions)[0]


def first_of_each_domain(originals: Sequence[Original], n: int) -> list[Original]:
    """``n`` originals, half news and half encyclopedia, the first of each in id order (a stable sample)."""
    return ([o for o in originals if o.domain == "news"][: n // 2]
            + [o for o in originals if o.domain == "encyclopedia"][: n - n // 2])
