"""The build's rewriting loop: plans, unseen rewriters, donors, failures, parallelism."""
from __future__ import annotations

import sys
import textwrap

import pytest

from rewrite_bench.rewriting import PlanEntry, make_rewriter, make_rewrites, resolve_plan
from rewrite_bench.types import BenchError, Original

PARAGRAPH = ("The council met on Tuesday to discuss the budget. Members argued about school funding "
             "for hours. The mayor said a decision would come next week. Residents watched from the gallery.")

USER_REWRITERS = '''
import random
from rewrite_bench.types import RewriteError

class Upper:
    name, version = "upper", "1.0"
    strengths = {"light": {"n": 1}, "medium": {"n": 2}, "heavy": {"n": 3}}
    def rewrite(self, text, params, rng):
        words = text.split()
        for i in rng.sample(range(len(words)), min(params["n"], len(words))):
            words[i] = words[i].upper() + "x"
        return " ".join(words)

class Picky:
    name, version = "picky", "1.0"
    strengths = {"light": {}}
    def rewrite(self, text, params, rng):
        if "council" in text:
            raise RewriteError("no council texts")
        if "river" in text:
            return "   "
        return text

class Broken:
    name, version = "broken", "1.0"
    strengths = {"light": {}}
    def rewrite(self, text, params, rng):
        raise KeyError("bug")

class NotARewriter:
    pass
'''


def _originals() -> list[Original]:
    texts = [PARAGRAPH, PARAGRAPH.replace("council", "board"), "The river rose fast. " * 4, PARAGRAPH.upper()]
    return [Original(id=f"o{i}", domain=("news", "news", "encyclopedia", "news")[i], source_doc=f"d{i}",
                     split=("train", "test", "test", "test")[i], text=text) for i, text in enumerate(texts)]


@pytest.fixture()
def user_rewriters(tmp_path, monkeypatch):
    (tmp_path / "my_rewriters.py").write_text(textwrap.dedent(USER_REWRITERS))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_rewriters"
    sys.modules.pop("my_rewriters", None)


def test_unseen_rewriters_get_test_originals_only(user_rewriters):
    plan = [PlanEntry(f"{user_rewriters}:Upper", True), PlanEntry("restructure", False)]
    (_, _, seen), (_, _, unseen) = resolve_plan(plan, _originals(), 0, None)
    assert [o.id for o in seen] == ["o0", "o1", "o2", "o3"]
    assert {o.split for o in unseen} == {"test"}


def test_small_builds_cap_slow_rewriters_and_their_chains_but_the_full_build_does_not():
    plan = [PlanEntry("paraphrase", True), PlanEntry("paraphrase+web-noise", False), PlanEntry("restructure", True)]
    full = resolve_plan(plan, _originals(), 0, None)
    assert [len(chosen) for _, _, chosen in full] == [4, 3, 4]
    small = resolve_plan(plan, _originals(), 0, None, slow_cap=2)
    assert [len(chosen) for _, _, chosen in small] == [2, 2, 4]  # restructure is fast: never capped


def test_rewrites_record_provenance_and_do_not_depend_on_workers(user_rewriters):
    plan = [PlanEntry(f"{user_rewriters}:Upper", True), PlanEntry(f"{user_rewriters}:Upper+{user_rewriters}:Upper", False)]
    one, fail_one = make_rewrites(_originals(), plan, seed=3, workers=1)
    two, fail_two = make_rewrites(_originals(), plan, seed=3, workers=2)
    assert one == two and fail_one == fail_two == []
    first = one[0]
    assert first.rewriter == "upper" and first.params.startswith("{\"n\":") and first.seen_in_training
    chained = [r for r in one if r.rewriter == "upper+upper"]
    assert chained and all(not r.seen_in_training and r.source_id != "o0" for r in chained)
    assert make_rewrites(_originals(), plan, seed=4, workers=1)[0] != one


def test_failures_are_reported_with_ids(user_rewriters):
    rewrites, failures = make_rewrites(_originals(), [PlanEntry(f"{user_rewriters}:Picky", True)], seed=0, workers=1)
    reasons = {(f.original_id, f.reason) for f in failures}
    assert ("o0", "no council texts") in reasons
    assert ("o2", "empty output") in reasons
    assert ("o1", "output equals its source") in reasons
    assert rewrites == []


def test_a_rewriter_bug_stops_the_build_naming_it(user_rewriters):
    with pytest.raises(BenchError, match=r"rewriter 'broken' \(strength light\) failed on original 'o0': KeyError"):
        make_rewrites(_originals(), [PlanEntry(f"{user_rewriters}:Broken", True)], seed=0, workers=1)


def test_bad_specs_are_clear(user_rewriters):
    with pytest.raises(BenchError, match="Did you mean: wordnet-spin"):
        make_rewriter("wordnet-spn")
    with pytest.raises(BenchError, match="does not implement the Rewriter protocol"):
        make_rewriter(f"{user_rewriters}:NotARewriter")
    with pytest.raises(BenchError, match="cannot load"):
        make_rewriter(f"{user_rewriters}:Missing")


def test_donors_come_from_the_same_split_and_domain():
    from rewrite_bench.rewriting import donors_for

    donors = donors_for(_originals(), seed=0)
    assert donors["o1"] == _originals()[3].text  # the only other test news original
    assert "o2" not in donors and "o0" not in donors  # nothing else in their split and domain


def test_the_specs_of_a_plan_share_one_instance_per_rewriter():
    # What paraphrase remembers about a text (its round trips) then serves its chains too.
    shared: dict = {}
    alone = make_rewriter("paraphrase", None, shared)
    chain = make_rewriter("paraphrase+web-noise", None, shared)
    twice = make_rewriter("web-noise+web-noise", None, shared)
    assert chain.parts[0] is alone and twice.parts == (chain.parts[1], chain.parts[1])
    assert make_rewriter("paraphrase") is not alone  # without a shared dict: a fresh instance


def test_measured_rewrites_carry_the_cosine_a_later_measurement_gives(user_rewriters):
    # Measured in the worker while rewriting, or afterwards in one or two processes: one number,
    # because each text is encoded on its own.
    from rewrite_bench.build import measure_meaning
    from rewrite_bench.realism import meaning_cosines

    plan = [PlanEntry(f"{user_rewriters}:Upper", True)]
    measured, _ = make_rewrites(_originals(), plan, seed=3, workers=1, measure=True)
    plain, _ = make_rewrites(_originals(), plan, seed=3, workers=1)
    assert [r.text for r in measured] == [r.text for r in plain]
    assert all(0.5 < r.meaning_cosine < 1.0 for r in measured)
    assert all(r.meaning_cosine != r.meaning_cosine for r in plain)  # NaN: not measured
    assert measure_meaning(_originals(), plain, workers=1) == measured
    assert measure_meaning(_originals(), plain, workers=2) == measured
    first = measured[0]
    source = _originals()[0].text
    assert meaning_cosines(source, [first.text]) == [first.meaning_cosine]
    assert meaning_cosines(source, [r.text for r in measured if r.source_id == "o0"][::-1])[-1] == first.meaning_cosine
