"""Where ``bench build`` rewrites and ``bench eval`` scores: this machine, or a Ray cluster.

``--executor local`` (the default) is the single-machine behaviour: a process pool for the
build, one process for scoring. ``--executor ray[:ADDRESS]`` hands the same work to Ray
(https://docs.ray.io): without an address a Ray is started on this machine, with one
(``auto``, ``HOST:6379``, ``ray://HOST:10001``) an existing cluster is joined.

Nothing here decides *what* is computed, only *where*: every rewrite has its own seed and
every score is a function of its item's texts, so an executor can never change a build's
fingerprint or a score. Ray is imported only when a Ray executor is used (``bench --help``
stays instant; ``pip install -e ".[ray]"`` adds it).

Ray itself schedules tasks and actors, retries tasks whose worker died or raised, and
restarts dead actors; this module only bounds how much is in flight (so a million items are
not all serialised at once), says which originals or items a failure was about, and keeps
one Ray session open for a whole command.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar, Union

from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from rewrite_bench.models import LoadedModel
    from rewrite_bench.types import TaskMetadata

__all__ = ["Executor", "LocalExecutor", "RayExecutor", "parse_executor", "use_executor", "current_executor",
           "import_ray", "process_pool"]

T = TypeVar("T")

RAY_INSTALL = 'pip install -e ".[ray]"'


@dataclass(frozen=True)
class LocalExecutor:
    """This machine only: a process pool for the build, the calling process for scoring."""

    def describe(self) -> str:
        return "local"


def process_pool(workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> "ProcessPoolExecutor":
    """The local executor's process pool: ``workers`` processes started from a fresh interpreter
    (``forkserver``), never forked from this one.

    Why: a process that has run torch on more than one thread (MiniLM, e.g. for a rewrite's
    meaning measured in this process) cannot be forked safely: the child's torch thread pool
    waits forever for threads the fork did not copy. Module-level functions, picklable
    arguments and the caller's ``sys.path`` reach the workers as with a fork.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=initializer, initargs=initargs)


