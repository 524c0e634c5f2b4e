"""The small data types and protocols every part of RewriteBench shares.

Data flows one way: originals -> rewrites -> task items -> scores -> metrics -> results.
Records are frozen dataclasses so that nothing downstream can edit what was built.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    from rewrite_bench.metrics import SliceSpec

__all__ = [
    "SPLITS",
    "STRENGTHS",
    "Original",
    "Rewrite",
    "RewriteError",
    "Rewriter",
    "BenchError",
    "TaskMetadata",
    "Task",
]

#: Split names, in the order they are built and listed.
SPLITS: tuple[str, ...] = ("train", "dev", "test")

#: Graded rewrite strengths, lightest first.
STRENGTHS: tuple[str, ...] = ("light", "medium", "heavy")


class BenchError(Exception):
    """An error the user can fix; the CLI prints its message (no traceback) and exits non-zero."""


@dataclass(frozen=True)
class Original:
    """One original passage: the text a content farm would copy."""

    id: str
    """Stable id, e.g. ``news-bg-0042`` or ``wiki-000012-03``."""
    domain: str
    """``news`` or ``encyclopedia``."""
    source_doc: str
    """Id of the source document; splits never separate passages of one document."""
    split: str
    """``train``, ``dev`` or ``test``."""
    text: str


@dataclass(frozen=True)
class Rewrite:
    """A rewrite of one original, with the provenance needed to reproduce it."""

    id: str
    source_id: str
    """Id of the :class:`Original` it was made from."""
    rewriter: str
    rewriter_version: str
    strength: str
    params: str
    """The rewriter's parameters at this strength, as sorted-key JSON."""
    seed: int
    seen_in_training: bool
    """False for a rewriter held out of train and dev (applied to test originals only)."""
    text: str
    ngram5_overlap: float
    """Share of the rewrite's word 5-grams that also occur in its source (containment)."""
    word_change_rate: float
    """Share of the source's words not kept in order by the rewrite (difflib alignment)."""
    length_ratio: float
    """Rewrite word count / source word count."""
    meaning_cosine: float = float("nan")
    """MiniLM cosine to the source (first 256 word pieces of each), rounded to 4 places: set for
    every rewrite by the build (``rewrite_bench.realism.meaning_cosines``, as each rewrite is
    made); NaN until then."""
    edits: str = ""
    """Where each part of the rewrite came from, as the rewriter reported it
    (``rewrite_bench.rewriters.provenance.encode_spans``; ``decode_spans`` reads it back), or
    empty where that is not known: a rewriter that reports no edits (``llm``), or rewrites taken
    from shipped data exported before edits were stored."""


class RewriteError(Exception):
    """A rewriter could not make a valid rewrite of a text (e.g. nothing to change)."""


@runtime_checkable
class Rewriter(Protocol):
    """A deterministic rewriter: the same text, params and seeded rng give the same output.

    ``strengths`` maps each strength name (``light``/``medium``/``heavy``) to the parameters
    used at that strength; they are recorded with every rewrite.
    """

    name: str
    version: str
    strengths: Mapping[str, Mapping[str, object]]

    def rewrite(self, text: str, params: Mapping[str, object], rng: random.Random) -> str:
        """Return the rewritten text; raise :class:`RewriteError` if no change is possible."""
        ...


@dataclass(frozen=True)
class TaskMetadata:
    """What a task is and how the harness runs it."""

    name: str
    version: str
    """Bumped whenever the items or the scoring change; results of two versions never mix."""
    description: str
    main_score: str
    inputs: tuple[str, ...]
    """Item columns handed to the model, in argument order."""
    model_method: str
    """Method a model object implements for this task, e.g. ``score_pairs``."""
    slices: tuple["SliceSpec", ...]
    """Metadata columns reported as per-slice breakdowns."""
    shape: str = "scored"
    """The kind of evaluation (a key of :data:`rewrite_bench.shapes.SHAPES`): ``scored`` items with the
    AUROC family of metrics, or ``ranked`` retrieval. The shape, not the task's name, decides how
    the harness runs the task and what its tables show."""
    leaderboard_slices: tuple[str, ...] = ()
    """Slice keys shown as extra main-score columns on the leaderboard, in order."""
    rerank_with: str | None = None
    """``ranked`` tasks: the scored task whose model method re-ranks first-stage candidates for a
    model that cannot search, and on whose train split such a model is fitted."""

    def __post_init__(self) -> None:
        from rewrite_bench.shapes import check_metadata  # the shapes know what each of them needs

        check_metadata(self)


@dataclass(frozen=True)
class Task:
    """A task: its metadata and the pure function that builds its labelled items per split."""

    metadata: TaskMetadata
    build_items: Callable[[Sequence[Original], Sequence[Rewrite], int], dict[str, list[dict[str, Any]]]]
    """``build_items(originals, rewrites, seed) -> {split: [item row, ...]}``; rows sorted by id.

    Every split of :data:`SPLITS` is a key. A task may add other parts after them, e.g. the
    ``pool`` of documents ``retrieve`` searches; the task's fingerprint covers every part."""
