"""Run the rewriters of a build over its originals: the plan, the seeds, the parallel loop.

A *plan* lists rewriter specs (a registered name, ``package.module:attr``, or a chain
``a+b``) and whether train and dev may use them. Rewriters not seen in training are applied
to test originals only: that is the unseen-rewriter protocol, so a detector fitted on our
train split cannot hide overfitting to its rewriters.
"""
from __future__ import annotations

import hashlib
import inspect
import os
import random
import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Collection, Iterable, Mapping, Sequence

from rewrite_bench.io import hash_rank, stable_json
from rewrite_bench.registry import REWRITERS, load_target, suggest
from rewrite_bench.rewriters.provenance import encode_spans, has_provenance
from rewrite_bench.text import length_ratio, ngram_containment, normalize_for_dedup, word_change_rate
from rewrite_bench.types import BenchError, Original, Rewrite, RewriteError, Rewriter

if TYPE_CHECKING:
    from rewrite_bench.executors import Executor

__all__ = ["PlanEntry", "RewriteFailure", "donors_for", "make_rewriter", "make_rewrites", "rewrite_seed", "resolve_plan"]


@dataclass(frozen=True)
class PlanEntry:
    spec: str
    """A registered rewriter name, ``package.module:attr``, or a chain ``a+b+...`` of those."""
    seen_in_training: bool
    """True: applied to every split. False: test split only (an unseen rewriter)."""


@dataclass(frozen=True)
class RewriteFailure:
    """A rewrite that could not be made; reported in the card, never silently dropped."""

    original_id: str
    rewriter: str
    strength: str
    reason: str


def _make_single(spec: str, cache_dir: str | None) -> Rewriter:
    if spec in REWRITERS:
        target: Any = load_target(REWRITERS[spec].target)
    elif ":" in spec:
        module, _, attr = spec.partition(":")
        try:
            target = load_target(spec)
        except (ImportError, AttributeError) as error:
            raise BenchError(f"--rewriter {spec!r}: cannot load {attr!r} from {module!r} ({error}).") from error
    else:
        raise BenchError(f"Unknown rewriter {spec!r}.{suggest(spec, REWRITERS)} "
                         f"Known rewriters: {', '.join(REWRITERS)}; or give package.module:attr.")
    if inspect.isclass(target) or inspect.isfunction(target):  # a class, or a factory function
        wants_cache = "cache_dir" in inspect.signature(target).parameters
        try:
            target = target(cache_dir=cache_dir) if wants_cache else target()
        except TypeError as error:
            raise BenchError(f"rewriter {spec!r} needs arguments ({error}): create a configured instance in a "
                             f"module, e.g. PARAPHRASER = LLMParaphrase('my/model'), and pass "
                             f"--rewriter my_module:PARAPHRASER.") from error
    if not isinstance(target, Rewriter):
        raise BenchError(f"rewriter {spec!r} does not implement the Rewriter protocol "
                         f"(name, version, strengths, rewrite(text, params, rng)); see README.")
    return target


def make_rewriter(spec: str, cache_dir: str | None = None, shared: dict[str, Rewriter] | None = None) -> Rewriter:
    """An instance for a plan spec; ``a+b`` becomes a :class:`rewrite_bench.rewriters.chain.Chain`.

    ``shared`` (single specs to instances) lets the specs of one plan use one instance per
    rewriter: ``paraphrase`` and ``paraphrase+shorten`` then share what ``paraphrase``
    remembers about a text (its round trips), which never changes an output.
    """
    def single(part: str) -> Rewriter:
        if shared is None:
            return _make_single(part, cache_dir)
        if part not in shared:
            shared[part] = _make_single(part, cache_dir)
        return shared[part]

    parts = spec.split("+")
    if len(parts) == 1:
        return single(spec)
    from rewrite_bench.rewriters.chain import Chain

    return Chain([single(part) for part in parts])


def rewrite_seed(seed: int, original_id: str, rewriter: str, strength: str) -> int:
    digest = hashlib.sha256(f"{seed}:{original_id}:{rewriter}:{strength}".encode()).digest()
    return int.from_bytes(digest[:7], "big")




def resolve_plan(plan: Sequence[PlanEntry], originals: Sequence[Original], seed: int,
                 cache_dir: str | None, slow_cap: int | None = None) -> list[tuple[PlanEntry, Rewriter, list[Original]]]:
    """Each plan entry with its rewriter and the originals it is applied to.

    Unseen rewriters get test originals only. A rewriter with a ``max_build_originals``
    attribute (slow ones, e.g. back-translation) gets a stable, hash-chosen subset of that size,
    or of ``slow_cap`` if smaller (small smoke builds); one marked ``slow`` (seconds per text,
    e.g. ``paraphrase``) gets all its originals, but only ``slow_cap`` of them in a small build.
    """
    resolved = []
    for entry in plan:
        rewriter = make_rewriter(entry.spec, cache_dir)
        chosen = [o for o in originals if entry.seen_in_training or o.split == "test"]
        limit = getattr(rewriter, "max_build_originals", None)
        if slow_cap is not None and (limit is not None or getattr(rewriter, "slow", False)):
            limit = min(limit if limit is not None else slow_cap, slow_cap)
        if limit is not None and len(chosen) > limit:
            keep = set(sorted((o.id for o in chosen), key=lambda i: hash_rank(seed, rewriter.name, i))[:limit])
            chosen = [o for o in chosen if o.id in keep]
        resolved.append((entry, rewriter, chosen))
    return resolved


