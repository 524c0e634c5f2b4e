from __future__ import annotations

from pathlib import Path

import pytest

from rewrite_bench.build import DEFAULT_PLAN, BuildConfig, load_or_build, verify
from rewrite_bench.rewriting import PlanEntry
from rewrite_bench.types import SPLITS
from conftest import SMALL

#: A plan of two fast rewriters, for the tests that build several times.
LIGHT = BuildConfig(max_originals=2, base_plan=(PlanEntry("wordnet-spin", True), PlanEntry("evasion", False)))


def test_small_build_contents(small_data):
    originals = small_data.originals()
    assert set(originals["split"]) == set(SPLITS)
    rewrites = small_data.rewrites()
    # Every planned rewriter made rewrites; unseen ones only of test originals.
    assert set(rewrites["rewriter"]) == {entry.spec for entry in DEFAULT_PLAN}
    assert set(rewrites["strength"]) == {"light", "medium", "heavy"}
    unseen = {entry.spec for entry in DEFAULT_PLAN if not entry.seen_in_training}
    split_of_source = dict(zip(originals["id"], originals["split"]))
    for rewriter, seen, source in zip(rewrites["rewriter"], rewrites["seen_in_training"], rewrites["source_id"]):
        assert seen == (rewriter not in unseen)
        if not seen:
            assert split_of_source[source] == "test"
    by_id = dict(zip(originals["id"], originals["text"]))
    for row in rewrites:
        assert row["text"] != by_id[row["source_id"]]
        assert 0.0 <= row["ngram5_overlap"] < 1.0 and row["params"].startswith("{")
    pair = small_data.task("pair")
    split_of = dict(zip(originals["id"], originals["split"]))
    for split in SPLITS:
        rows = pair[split]
        # Tiny splits lack enough neighbours for full balance; the slow test checks it at full size.
        positives = sum(rows["label"])
        assert 0 < len(rows) - positives <= positives
        assert all(split_of[i] == split for i in rows["original_id"])
    card = (small_data.path / "README.md").read_text()
    assert card.startswith("---\n") and "CC BY-SA" in card and small_data.fingerprint in card
    assert "### Realism map" in card and "real-spinner region" in card and "](realism.png)" in card
    assert "median length ratio" in card and "| real spinner, mode *shorten* |  |  | 0.67 | 0.05 | 0.91 | well below 1 |" in card
    assert "## Real-world tracks" in card and "Clough" in card
    assert (small_data.path / "realism.png").read_bytes().startswith(b"\x89PNG")


def test_a_build_made_by_the_rewriters_stores_every_rewrites_edits(small_data):
    from rewrite_bench.rewriters.provenance import decode_spans, problems

    sources = {row["id"]: row["text"] for row in small_data.originals()}
    rewrites = small_data.rewrites()
    assert rewrites.num_rows and all(rewrites["edits"])  # every default-plan rewriter reports its edits
    for row in rewrites:
        assert problems(sources[row["source_id"]], row["text"], decode_spans(row["edits"])) == [], row["id"]
    card = (small_data.path / "README.md").read_text()
    assert "| with a meaning change |" in card and '"With a meaning change"' in card
    web_noise = next(line for line in card.splitlines() if line.startswith("| web-noise | heavy |"))
    assert web_noise.split(" | ")[-2].endswith("%")


def test_second_load_reuses_the_cache(small_cache, small_data, monkeypatch):
    import rewrite_bench.build as build

    monkeypatch.setattr(build, "_build", lambda *a, **k: pytest.fail("rebuilt an intact cache"))
    again = load_or_build(small_cache, BuildConfig(max_originals=SMALL), progress=False)
    assert again.fingerprint == small_data.fingerprint


