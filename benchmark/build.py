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
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from benchmark import __version__
from benchmark.io import atomic_directory, atomic_write_text, sha256_file, stable_json
from benchmark.registry import REWRITERS, TASKS, load_target
from benchmark.text import length_ratio, ngram_containment, normalize_for_dedup, word_change_rate
from benchmark.types import SPLITS, BenchError, Original, Rewrite, RewriteError, Rewriter, Task

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["DATA_VERSION", "BuildConfig", "BenchmarkData", "RewriteFailure", "load_or_build",
           "make_rewrites", "fingerprint_rows"]

#: Bumped when the way data are built changes in a way the config does not capture.
DATA_VERSION = "1"


@dataclass(frozen=True)
class BuildConfig:
    """What a user can choose about a build. Everything else is fixed by the code version."""

    seed: int = 0
    max_originals: int | None = None
    """Keep at most this many originals per split and domain (quick smoke builds)."""


@dataclass(frozen=True)
class RewriteFailure:
    """A rewrite that could not be made; reported in the card, never silently dropped."""

    original_id: str
    rewriter: str
    strength: str
    reason: str


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

def _rewriters() -> list[Rewriter]:
    return [load_target(entry.target)() for entry in REWRITERS.values()]


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
            {"name": rw.name, "version": rw.version, "strengths": {k: dict(v) for k, v in rw.strengths.items()}}
            for rw in _rewriters()
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

def _progress(iterable: Iterable[Any], *, desc: str, total: int, enabled: bool) -> Iterable[Any]:
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, unit="text", file=sys.stderr, leave=False)


def rewrite_seed(seed: int, original_id: str, rewriter: str, strength: str) -> int:
    digest = hashlib.sha256(f"{seed}:{original_id}:{rewriter}:{strength}".encode()).digest()
    return int.from_bytes(digest[:7], "big")


def make_rewrites(originals: Sequence[Original], rewriters: Sequence[Rewriter], seed: int, *,
                  progress: bool = False) -> tuple[list[Rewrite], list[RewriteFailure]]:
    """Every rewriter at every strength on every original, with provenance and change figures.

    A rewriter that raises :class:`RewriteError`, returns an empty text or returns its input
    unchanged is recorded as a failure. Any other exception aborts the build with the
    original's id and the rewriter named.
    """
    import random

    rewrites: list[Rewrite] = []
    failures: list[RewriteFailure] = []
    for original in _progress(originals, desc="rewriting originals", total=len(originals), enabled=progress):
        for rewriter in rewriters:
            for strength, params in rewriter.strengths.items():
                item_seed = rewrite_seed(seed, original.id, rewriter.name, strength)
                try:
                    text = rewriter.rewrite(original.text, params, random.Random(item_seed))
                except RewriteError as error:
                    failures.append(RewriteFailure(original.id, rewriter.name, strength, str(error)))
                    continue
                except Exception as error:  # a bug in a rewriter: stop and say where
                    raise BenchError(
                        f"rewriter {rewriter.name!r} (strength {strength}) failed on original "
                        f"{original.id!r}: {type(error).__name__}: {error}"
                    ) from error
                if not isinstance(text, str) or not text.strip():
                    failures.append(RewriteFailure(original.id, rewriter.name, strength, "empty output"))
                    continue
                if normalize_for_dedup(text) == normalize_for_dedup(original.text):
                    failures.append(RewriteFailure(original.id, rewriter.name, strength, "output equals its source"))
                    continue
                rewrites.append(Rewrite(
                    id=f"{original.id}~{rewriter.name}~{strength}",
                    source_id=original.id,
                    rewriter=rewriter.name,
                    rewriter_version=rewriter.version,
                    strength=strength,
                    params=stable_json(dict(params)),
                    seed=item_seed,
                    text=text,
                    ngram5_overlap=round(ngram_containment(text, original.text, 5), 6),
                    word_change_rate=round(word_change_rate(original.text, text), 6),
                    length_ratio=round(length_ratio(original.text, text), 6),
                ))
    return rewrites, failures


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
    rewriters = _rewriters()
    rewrites, failures = make_rewrites(originals, rewriters, config.seed, progress=progress)
    say(f"{len(rewrites)} rewrites of {len(originals)} originals ({len(failures)} could not be made)")

    original_rows = [asdict(o) for o in originals]
    rewrite_rows = [asdict(r) for r in rewrites]
    task_rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    task_fingerprints: dict[str, str] = {}
    for task in _tasks():
        meta = task.metadata
        say(f"building task {meta.name!r} ...")
        rows = task.build_items(originals, rewrites, config.seed)
        task_rows[meta.name] = rows
        task_fingerprints[meta.name] = fingerprint_rows(
            (row for split in SPLITS for row in rows[split]), meta.name, meta.version, key)
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
        "build_seconds": None,
    }
    datasets.disable_progress_bars()  # saving takes a second; our own bars cover the long steps
    with atomic_directory(target) as scratch:
        Dataset.from_list(original_rows).save_to_disk(str(scratch / "originals"))
        Dataset.from_list(rewrite_rows).save_to_disk(str(scratch / "rewrites"))
        for name, rows in task_rows.items():
            DatasetDict({split: Dataset.from_list(rows[split]) for split in SPLITS}).save_to_disk(
                str(scratch / "tasks" / name))
        info["build_seconds"] = round(time.perf_counter() - started, 1)
        (scratch / "build.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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
