"""``bench show``: a stored rewrite made again with its edits, marked for a reader."""
from __future__ import annotations

import pytest

from rewrite_bench.cli import main
from rewrite_bench.rewriters.provenance import apply_replacements
from rewrite_bench.show import LEGEND, edit_summary, explain_rewrite, render_edits
from rewrite_bench.types import BenchError
from tests.conftest import SMALL

SOURCE = "Thirty members of the party voted. The plan failed."


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


def test_a_stored_rewrite_is_made_again_with_edits_that_rebuild_it(small_data):
    rewrites = small_data.rewrites()
    row = next(r for r in rewrites if r["rewriter"] == "wordnet-spin+web-noise")
    explained = explain_rewrite(small_data, row["id"])
    assert explained.remade == explained.stored == row["text"]
    rebuilt = "".join(explained.remade[s.start:s.end] for s in explained.spans)
    assert rebuilt == explained.remade
    assert any(s.kind == "substituted" for s in explained.spans)


def test_partial_copies_get_the_donor_the_build_gave_them(small_data):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "partial")
    explained = explain_rewrite(small_data, row["id"])
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


def test_the_same_seed_gives_the_same_marks(small_data):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "restructure")
    first, second = explain_rewrite(small_data, row["id"]), explain_rewrite(small_data, row["id"])
    assert first == second and first.seed == row["seed"]


class _WithoutStoredEdits:
    """A build whose rewrites came from data shipped before edits were stored."""

    def __init__(self, data):
        self._data = data

    def __getattr__(self, name):
        return getattr(self._data, name)

    def rewrites(self):
        return self._data.rewrites().remove_columns("edits")


def test_rewrites_without_stored_edits_are_made_again_with_the_same_edits(small_data):
    row = next(r for r in small_data.rewrites() if r["rewriter"] == "paraphrase+web-noise")
    stored = explain_rewrite(small_data, row["id"])
    remade = explain_rewrite(_WithoutStoredEdits(small_data), row["id"])
    assert remade.remade == stored.stored == row["text"]
    assert remade.spans == stored.spans
