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
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from rewrite_bench import __version__
from rewrite_bench.io import atomic_directory, sha256_file, stable_json
from rewrite_bench.realism import RealismPoint, meaning_cosines, plot_realism_map, realism_rows
from rewrite_bench.registry import TASKS, load_target
from rewrite_bench.rewriting import PlanEntry, RewriteFailure, make_rewriter, make_rewrites
from rewrite_bench.types import BenchError, Original, Rewrite, Task

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

    from rewrite_bench.prebuilt import Prebuilt

__all__ = ["DATA_VERSION", "DEFAULT_PLAN", "BuildConfig", "BenchmarkData", "load_or_build", "fingerprint_rows", "rewrites_config", "rewrites_key", "measure_meaning", "remeasure_shipped_meaning",
           "export_prebuilt", "verify_against_prebuilt", "Verification", "record_shipped_edits"]

#: Bumped when the way data are built changes in a way the config does not capture.
#: 2: a task's fingerprint covers only its own rows, name and version (see ``_build``).
#: 3: the card has the realism map (table and ``realism.png``); no row of any task changes.
#: 4: every rewrite stores its MiniLM cosine to its source; the card's figures cover all rewrites.
#: 5: each rewrite's cosine is measured as it is made, its text encoded alone (a batch of one):
#:    27 of the 30,084 shipped cosines moved in their 4th place; no task row changed.
DATA_VERSION = "5"

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
    PlanEntry("paraphrase", True),
    # Unseen: test only (another spinner family, other tricks, compositions).
    PlanEntry("moby-spin", False),
    PlanEntry("glove-spin", False),
    PlanEntry("evasion", False),
    PlanEntry("wordnet-spin+wordnet-spin", False),
    PlanEntry("wordnet-spin+backtranslate-pt", False),
    # The content-farm pipeline in the neural-spinner regime: spin, reshuffle, add site boilerplate.
    PlanEntry("paraphrase+restructure", False),
    PlanEntry("paraphrase+web-noise", False),
    PlanEntry("paraphrase+restructure+web-noise", False),
    # The spinners' "shorten" mode (length ratio well below 1): rephrased, then cut to fewer words.
    PlanEntry("paraphrase+shorten", False),
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
    from rewrite_bench import corpus

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


def rewrites_config(description: Mapping[str, Any]) -> dict[str, Any]:
    """What determines a build's originals and rewrites: its configuration without the tasks."""
    return {name: value for name, value in description.items() if name != "tasks"}


def rewrites_key(description: Mapping[str, Any]) -> str:
    """The key of what the shipped data holds: originals and rewrites, not the tasks.

    Tasks are derived from the shipped data on the user's machine, so a new task version
    must not make the (expensive) rewrites look stale; everything else in the configuration
    (corpus files, seed, sizes, the plan and every rewriter's version and parameters) does.
    """
    return config_key(rewrites_config(description))


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


def _one_thread() -> None:
    """A measuring worker runs MiniLM on one thread (unless ``$REWRITE_BENCH_THREADS`` says
    otherwise): the workers share the CPUs. Two workers of two threads each on two cores
    measured 5.8 texts/s, two of one thread 18.5 (1,572 shipped rewrites, start-up included)."""
    from rewrite_bench.embeddings import THREADS_ENV

    os.environ.setdefault(THREADS_ENV, "1")


def _measure_group(job: tuple[str, list[str]]) -> list[float]:
    return meaning_cosines(*job)


