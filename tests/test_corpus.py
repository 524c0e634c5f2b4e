"""Tests for rewrite_bench.corpus: the real originals (the load is fast) and its pure helpers."""
from __future__ import annotations

import importlib.util
import re
from collections import Counter

import pytest

from rewrite_bench import corpus
from rewrite_bench.corpus import (
    MAX_PASSAGE_WORDS,
    MIN_PASSAGE_WORDS,
    MIN_WORDS_NEWS,
    SPLIT_FRACTIONS,
    assign_splits,
    clean_wiki_article,
    cut_passages,
    dedupe,
    load_originals_with_stats,
    read_originals,
    split_counts,
)
from rewrite_bench.text import normalize_for_dedup, split_paragraphs, words
from rewrite_bench.types import SPLITS, BenchError, Original

ID_PATTERN = re.compile(r"^(?:news-bg-\d{4}|news-lee-\d{4}|wiki-\d{6}-\d{2})$")
RESIDUE = ("[[", "]]", "{{", "}}", "|}", "{|", "<ref", "</", "==", "'''", "thumb|", "Category:", "http")


@pytest.fixture(scope="module")
def loaded() -> tuple[list[Original], corpus.CorpusStats]:
    return load_originals_with_stats()


@pytest.fixture(scope="module")
def originals(loaded) -> list[Original]:
    return loaded[0]


# --------------------------------------------------------------------------- the real corpus


def test_ids_unique_sorted_and_well_formed(originals):
    ids = [o.id for o in originals]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    assert not bad, bad[:5]


def test_source_docs_follow_ids(originals):
    for o in originals:
        if o.domain == "news":
            assert o.source_doc == o.id
        else:
            assert o.domain == "encyclopedia"
            assert o.id.startswith(o.source_doc + "-") and o.source_doc.startswith("wiki-")


def test_both_domains_present_with_real_sizes(loaded):
    originals, stats = loaded
    by_domain = Counter(o.domain for o in originals)
    assert set(by_domain) == {"news", "encyclopedia"}
    assert by_domain["news"] == stats.n_news >= 300
    assert by_domain["encyclopedia"] == stats.n_encyclopedia >= 300
    assert stats.n_articles >= 50
    assert stats.n_train + stats.n_dev + stats.n_test == len(originals)
    assert stats.count() == len(originals)
    assert stats.count("dev", "news") == sum(1 for o in originals if o.split == "dev" and o.domain == "news")


def test_lengths_in_bounds(originals):
    for o in originals:
        n = len(words(o.text))
        if o.domain == "encyclopedia":
            assert MIN_PASSAGE_WORDS <= n <= MAX_PASSAGE_WORDS, (o.id, n)
        else:
            assert n >= MIN_WORDS_NEWS, (o.id, n)


def test_no_markup_residue_and_clean_whitespace(originals):
    for o in originals:
        for mark in RESIDUE:
            assert mark not in o.text, (o.id, mark)
        assert o.text == o.text.strip()
        assert "  " not in o.text, o.id
        assert "\n\n\n" not in o.text and "\t" not in o.text
        # Paragraphs are separated by exactly one blank line; no stray single newlines.
        assert "\n" not in o.text.replace("\n\n", ""), o.id
        if o.domain == "news":
            assert "\n" not in o.text


def test_wiki_paragraphs_read_like_prose(originals):
    paragraphs = [p for o in originals if o.domain == "encyclopedia" for p in split_paragraphs(o.text)]
    assert paragraphs
    for p in paragraphs:
        assert re.search(r"[.!?][\"'”’)]*$", p), p[-80:]
        assert not re.match(r"(?i)(see also|references|external links)\b", p), p[:80]


def test_no_source_doc_in_two_splits(originals):
    split_of: dict[str, set[str]] = {}
    for o in originals:
        split_of.setdefault(o.source_doc, set()).add(o.split)
    assert all(len(splits) == 1 for splits in split_of.values())


def test_splits_non_empty_and_near_requested_fractions(originals):
    for domain in ("news", "encyclopedia"):
        mine = [o for o in originals if o.domain == domain]
        docs_by_split = {s: {o.source_doc for o in mine if o.split == s} for s in SPLITS}
        n_docs = sum(len(d) for d in docs_by_split.values())
        for split in SPLITS:
            assert docs_by_split[split], (domain, split)
            # Source documents are cut exactly (up to rounding).
            assert abs(len(docs_by_split[split]) - SPLIT_FRACTIONS[split] * n_docs) <= 1
            # Passages follow roughly (articles differ in length).
            share = sum(1 for o in mine if o.split == split) / len(mine)
            assert abs(share - SPLIT_FRACTIONS[split]) < 0.12, (domain, split, share)


