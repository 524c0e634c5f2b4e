"""``bench show``: a rewrite of the build with its edits (stored, or made again), marked for a reader."""
from __future__ import annotations

import pytest

from rewrite_bench.cli import main
from rewrite_bench.rewriters.provenance import apply_replacements
from rewrite_bench.show import LEGEND, edit_summary, explain_rewrite, render_edits
from rewrite_bench.types import BenchError
from tests.conftest import SMALL

SOURCE = "Thirty members of the party voted. The plan failed."


class _WithoutStoredEdits:
    """A build whose rewrites came from data shipped before edits were stored."""

    def __init__(self, data):
        self._data = data

    def __getattr__(self, name):
        return getattr(self._data, name)

    def rewrites(self):
        return self._data.rewrites().remove_columns("edits")


def test_render_marks_each_kind_and_meaning_changes():
    rewrite, spans = apply_replacements(SOURCE, [(0, 6, "Threety", "substituted", "changes"),
                                                 (7, 14, "senators", "substituted", "keeps"),
                                                 (35, 44, "", "deleted", "keeps"),
                                                 (51, 51, " Advertisement", "inserted", "keeps")])
    assert rewrite == "Threety senators of the party voted. failed. Advertisement"
    text = render_edits(SOURCE, rewrite, spans)
    assert text == ("![Threety <- Thirty] [senators <- members] of the party voted. [-The plan -]failed."
                    "[+ Advertisement+]")
    coloured = render_edits(SOURCE, rewrite, spans, colour=True)
    assert "\033[" in coloured and "[" not in coloured.replace("\033[", "")
    assert edit_summary(rewrite, spans).endswith("1 deletion(s); 1 edit(s) that change the meaning")
    assert "!" in LEGEND


def test_a_rewrite_is_shown_with_the_edits_the_build_stored(small_data):
    from rewrite_bench.rewriters.provenance import decode_spans, problems

    rewrites = small_data.rewrites()
    row = next(r for r in rewrites if r["rewriter"] == "wordnet-spin+web-noise")
    explained = explain_rewrite(small_data, row["id"])
    assert explained.remade == explained.stored == row["text"]
    assert explained.spans == decode_spans(row["edits"])
    assert problems(explained.source, explained.remade, explained.spans) == []
    assert any(s.kind == "substituted" for s in explained.spans)


def test_partial_copies_get_the_donor_the_build_gave_them(small_data):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "partial")
    explained = explain_rewrite(_WithoutStoredEdits(small_data), row["id"])  # made again: needs the donor
    assert explained.remade == row["text"]
    assert any(s.kind == "inserted" for s in explained.spans)


def test_an_unknown_id_is_named_with_examples_of_real_ids(small_data):
    some = small_data.rewrites()["id"][0]
    original = some.split("~")[0]
    with pytest.raises(BenchError, match=rf"no rewrite '{original}~nope~heavy'.*e\.g\. {original}~"):
        explain_rewrite(small_data, f"{original}~nope~heavy")


def test_bench_show_prints_source_rewrite_and_legend(small_data, small_cache, capsys):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "wordnet-spin")
    code = main(["show", row["id"], "--cache-dir", str(small_cache), "--max-originals", str(SMALL),
                 "--color", "never"])
    out = capsys.readouterr().out
    assert code == 0
    assert row["id"] in out and LEGEND in out and " <- " in out
    assert "characters of the rewrite: copied" in out
    assert main(["show", "nothing~here~light", "--cache-dir", str(small_cache),
                 "--max-originals", str(SMALL)]) == 2
    assert "no rewrite 'nothing~here~light'" in capsys.readouterr().err


def test_a_rewrite_made_again_gets_the_edits_the_build_stored(small_data):
    # Making a rewrite again from its seed gives the same text and the same edits as the build.
    for rewriter in ("restructure", "partial"):  # partial also needs the donor the build gave it
        row = next(r for r in small_data.rewrites() if r["rewriter"] == rewriter)
        remade = explain_rewrite(_WithoutStoredEdits(small_data), row["id"])
        assert remade.remade == row["text"] and remade.seed == row["seed"]
        assert remade.spans == explain_rewrite(small_data, row["id"]).spans


def test_rewrites_without_stored_edits_are_made_again_with_the_same_edits(small_data):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "paraphrase+web-noise")
    stored = explain_rewrite(small_data, row["id"])
    remade = explain_rewrite(_WithoutStoredEdits(small_data), row["id"])
    assert remade.remade == stored.stored == row["text"]
    assert remade.spans == stored.spans
