"""Edit provenance: the span helpers, composition, and every rewriter that reports its edits."""
from __future__ import annotations

import random

import pytest

from rewrite_bench.rewriters.provenance import (Builder, Span, apply_replacements, compose, copied_whole,
                                                problems)
from rewrite_bench.types import BenchError

SOURCE = "Thirty members voted. The plan failed in 2021."


def test_replacements_copy_the_text_between_edits_and_keep_their_kinds():
    text, spans = apply_replacements(SOURCE, [(0, 6, "Threety", "substituted", "changes"),
                                              (22, 22, "Advertisement. ", "inserted", "keeps"),
                                              (26, 31, "", "deleted", "keeps")])
    assert text == "Threety members voted. Advertisement. The failed in 2021."
    assert problems(SOURCE, text, spans) == []
    assert [(s.kind, s.meaning) for s in spans] == [("substituted", "changes"), ("copied", "keeps"),
                                                    ("inserted", "keeps"), ("copied", "keeps"),
                                                    ("deleted", "keeps"), ("copied", "keeps")]
    inserted = spans[2]
    assert (inserted.source_start, inserted.source_end) == (22, 22)
    deleted = spans[4]
    assert deleted.start == deleted.end and SOURCE[deleted.source_start:deleted.source_end] == "plan "


def test_problems_finds_gaps_overlaps_and_copies_that_are_not_copies():
    good = copied_whole(SOURCE)
    assert problems(SOURCE, SOURCE, good) == []
    assert problems(SOURCE, SOURCE + "!", good) == [f"the spans end at {len(SOURCE)}, the rewrite at {len(SOURCE) + 1}"]
    gap = (Span(0, 6, 0, 6, "copied"), Span(7, len(SOURCE), 7, len(SOURCE), "copied"))
    assert any("gap or overlap" in p for p in problems(SOURCE, SOURCE, gap))
    wrong = (Span(0, 6, 1, 7, "copied"), Span(6, len(SOURCE), 6, len(SOURCE), "copied"))
    assert any("is not its source" in p for p in problems(SOURCE, SOURCE, wrong))
    assert any("past the end" in p for p in problems(SOURCE, "short", good))


def test_spans_refuse_impossible_shapes():
    with pytest.raises(BenchError, match="kind must be one of"):
        Span(0, 1, 0, 1, "paraphrased")
    with pytest.raises(BenchError, match="as many characters"):
        Span(0, 2, 0, 3, "copied")
    with pytest.raises(BenchError, match="empty source span"):
        Span(0, 2, 0, 3, "inserted")
    with pytest.raises(BenchError, match="empty in the rewrite"):
        Span(0, 2, 0, 3, "deleted")


def test_the_builder_merges_contiguous_copies_and_marks_moves():
    builder = Builder(SOURCE)
    builder.take(22, len(SOURCE), moved=True)
    builder.add(" ", 21, 22, "substituted")  # the same character: copied, not substituted
    builder.take(0, 10)
    builder.take(10, 21)
    builder.insert(" Read more.", len(SOURCE))
    text, spans = builder.result()
    assert text == "The plan failed in 2021. Thirty members voted. Read more."
    assert problems(SOURCE, text, spans) == []
    assert [s.kind for s in spans] == ["moved", "copied", "copied", "inserted"]
    assert [(s.source_start, s.source_end) for s in spans] == [(22, len(SOURCE)), (21, 22), (0, 21),
                                                               (len(SOURCE), len(SOURCE))]


def test_composition_points_a_rewrite_of_a_rewrite_into_the_original():
    middle, first = apply_replacements(SOURCE, [(0, 6, "Thirty-one", "substituted", "changes"),
                                                (31, 37, "collapsed", "substituted", "keeps")])
    assert middle == "Thirty-one members voted. The plan collapsed in 2021."
    # The second step moves the second sentence to the front and deletes "members ".
    builder = Builder(middle)
    builder.take(26, len(middle), moved=True)
    builder.add(" ", 25, 26, "copied")
    builder.take(0, 11)
    builder.add("", 11, 19, "deleted", "changes")
    builder.take(19, 25)
    final, second = builder.result()
    assert final == "The plan collapsed in 2021. Thirty-one voted."
    spans = compose(first, second)
    assert problems(SOURCE, final, spans) == []
    by_text = {final[s.start:s.end]: s for s in spans if s.start < s.end}
    assert by_text["collapsed"].kind == "substituted" and SOURCE[by_text["collapsed"].source_start:
                                                                 by_text["collapsed"].source_end] == "failed"
    assert by_text["Thirty-one"].meaning == "changes"
    assert by_text["The plan "].kind == "moved" and by_text[" in 2021."].kind == "moved"
    dropped = [s for s in spans if s.kind == "deleted"]
    assert len(dropped) == 1 and SOURCE[dropped[0].source_start:dropped[0].source_end] == "members "
    assert dropped[0].meaning == "changes"


def test_composing_with_an_unchanged_step_changes_nothing():
    text, spans = apply_replacements(SOURCE, [(7, 14, "senators", "substituted", "keeps")])
    assert compose(spans, copied_whole(text)) == spans
    assert compose(copied_whole(SOURCE), spans) == spans


def test_an_edit_over_an_earlier_edit_points_at_both_sources_and_keeps_a_meaning_change():
    middle, first = apply_replacements(SOURCE, [(0, 6, "Thirty", "substituted", "changes")])
    final, second = apply_replacements(middle, [(0, 14, "Some members", "substituted", "keeps")])
    spans = compose(first, second)
    assert problems(SOURCE, final, spans) == []
    assert (spans[0].source_start, spans[0].source_end, spans[0].meaning) == (0, 14, "changes")