def test_no_exact_duplicates(originals):
    keys = Counter(normalize_for_dedup(o.text) for o in originals)
    assert keys.most_common(1)[0][1] == 1


def test_dedupe_dropped_something_and_reports_it(loaded):
    _, stats = loaded
    assert stats.n_dropped_duplicate == stats.n_dropped_exact + stats.n_dropped_near
    assert stats.n_dropped_exact >= 1  # the Lee background corpus repeats a few articles
    assert stats.n_dropped_short >= 1


def test_load_is_deterministic_and_silent(loaded, capfd):
    again = read_originals()  # read the corpora again, past the per-process memo
    assert again == loaded
    assert load_originals_with_stats() == loaded
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_seed_moves_source_docs_between_splits_but_not_ids(originals):
    docs = sorted({o.source_doc for o in originals if o.domain == "encyclopedia"})
    seed0, seed1 = assign_splits(docs, seed=0), assign_splits(docs, seed=1)
    assert seed0 == {o.source_doc: o.split for o in originals if o.domain == "encyclopedia"}
    assert seed0 != seed1
    assert Counter(seed0.values()) == Counter(seed1.values())


def test_source_files_are_the_three_shipped_files():
    paths = corpus.source_files()
    assert [p.name for p in paths] == [*corpus.NEWS_FILES, corpus.WIKI_FILE]
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)


def test_missing_gensim_is_a_bench_error_with_a_hint(monkeypatch):
    real = importlib.util.find_spec
    def fake(name, *args):
        return None if name == "gensim" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", fake)
    with pytest.raises(BenchError, match="pip install"):
        corpus.data_dir()


# --------------------------------------------------------------------------- dedupe (pure)

BASE = (
    "The river rose quickly after three days of heavy rain, and the town council opened the "
    "old stone bridge to pedestrians only while engineers checked the pillars for damage. "
    "Shopkeepers on the east bank moved their stock upstairs and volunteers filled sandbags "
    "outside the school, which stayed closed until the water went down on Friday evening."
)


def test_dedupe_drops_exact_and_near_keeping_the_first():
    near = BASE.replace("Friday evening", "Saturday morning")
    items = [
        ("a", BASE),
        ("b", "A completely different text about cooking pasta with garlic, olive oil and a little chilli."),
        ("c", BASE.upper().replace(",", " ,")),  # same words: exact duplicate after normalising
        ("d", near),  # one phrase changed: near duplicate
        ("e", "Short text."),
        ("f", "short TEXT"),  # too short for shingles, still caught as an exact copy
    ]
    result = dedupe(items)
    assert result.kept == ("a", "b", "e")
    assert result.dropped == (("c", "a", "exact"), ("d", "a", "near"), ("f", "e", "exact"))
    assert (result.n_exact, result.n_near) == (2, 1)