def measure_meaning(originals: Sequence[Original], rewrites: Sequence[Rewrite], progress: bool = False,
                    workers: int | None = None) -> list[Rewrite]:
    """Every rewrite with its MiniLM cosine to its source (:func:`rewrite_bench.realism.meaning_cosines`).

    The meaning coordinate of the realism map and of the ``hard`` slice: measured for every
    rewrite, not a sample, so a rewrite's place inside or outside the real-spinner region is
    a recorded fact about it. A build measures its rewrites while making them
    (``make_rewrites(measure=True)``); this measures rewrites made elsewhere, e.g. the shipped
    ones again after a change of the measurement (``perf/cold_build.py --remeasure-meaning``),
    in ``workers`` processes of one thread each (default: one per CPU). Each number depends on
    its texts alone, so the split into processes does not change it.
    """
    from dataclasses import replace

    from rewrite_bench.executors import process_pool

    text = {o.id: o.text for o in originals}
    groups: dict[str, list[Rewrite]] = {}
    for rw in rewrites:
        groups.setdefault(rw.source_id, []).append(rw)
    jobs = [(text[source], [rw.text for rw in group]) for source, group in groups.items()]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="meaning (MiniLM cosine)", unit="original", file=sys.stderr, leave=False)
    cosine: dict[str, float] = {}
    with ExitStack() as stack:
        if bar is not None:
            stack.callback(bar.close)
        results: Iterable[list[float]] = map(_measure_group, jobs)
        if workers > 1:
            pool = stack.enter_context(process_pool(workers, initializer=_one_thread))
            results = pool.map(_measure_group, jobs, chunksize=4)
        for group, values in zip(groups.values(), results):
            cosine.update((rw.id, value) for rw, value in zip(group, values))
            if bar is not None:
                bar.update()
    return [replace(rw, meaning_cosine=cosine[rw.id]) for rw in rewrites]


def meaning_preservation(rewrites: Sequence[Rewrite]) -> tuple[list[dict[str, Any]], list[RealismPoint]]:
    """Per (rewriter, strength): the mean MiniLM cosine (the card's meaning column) and the
    realism figures (medians, share inside the real-spinner region), over every rewrite; and
    every rewrite's point for the realism map."""
    points = [RealismPoint(rw.rewriter, rw.strength, rw.word_change_rate, rw.ngram5_overlap, rw.meaning_cosine)
              for rw in rewrites]
    realism = {(row["rewriter"], row["strength"]): row for row in realism_rows(points)}
    groups: dict[tuple[str, str], list[float]] = {}
    for rw in rewrites:
        groups.setdefault((rw.rewriter, rw.strength), []).append(rw.meaning_cosine)
    rows = [{"rewriter": key[0], "strength": key[1], "n": len(cosines),
             "mean_cosine": round(sum(cosines) / len(cosines), 4),
             **{name: round(float(realism[key][name]), 4)
                for name in ("median_change", "median_containment", "median_cosine", "share_in_region")}}
            for key, cosines in sorted(groups.items())]
    return rows, points


def _rewrites_origin(source: "Prebuilt | _CachedRewrites | _PartlyMade") -> str:
    """What a build took its rewrites from, as build.json records it."""
    if isinstance(source, _PartlyMade):
        return (f"{_rewrites_origin(source.source)} for {', '.join(sorted(source.reused))}; "
                f"the rewriters for the others")
    return f"cached build {source.folder.name}" if isinstance(source, _CachedRewrites) else "shipped data"