@dataclass(frozen=True)
class RayExecutor:
    """Ray tasks for the build, Ray actors (each holding the model once) for scoring."""

    address: str | None = None
    """A cluster to join (``auto``, ``HOST:PORT``, ``ray://HOST:10001``); None starts Ray here."""
    workers: int | None = None
    """Scoring actors; for a Ray started here, also its CPUs. None: one per CPU of the cluster."""
    num_gpus: float = 0.0
    """GPUs each scoring actor asks Ray for (fractions share a GPU)."""
    max_retries: int = 2
    """Retries of a failed task (a dead worker or an exception) before the command stops."""

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise BenchError(f"--ray-workers must be >= 1, got {self.workers}.")
        if self.num_gpus < 0:
            raise BenchError(f"--ray-gpus must be >= 0, got {self.num_gpus}.")

    def describe(self) -> str:
        return "ray" + (f":{self.address}" if self.address else "")

    # --- the build: one task per batch of rewrite jobs -------------------------------------
    def map_batches(self, fn: Callable[..., list[Any]], jobs: Sequence[T], *, fixed: tuple[Any, ...] = (),
                    describe: Callable[[list[T]], str], progress: bool = False,
                    desc: str = "tasks") -> Iterator[Any]:
        """``fn(*fixed, batch)`` (``fn`` a module-level function) for batches of ``jobs``, one Ray task each; the batches' outputs, flattened,
        in the order tasks complete (callers sort).

        A task that fails ``1 + max_retries`` times stops the command: a :class:`BenchError` of
        the task's own is raised as it is (it already names its original), anything else is
        reported with ``describe(batch)``.
        """
        with _session(self) as ray:
            cpus = _cluster_cpus(ray)
            size = batch_size_for(len(jobs), cpus)
            batches = [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]
            remote = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=True)(fn)
            bar = _bar(progress, len(batches), desc, "task")
            try:
                for _, outputs in _bounded(ray, batches, lambda batch: remote.remote(*fixed, batch), 4 * cpus,
                                           describe, self.max_retries):
                    if bar is not None:
                        bar.update()
                    yield from outputs
            finally:
                if bar is not None:
                    bar.close()

    # --- scoring: actors that load the model once --------------------------------------------
    def score_units(self, model: "LoadedModel", task: "TaskMetadata", batch_size: int,
                    units: Sequence[tuple[list[str], list[list[str]]]], *,
                    prepare: bool) -> Iterator[tuple[int, "np.ndarray"]]:
        """Score each unit ``(ids, input columns)`` on an actor; ``(unit index, scores)`` as they complete.

        The model (already fitted, if it fits) is sent to the object store once and every actor
        unpickles it once; it then scores its units exactly as the local loop does (the same
        prepare chunk and the same batches), so the scores are the same.
        """
        from rewrite_bench.runner import score_unit  # the one scoring loop, shared with the local run

        with _session(self) as ray:
            if self.num_gpus and not ray.cluster_resources().get("GPU"):
                raise BenchError(f"--ray-gpus {self.num_gpus}: the Ray cluster ({self.describe()}) has no GPU.")
            try:
                model_ref = ray.put(model)
            except Exception as error:  # e.g. a lambda, a lock, an open file in the user's model
                raise BenchError(f"model {model.name!r} cannot be sent to Ray workers ({type(error).__name__}: "
                                 f"{error}); make it picklable, or use --executor local.") from error

            @ray.remote
            class Scorer:
                def __init__(self, loaded: Any) -> None:
                    self.model = loaded  # unpickled once per actor: weights load once per actor

                def score(self, ids: list[str], columns: list[list[str]]) -> Any:
                    return score_unit(self.model, task, ids, columns, batch_size=batch_size, prepare=prepare)

            if self.workers is not None:
                n_actors = self.workers
            elif self.num_gpus:
                n_actors = max(1, int(ray.cluster_resources().get("GPU", 0) / self.num_gpus))
            else:
                n_actors = _cluster_cpus(ray)
            n_actors = max(1, min(n_actors, len(units)))
            options = {"num_cpus": 1, "num_gpus": self.num_gpus, "max_restarts": 1,
                       "max_task_retries": self.max_retries}
            actors = [Scorer.options(**options).remote(model_ref) for _ in range(n_actors)]
            load = {i: 0 for i in range(n_actors)}
            placed: dict[int, int] = {}

            def submit(index: int) -> Any:
                actor = min(load, key=load.__getitem__)  # the least busy actor
                load[actor] += 1
                placed[index] = actor
                return actors[actor].score.remote(*units[index])

            def describe(index: int) -> str:
                from rewrite_bench.io import show_ids

                return f"scoring items {show_ids(units[index][0])} with model {model.name!r}"

            try:
                for index, scores in _bounded(ray, range(len(units)), submit, 2 * n_actors, describe,
                                              self.max_retries):
                    load[placed.pop(index)] -= 1
                    yield index, scores
            finally:
                for actor in actors:
                    ray.kill(actor)


Executor = Union[LocalExecutor, RayExecutor]


def parse_executor(text: str, *, workers: int | None = None, num_gpus: float | None = None) -> Executor:
    """``--executor local|ray[:ADDRESS]`` (with ``--ray-workers``/``--ray-gpus``) to an executor."""
    kind, _, address = text.partition(":")
    if kind == "local" and not address:
        if workers is not None or num_gpus is not None:
            raise BenchError("--ray-workers and --ray-gpus need --executor ray[:ADDRESS].")
        return LocalExecutor()
    if kind == "ray":
        if ":" in text and not address:
            raise BenchError(f"--executor {text!r}: give the cluster address after 'ray:' (e.g. ray:auto, "
                             f"ray:10.0.0.5:6379, ray:ray://head:10001), or just 'ray' to start Ray here.")
        import_ray()  # fail now, before any data is loaded
        return RayExecutor(address=address or None, workers=workers, num_gpus=num_gpus or 0.0)
    raise BenchError(f"--executor {text!r}: choose 'local' or 'ray[:ADDRESS]' (e.g. ray, ray:auto, "
                     f"ray:ray://head:10001).")