def test_dedupe_keeps_texts_below_the_threshold():
    tokens = BASE.split()
    half = " ".join(tokens[: len(tokens) // 2] + ["zebra"] * 5 + [f"w{i}" for i in range(len(tokens) // 2)])
    result = dedupe([("x", BASE), ("y", half)])
    assert result.kept == ("x", "y") and result.dropped == ()


def test_dedupe_is_stable_and_rejects_repeated_ids():
    items = [(f"id{i}", f"{BASE} Extra sentence number {i} about something else entirely.") for i in range(6)]
    first = dedupe(items)
    assert first == dedupe(items)
    assert first.kept == ("id0",) and all(kept == "id0" for _, kept, _ in first.dropped)
    with pytest.raises(ValueError, match="id0"):
        dedupe([("id0", "one"), ("id0", "two")])


# --------------------------------------------------------------------------- passages (pure)


def _para(n: int, tag: str) -> str:
    """A paragraph of ``n`` words in sentences of 10 words."""
    sentences = [" ".join([f"{tag}{i}"] + ["word"] * 8 + ["end."]) for i in range(n // 10)]
    return " ".join(s[0].upper() + s[1:] for s in sentences)


def test_cut_passages_keeps_a_section_within_bounds_whole():
    paragraphs = [_para(100, "a"), _para(200, "b")]
    passages, dropped = cut_passages(paragraphs, 150, 800)
    assert passages == ["\n\n".join(paragraphs)] and dropped == 0


def test_cut_passages_drops_a_short_section():
    assert cut_passages([_para(60, "a"), _para(40, "b")], 150, 800) == ([], 1)


def test_cut_passages_packs_long_sections_by_whole_paragraphs():
    paragraphs = [_para(300, t) for t in "abcde"]  # 1500 words
    passages, dropped = cut_passages(paragraphs, 150, 800)
    assert [len(words(p)) for p in passages] == [600, 600, 300] and dropped == 0
    assert [split_paragraphs(p) for p in passages] == [paragraphs[:2], paragraphs[2:4], paragraphs[4:]]


def test_cut_passages_splits_an_overlong_paragraph_at_sentence_ends():
    big = _para(1000, "s")
    passages, dropped = cut_passages([big], 150, 800)
    assert [len(words(p)) for p in passages] == [800, 200] and dropped == 0
    assert all(p.endswith("end.") for p in passages)
    assert " ".join(passages) == big


def test_cut_passages_counts_a_short_tail():
    passages, dropped = cut_passages([_para(500, "a"), _para(400, "b"), _para(50, "c")], 150, 800)
    assert [len(words(p)) for p in passages] == [500, 450] and dropped == 0
    passages, dropped = cut_passages([_para(700, "a"), _para(120, "b")], 150, 800)
    assert [len(words(p)) for p in passages] == [700] and dropped == 1


# --------------------------------------------------------------------------- wiki cleaning (pure)

WIKITEXT = """{{Infobox person
| name = Jane Roe
| birth_date = {{birth date|1900|1|1}}
}}
'''Jane Roe''' ({{IPAc-en|dʒ|eɪ|n}}; born 1900) was an [[United States|American]] engineer who built the first [[bridge]] over the river.<ref>{{cite web|url=http://example.com|title=Roe}}</ref> She lived near the river for most of her life and wrote several books about it.
[[File:Roe.jpg|thumb|Jane Roe in [[1950]]]]

== Career ==
Roe worked for the city from 1920, where the river was {{convert|300|m|ft}} wide and often flooded in spring.{{citation needed|date=May 2015}} Her design used ''stone'' arches and cost less than &nbsp;the older plans.
* A list item that is not prose.
{| class="wikitable"
|-
| a table cell || with text
|}

=== Later life ===
She retired in 1960 and spent her last years writing about bridges and rivers in her town.

== See also ==
* [[Bridges]]

== References ==
{{reflist}}
[[Category:Engineers]]
"""


def test_clean_wiki_article_keeps_prose_and_drops_markup():
    sections = clean_wiki_article(WIKITEXT)
    assert [heading for heading, _ in sections] == ["", "Career"]
    lead, career = sections[0][1], sections[1][1]
    assert lead == [
        "Jane Roe was an American engineer who built the first bridge over the river. "
        "She lived near the river for most of her life and wrote several books about it."
    ]
    assert career == [
        "Roe worked for the city from 1920, where the river was 300 m wide and often flooded in "
        "spring. Her design used stone arches and cost less than the older plans.",
        "She retired in 1960 and spent her last years writing about bridges and rivers in her town.",
    ]


def test_clean_wiki_article_drops_paragraphs_with_formulas():
    raw = "The value of <math>x^2</math> grows quickly when the input is large and positive here.\n"
    assert clean_wiki_article(raw) == []


# --------------------------------------------------------------------------- splits (pure)


def test_split_counts_round_and_keep_every_split():
    assert split_counts(3) == {"train": 1, "dev": 1, "test": 1}
    assert split_counts(10) == {"train": 5, "dev": 1, "test": 4}
    assert split_counts(100) == {"train": 45, "dev": 15, "test": 40}
    for n in range(3, 60):
        counts = split_counts(n)
        assert sum(counts.values()) == n and min(counts.values()) >= 1


@pytest.mark.parametrize(
    "fractions",
    [
        {"train": 0.5, "test": 0.5},
        {"train": 0.5, "dev": 0.3, "test": 0.3},
        {"train": 1.0, "dev": 0.0, "test": 0.0},
        {"train": 0.5, "dev": 0.2, "test": 0.2, "val": 0.1},
    ],
)
def test_bad_fractions_are_bench_errors(fractions):
    with pytest.raises(BenchError, match="split fraction"):
        split_counts(10, fractions)


def test_too_few_source_docs_is_a_bench_error():
    with pytest.raises(BenchError, match="2 source documents"):
        assign_splits(["a", "b"])


def test_assign_splits_is_seeded_and_ignores_input_order():
    docs = [f"doc-{i}" for i in range(40)]
    forward = assign_splits(docs, seed=7)
    assert forward == assign_splits(list(reversed(docs)), seed=7)
    assert set(forward) == set(docs)
    assert Counter(forward.values()) == Counter(split_counts(40))
    assert forward != assign_splits(docs, seed=8)