def _build(config: BuildConfig, description: Mapping[str, Any], key: str, target: Path, progress: bool,
           prebuilt: "Prebuilt | _CachedRewrites | _PartlyMade | None" = None) -> None:
    """Build into ``target``: rewrite everything, or take the rewrites from the shipped data or a cached build."""
    import datasets
    from datasets import Dataset, DatasetDict

    from rewrite_bench import corpus
    from rewrite_bench.card import render_card

    started = time.perf_counter()
    say = (lambda msg: print(msg, file=sys.stderr)) if progress else (lambda msg: None)
    if isinstance(prebuilt, _PartlyMade):
        source = prebuilt.source
        todo = [entry for entry in config.plan if make_rewriter(entry.spec).name not in prebuilt.reused]
        say(f"using the rewrites of {len(prebuilt.reused)} rewriters from {_rewrites_origin(source)} "
            f"({source.folder}); rewriting with {', '.join(entry.spec for entry in todo) or 'none'} ...")
        originals, shipped = source.read()
        made, made_failures = [], []
        if todo:
            made, made_failures = make_rewrites(originals, todo, config.seed,
                                                cache_dir=str(target.parent.parent / "rewriter-cache"),
                                                slow_cap=config.max_originals, progress=progress, measure=True)
            say(f"{len(made)} new rewrites, their meaning measured ({len(made_failures)} could not be made)")
        rewrites = sorted([r for r in shipped if r.rewriter in prebuilt.reused] + made, key=lambda r: r.id)
        failures = sorted([f for f in (RewriteFailure(**f) for f in source.info["failures"])
                           if f.rewriter in prebuilt.reused] + made_failures,
                          key=lambda f: (f.original_id, f.rewriter, f.strength))
        corpus_record = dict(source.info["corpus"])
    elif prebuilt is not None:
        say(f"using the originals and rewrites of {_rewrites_origin(prebuilt)} ({prebuilt.folder}); "
            f"deriving the tasks ...")
        originals, rewrites = prebuilt.read()
        failures = [RewriteFailure(**f) for f in prebuilt.info["failures"]]
        corpus_record = dict(prebuilt.info["corpus"])
    else:
        say("loading originals from installed packages ...")
        originals, corpus_stats = corpus.load_originals_with_stats(seed=config.seed)
        corpus_record = asdict(corpus_stats)
        originals = _limit_originals(originals, config.max_originals)
        say("rewriting, and measuring each rewrite's meaning (MiniLM cosine to its source) as it is made ...")
        rewrites, failures = make_rewrites(originals, config.plan, config.seed,
                                           cache_dir=str(target.parent.parent / "rewriter-cache"),
                                           slow_cap=config.max_originals, progress=progress, measure=True)
        say(f"{len(rewrites)} rewrites of {len(originals)} originals ({len(failures)} could not be made)")
    meaning, realism_points = meaning_preservation(rewrites)

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
        # Rewrites without stored edits hash as they did before edits were stored, so a build
        # from data shipped without them keeps the fingerprint its results record.
        "rewrites": fingerprint_rows({k: v for k, v in row.items() if k != "edits" or v} for row in rewrite_rows),
        "tasks": task_fingerprints,
    }).encode()).hexdigest()

    info = {
        "bench_version": __version__,
        "config_key": key,
        "config": description,
        "fingerprint": fingerprint,
        "task_fingerprints": task_fingerprints,
        "corpus": corpus_record,
        "failures": [asdict(f) for f in failures],
        "meaning_preservation": meaning,
        "rewrites_from": "rewriters" if prebuilt is None else _rewrites_origin(prebuilt),
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


def load_or_build(cache_dir: Path, config: BuildConfig = BuildConfig(), *, progress: bool = True,
                  from_scratch: bool = False, prebuilt_dir: Path | None = None) -> BenchmarkData:
    """The built benchmark for ``config``: from the cache if intact, else built now.

    A configuration whose rewrites key is the shipped data's (the default build) takes its originals and
    rewrites from ``benchmark/prebuilt`` (or ``prebuilt_dir``) and only derives the tasks; so does one
    whose rewrites key is that of an intact build already in the cache (it differs only in its tasks).
    Otherwise, where the shipped data or a cached build has the same originals and some of the
    plan's entries exactly as configured, their rewrites are taken and only the other entries
    are rewritten (:class:`_PartlyMade`).
    ``from_scratch`` runs every rewriter instead, into ``<cache>/scratch/<key>`` so that it
    never replaces the build made from the shipped data; the translation cache makes a killed
    rebuild resume without redoing finished translations.
    """
    from rewrite_bench.prebuilt import PREBUILT_DIR, find_prebuilt, shipped_checksums

    description = describe_config(config)
    key = config_key(description)
    folder = key
    if not from_scratch:
        # A build derived from the shipped data is cached under the shipped files' checksums too,
        # so that a re-export of the same rewrites (one that adds their edits) is not hidden by a
        # build cached from the previous export. The key itself, and so the fingerprint, stays
        # that of the configuration: the same rewrites give the same build however they came.
        shipped = shipped_checksums(rewrites_key(description), prebuilt_dir or PREBUILT_DIR)
        if shipped is not None:
            folder = f"{key}-{config_key(shipped)[:8]}"
    target = cache_dir / ("scratch" if from_scratch else "data") / folder
    found = _usable(target)
    if found is not None:
        return found
    try:
        # One builder per build: a second process waits for the first, then loads its result.
        with build_lock(target.with_name(target.name + ".lock")):
            found = _usable(target)
            if found is not None:
                return found
            for stale in target.parent.glob(f".{target.name}.*.partial"):  # a killed builder's scratch
                shutil.rmtree(stale, ignore_errors=True)
            prebuilt = None
            if not from_scratch:
                wanted = rewrites_key(description)
                prebuilt = (find_prebuilt(wanted, prebuilt_dir or PREBUILT_DIR)
                            or _cached_rewrites(target.parent, wanted)
                            or _partly_made(description, prebuilt_dir or PREBUILT_DIR, target.parent))
            _build(config, description, key, target, progress, prebuilt)
    except OSError as error:
        raise BenchError(f"could not write the build to {target}: {error}. "
                         f"Choose a writable --cache-dir or set REWRITE_BENCH_CACHE.") from error
    return _load(target)


@dataclass(frozen=True)
class _CachedRewrites:
    """The originals and rewrites of an intact cached build (read like the shipped data).

    Rewriting is the expensive part of a build and tasks are cheap to derive, so a build whose
    configuration differs from a cached one only in its tasks (a new task, a new task version)
    derives its tasks from the rewrites already made instead of rewriting everything again.
    """

    folder: Path
    info: Mapping[str, Any]
    """``failures`` and ``corpus`` of the cached build."""

    def read(self) -> tuple[list[Original], list[Rewrite]]:
        data = _load(self.folder)
        return ([Original(**row) for row in data.originals().to_list()],
                [Rewrite(**row) for row in data.rewrites().to_list()])


def _cached_rewrites(data_dir: Path, wanted: str) -> _CachedRewrites | None:
    """An intact build under ``data_dir`` whose rewrites key is ``wanted``, or None."""
    for build_file in sorted(data_dir.glob("*/build.json")):
        try:
            info = json.loads(build_file.read_text(encoding="utf-8"))
            same = rewrites_key(info["config"]) == wanted
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # not a build of this version; nothing to reuse
        if same and verify(build_file.parent) is None:
            return _CachedRewrites(build_file.parent, {"failures": info["failures"], "corpus": info["corpus"]})
    return None


@dataclass(frozen=True)
class _PartlyMade:
    """Some plan entries' rewrites from another build (the shipped data or a cached build); the
    other entries are still to be rewritten.

    Each entry's rewrites depend only on the entry (rewriter, version, parameters), the
    originals and the seed: which originals an entry gets, its donors and every rewrite's
    seed are chosen per entry. So a build that adds a rewriter to another build's plan (a user's
    ``--rewriter``, a new entry in the default plan) rewrites with that rewriter only.
    """

    source: "Prebuilt | _CachedRewrites"
    reused: frozenset[str]
    """Names of the rewriters whose rewrites and failures are taken from ``source``."""


def _same_originals(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two build configurations have the same originals and seeds (all but the plan)."""
    return ({k: v for k, v in a.items() if k not in ("rewriters", "tasks")}
            == {k: v for k, v in b.items() if k not in ("rewriters", "tasks")})


def _partly_made(description: Mapping[str, Any], prebuilt_dir: Path, data_dir: Path) -> _PartlyMade | None:
    """The build (shipped or cached) with the same originals that holds the most of this
    configuration's plan entries, exactly as configured; None if none holds any."""
    from rewrite_bench.prebuilt import find_prebuilt, shipped_config

    sources: list[tuple[Mapping[str, Any], Callable[[], "Prebuilt | _CachedRewrites | None"]]] = []
    shipped = shipped_config(prebuilt_dir)
    if shipped is not None:
        sources.append((shipped, lambda: find_prebuilt(rewrites_key(shipped), prebuilt_dir)))
    for build_file in sorted(data_dir.glob("*/build.json")):
        try:
            info = json.loads(build_file.read_text(encoding="utf-8"))
            config = info["config"]
            cached = _CachedRewrites(build_file.parent, {"failures": info["failures"], "corpus": info["corpus"]})
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a build of this version; nothing to reuse
        sources.append((config, lambda cached=cached: cached if verify(cached.folder) is None else None))
    best: tuple[int, _PartlyMade] | None = None
    for config, load in sources:
        if not isinstance(config, Mapping) or not _same_originals(config, description):
            continue
        held = config.get("rewriters") or []
        reused = frozenset(entry["name"] for entry in description["rewriters"] if entry in held)
        if reused and (best is None or len(reused) > best[0]):
            source = load()
            if source is not None:
                best = (len(reused), _PartlyMade(source, reused))
    return best[1] if best is not None else None


def _usable(target: Path) -> BenchmarkData | None:
    """The intact build at ``target``, or None (a damaged one is removed, with a warning)."""
    if not target.exists():
        return None
    problem = verify(target)
    if problem is None:
        return _load(target)
    print(f"warning: cached build at {target} is unusable: {problem}; rebuilding it.", file=sys.stderr)
    shutil.rmtree(target)
    return None


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` while building; wait, saying who holds it, if another does.

    ``flock`` locks go with the process: a builder killed with ``kill -9`` releases its lock,
    and since a build directory only appears once complete, the next run simply builds again.
    """
    import fcntl
    import os
    import socket

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            print(f"waiting for {holder}, which is building this data ({path.with_suffix('')}); "
                  f"its build will be used.", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the shipped data: export and verification ------------------------------------------------

def export_prebuilt(data: BenchmarkData, folder: Path) -> None:
    """Write ``data``'s originals and rewrites as the shipped data (maintainers, after a change
    to the default build: ``bench build --from-scratch --export-prebuilt benchmark/prebuilt``)."""
    from rewrite_bench.prebuilt import write_prebuilt

    info = data.info
    write_prebuilt(folder, rewrites_key=rewrites_key(info["config"]), fingerprint=info["fingerprint"],
                   originals=[Original(**row) for row in data.originals().to_list()],
                   rewrites=[Rewrite(**row) for row in data.rewrites().to_list()],
                   info={**{name: info[name] for name in ("failures", "corpus")},
                         "config": rewrites_config(info["config"])})


@dataclass(frozen=True)
class Verification:
    """A rebuild compared with the shipped data, item by item."""

    originals: frozenset[str]
    """Ids of the originals whose rewrites were compared."""
    n_rewrites: int
    differences: Sequence[Any]
    """:class:`rewrite_bench.prebuilt.Difference` per original or rewrite that is not the same."""


def _sample_ids(ids: Sequence[str], n: int, seed: int) -> set[str]:
    return set(sorted(ids, key=lambda i: hashlib.sha256(f"{seed}:verify:{i}".encode()).hexdigest())[:n])


def verify_against_prebuilt(cache_dir: Path, config: BuildConfig = BuildConfig(), *, sample: int | None = None,
                            progress: bool = True, prebuilt_dir: Path | None = None) -> Verification:
    """Rebuild (every original, or a stable ``sample`` of them) and compare with the shipped data.

    The originals are re-read from the installed corpora and compared too. Back-translation
    output can depend on the CPU, so a rebuild elsewhere may differ in a few items: this says
    which, instead of silently producing another fingerprint.
    """
    from rewrite_bench import corpus
    from rewrite_bench.prebuilt import PREBUILT_DIR, Difference, compare_rewrites, find_prebuilt

    if sample is not None and sample < 1:
        raise BenchError(f"--sample must be >= 1, got {sample}.")
    prebuilt = find_prebuilt(rewrites_key(describe_config(config)), prebuilt_dir or PREBUILT_DIR)
    if prebuilt is None:
        raise BenchError("there is no shipped data for this build configuration (only the default build, without "
                         "--max-originals or --rewriter, ships); nothing to verify against.")
    shipped_originals, shipped_rewrites = prebuilt.read()
    if sample is None:
        data = load_or_build(cache_dir, config, progress=progress, from_scratch=True)
        originals = [Original(**row) for row in data.originals().to_list()]
        rewrites = [Rewrite(**row) for row in data.rewrites().to_list()]
        chosen = {o.id for o in originals}
    else:
        originals = _limit_originals(corpus.load_originals(seed=config.seed), config.max_originals)
        chosen = _sample_ids([o.id for o in originals], sample, config.seed)
        rewrites, _ = make_rewrites(originals, config.plan, config.seed, cache_dir=str(cache_dir / "rewriter-cache"),
                                    slow_cap=config.max_originals, progress=progress, only=chosen, measure=True)
        shipped_rewrites = [r for r in shipped_rewrites if r.source_id in chosen]
    old = {o.id: o.text for o in shipped_originals}
    new = {o.id: o.text for o in originals}
    differences = [Difference(oid, "original", "the installed corpora give another text or none")
                   for oid in sorted(old.keys() | new.keys()) if old.get(oid) != new.get(oid)]
    differences += compare_rewrites(shipped_rewrites, rewrites)
    return Verification(originals=frozenset(chosen), n_rewrites=len(shipped_rewrites), differences=differences)


def record_shipped_edits(cache_dir: Path, config: BuildConfig = BuildConfig(), *, progress: bool = True,
                         prebuilt_dir: Path | None = None, workers: int | None = None) -> Verification:
    """Make every shipped rewrite again to record its edits, and write them into the shipped data.

    A cold rebuild without its most expensive step: the rewrites' measurements (change,
    containment, MiniLM cosine) are already shipped and stay as they are; only the edits are
    new. A rewrite that comes out differently here (back-translation can differ by CPU) keeps
    no edits, and the returned :class:`Verification` names it. The shipped fingerprint is
    updated, since a build's fingerprint covers stored edits.
    """
    from dataclasses import replace

    from rewrite_bench.prebuilt import PREBUILT_DIR, compare_rewrites, find_prebuilt

    folder = prebuilt_dir or PREBUILT_DIR
    key = rewrites_key(describe_config(config))
    prebuilt = find_prebuilt(key, folder)
    if prebuilt is None:
        raise BenchError(f"{folder} holds no shipped data for this build configuration; nothing to record edits for.")
    originals, shipped = prebuilt.read()
    rebuilt, _ = make_rewrites(originals, config.plan, config.seed, cache_dir=str(cache_dir / "rewriter-cache"),
                               workers=workers, slow_cap=config.max_originals, progress=progress)
    differences = compare_rewrites(shipped, rebuilt)  # texts and edits: the rebuilt rewrites are not measured
    edits = {r.id: r.edits for r in rebuilt}
    unusable = {d.id for d in differences}
    rewrites = [replace(r, edits="" if r.id in unusable else edits.get(r.id, "")) for r in shipped]
    _rewrite_shipped(folder, prebuilt, originals, rewrites, config, progress)
    return Verification(originals=frozenset(o.id for o in originals), n_rewrites=len(shipped), differences=differences)


def remeasure_shipped_meaning(config: BuildConfig = BuildConfig(), *, progress: bool = True,
                              prebuilt_dir: Path | None = None, workers: int | None = None) -> list[str]:
    """Measure the meaning of every shipped rewrite again (after a change of how it is
    measured, which bumps :data:`DATA_VERSION`) and write it into the shipped data under this
    code's key; returns the ids whose cosine changed.

    The shipped data must be this configuration's apart from its data version. Texts, edits
    and the other measurements stay. Where a cosine moves across the region's threshold a task
    row changes too (its ``hard`` flag), and with it that task's fingerprint: the caller sees
    it in the build's task fingerprints.
    """
    from rewrite_bench.prebuilt import PREBUILT_DIR, find_prebuilt, shipped_config

    folder = prebuilt_dir or PREBUILT_DIR
    current = rewrites_config(describe_config(config))
    stored = shipped_config(folder)
    if stored is None or _but_version(stored) != _but_version(current):
        raise BenchError(f"{folder} holds no shipped data of this build configuration (apart from its data "
                         f"version); nothing to measure.")
    prebuilt = find_prebuilt(rewrites_key(stored), folder)
    if prebuilt is None:
        raise BenchError(f"{folder}: its manifest's key does not match its configuration; re-export it.")
    originals, shipped = prebuilt.read()
    measured = measure_meaning(originals, shipped, progress, workers)
    changed = [new.id for old, new in zip(shipped, measured) if old.meaning_cosine != new.meaning_cosine]
    if changed or stored != current:
        _rewrite_shipped(folder, prebuilt, originals, measured, config, progress)
    return changed


def _but_version(description: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in description.items() if name != "data_version"}


def _rewrite_shipped(folder: Path, prebuilt: "Prebuilt", originals: Sequence[Original], rewrites: Sequence[Rewrite],
                     config: BuildConfig, progress: bool) -> None:
    """Write ``rewrites`` as the shipped data in ``folder``, with the fingerprint a build from them computes."""
    from rewrite_bench.prebuilt import write_prebuilt

    current = rewrites_config(describe_config(config))
    key, info = rewrites_key(current), {**prebuilt.info, "config": current}
    with tempfile.TemporaryDirectory() as scratch:
        write_prebuilt(Path(scratch) / "prebuilt", rewrites_key=key, fingerprint=prebuilt.fingerprint,
                       originals=originals, rewrites=rewrites, info=info)
        data = load_or_build(Path(scratch) / "cache", config, progress=progress,
                             prebuilt_dir=Path(scratch) / "prebuilt")
        fingerprint = data.fingerprint
    write_prebuilt(folder, rewrites_key=key, fingerprint=fingerprint, originals=originals, rewrites=rewrites, info=info)
