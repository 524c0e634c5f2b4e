"""Task shapes: the kind of evaluation a task is, and everything that follows from that kind.

A task names its shape in its metadata (``TaskMetadata.shape``). The shape owns what the harness
would otherwise decide from the task's name: which model methods can serve the task, how it is
evaluated, what its leaderboard table shows, and whether users may bring their own data for it.
So adding a task of an existing shape is one module in ``tasks/`` plus one registry line, and the
harness never branches on a task's name.

* :class:`ScoredItems` (``scored``): every item gets one score from ``score_pairs`` or
  ``score_texts``; AUROC, AP, TPR at low FPR, and F1/accuracy at dev-split thresholds.
* :class:`RankedRetrieval` (``ranked``): a pool is indexed and each query searched; MRR,
  recall@k and AUROC of "has a source".
* :class:`AlignedSpans` (``aligned-spans``) and :class:`FlaggedSpans` (``flagged-spans``): the
  model returns character spans of each candidate (``(start, end, score)``), measured against
  gold spans: PAN's plagdet and span F1 for alignment; token F1 and AP, and the AUROC of "has a
  flagged span", for flagging (``rewrite_bench.span_eval``).
"""
from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from rewrite_bench.types import BenchError, TaskMetadata

if TYPE_CHECKING:
    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.models import LoadedModel
    from rewrite_bench.runner import EvalOutcome
    from rewrite_bench.schema import Result, SliceRow

__all__ = ["POOL", "TaskShape", "ScoredItems", "RankedRetrieval", "SpanTask", "AlignedSpans", "FlaggedSpans", "SHAPES",
           "shape_of", "check_metadata", "registered_task", "task_of_record", "format_score"]


def format_score(value: Any) -> str:
    """A metric as the tables show it: three decimals, or an en dash when it is undefined."""
    return "–" if value is None else f"{value:.3f}"


class TaskShape(ABC):
    """What every task of one shape shares. Subclasses are stateless; :data:`SHAPES` holds one each."""

    name: ClassVar[str]
    main_scores: ClassVar[tuple[str, ...]]
    """Metrics a task of this shape may rank by (its ``main_score``)."""
    accepts_user_data: ClassVar[bool] = False
    """Whether ``bench eval --data FILE`` can feed a task of this shape (rows of its inputs and a label)."""
    has_ranks: ClassVar[bool] = False
    """Whether its predictions carry the rank of each query's source (for recall@k figures)."""
    method_note: ClassVar[str] = ""
    """What the leaderboard says under the task's heading about how its numbers were made."""
    roc_title: ClassVar[str] = "ROC"
    """What the ROC curves of its results (each item's score against its label) show."""

    def check(self, task: TaskMetadata) -> list[str]:
        """Problems with ``task``'s metadata for this shape (none: it is valid)."""
        return []

    @abstractmethod
    def unsupported(self, model: "LoadedModel", task: TaskMetadata) -> str | None:
        """Why ``model`` cannot run ``task``, or None if it can."""
        raise NotImplementedError

    @abstractmethod
    def evaluate(self, model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                 limit: int | None, batch_size: int, score_cache_dir: Path | None,
                 progress: bool = True) -> "EvalOutcome":
        """Run ``model`` on one split of ``task`` in the built data and return its results record."""
        raise NotImplementedError

    @abstractmethod
    def metric_columns(self, with_tpr_intervals: bool = False) -> list[str]:
        """Leaderboard columns after the main score."""
        raise NotImplementedError

    @abstractmethod
    def metric_cells(self, record: "Result", tpr_interval: tuple[float, float] | None = None) -> list[str]:
        """One record's cells for :meth:`metric_columns`."""
        raise NotImplementedError

    @abstractmethod
    def run_columns(self) -> list[str]:
        """Columns of the table ``bench eval`` prints after a run, after task and split."""
        raise NotImplementedError

    @abstractmethod
    def run_cells(self, record: "Result") -> list[str]:
        """One result's cells for :meth:`run_columns`."""
        raise NotImplementedError

    @abstractmethod
    def slice_columns(self) -> list[str]:
        """Columns of a result's slice table (after slice, value and counts)."""
        raise NotImplementedError

    @abstractmethod
    def slice_cells(self, row: "SliceRow") -> list[str]:
        """One slice row's cells for :meth:`slice_columns`."""
        raise NotImplementedError


