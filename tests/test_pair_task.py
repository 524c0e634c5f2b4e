from __future__ import annotations

from collections import Counter

from rewrite_bench.types import Original, Rewrite
from rewrite_bench.tasks.pair import build_pair_items, length_bucket, nearest_neighbours

TOPICS = {
    "fire": "bushfire firefighters blaze homes evacuated winds crews burning",
    "cricket": "cricket batsman wicket innings bowler century test match",
    "bank": "reserve bank interest rates inflation economy lending mortgage",
    "flood": "flood river rain levee evacuated water rising emergency",
}


def _original(i: int, topic: str, split: str) -> Original:
    text = f"Story {i} about {topic}. " + " ".join([TOPICS[topic]] * 3) + f" unique{i}"
    return Original(id=f"o{i:02d}", domain="news" if i % 2 else "encyclopedia",
                    source_doc=f"doc{i:02d}", split=split, text=text)


def _rewrites(original: Original) -> list[Rewrite]:
    return [Rewrite(id=f"{original.id}~spin~{s}", source_id=original.id, rewriter="spin", rewriter_version="1",
                    strength=s, params="{}", seed=0, seen_in_training=True, text=original.text.replace("Story", f"Tale {s}"),
                    ngram5_overlap=0.5, word_change_rate=0.1, length_ratio=1.0)
            for s in ("light", "medium", "heavy")]


def _corpus():
    topics = list(TOPICS)
    originals = [_original(i, topics[i % 4], ("train", "dev", "test")[i % 3]) for i in range(24)]
    rewrites = [rw for o in originals for rw in _rewrites(o)]
    return originals, rewrites


def test_items_are_balanced_and_labelled():
    originals, rewrites = _corpus()
    items = build_pair_items(originals, rewrites, seed=0)
    for split, rows in items.items():
        labels = Counter(row["label"] for row in rows)
        assert labels[1] == labels[0] == 3 * 8, split  # 8 originals x 3 rewrites, as many negatives
        kinds = Counter(row["negative_kind"] for row in rows if row["label"] == 0)
        assert kinds == {"unrelated": 8, "same-topic": 8, "rewrite-of-other": 8}
        for row in rows:
            if row["label"] == 1:
                assert row["candidate_id"].startswith(row["original_id"] + "~")
            else:
                assert not row["candidate_id"].startswith(row["original_id"])
        assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
        assert len({r["id"] for r in rows}) == len(rows)


def test_no_text_crosses_splits():
    originals, rewrites = _corpus()
    split_of = {o.id: o.split for o in originals}
    for split, rows in build_pair_items(originals, rewrites, seed=0).items():
        for row in rows:
            assert split_of[row["original_id"]] == split
            assert split_of[row["candidate_id"].split("~")[0]] == split


def test_same_topic_is_the_nearest_and_unrelated_is_not():
    originals, rewrites = _corpus()
    rows = build_pair_items(originals, rewrites, seed=0)["test"]
    topic_of = {o.id: o.text.split()[3].rstrip(".") for o in originals}
    for row in rows:
        other = row["candidate_id"].split("~")[0]
        if row["negative_kind"] in ("same-topic", "rewrite-of-other"):
            assert topic_of[other] == topic_of[row["original_id"]]
        if row["negative_kind"] == "rewrite-of-other":
            assert row["rewriter"] == "spin"


def test_build_is_deterministic_and_seeded():
    originals, rewrites = _corpus()
    assert build_pair_items(originals, rewrites, 0) == build_pair_items(list(reversed(originals)), rewrites, 0)
    assert build_pair_items(originals, rewrites, 0) != build_pair_items(originals, rewrites, 1)


def test_nearest_neighbours_break_ties_by_index():
    assert nearest_neighbours(["alpha beta", "alpha beta", "alpha beta", "gamma delta"], 2) == [[1, 2], [0, 2], [0, 1], [0, 1]]


def test_length_bucket():
    assert length_bucket("word " * 10) == "short"
    assert length_bucket("word " * 300) == "medium"
    assert length_bucket("word " * 600) == "long"


def test_unseen_rewriters_are_sliced_as_unseen():
    import dataclasses

    originals, rewrites = _corpus()
    rewrites = [dataclasses.replace(rw, seen_in_training=rw.strength != "heavy") for rw in rewrites]
    rows = build_pair_items(originals, rewrites, seed=0)["test"]
    seen = {(row["strength"], row["rewriter_seen"]) for row in rows if row["label"] == 1}
    assert seen == {("light", "seen"), ("medium", "seen"), ("heavy", "unseen")}
    assert {row["rewriter_seen"] for row in rows if row["negative_kind"] in ("same-topic", "unrelated")} == {"none"}


def test_hard_items_are_in_region_positives_and_the_hard_negative_kinds():
    from dataclasses import replace

    originals, rewrites = _corpus()
    # Heavy rewrites of even originals are put inside the real-spinner region by their recorded
    # statistics; light and medium ones stay outside.
    inside = {rw.id for rw in rewrites if rw.strength == "heavy" and int(rw.source_id[1:]) % 2 == 0}
    rewrites = [replace(rw, word_change_rate=0.5, ngram5_overlap=0.05, meaning_cosine=0.95) if rw.id in inside
                else replace(rw, meaning_cosine=0.99) for rw in rewrites]
    for rows in build_pair_items(originals, rewrites, seed=0).values():
        for row in rows:
            expected = (row["candidate_id"] in inside if row["label"] == 1
                        else row["negative_kind"] in {"same-topic", "rewrite-of-other"})
            assert row["hard"] == ("hard" if expected else "none"), row["id"]
        assert any(row["hard"] == "hard" and row["label"] == 1 for row in rows)


def test_negatives_stay_balanced_when_an_original_has_more_rewrites_than_it_has_top_neighbours():
    # 45 rewrites per original (15 rewriters x 3 strengths, as in the default build) need 15
    # same-topic negatives each: more than the top 10 neighbours.
    topics = list(TOPICS)
    originals = [_original(i, topics[i % 4], "test") for i in range(40)]
    rewrites = [Rewrite(id=f"{o.id}~spin{k}~light", source_id=o.id, rewriter=f"spin{k}", rewriter_version="1",
                        strength="light", params="{}", seed=0, seen_in_training=True, text=f"{o.text} v{k}",
                        ngram5_overlap=0.5, word_change_rate=0.1, length_ratio=1.0)
                for o in originals for k in range(45)]
    for rows in build_pair_items(originals, rewrites, seed=0).values():
        labels = Counter(row["label"] for row in rows)
        assert labels[0] == labels[1], labels
