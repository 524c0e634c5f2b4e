from __future__ import annotations

import sys
import textwrap

import pytest

from rewrite_bench.models import model_slug, parse_model_args, resolve_model
from rewrite_bench.types import BenchError
from rewrite_bench.tasks.pair import METADATA as PAIR

USER_MODULE = """
class Scorer:
    def __init__(self, offset=0.0):
        self.offset = offset
    def score_pairs(self, originals, candidates):
        return [self.offset + len(set(o.split()) & set(c.split())) for o, c in zip(originals, candidates)]

def overlap(originals, candidates, scale=1.0):
    return [scale * len(set(o.split()) & set(c.split())) for o, c in zip(originals, candidates)]

instance = Scorer(offset=10.0)
not_a_model = 42
"""


@pytest.fixture()
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_scorers.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_scorers"
    sys.modules.pop("my_scorers", None)


def test_parse_model_args():
    assert parse_model_args(["n=5", "name=abc", "flag=true", "rate=0.5", "batch-size=3"]) == {
        "n": 5, "name": "abc", "flag": True, "rate": 0.5, "batch_size": 3}
    with pytest.raises(BenchError, match="KEY=VALUE"):
        parse_model_args(["oops"])


def test_slug_separates_arguments():
    assert model_slug("tfidf", {}) == "tfidf"
    assert model_slug("pkg.mod:fn", {}) == "pkg.mod_fn"
    assert model_slug("shingle", {"n": 5}) != model_slug("shingle", {"n": 4})


def test_registered_baseline_with_args():
    model = resolve_model("shingle", {"n": 2})
    assert model.source == "baseline" and model.obj.n == 2 and model.supports(PAIR)


def test_unknown_model_suggests():
    with pytest.raises(BenchError, match="Did you mean: tfidf"):
        resolve_model("tfdf")
    with pytest.raises(BenchError, match="does not accept"):
        resolve_model("shingle", {"bogus": 1})


def test_user_function_object_and_class(user_module):
    fn = resolve_model(f"{user_module}:overlap", {"scale": 2.0})
    assert fn.scorer(PAIR)(["a b c"], ["a b x"]) == [4.0]
    obj = resolve_model(f"{user_module}:instance")
    assert obj.scorer(PAIR)(["a b"], ["a b"]) == [12.0]
    cls = resolve_model(f"{user_module}:Scorer", {"offset": 1})
    assert cls.scorer(PAIR)(["a"], ["a"]) == [2]
    assert not fn.needs_fit()


def test_user_model_errors(user_module):
    with pytest.raises(BenchError, match="cannot import module 'no_such_module'"):
        resolve_model("no_such_module:f")
    with pytest.raises(BenchError, match="Did you mean: overlap"):
        resolve_model(f"{user_module}:overlapp")
    with pytest.raises(BenchError, match="neither a function"):
        resolve_model(f"{user_module}:not_a_model")
    with pytest.raises(BenchError, match="cannot take --model-arg"):
        resolve_model(f"{user_module}:instance", {"x": 1})


def test_a_value_the_model_rejects_names_the_model_and_the_option():
    with pytest.raises(BenchError, match=r"model 'shingle' could not be created with n=-3: ValueError: n must be >= 1"):
        resolve_model("shingle", {"n": -3})