class ScoredItems(TaskShape):
    name = "scored"
    main_scores = ("auroc",)
    accepts_user_data = True
    method_note = ("F1 and accuracy use thresholds chosen on the dev split; CI: seeded stratified bootstrap "
                   "(1,000 resamples).")

    def check(self, task: TaskMetadata) -> list[str]:
        if not task.model_method.startswith("score_"):
            return [f"its model method must be a score_* method (one score per item), not {task.model_method!r}"]
        return []

    def unsupported(self, model: "LoadedModel", task: TaskMetadata) -> str | None:
        return model.scoring_problem(task)

    def evaluate(self, model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                 limit: int | None, batch_size: int, score_cache_dir: Path | None,
                 progress: bool = True) -> "EvalOutcome":
        from rewrite_bench.runner import evaluate_task

        return evaluate_task(model, task, data, split=split, limit=limit, batch_size=batch_size,
                             progress=progress, score_cache_dir=score_cache_dir)

    def metric_columns(self, with_tpr_intervals: bool = False) -> list[str]:
        return ["AP", "TPR@1%FPR" + (" (95% CI)" if with_tpr_intervals else ""), "TPR@5%FPR", "F1", "Acc"]

    def metric_cells(self, record: "Result", tpr_interval: tuple[float, float] | None = None) -> list[str]:
        m = record.metrics
        tpr = format_score(m["tpr_at_1pct_fpr"])
        if tpr_interval is not None:
            tpr += f" [{format_score(tpr_interval[0])}, {format_score(tpr_interval[1])}]"
        return [format_score(m["ap"]), tpr, format_score(m["tpr_at_5pct_fpr"]), format_score(m["f1"]),
                format_score(m["accuracy"])]

    def run_columns(self) -> list[str]:
        return ["n (+/-)", "AUROC (95% CI)", "AP", "TPR@1%FPR", "TPR@5%FPR", "F1", "Acc"]

    def run_cells(self, record: "Result") -> list[str]:
        m = record.metrics
        lo, hi = m.get("auroc_ci95") or (None, None)
        return [f"{record.n.positive}/{record.n.negative}",
                f"{format_score(m['auroc'])} [{format_score(lo)}, {format_score(hi)}]",
                *(format_score(m[key]) for key in ("ap", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "f1", "accuracy"))]

    def slice_columns(self) -> list[str]:
        return ["AUROC", "AP", "TPR@5%FPR", "F1"]

    def slice_cells(self, row: "SliceRow") -> list[str]:
        return [format_score(row.score(key)) for key in ("auroc", "ap", "tpr_at_5pct_fpr", "f1")]


#: The part of a ranked task's data, beside its splits, that holds the documents to search.
POOL = "pool"


