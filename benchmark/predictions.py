"""``--model predictions:FILE.jsonl``: scores computed elsewhere, matched to the items by id.

One ``{"id": str, "score": number}`` object per line; for a span task (``align``,
``distortion``) ``{"id": str, "spans": [[start, end, score], ...]}`` (a ``score`` may be there
too: the results' own predictions files have both). The file is read and checked once (ids
non-empty and unique, scores finite, spans a list); the harness then asks it to
:meth:`PredictionsFile.cover` a task's items, so a file for another task or data version fails
with the ids named. Spans are checked against each item's candidate when they are used
(``rewrite_bench.span_metrics.check_spans``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from rewrite_bench.io import jsonl_objects, show_ids
from rewrite_bench.types import BenchError

__all__ = ["PredictionsFile"]


class PredictionsFile:
    """Scores computed elsewhere: a JSONL file of ``{"id": str, "score": number}`` lines."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise BenchError(f"--model predictions:{path}: no such file. Give a JSONL file with one "
                             f'{{"id": ..., "score": ...}} object per line.')
        self.spans: dict[str, Any] = {}
        """A span task's predictions: id -> its spans as read (checked against the item when used)."""
        self.scores = self._read()

    @property
    def has_spans(self) -> bool:
        """Whether the file gives spans (a span task's predictions)."""
        return bool(self.spans)

    def _read(self) -> dict[str, float]:
        from rewrite_bench.results import finite_score

        scores: dict[str, float] = {}
        seen_lines: dict[str, list[int]] = {}
        bad_scores: list[str] = []
        where = f"predictions file {self.path}"
        for number, row in jsonl_objects(self.path, where):
            if "id" not in row or ("score" not in row and "spans" not in row):
                raise BenchError(f"{where}, line {number}: each line needs the keys 'id' and 'score' (or 'spans', for "
                                 f"a span task); found {sorted(row)}.")
            item_id, score = row["id"], row.get("score", 0.0)
            if isinstance(item_id, int) and not isinstance(item_id, bool):
                item_id = str(item_id)  # integer ids of a user's data set (e.g. PAWS) are kept as text
            if not isinstance(item_id, str) or not item_id:
                raise BenchError(f"{where}, line {number}: 'id' must be a non-empty string, got {item_id!r}.")
            seen_lines.setdefault(item_id, []).append(number)
            if "spans" in row:
                if not isinstance(row["spans"], list):
                    raise BenchError(f"{where}, line {number}: 'spans' must be a list of [start, end, score], got "
                                     f"{type(row['spans']).__name__}.")
                self.spans[item_id] = [tuple(span) if isinstance(span, list) else span for span in row["spans"]]
            value = finite_score(score)
            if value is None:
                bad_scores.append(item_id)
                continue
            scores[item_id] = value
        duplicates = sorted(i for i, numbers in seen_lines.items() if len(numbers) > 1)
        if duplicates:
            shown = ", ".join(f"{i} (lines {', '.join(map(str, seen_lines[i]))})" for i in duplicates[:10])
            raise BenchError(f"{where}: {len(duplicates)} duplicate ids: {shown}. Keep one score per id.")
        if bad_scores:
            raise BenchError(f"{where}: scores that are not finite numbers for {len(bad_scores)} ids: "
                             f"{show_ids(bad_scores)}.")
        if not scores:
            raise BenchError(f"{where} has no predictions.")
        return scores

    def cover(self, needed: Sequence[str], known: set[str], task: str, spans: bool = False) -> None:
        """Fail unless every needed id has a score (``spans``: spans) and every scored id is an item of the task."""
        missing = [i for i in needed if i not in (self.spans if spans else self.scores)]
        if missing:
            what = "spans" if spans else "score"
            raise BenchError(f"predictions file {self.path} has no {what} for {len(missing)} items of task "
                             f"{task!r}: {show_ids(missing)}. Give every item its {what} (see README: 'Scores from a "
                             f"file').")
        extra = sorted(i for i in self.scores if i not in known)
        if extra:
            raise BenchError(f"predictions file {self.path} has {len(extra)} ids that are not items of task "
                             f"{task!r}: {show_ids(extra)}. Is it for another task or data version?")

    def has_any(self, ids: Sequence[str]) -> bool:
        return any(i in self.scores for i in ids)

    def score_ids(self, ids: Sequence[str]) -> list[float]:
        return [self.scores[i] for i in ids]

    def spans_ids(self, ids: Sequence[str]) -> list[Any]:
        return [self.spans[i] for i in ids]