def donors_for(originals: Sequence[Original], seed: int) -> dict[str, str]:
    """For each original, the text of a donor: another original of its split and domain.

    Partial copies mix in text a content farm would plausibly mix in, and the copy should not
    come out short, so donors at least as long as the original are preferred.
    """
    from rewrite_bench.text import words

    groups: dict[tuple[str, str], list[Original]] = {}
    for original in originals:
        groups.setdefault((original.split, original.domain), []).append(original)
    length = {o.id: len(words(o.text)) for o in originals}
    donors = {}
    for original in originals:
        pool = [o for o in groups[(original.split, original.domain)] if o.source_doc != original.source_doc]
        long_enough = [o for o in pool if length[o.id] >= length[original.id]]
        if pool:
            rng = random.Random(int(hash_rank(seed, "donor", original.id)[:14], 16))
            donors[original.id] = rng.choice(long_enough or pool).text
    return donors


def _rewrite_one(original: Original, rewriter: Rewriter, entry: PlanEntry, strength: str,
                 params: Mapping[str, object], seed: int, donor: str | None) -> Rewrite | RewriteFailure:
    item_seed = rewrite_seed(seed, original.id, rewriter.name, strength)
    rng = random.Random(item_seed)
    options: dict[str, Any] = {}
    if getattr(rewriter, "needs_donor", False):
        if donor is None:
            return RewriteFailure(original.id, rewriter.name, strength, "no donor text in its split")
        options["donor"] = donor
    edits = ""
    try:
        if has_provenance(rewriter):  # the same rewrite, with where each part came from
            text, spans = rewriter.rewrite_with_provenance(original.text, params, rng, **options)  # type: ignore[attr-defined]
            edits = encode_spans(spans)
        else:
            text = rewriter.rewrite(original.text, params, rng, **options)  # type: ignore[call-arg]
    except RewriteError as error:
        return RewriteFailure(original.id, rewriter.name, strength, str(error) or "RewriteError")
    except Exception as error:  # a bug in a rewriter: stop and say where
        raise BenchError(f"rewriter {rewriter.name!r} (strength {strength}) failed on original "
                         f"{original.id!r}: {type(error).__name__}: {error}") from error
    if not isinstance(text, str) or not text.strip():
        return RewriteFailure(original.id, rewriter.name, strength, "empty output")
    if normalize_for_dedup(text) == normalize_for_dedup(original.text):
        return RewriteFailure(original.id, rewriter.name, strength, "output equals its source")
    return Rewrite(
        id=f"{original.id}~{rewriter.name}~{strength}",
        source_id=original.id,
        rewriter=rewriter.name,
        rewriter_version=rewriter.version,
        strength=strength,
        params=stable_json(dict(params)),
        seed=item_seed,
        seen_in_training=entry.seen_in_training,
        text=text,
        ngram5_overlap=round(ngram_containment(text, original.text, 5), 6),
        word_change_rate=round(word_change_rate(original.text, text), 6),
        length_ratio=round(length_ratio(original.text, text), 6),
        edits=edits,
    )


# Worker state: each process builds its rewriters once (they load resources lazily).
_WORKER: dict[str, Any] = {}


def _init_worker(plan: Sequence[PlanEntry], cache_dir: str | None, measure: bool = False,
                 threads: int | None = None) -> None:
    if threads is not None:
        # Rewriters that run a neural model (paraphrase's meaning checks) use this many threads:
        # the workers share the CPUs, and torch threads that wait on a busy core are slower than none.
        os.environ.setdefault("REWRITE_BENCH_THREADS", str(threads))
    shared: dict[str, Rewriter] = {}
    _WORKER["rewriters"] = {entry.spec: make_rewriter(entry.spec, cache_dir, shared) for entry in plan}
    _WORKER["measure"] = measure
    _WORKER["key"] = (tuple(plan), cache_dir, measure)


#: One unit of work: an original, the plan entries applied to it (in plan order), the build
#: seed and the original's donor text.
Job = tuple[Original, tuple[PlanEntry, ...], int, str | None]