def test_rebuild_is_identical_and_corruption_is_detected(tmp_path, capsys):
    first = load_or_build(tmp_path / "a", LIGHT, progress=False)
    fresh = load_or_build(tmp_path / "b", LIGHT, progress=False)
    assert fresh.fingerprint == first.fingerprint  # determinism across builds
    assert fresh.task_fingerprints == first.task_fingerprints

    arrow = next((fresh.path / "tasks" / "pair" / "test").glob("*.arrow"))
    data = bytearray(arrow.read_bytes())
    data[len(data) // 2] ^= 0xFF
    arrow.write_bytes(bytes(data))
    assert "does not match its checksum" in verify(fresh.path)
    rebuilt = load_or_build(tmp_path / "b", LIGHT, progress=False)
    assert "rebuilding" in capsys.readouterr().err
    assert verify(rebuilt.path) is None and rebuilt.fingerprint == first.fingerprint

    (rebuilt.path / "manifest.json").unlink()  # as a crash mid-write would leave it
    assert "partial" in verify(rebuilt.path)
    assert load_or_build(tmp_path / "b", LIGHT, progress=False).fingerprint == first.fingerprint


def test_failed_build_leaves_nothing(tmp_path, monkeypatch):
    import rewrite_bench.card

    def explode(*args, **kwargs):  # fails after the datasets were written to the scratch dir
        raise RuntimeError("boom")

    monkeypatch.setattr(rewrite_bench.card, "render_card", explode)
    with pytest.raises(RuntimeError, match="boom"):
        load_or_build(tmp_path, LIGHT, progress=False)
    # Only the (empty, released) build lock stays: it is reused by the next build of this key.
    left = list((tmp_path / "data").iterdir())
    assert [p.suffix for p in left] == [".lock"] and left[0].read_text() == ""


def test_different_config_different_key(tmp_path):
    from rewrite_bench.build import config_key, describe_config

    assert config_key(describe_config(BuildConfig())) != config_key(describe_config(BuildConfig(max_originals=2)))
    assert config_key(describe_config(BuildConfig())) == config_key(describe_config(BuildConfig()))


def test_user_rewriters_join_the_plan_as_unseen():
    config = BuildConfig(extra_rewriters=("my_spinners:Spinner",))
    assert config.plan[:-1] == DEFAULT_PLAN
    assert config.plan[-1] == PlanEntry("my_spinners:Spinner", False)


def test_a_task_fingerprint_covers_exactly_its_own_rows(small_data):
    """Adding another task to the build must leave the pair task's fingerprint (and results) valid."""
    from rewrite_bench.build import fingerprint_rows
    from rewrite_bench.tasks.pair import METADATA

    splits = small_data.task("pair")
    rows = (row for split in SPLITS for row in splits[split])
    assert fingerprint_rows(rows, "pair", METADATA.version) == small_data.task_fingerprints["pair"]


def _lock_path(cache: Path, config: BuildConfig) -> Path:
    from rewrite_bench.build import config_key, describe_config

    return cache / "data" / f"{config_key(describe_config(config))}.lock"


def test_a_second_builder_waits_for_the_first_and_says_who_holds_the_lock(tmp_path, capsys):
    import subprocess
    import sys
    import time

    lock = _lock_path(tmp_path, LIGHT)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from rewrite_bench.build import build_lock\n"
                               f"with build_lock(Path({str(lock)!r})):\n    print('held', flush=True); time.sleep(3)"],
        stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        started = time.monotonic()
        data = load_or_build(tmp_path, LIGHT, progress=False)
        assert time.monotonic() - started > 1.0  # it waited for the holder
    finally:
        holder.wait(timeout=60)
    err = capsys.readouterr().err
    assert f"waiting for pid {holder.pid} on" in err and "its build will be used" in err
    assert verify(data.path) is None and lock.read_text() == ""


def test_a_build_killed_midway_leaves_nothing_and_the_next_run_builds_cleanly(tmp_path, small_cache):
    import os
    import signal
    import subprocess
    import sys
    import time

    lock = _lock_path(tmp_path, LIGHT)
    builder = subprocess.Popen(
        [sys.executable, "-c", "from pathlib import Path\n"
                               "from rewrite_bench.build import BuildConfig, load_or_build\n"
                               "from rewrite_bench.rewriting import PlanEntry\n"
                               "light = BuildConfig(max_originals=2, base_plan=(PlanEntry('wordnet-spin', True), "
                               "PlanEntry('evasion', False)))\n"
                               "assert light == LIGHT_REPR\n".replace("LIGHT_REPR", repr(LIGHT)) +
                               f"load_or_build(Path({str(tmp_path)!r}), light, progress=False)"],
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().startswith(f"pid {builder.pid}")):
        assert builder.poll() is None and time.monotonic() < deadline, "the builder never took the lock"
        time.sleep(0.05)
    time.sleep(1.0)  # mid-build: loading the corpus or rewriting
    os.kill(builder.pid, signal.SIGKILL)
    builder.wait(timeout=60)
    target = lock.with_suffix("")
    assert not target.exists() or verify(target) is None  # a build directory appears only when complete
    rebuilt = load_or_build(tmp_path, LIGHT, progress=False)
    assert not list(target.parent.glob(".*.partial"))  # the killed builder's scratch is cleared
    reference = load_or_build(small_cache, LIGHT, progress=False)
    assert rebuilt.fingerprint == reference.fingerprint