class RankedRetrieval(TaskShape):
    name = "ranked"
    main_scores = ("mrr",)
    has_ranks = True
    roc_title = "has-source ROC"
    method_note = ("MRR and recall over the queries that have a source in the pool (top 100 asked); AUROC "
                   "has-source tells those from the queries without one by the top score; CI: seeded bootstrap "
                   "of MRR (1,000 resamples). A pair scorer is run by re-ranking BM25's top 20.")

    def check(self, task: TaskMetadata) -> list[str]:
        problems = []
        if task.model_method != "search":
            problems.append(f"its model method must be 'search' (index() then search()), not {task.model_method!r}")
        if task.rerank_with is None:
            problems.append("it must name the scored task whose scorer re-ranks candidates (rerank_with)")
        return problems

    def unsupported(self, model: "LoadedModel", task: TaskMetadata) -> str | None:
        if model.by_id:
            return "a predictions file holds one score per item; retrieval needs ranked lists"
        rerank = registered_task(task.rerank_with or "")
        if model.native_retriever() or (rerank is not None and model.unsupported(rerank) is None):
            return None
        return "it has neither index()/search() nor a pair scorer to re-rank candidates with"

    def evaluate(self, model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                 limit: int | None, batch_size: int, score_cache_dir: Path | None,
                 progress: bool = True) -> "EvalOutcome":
        from rewrite_bench.executors import LocalExecutor, current_executor
        from rewrite_bench.retrieval import evaluate_retrieval

        if not isinstance(current_executor(), LocalExecutor):  # one index in one process: nothing to shard
            print(f"note: task {task.name!r} runs in this process (--executor applies to scoring items).",
                  file=sys.stderr)
        return evaluate_retrieval(model, task, data, split=split, limit=limit, batch_size=batch_size,
                                  progress=progress, score_cache_dir=score_cache_dir)

    def metric_columns(self, with_tpr_intervals: bool = False) -> list[str]:
        return ["R@1", "R@10", "AUROC has-source", "method"]

    def metric_cells(self, record: "Result", tpr_interval: tuple[float, float] | None = None) -> list[str]:
        m, how = record.metrics, record.retrieval.model_dump()
        method = "index+search" if how["method"] != "rerank" else f"re-rank {how['first_stage']} top {how['depth']}"
        return [format_score(m["recall_at_1"]), format_score(m["recall_at_10"]),
                format_score(m["auroc_has_source"]), method]

    def run_columns(self) -> list[str]:
        return ["queries with/without source", "pool", "method", "MRR (95% CI)", "R@1", "R@10", "AUROC has-source"]

    def run_cells(self, record: "Result") -> list[str]:
        m, how = record.metrics, record.retrieval.model_dump()
        lo, hi = m.get("mrr_ci95") or (None, None)
        method = how["method"] + (f" of {how['first_stage']} top {how['depth']}" if how["method"] == "rerank" else "")
        return [f"{record.n.positive}/{record.n.negative}", str(how["pool_size"]), method,
                f"{format_score(m['mrr'])} [{format_score(lo)}, {format_score(hi)}]",
                *(format_score(m[key]) for key in ("recall_at_1", "recall_at_10", "auroc_has_source"))]

    def slice_columns(self) -> list[str]:
        return ["MRR", "R@1", "R@10", "AUROC has-source"]

    def slice_cells(self, row: "SliceRow") -> list[str]:
        return [format_score(row.score(key)) for key in ("mrr", "recall_at_1", "recall_at_10", "auroc_has_source")]


class SpanTask(TaskShape):
    """A task whose model returns character spans of each candidate; see :mod:`rewrite_bench.span_eval`."""

    #: (column title, metric key) after the main score, on the leaderboard and after a run.
    columns: ClassVar[tuple[tuple[str, str], ...]]
    accepts_user_data = True

    def check(self, task: TaskMetadata) -> list[str]:
        problems = []
        if not task.model_method.endswith("_spans"):
            problems.append(f"its model method must be a *_spans method (spans per candidate), not {task.model_method!r}")
        if tuple(task.inputs) != ("original", "candidate"):
            problems.append(f"its inputs must be ('original', 'candidate'), the text the spans are in last; "
                            f"not {task.inputs!r}")
        return problems

    def unsupported(self, model: "LoadedModel", task: TaskMetadata) -> str | None:
        if model.by_id:
            return None if model.obj.has_spans else "its predictions file has no 'spans' for the items"
        if not callable(getattr(model.obj, task.model_method, None)):
            # A plain function is a scorer (one number per item); spans need the named method.
            return f"it has no {task.model_method}()"
        return None

    def evaluate(self, model: "LoadedModel", task: TaskMetadata, data: "BenchmarkData", *, split: str,
                 limit: int | None, batch_size: int, score_cache_dir: Path | None,
                 progress: bool = True) -> "EvalOutcome":
        from rewrite_bench.span_eval import evaluate_spans

        return evaluate_spans(model, task, data, split=split, limit=limit, batch_size=batch_size, progress=progress)

    def metric_columns(self, with_tpr_intervals: bool = False) -> list[str]:
        return [title for title, _ in self.columns]

    def metric_cells(self, record: "Result", tpr_interval: tuple[float, float] | None = None) -> list[str]:
        return [format_score(record.metrics.get(key)) for _, key in self.columns]

    def run_columns(self) -> list[str]:
        return ["n (+/-)", f"{self.main_scores[0]} (95% CI)", *(title for title, _ in self.columns)]

    def run_cells(self, record: "Result") -> list[str]:
        m = record.metrics
        lo, hi = m.get(f"{record.task.main_score}_ci95") or (None, None)
        return [f"{record.n.positive}/{record.n.negative}",
                f"{format_score(m[record.task.main_score])} [{format_score(lo)}, {format_score(hi)}]",
                *self.metric_cells(record)]

    def slice_columns(self) -> list[str]:
        return [self.main_scores[0], *(title for title, _ in self.columns)]

    def slice_cells(self, row: "SliceRow") -> list[str]:
        return [format_score(row.score(key)) for key in (self.main_scores[0], *(key for _, key in self.columns))]