def _run_job(job: Job) -> list[Rewrite | RewriteFailure]:
    """Every planned rewrite of one original. One process makes them all, one after another,
    so what the rewriters remember about a text is used while it is still remembered:
    ``paraphrase`` and its chains share the original's round trips and sentence embeddings,
    which a job per (original, entry) spread over the workers would compute again per chain."""
    original, entries, seed, donor = job
    outputs = [_rewrite_one(original, _WORKER["rewriters"][entry.spec], entry, strength, params, seed, donor)
               for entry in entries for strength, params in _WORKER["rewriters"][entry.spec].strengths.items()]
    if not _WORKER["measure"]:
        return outputs
    from rewrite_bench.realism import meaning_cosines

    made = [i for i, output in enumerate(outputs) if isinstance(output, Rewrite)]
    cosines = meaning_cosines(original.text, [outputs[i].text for i in made])  # type: ignore[union-attr]
    for i, cosine in zip(made, cosines):
        outputs[i] = replace(outputs[i], meaning_cosine=cosine)  # type: ignore[type-var]
    return outputs


def _run_batch(plan: tuple[PlanEntry, ...], cache_dir: str | None, measure: bool,
               jobs: list[Job]) -> list[Rewrite | RewriteFailure]:
    """A batch of jobs in a Ray task; a reused worker process keeps its rewriters."""
    if _WORKER.get("key") != (tuple(plan), cache_dir, measure):
        _init_worker(plan, cache_dir, measure)  # Ray gives each task one CPU and sets OMP_NUM_THREADS to match
    return [output for job in jobs for output in _run_job(job)]


def _describe_batch(jobs: list[Job]) -> str:
    from rewrite_bench.io import show_ids

    return (f"rewriting originals {show_ids([job[0].id for job in jobs])} "
            f"with {sorted({entry.spec for job in jobs for entry in job[1]})}")


def make_rewrites(originals: Sequence[Original], plan: Sequence[PlanEntry], seed: int, *,
                  cache_dir: str | None = None, workers: int | None = None, slow_cap: int | None = None,
                  progress: bool = False, only: Collection[str] | None = None, measure: bool = False,
                  executor: "Executor | None" = None) -> tuple[list[Rewrite], list[RewriteFailure]]:
    """Every planned rewriter at every strength on its originals, in a stable order.

    ``measure``: also measure each rewrite's meaning (:func:`rewrite_bench.realism.meaning_cosines`)
    in the worker that made it, right after making it: the measurement then runs on every CPU
    while other originals are still being rewritten, instead of as a phase of its own.

    ``only`` (original ids) makes just the rewrites of those originals, exactly as the whole
    build makes them: which originals each rewriter gets and every donor are still chosen
    from all of ``originals`` (``bench build --verify --sample``).

    ``executor`` (default: :func:`rewrite_bench.executors.current_executor`, local unless set) says
    where the jobs run: a process pool here, or Ray tasks (one per batch of jobs).

    Results do not depend on ``workers`` or the executor: each rewrite has its own seed. A rewriter that
    raises :class:`RewriteError`, returns an empty text or returns its input is recorded as a
    failure; any other exception aborts the build naming the original and the rewriter.
    """
    resolved = resolve_plan(plan, originals, seed, cache_dir, slow_cap)
    donors = donors_for(originals, seed)
    applied: dict[str, list[PlanEntry]] = {}
    for entry, _, chosen in resolved:
        for original in chosen:
            applied.setdefault(original.id, []).append(entry)
    jobs: list[Job] = [(original, tuple(applied[original.id]), seed, donors.get(original.id)) for original in originals
                       if original.id in applied and (only is None or original.id in only)]
    from rewrite_bench.executors import RayExecutor, current_executor, process_pool

    executor = executor or current_executor()
    if isinstance(executor, RayExecutor):
        outputs = list(executor.map_batches(_run_batch, jobs, fixed=(tuple(plan), cache_dir, measure),
                                            describe=_describe_batch, progress=progress, desc="rewriting"))
        return _sorted_outputs(outputs)
    workers = max(1, min(workers or os.cpu_count() or 1, sum(len(job[1]) for job in jobs) // 50 or 1))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="rewriting", unit="original", file=sys.stderr, leave=False)
    outputs: list[Rewrite | RewriteFailure] = []
    try:
        if workers == 1:
            _init_worker(plan, cache_dir, measure)
            results: Iterable[list[Rewrite | RewriteFailure]] = map(_run_job, jobs)
            for result in results:
                outputs.extend(result)
                if bar is not None:
                    bar.update()
        else:
            threads = max(1, (os.cpu_count() or 1) // workers)
            with process_pool(workers, initializer=_init_worker,
                              initargs=(tuple(plan), cache_dir, measure, threads)) as pool:
                for result in pool.map(_run_job, jobs, chunksize=2):
                    outputs.extend(result)
                    if bar is not None:
                        bar.update()
    finally:
        if bar is not None:
            bar.close()
    return _sorted_outputs(outputs)


def _sorted_outputs(outputs: Sequence[Rewrite | RewriteFailure]) -> tuple[list[Rewrite], list[RewriteFailure]]:
    """Rewrites by id and failures by (original, rewriter, strength): the order never depends on the executor."""
    rewrites = sorted((o for o in outputs if isinstance(o, Rewrite)), key=lambda r: r.id)
    failures = sorted((o for o in outputs if isinstance(o, RewriteFailure)),
                      key=lambda f: (f.original_id, f.rewriter, f.strength))
    return rewrites, failures