def import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise BenchError(f"--executor ray needs Ray, which is not installed ({error}): {RAY_INSTALL}") from error
    return ray


_CURRENT: contextvars.ContextVar[Executor] = contextvars.ContextVar("rewrite_bench_executor", default=LocalExecutor())
# The exit stack of the innermost use_executor block: a Ray started inside it is shut down at its end.
_BLOCK: contextvars.ContextVar[contextlib.ExitStack | None] = contextvars.ContextVar("rewrite_bench_block", default=None)


def current_executor() -> Executor:
    """The executor set by the innermost :func:`use_executor` (local outside any)."""
    return _CURRENT.get()


@contextlib.contextmanager
def use_executor(executor: Executor) -> Iterator[Executor]:
    """Run the enclosed work (e.g. a whole ``bench build``) with ``executor``.

    The build code reads the executor from here rather than from an argument threaded through
    every layer. A Ray started by the work inside stays up until the block ends (starting Ray
    costs seconds, and one command scores several splits and tasks); a block that finds its
    data cached never starts Ray at all.
    """
    with contextlib.ExitStack() as stack:
        tokens = _CURRENT.set(executor), _BLOCK.set(stack)
        try:
            yield executor
        finally:
            _CURRENT.reset(tokens[0])
            _BLOCK.reset(tokens[1])


@contextlib.contextmanager
def _session(executor: RayExecutor) -> Iterator[Any]:
    """Ray, initialised for ``executor``. An open session is reused; one started here is shut down
    at the end of the enclosing :func:`use_executor` block, or of this call outside any."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    try:
        if executor.address:
            ray.init(address=executor.address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(num_cpus=executor.workers, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise BenchError(f"--executor {executor.describe()}: cannot start or join Ray ({type(error).__name__}: "
                         f"{error}). Is a cluster running there (`ray start --head`)?") from error
    block = _BLOCK.get()
    if block is not None:
        block.callback(ray.shutdown)
        yield ray
        return
    try:
        yield ray
    finally:
        ray.shutdown()


def _cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _bar(progress: bool, total: int, desc: str, unit: str) -> Any:
    if not progress:
        return None
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)


def _bounded(ray: Any, items: Iterable[T], submit: Callable[[T], Any], limit: int, describe: Callable[[T], str],
             retries: int) -> Iterator[tuple[T, Any]]:
    """``(item, result)`` as Ray completes them, with at most ``limit`` submitted and unfinished."""
    source = iter(items)
    pending: dict[Any, T] = {}

    def fill() -> None:
        for item in source:
            pending[submit(item)] = item
            if len(pending) >= limit:
                return

    fill()
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            item = pending.pop(ready[0])
            try:
                result = ray.get(ready[0])
            except ray.exceptions.RayTaskError as error:
                cause = getattr(error, "cause", None)
                if isinstance(cause, BenchError):  # it names its original or items already
                    raise cause from error
                raise BenchError(f"{describe(item)} failed on Ray after {1 + retries} tries: "
                                 f"{type(cause or error).__name__}: {cause or error}") from error
            except ray.exceptions.RayError as error:  # a worker, actor or node that died for good
                raise BenchError(f"{describe(item)} failed on Ray after {1 + retries} tries: "
                                 f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from error
            yield item, result
            fill()
    finally:
        for ref in pending:  # stop what a failure or an interrupt left running
            with contextlib.suppress(Exception):
                ray.cancel(ref)


def batch_size_for(n_jobs: int, cpus: int, most: int = 32) -> int:
    """Jobs per build task: at least 4 tasks per CPU for balance, at most ``most`` jobs each."""
    return max(1, min(most, math.ceil(n_jobs / (4 * max(1, cpus)))))