@pytest.mark.parametrize("seed", range(5))
def test_random_replacements_compose_to_valid_provenance(seed):
    rng = random.Random(seed)
    texts, provenance = [SOURCE], copied_whole(SOURCE)
    for _ in range(3):
        text = texts[-1]
        cuts = sorted(rng.sample(range(len(text) + 1), 6))
        edits = [(a, b, rng.choice(["", "X", "yy", text[a:b]]), "substituted", rng.choice(["keeps", "changes"]))
                 for a, b in zip(cuts[::2], cuts[1::2])]
        new, step = apply_replacements(text, edits)
        assert problems(text, new, step) == []
        provenance = compose(provenance, step)
        texts.append(new)
        assert problems(SOURCE, new, provenance) == []


# --------------------------------------------------------------------------- every rewriter

#: Rewriters that cannot know their edits: a language model returns a new text, not a list of edits.
WITHOUT_PROVENANCE = {"llm"}


def _news(n: int) -> list[str]:
    from rewrite_bench.corpus import load_news

    return [text for *_, text in load_news()][:n]


def _every_rewriter_spec() -> list[str]:
    from rewrite_bench.build import DEFAULT_PLAN
    from rewrite_bench.registry import REWRITERS

    return list(REWRITERS) + [entry.spec for entry in DEFAULT_PLAN if "+" in entry.spec]


def test_only_the_llm_rewriter_does_not_report_its_edits():
    from rewrite_bench.registry import REWRITERS, load_target
    from rewrite_bench.rewriters.provenance import has_provenance

    lacking = {name for name, entry in REWRITERS.items() if not has_provenance(load_target(entry.target))}
    assert lacking == WITHOUT_PROVENANCE


@pytest.mark.parametrize("spec", _every_rewriter_spec())
def test_every_rewriter_reports_edits_that_rebuild_its_copies_from_the_source(spec):
    """The done-when of issue 16: every copied or moved span equals the source text at its source
    offsets, the spans cover the rewrite, and the rewrite is the one ``rewrite`` gives."""
    from rewrite_bench.registry import REWRITERS, load_target
    from rewrite_bench.rewriters.provenance import has_provenance, rewrite_with_provenance
    from rewrite_bench.rewriting import make_rewriter
    from rewrite_bench.types import RewriteError

    if spec in WITHOUT_PROVENANCE:
        pytest.skip("reports no edits (see WITHOUT_PROVENANCE)")
    for part in spec.split("+"):
        available = getattr(load_target(REWRITERS[part].target), "available", None)
        if callable(available) and not available()[0]:
            pytest.skip(available()[1])
    rewriter = make_rewriter(spec)
    assert has_provenance(rewriter)
    slow = getattr(rewriter, "slow", False)
    texts = _news(2 if slow else 6)
    donor = _news(60)[-1]
    kinds: set[str] = set()
    for n, text in enumerate(texts):
        for strength, params in rewriter.strengths.items():
            extra = {"donor": donor} if getattr(rewriter, "needs_donor", False) else {}
            try:
                plain = rewriter.rewrite(text, params, random.Random(n), **extra)
            except RewriteError:
                continue
            rewrite, spans = rewrite_with_provenance(rewriter, text, params, random.Random(n), **extra)
            assert rewrite == plain, (spec, strength, n)
            assert problems(text, rewrite, spans) == [], (spec, strength, n)
            kinds |= {span.kind for span in spans}
    assert kinds - {"copied"}, f"{spec}: no edit recorded at any strength"


def test_meaning_changes_are_marked_where_the_rewriter_makes_them():
    from rewrite_bench.rewriting import make_rewriter
    from rewrite_bench.rewriters.provenance import rewrite_with_provenance

    text = _news(1)[0]
    for spec in ("distort", "wordnet-spin+distort", "distort+restructure"):
        rewriter = make_rewriter(spec)
        rewrite, spans = rewrite_with_provenance(rewriter, text, rewriter.strengths["heavy"], random.Random(0))
        changed = [s for s in spans if s.meaning == "changes"]
        assert changed, spec
        # Every meaning change is where the text differs from its source.
        assert all(rewrite[s.start:s.end] != text[s.source_start:s.source_end] for s in changed), spec
    for spec in ("wordnet-spin", "restructure", "evasion"):
        rewriter = make_rewriter(spec)
        _, spans = rewrite_with_provenance(rewriter, text, rewriter.strengths["heavy"], random.Random(0))
        assert all(s.meaning == "keeps" for s in spans), spec


def test_web_noise_marks_a_misspelt_number_word_as_a_meaning_change_and_other_typos_not():
    from rewrite_bench.rewriters.web_noise import WebNoise

    text = "The council said thirty members voted against the budget plan."
    params = {key: 0.0 for key in WebNoise._PARAMS} | {"typo_rate": 1.0}
    rewrite, spans = WebNoise().rewrite_with_provenance(text, params, random.Random(0))
    typos = {text[s.source_start:s.source_end]: s.meaning for s in spans if s.kind == "substituted"}
    assert typos["thirty"] == "changes"
    assert {word for word, meaning in typos.items() if meaning == "keeps"} >= {"council", "members", "budget"}


def test_spans_are_stored_as_compact_json_and_read_back():
    from rewrite_bench.rewriters.provenance import decode_spans, encode_spans

    text, spans = apply_replacements(SOURCE, [(0, 6, "Threety", "substituted", "changes"),
                                              (22, 22, "Ad. ", "inserted", "keeps"), (26, 31, "", "deleted", "keeps")])
    stored = encode_spans(spans)
    assert decode_spans(stored) == spans and " " not in stored
    with pytest.raises(BenchError, match="stored edits are not a list"):
        decode_spans('[[0, 1, 0, 1, "copied", 0]]')