class AlignedSpans(SpanTask):
    name = "aligned-spans"
    main_scores = ("plagdet",)
    roc_title = "derived-text ROC (highest span score)"
    columns = (("precision", "precision"), ("recall", "recall"), ("granularity", "granularity"),
               ("span F1", "span_f1"))
    method_note = ("plagdet (PAN): character precision and recall over the candidates' derived text, divided by "
                   "log2(1 + granularity); span F1: gold and predicted spans that overlap. Items without a derived "
                   "span (same-topic texts) count against every span predicted on them. CI: seeded bootstrap over "
                   "items (1,000 resamples).")


class FlaggedSpans(SpanTask):
    name = "flagged-spans"
    main_scores = ("token_f1",)
    roc_title = "has-change ROC (highest span score)"
    columns = (("token P", "token_precision"), ("token R", "token_recall"), ("token AP", "token_ap"),
               ("AUROC has-change", "auroc_has_change"))
    method_note = ("Token F1: tokens inside gold and predicted spans, pooled over items (a deletion's gold is the "
                   "token it touches); token AP ranks tokens by the best span score over them; AUROC has-change "
                   "tells the candidates with a meaning change by their highest span score. CI: seeded bootstrap "
                   "over items (1,000 resamples).")


#: Every shape, by the name a task's metadata gives.
SHAPES: Mapping[str, TaskShape] = {shape.name: shape for shape in (ScoredItems(), RankedRetrieval(), AlignedSpans(),
                                                                    FlaggedSpans())}


def check_metadata(task: TaskMetadata) -> None:
    """Raise ``ValueError`` naming the task and each problem if its metadata does not fit its shape."""
    shape = SHAPES.get(task.shape)
    if shape is None:
        raise ValueError(f"task {task.name!r}: unknown shape {task.shape!r}; choose one of {list(SHAPES)}.")
    problems = shape.check(task)
    if task.main_score not in shape.main_scores:
        problems.append(f"its main score must be one of {list(shape.main_scores)} for a {shape.name} task, "
                        f"not {task.main_score!r}")
    keys = [s.key for s in task.slices]
    if len(set(keys)) != len(keys):
        problems.append(f"its slice keys repeat: {keys}")
    problems += [f"leaderboard slice {key!r} is not one of its slices {keys}"
                 for key in task.leaderboard_slices if key not in keys]
    if problems:
        raise ValueError(f"task {task.name!r}: " + "; ".join(problems) + ".")


def shape_of(task: TaskMetadata) -> TaskShape:
    return SHAPES[task.shape]


def registered_task(name: str) -> TaskMetadata | None:
    """The metadata of the registered task ``name``, or None if no task has that name."""
    from rewrite_bench.registry import TASKS, load_target

    entry = TASKS.get(name)
    return load_target(entry.target).metadata if entry is not None else None


def task_of_record(record: "Result") -> TaskMetadata:
    """The registered task a results record is of (its tables and figures follow the task's shape)."""
    task = registered_task(record.task.name)
    if task is None:
        raise BenchError(f"{record.where}: a result of task {record.task.name!r}, which is not registered here; "
                         f"install the package that registers it, or move the file out of the results folder.")
    return task
