"""Build the benchmark data once, store it as ``datasets`` on disk, and find it again.

The cache directory of a build is named by a key over its configuration (seed, sizes,
corpus file hashes, rewriter and task versions). Inside it: ``originals/``, ``rewrites/``
and one ``DatasetDict`` per task, a dataset card (``README.md``), ``build.json`` (config,
fingerprints, statistics, rewrite failures) and ``manifest.json`` (a checksum of every
file). The directory appears atomically; a later load verifies every checksum and
rebuilds a corrupt or partial cache instead of using it.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from benchmark import __version__
from benchmark.io import atomic_directory, sha256_file, stable_json
from benchmark.realism import RealismPoint, plot_realism_map, realism_rows
from benchmark.registry import TASKS, load_target
from benchmark.rewriting import PlanEntry, make_rewriter, make_rewrites
from benchmark.types import BenchError, Original, Rewrite, Task

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["DATA_VERSION", "DEFAULT_PLAN", "BuildConfig", "BenchmarkData", "load_or_build", "fingerprint_rows"]

#: Bumped when the way data are built changes in a way the config does not capture.
#: 2: a task's fingerprint covers only its own rows, name and version (see ``_build``).
#: 3: the card has the realism map (table and ``realism.png``); no row of any task changes.
DATA_VERSION = "3"

#: The default build's rewriters. Unseen ones (False) are applied to test originals only, so
#: test measures generalisation to rewriters that train and dev never show.
#: backtranslate-es (Apertium) is left out: it needs a Debian package, and the default
#: build must be the same on every machine that pip-installs the project.
DEFAULT_PLAN: tuple[PlanEntry, ...] = (
    # Seen: train, dev and test.
    PlanEntry("wordnet-spin", True),
    PlanEntry("restructure", True),
    PlanEntry("backtranslate-pt", True),
    PlanEntry("partial", True),
    PlanEntry("web-noise", True),
    PlanEntry("wordnet-spin+web-noise", True),
    # Unseen: test only (another spinner family, other tricks, compositions).
    PlanEntry("moby-spin", False),
    PlanEntry("glove-spin", False),
    PlanEntry("evasion", False),
    PlanEntry("wordnet-spin+wordnet-spin", False),
    PlanEntry("wordnet-spin+backtranslate-pt", False),
)


@dataclass(frozen=True)
class BuildConfig:
    """What a user can choose about a build. Everything else is fixed by the code version."""

    seed: int = 0
    max_originals: int | None = None
    """Keep at most this many originals per split and domain (quick smoke builds)."""
    extra_rewriters: tuple[str, ...] = ()
    """User rewriter specs (``package.module:attr``) added as unseen (test-only) rewriters."""
    base_plan: tuple[PlanEntry, ...] = DEFAULT_PLAN
    """The rewriters before the extra ones (tests use a lighter plan to build fast)."""

    @property
    def plan(self) -> tuple[PlanEntry, ...]:
        return self.base_plan + tuple(PlanEntry(spec, False) for spec in self.extra_rewriters)


@dataclass(frozen=True)
class BenchmarkData:
    """A built benchmark on disk. Datasets are memory-mapped on access, not held in memory."""

    path: Path
    fingerprint: str
    task_fingerprints: Mapping[str, str]
    info: Mapping[str, Any] = field(repr=False)

    def task(self, name: str) -> "DatasetDict":
        from datasets import load_from_disk

        if name not in self.task_fingerprints:
            raise BenchError(f"The build at {self.path} has no task {name!r}; it has {sorted(self.task_fingerprints)}.")
        return load_from_disk(str(self.path / "tasks" / name))

    def originals(self) -> "Dataset":
        from datasets import load_from_disk

        return load_from_disk(str(self.path / "originals"))

    def rewrites(self) -> "Dataset":
        from datasets import load_from_disk

        return load_from_disk(str(self.path / "rewrites"))


# --- configuration and keys -------------------------------------------------------------

def _tasks() -> list[Task]:
    return [load_target(entry.target) for entry in TASKS.values()]


def describe_config(config: BuildConfig) -> dict[str, Any]:
    """Everything that determines the built data, as plain JSON-able values."""
    from benchmark import corpus

    return {
        "data_version": DATA_VERSION,
        "seed": config.seed,
        "max_originals": config.max_originals,
        "split_fractions": dict(corpus.SPLIT_FRACTIONS),
        "corpus_files": {path.name: sha256_file(path) for path in corpus.source_files()},
        "rewriters": [
            {"spec": entry.spec, "seen_in_training": entry.seen_in_training, "name": rw.name, "version": rw.version,
             "strengths": {k: dict(v) for k, v in rw.strengths.items()},
             "max_build_originals": getattr(rw, "max_build_originals", None)}
            for entry, rw in ((entry, make_rewriter(entry.spec)) for entry in config.plan)
        ],
        "tasks": {task.metadata.name: task.metadata.version for task in _tasks()},
    }


def config_key(description: Mapping[str, Any]) -> str:
    return hashlib.sha256(stable_json(description).encode()).hexdigest()[:16]


def fingerprint_rows(rows: Iterable[Mapping[str, Any]], *prefix: str) -> str:
    """SHA-256 over a prefix and every row as stable JSON, in order."""
    digest = hashlib.sha256("\x1f".join(prefix).encode())
    for row in rows:
        digest.update(stable_json(row).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# --- building -----------------------------------------------------------------------------

def _limit_originals(originals: list[Original], max_originals: int | None) -> list[Original]:
    if max_originals is None:
        return originals
    kept: list[Original] = []
    seen: Counter[tuple[str, str]] = Counter()
    for original in originals:  # already sorted by id, so the choice is stable
        key = (original.split, original.domain)
        if seen[key] < max_originals:
            seen[key] += 1
            kept.append(original)
    return kept


#: Rewrites per (rewriter, strength) whose meaning preservation is measured for the card.
MEANING_SAMPLE = 25


def meaning_preservation(originals: Sequence[Original], rewrites: Sequence[Rewrite], seed: int,
                         per_group: int = MEANING_SAMPLE) -> tuple[list[dict[str, Any]], list[RealismPoint]]:
    """MiniLM cosine of rewrite to source on a stable sample per rewriter and strength.

    Returns a row per (rewriter, strength), with the mean cosine (the card's meaning proxy)
    and the realism figures of the sample (medians, share inside the real-spinner region),
    and the sampled rewrites' points for the realism map. A sample keeps the build fast.
    """
    from benchmark.embeddings import paired_cosine

    source = {o.id: o.text for o in originals}
    groups: dict[tuple[str, str], list[Rewrite]] = {}
    for rw in rewrites:
        groups.setdefault((rw.rewriter, rw.strength), []).append(rw)
    rank = lambda rw: hashlib.sha256(f"{seed}:meaning:{rw.id}".encode()).hexdigest()  # noqa: E731
    samples = {key: sorted(members, key=rank)[:per_group] for key, members in sorted(groups.items())}
    chosen = [rw for members in samples.values() for rw in members]
    cosines = dict(zip((rw.id for rw in chosen), paired_cosine([rw.text for rw in chosen],
                                                                [source[rw.source_id] for rw in chosen])))
    points = [RealismPoint(rw.rewriter, rw.strength, rw.word_change_rate, rw.ngram5_overlap, round(cosines[rw.id], 4))
              for rw in chosen]
    realism = {(row["rewriter"], row["strength"]): row for row in realism_rows(points)}
    rows = [{"rewriter": key[0], "strength": key[1], "n": len(members),
             "mean_cosine": round(sum(cosines[rw.id] for rw in members) / len(members), 4),
             **{name: round(float(realism[key][name]), 4)
                for name in ("median_change", "median_containment", "median_cosine", "share_in_region")}}
            for key, members in samples.items()]
    return rows, points


def _build(config: BuildConfig, description: Mapping[str, Any], key: str, target: Path, progress: bool) -> None:
    import datasets
    from datasets import Dataset, DatasetDict

    from benchmark import corpus
    from benchmark.card import render_card

    started = time.perf_counter()
    say = (lambda msg: print(msg, file=sys.stderr)) if progress else (lambda msg: None)
    say("loading originals from installed packages ...")
    originals, corpus_stats = corpus.load_originals_with_stats(seed=config.seed)
    originals = _limit_originals(originals, config.max_originals)
    rewrites, failures = make_rewrites(originals, config.plan, config.seed, cache_dir=str(target.parent.parent / "rewriter-cache"),
                                       slow_cap=config.max_originals, progress=progress)
    say(f"{len(rewrites)} rewrites of {len(originals)} originals ({len(failures)} could not be made)")

    say("measuring meaning preservation (MiniLM cosine, sampled) ...")
    meaning, realism_points = meaning_preservation(originals, rewrites, config.seed)

    original_rows = [asdict(o) for o in originals]
    rewrite_rows = [asdict(r) for r in rewrites]
    task_rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    task_fingerprints: dict[str, str] = {}
    for task in _tasks():
        meta = task.metadata
        say(f"building task {meta.name!r} ...")
        rows = task.build_items(originals, rewrites, config.seed)
        task_rows[meta.name] = rows
        # Only the task's own rows (every text, label and slice value of every split), name
        # and version: adding another task to the build leaves this task's fingerprint, and
        # so the results computed on it, valid. The build fingerprint covers everything.
        task_fingerprints[meta.name] = fingerprint_rows(
            (row for part in rows.values() for row in part), meta.name, meta.version)
    fingerprint = hashlib.sha256(stable_json({
        "config": key,
        "originals": fingerprint_rows(original_rows),
        "rewrites": fingerprint_rows(rewrite_rows),
        "tasks": task_fingerprints,
    }).encode()).hexdigest()

    info = {
        "bench_version": __version__,
        "config_key": key,
        "config": description,
        "fingerprint": fingerprint,
        "task_fingerprints": task_fingerprints,
        "corpus": asdict(corpus_stats),
        "failures": [asdict(f) for f in failures],
        "meaning_preservation": meaning,
        "build_seconds": None,
    }
    datasets.disable_progress_bars()  # saving takes a second; our own bars cover the long steps
    with atomic_directory(target) as scratch:
        Dataset.from_list(original_rows).save_to_disk(str(scratch / "originals"))
        Dataset.from_list(rewrite_rows).save_to_disk(str(scratch / "rewrites"))
        for name, rows in task_rows.items():
            DatasetDict({part: Dataset.from_list(part_rows) for part, part_rows in rows.items()}).save_to_disk(
                str(scratch / "tasks" / name))
        info["build_seconds"] = round(time.perf_counter() - started, 1)
        (scratch / "build.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        plot_realism_map(realism_points, scratch / "realism.png")
        (scratch / "README.md").write_text(render_card(info, originals, rewrites, task_rows), encoding="utf-8")
        manifest = {str(p.relative_to(scratch)): sha256_file(p) for p in sorted(scratch.rglob("*")) if p.is_file()}
        (scratch / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --- finding it again ---------------------------------------------------------------------

def verify(path: Path) -> str | None:
    """None if the build at ``path`` is complete and intact, else what is wrong."""
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        return "manifest.json is missing (partial build)"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"manifest.json is unreadable ({error})"
    for name, checksum in manifest.items():
        file = path / name
        if not file.is_file():
            return f"{name} is missing"
        if sha256_file(file) != checksum:
            return f"{name} does not match its checksum"
    return None


def _load(path: Path) -> BenchmarkData:
    info = json.loads((path / "build.json").read_text(encoding="utf-8"))
    return BenchmarkData(path=path, fingerprint=info["fingerprint"],
                         task_fingerprints=info["task_fingerprints"], info=info)


def load_or_build(cache_dir: Path, config: BuildConfig = BuildConfig(), *, progress: bool = True) -> BenchmarkData:
    """The built benchmark for ``config``: from the cache if intact, else built now."""
    description = describe_config(config)
    key = config_key(description)
    target = cache_dir / "data" / key
    if target.exists():
        problem = verify(target)
        if problem is None:
            return _load(target)
        print(f"warning: cached build at {target} is unusable: {problem}; rebuilding it.", file=sys.stderr)
        shutil.rmtree(target)
    try:
        _build(config, description, key, target, progress)
    except OSError as error:
        raise BenchError(f"could not write the build to {target}: {error}. "
                         f"Choose a writable --cache-dir or set REWRITE_BENCH_CACHE.") from error
    return _load(target)
