"""The shipped originals and rewrites: checksums, deriving a build from them, export, verification."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rewrite_bench.build import (
    BuildConfig,
    describe_config,
    export_prebuilt,
    load_or_build,
    rewrites_key,
    verify_against_prebuilt,
)
from rewrite_bench.cli import main
from rewrite_bench.prebuilt import PREBUILT_DIR, find_prebuilt, write_prebuilt
from rewrite_bench.rewriting import PlanEntry
from rewrite_bench.types import BenchError, Rewrite

#: Two fast rewriters on two originals per split and domain: builds in seconds.
LIGHT = BuildConfig(max_originals=2, base_plan=(PlanEntry("wordnet-spin", True), PlanEntry("evasion", False)))


def test_shipped_data_is_the_default_build_and_matches_its_checksums():
    shipped = find_prebuilt(rewrites_key(describe_config(BuildConfig())))
    assert shipped is not None, ("benchmark/prebuilt is not the default build's data: after changing the default "
                                 "build, run `bench build --from-scratch --export-prebuilt benchmark/prebuilt`")
    sizes = {path.name: path.stat().st_size for path in PREBUILT_DIR.iterdir()}
    assert sum(sizes.values()) < 40 * 2**20, sizes
    manifest = json.loads((PREBUILT_DIR / "prebuilt.json").read_text())
    assert set(manifest["files"]) == {"originals.parquet", "rewrites.parquet"}
    assert {"failures", "corpus", "config"} <= set(manifest["info"])
    assert rewrites_key(manifest["info"]["config"]) == manifest["rewrites_key"]


@pytest.fixture(scope="module")
def light_build(tmp_path_factory):
    return load_or_build(tmp_path_factory.mktemp("scratch-cache"), LIGHT, progress=False, from_scratch=True)


@pytest.fixture(scope="module")
def exported(light_build, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shipped") / "prebuilt"
    export_prebuilt(light_build, folder)
    return folder


def test_a_build_derived_from_shipped_data_equals_the_build_it_was_exported_from(light_build, exported, tmp_path):
    assert light_build.path.parent.name == "scratch" and light_build.info["rewrites_from"] == "rewriters"
    derived = load_or_build(tmp_path, LIGHT, progress=False, prebuilt_dir=exported)
    assert derived.info["rewrites_from"] == "shipped data"
    assert derived.fingerprint == light_build.fingerprint
    assert derived.task_fingerprints == light_build.task_fingerprints
    assert (derived.path / "README.md").read_text() == (light_build.path / "README.md").read_text()
    assert (derived.path / "realism.png").read_bytes() == (light_build.path / "realism.png").read_bytes()


def test_a_build_that_adds_a_rewriter_rewrites_with_that_one_only(light_build, exported, tmp_path, monkeypatch):
    import rewrite_bench.build as build

    more = BuildConfig(max_originals=2, base_plan=LIGHT.base_plan + (PlanEntry("web-noise", False),))
    fewer = BuildConfig(max_originals=2, base_plan=LIGHT.base_plan[:1])
    asked: list[list[str]] = []
    real = build.make_rewrites

    def recording(originals, plan, *args, **kwargs):
        asked.append([entry.spec for entry in plan])
        return real(originals, plan, *args, **kwargs)

    monkeypatch.setattr(build, "make_rewrites", recording)
    grown = load_or_build(tmp_path / "a", more, progress=False, prebuilt_dir=exported)
    assert asked == [["web-noise"]]
    assert grown.info["rewrites_from"].startswith("shipped data for evasion, wordnet-spin;")
    # Exactly what a build that runs every rewriter makes.
    whole = load_or_build(tmp_path / "b", more, progress=False, from_scratch=True)
    assert asked[-1] == ["wordnet-spin", "evasion", "web-noise"]
    assert grown.fingerprint == whole.fingerprint and grown.task_fingerprints == whole.task_fingerprints
    # Dropping a rewriter rewrites nothing: the kept one's rewrites come from the shipped data.
    shrunk = load_or_build(tmp_path / "c", fewer, progress=False, prebuilt_dir=exported)
    assert len(asked) == 2 and set(shrunk.rewrites()["rewriter"]) == {"wordnet-spin"}
    # Another seed has other rewrites everywhere: nothing is reused.
    load_or_build(tmp_path / "d", replace(LIGHT, seed=1), progress=False, prebuilt_dir=exported)
    assert asked[-1] == ["wordnet-spin", "evasion"]


def test_a_cached_build_lends_its_rewrites_to_a_build_with_one_more_rewriter(tmp_path, monkeypatch):
    import rewrite_bench.build as build

    asked: list[list[str]] = []
    real = build.make_rewrites
    monkeypatch.setattr(build, "make_rewrites",
                        lambda originals, plan, *a, **k: asked.append([e.spec for e in plan]) or real(originals, plan, *a, **k))
    no_shipped = tmp_path / "none"
    first = load_or_build(tmp_path / "cache", LIGHT, progress=False, prebuilt_dir=no_shipped)
    more = BuildConfig(max_originals=2, base_plan=LIGHT.base_plan + (PlanEntry("web-noise", False),))
    grown = load_or_build(tmp_path / "cache", more, progress=False, prebuilt_dir=no_shipped)
    assert asked == [["wordnet-spin", "evasion"], ["web-noise"]]
    assert grown.info["rewrites_from"] == f"cached build {first.path.name} for evasion, wordnet-spin; the rewriters for the others"


def test_another_configuration_does_not_use_the_shipped_data(exported):
    other = BuildConfig(max_originals=3, base_plan=LIGHT.base_plan)
    assert find_prebuilt(rewrites_key(describe_config(other)), exported) is None


def test_a_new_task_version_still_uses_the_shipped_rewrites():
    # Tasks are derived locally from the shipped rewrites: their versions are not in its key.
    description = describe_config(LIGHT)
    bumped = {**description, "tasks": {name: version + ".1" for name, version in description["tasks"].items()}}
    assert rewrites_key(bumped) == rewrites_key(description)
    assert rewrites_key({**description, "seed": 1}) != rewrites_key(description)


def test_every_rewrite_has_its_meaning_cosine(light_build):
    import math

    rewrites = light_build.rewrites()
    assert all(-1.0 <= c <= 1.0 and not math.isnan(c) for c in rewrites["meaning_cosine"])
    rows = light_build.info["meaning_preservation"]
    assert sum(row["n"] for row in rows) == len(rewrites)


def test_a_damaged_shipped_file_is_an_error_naming_it(exported, tmp_path):
    damaged = tmp_path / "prebuilt"
    shutil.copytree(exported, damaged)
    with (damaged / "rewrites.parquet").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(BenchError, match=r"rewrites\.parquet does not match its checksum.*--from-scratch"):
        find_prebuilt(rewrites_key(describe_config(LIGHT)), damaged)
    (damaged / "originals.parquet").unlink()
    with pytest.raises(BenchError, match=r"originals\.parquet is missing"):
        find_prebuilt(rewrites_key(describe_config(LIGHT)), damaged)


def test_verify_finds_nothing_on_an_honest_rebuild_and_names_a_changed_rewrite(light_build, exported, tmp_path):
    report = verify_against_prebuilt(tmp_path, LIGHT, sample=2, progress=False, prebuilt_dir=exported)
    assert len(report.originals) == 2 and report.n_rewrites > 0 and report.differences == []

    shipped = find_prebuilt(rewrites_key(describe_config(LIGHT)), exported)
    originals, rewrites = shipped.read()
    target = next(r for r in rewrites if r.source_id in report.originals)
    tampered = [Rewrite(**{**r.__dict__, "text": r.text + " Advertisement"}) if r.id == target.id else r
                for r in rewrites]
    changed = tmp_path / "changed"
    write_prebuilt(changed, rewrites_key=shipped.rewrites_key, fingerprint=shipped.fingerprint, originals=originals,
                   rewrites=tampered, info=shipped.info)
    report = verify_against_prebuilt(tmp_path, LIGHT, sample=2, progress=False, prebuilt_dir=changed)
    assert [(d.id, d.kind) for d in report.differences] == [(target.id, "text")]
    assert "Advertisement" in report.differences[0].detail


def test_verify_without_shipped_data_for_the_configuration_says_so(tmp_path):
    with pytest.raises(BenchError, match="no shipped data for this build configuration"):
        verify_against_prebuilt(tmp_path, LIGHT, sample=1, progress=False, prebuilt_dir=tmp_path)


@pytest.mark.parametrize(("argv", "message"), [
    (["build", "--sample", "3"], "--sample picks the originals --verify rebuilds"),
    (["build", "--verify", "--sample", "0"], "--sample must be >= 1"),
])
def test_build_option_errors(argv, message, tmp_path, capsys):
    assert main([*argv, "--cache-dir", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_verify_names_a_rewrite_whose_stored_edits_differ_and_ignores_data_without_edits():
    from rewrite_bench.prebuilt import compare_rewrites

    base = Rewrite("a~spin~light", "a", "spin", "1.0", "light", "{}", 1, True, "text", 0.5, 0.5, 1.0,
                   edits="[[0,4,0,4,0,0]]")
    other = Rewrite(**{**base.__dict__, "edits": "[[0,4,0,4,2,0]]"})
    unstored = Rewrite(**{**base.__dict__, "edits": ""})
    assert [(d.id, d.kind) for d in compare_rewrites([base], [other])] == [("a~spin~light", "edits")]
    assert compare_rewrites([unstored], [base]) == [] and compare_rewrites([base], [base]) == []


def test_verify_names_a_rewrite_whose_meaning_was_measured_otherwise_and_ignores_unmeasured_ones():
    from rewrite_bench.prebuilt import compare_rewrites

    base = Rewrite("a~spin~light", "a", "spin", "1.0", "light", "{}", 1, True, "text", 0.5, 0.5, 1.0, 0.9312)
    other = replace(base, meaning_cosine=0.9313)
    differences = compare_rewrites([base], [other])
    assert [(d.id, d.kind) for d in differences] == [("a~spin~light", "meaning")]
    assert "0.9313 here against 0.9312 shipped" in differences[0].detail
    assert compare_rewrites([base], [replace(base, meaning_cosine=float("nan"))]) == []


def test_remeasuring_the_shipped_meaning_restores_a_wrong_cosine_and_nothing_else(light_build, exported, tmp_path):
    from rewrite_bench.build import remeasure_shipped_meaning

    shipped = find_prebuilt(rewrites_key(describe_config(LIGHT)), exported)
    originals, rewrites = shipped.read()
    wrong = rewrites[1]
    folder = tmp_path / "prebuilt"
    write_prebuilt(folder, rewrites_key=shipped.rewrites_key, fingerprint=shipped.fingerprint, originals=originals,
                   rewrites=[replace(r, meaning_cosine=0.1) if r.id == wrong.id else r for r in rewrites],
                   info=shipped.info)
    assert remeasure_shipped_meaning(LIGHT, progress=False, prebuilt_dir=folder, workers=1) == [wrong.id]
    again = find_prebuilt(rewrites_key(describe_config(LIGHT)), folder)
    assert again.read()[1] == rewrites and again.fingerprint == light_build.fingerprint
    assert remeasure_shipped_meaning(LIGHT, progress=False, prebuilt_dir=folder, workers=1) == []


def test_remeasuring_takes_shipped_data_of_an_older_data_version_and_writes_it_under_this_ones(exported, tmp_path):
    from rewrite_bench.build import rewrites_config, remeasure_shipped_meaning

    shipped = find_prebuilt(rewrites_key(describe_config(LIGHT)), exported)
    originals, rewrites = shipped.read()
    older = {**rewrites_config(describe_config(LIGHT)), "data_version": "0"}
    folder = tmp_path / "prebuilt"
    write_prebuilt(folder, rewrites_key=rewrites_key(older), fingerprint=shipped.fingerprint, originals=originals,
                   rewrites=rewrites, info={**shipped.info, "config": older})
    assert find_prebuilt(rewrites_key(describe_config(LIGHT)), folder) is None
    assert remeasure_shipped_meaning(LIGHT, progress=False, prebuilt_dir=folder, workers=1) == []
    assert find_prebuilt(rewrites_key(describe_config(LIGHT)), folder).read()[1] == rewrites
    other = BuildConfig(max_originals=3, base_plan=LIGHT.base_plan)
    with pytest.raises(BenchError, match="holds no shipped data of this build configuration"):
        remeasure_shipped_meaning(other, progress=False, prebuilt_dir=folder, workers=1)


def test_a_re_export_is_not_hidden_by_a_build_cached_from_the_previous_one(exported, tmp_path):
    # The same rewrites exported again, here without their edits (as the shipped data was before
    # `perf/cold_build.py --record-edits`): a cache holding a build of the first export must not serve it.
    first = load_or_build(tmp_path, LIGHT, progress=False, prebuilt_dir=exported)
    shipped = find_prebuilt(rewrites_key(describe_config(LIGHT)), exported)
    originals, rewrites = shipped.read()
    again = tmp_path / "again"
    write_prebuilt(again, rewrites_key=shipped.rewrites_key, fingerprint=shipped.fingerprint, originals=originals,
                   rewrites=[replace(r, edits="") for r in rewrites], info=shipped.info)
    second = load_or_build(tmp_path, LIGHT, progress=False, prebuilt_dir=again)
    assert second.path != first.path and second.info["config_key"] == first.info["config_key"]
    assert any(first.rewrites()["edits"]) and not any(second.rewrites()["edits"])
    assert second.fingerprint != first.fingerprint  # stored edits are part of the data
    assert load_or_build(tmp_path, LIGHT, progress=False, prebuilt_dir=exported).path == first.path
