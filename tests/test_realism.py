"""The real-spinner region, the statistics it is measured with, and the realism map."""
from __future__ import annotations

from pathlib import Path

import pytest

from rewrite_bench.realism import (
    REAL_SPINNER_MODES,
    REAL_SPINNER_PERCENTILES,
    REAL_SPINNER_REGION,
    RealismPoint,
    in_region,
    plot_realism_map,
    realism_rows,
)
from rewrite_bench.text import length_ratio, ngram_containment, word_change_rate

SOURCE = "the quick brown fox jumps over the lazy dog near the river bank today"


def test_region_constants_are_the_published_ones():
    assert (REAL_SPINNER_REGION.min_change, REAL_SPINNER_REGION.max_containment,
            REAL_SPINNER_REGION.min_cosine) == (0.40, 0.15, 0.90)
    # The region sits around the real spinners' medians: half the words changed, under a
    # tenth of the 5-grams kept, the meaning kept.
    medians = {name: values[2] for name, values in REAL_SPINNER_PERCENTILES.items()}
    assert in_region(medians["word_change_rate"], medians["ngram5_containment"], medians["minilm_cosine"])
    for values in REAL_SPINNER_PERCENTILES.values():
        assert list(values) == sorted(values)


def test_spinner_modes_spread_around_the_overall_medians():
    # The six modes' medians bracket the whole sample's: no single mode is "the" real spinner.
    for k, name in enumerate(("word_change_rate", "ngram5_containment", "minilm_cosine")):
        per_mode = [values[k] for values in REAL_SPINNER_MODES.values()]
        assert min(per_mode) <= REAL_SPINNER_PERCENTILES[name][2] <= max(per_mode), name
    assert REAL_SPINNER_MODES["shorten"][3] == "well below 1"


@pytest.mark.parametrize(("change", "containment", "cosine", "inside"), [
    (0.40, 0.15, 0.90, True),     # bounds are inside
    (0.39, 0.10, 0.95, False),    # too little change
    (0.60, 0.16, 0.95, False),    # too much copied text
    (0.60, 0.05, 0.89, False),    # meaning lost
    (0.75, 0.00, 1.00, True),
])
def test_in_region(change, containment, cosine, inside):
    assert in_region(change, containment, cosine) is inside


def test_statistics_on_fixed_texts():
    # 14 source words; the copy keeps the first 9 in order and replaces the last 5.
    copy = "the quick brown fox jumps over the lazy dog beside a stream this morning"
    assert word_change_rate(SOURCE, copy) == pytest.approx(5 / 14)
    # Its 10 distinct 5-grams: the first 5 (words 1-9) are in the source, the other 5 are not.
    assert ngram_containment(copy, SOURCE) == pytest.approx(5 / 10)
    assert length_ratio(SOURCE, copy) == pytest.approx(14 / 14)
    assert word_change_rate(SOURCE, SOURCE) == 0.0 and ngram_containment(SOURCE, SOURCE) == 1.0
    # A moved clause counts as changed for the change rate, but keeps its own 5-grams: only
    # the 4 that straddle the new seam are new (6 of 10 are in the source).
    moved = "near the river bank today the quick brown fox jumps over the lazy dog"
    assert word_change_rate(SOURCE, moved) == pytest.approx(5 / 14)
    assert ngram_containment(moved, SOURCE) == pytest.approx(6 / 10)


def test_realism_rows_medians_and_share_in_region():
    points = [RealismPoint("spin", "heavy", 0.5, 0.1, 0.95), RealismPoint("spin", "heavy", 0.3, 0.1, 0.95),
              RealismPoint("spin", "heavy", 0.6, 0.05, 0.91), RealismPoint("spin", "light", 0.1, 0.7, 0.99)]
    rows = realism_rows(points)
    assert [(r["rewriter"], r["strength"], r["n"]) for r in rows] == [("spin", "light", 1), ("spin", "heavy", 3)]
    heavy = rows[1]
    assert heavy["median_change"] == 0.5 and heavy["median_cosine"] == 0.95
    assert heavy["share_in_region"] == pytest.approx(2 / 3)
    assert rows[0]["share_in_region"] == 0.0


def test_realism_map_png_is_byte_stable(tmp_path: Path):
    points = [RealismPoint(name, strength, change, containment, cosine)
              for name, base in (("a", 0.2), ("b", 0.5))
              for strength, change, containment, cosine in (("light", base, 0.5, 0.98), ("heavy", base + 0.2, 0.1, 0.92))]
    first, second = tmp_path / "one.png", tmp_path / "two.png"
    plot_realism_map(points, first)
    plot_realism_map(points, second)
    data = first.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert data == second.read_bytes()
