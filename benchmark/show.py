"""``bench show REWRITE_ID``: one rewrite beside its source, with every edit marked; and
``bench show ITEM_ID --model NAME``: one item of a span task with its gold spans and a model's.

A build made by the rewriters stores each rewrite's edits (``Rewrite.edits``). Rewrites taken
from shipped data exported before that have none, but the build stores each rewrite's
rewriter, parameters and seed, so the rewrite is made again, this time asking the rewriter
where each piece came from (:mod:`rewrite_bench.rewriters.provenance`). :func:`render_edits` marks the pieces in plain
text (or ANSI colour on a terminal) so that a person can see what a spinner changed, and
where it changed the meaning.

For an item of ``align`` or ``distortion`` (:func:`find_span_item`), :func:`render_span_match`
marks the candidate's characters that the gold and a model's spans agree on, the gold spans the
model missed and the spans it predicted where the gold has none, so that a person can see what a
score means.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from rewrite_bench.types import BenchError

if TYPE_CHECKING:
    from rewrite_bench.build import BenchmarkData
    from rewrite_bench.rewriters.provenance import Span

__all__ = ["Explained", "explain_rewrite", "render_edits", "edit_summary", "LEGEND", "SpanItem", "find_span_item",
           "render_span_match", "SPAN_LEGEND"]

#: How each kind of span is marked in plain text: (opening, closing).
_MARKS = {
    "copied": ("", ""),
    "moved": ("{", "}"),
    "substituted": ("[", "]"),
    "translated": ("<", ">"),
    "inserted": ("[+", "+]"),
    "deleted": ("[-", "-]"),
}
#: ANSI styles for the same kinds (a terminal shows colours instead of brackets).
_STYLES = {
    "copied": "", "moved": "\033[34m", "substituted": "\033[33m", "translated": "\033[36m",
    "inserted": "\033[32m", "deleted": "\033[31;9m",
}
_CHANGES_STYLE = "\033[1;41;97m"
_RESET = "\033[0m"
#: A substitution shows what it replaced when that is at most this long.
_SHOW_BEFORE = 40

LEGEND = ("copied as it was; {moved}; [substituted <- was]; <translated sentence>; [+inserted+]; [-deleted-]; "
          "!marks an edit that changes the meaning")
_COLOUR_LEGEND = (f"copied as it was; {_STYLES['moved']}moved{_RESET}; {_STYLES['substituted']}substituted "
                  f"<- was{_RESET}; {_STYLES['translated']}translated{_RESET}; {_STYLES['inserted']}inserted{_RESET}; "
                  f"{_STYLES['deleted']}deleted{_RESET}; {_CHANGES_STYLE}changes the meaning{_RESET}")


@dataclass(frozen=True)
class Explained:
    """A stored rewrite, made again with its edits."""

    rewrite_id: str
    rewriter: str
    strength: str
    seed: int
    source: str
    stored: str
    """The rewrite as the build stored it."""
    remade: str
    """The rewrite the spans belong to: ``stored`` when the build stored its edits, else the rewrite
    made again now, equal to ``stored`` unless an engine (translation) changed."""
    spans: tuple["Span", ...]
    """The edits of ``remade`` in ``source``."""


def explain_rewrite(data: "BenchmarkData", rewrite_id: str) -> Explained:
    """The rewrite ``rewrite_id`` of the build with its edits: the stored ones, or made again where
    the build stored none; a :class:`BenchError` naming what is missing."""
    from rewrite_bench.rewriters.provenance import decode_spans, has_provenance
    from rewrite_bench.rewriting import donors_for, make_rewriter
    from rewrite_bench.types import Original

    rewrites = data.rewrites()
    ids = rewrites["id"]
    if rewrite_id not in ids:
        prefix = rewrite_id.split("~", 1)[0]
        near = [i for i in ids if i.startswith(prefix + "~")][:3] or list(ids[:3])
        raise BenchError(f"no rewrite {rewrite_id!r} in the build at {data.path}; ids are "
                         f"ORIGINAL~REWRITER~STRENGTH, e.g. {', '.join(near)}")
    row = rewrites[ids.index(rewrite_id)]
    originals = [Original(**o) for o in data.originals().to_list()]
    source = next(o for o in originals if o.id == row["source_id"])
    if row.get("edits"):  # the build stored the rewriter's edits: nothing to make again
        return Explained(rewrite_id, row["rewriter"], row["strength"], row["seed"], source.text, row["text"],
                         row["text"], decode_spans(row["edits"]))
    # A rewriter added with --rewriter my_module:X is recorded by its name; the plan knows its spec.
    specs = {entry["name"]: entry["spec"] for entry in data.info["config"]["rewriters"]}
    try:
        rewriter = make_rewriter(specs.get(row["rewriter"], row["rewriter"]),
                                 cache_dir=str(data.path.parent.parent / "rewriter-cache"))
    except BenchError as error:
        raise BenchError(f"cannot make rewriter {row['rewriter']!r} of {rewrite_id!r} again: {error}") from error
    if not has_provenance(rewriter):
        raise BenchError(f"rewriter {row['rewriter']!r} does not report its edits (a language model returns a new "
                         "text, not a list of edits), so its rewrites cannot be shown edit by edit")
    options = {}
    if getattr(rewriter, "needs_donor", False):
        options["donor"] = donors_for(originals, int(data.info["config"]["seed"]))[source.id]
    remade, spans = rewriter.rewrite_with_provenance(  # type: ignore[attr-defined]
        source.text, json.loads(row["params"]), random.Random(row["seed"]), **options)
    return Explained(rewrite_id, row["rewriter"], row["strength"], row["seed"], source.text, row["text"],
                     remade, tuple(spans))


def render_edits(source: str, rewrite: str, spans: Sequence["Span"], *, colour: bool = False) -> str:
    """``rewrite`` with every edit marked (see :data:`LEGEND`), in brackets or in ANSI colour."""
    out: list[str] = []
    for span in spans:
        piece = rewrite[span.start:span.end]
        before = source[span.source_start:span.source_end]
        if span.kind == "copied" or (not piece.strip() and not before.strip() and span.meaning == "keeps"):
            out.append(piece)  # a space that became a line break is not worth a mark
            continue
        if span.kind == "deleted":
            piece = before
        elif span.kind == "substituted" and len(before) <= _SHOW_BEFORE:
            piece = f"{piece} <- {before}"
        changes = span.meaning == "changes"
        if colour:
            style = _CHANGES_STYLE if changes else _STYLES[span.kind]
            out.append(f"{style}{piece}{_RESET}")
        else:
            opening, closing = _MARKS[span.kind]
            out.append(f"{'!' if changes else ''}{opening}{piece}{closing}")
    return "".join(out)


def edit_summary(rewrite: str, spans: Sequence["Span"]) -> str:
    """Shares of the rewrite's characters by kind, and the number of edits that change the meaning."""
    total = max(1, len(rewrite))
    by_kind: dict[str, int] = {}
    for span in spans:
        by_kind[span.kind] = by_kind.get(span.kind, 0) + span.end - span.start
    shares = ", ".join(f"{kind} {by_kind[kind] / total:.0%}" for kind in _MARKS if by_kind.get(kind))
    deleted = sum(1 for span in spans if span.kind == "deleted")
    changes = sum(1 for span in spans if span.meaning == "changes")
    return (f"characters of the rewrite: {shares}; {deleted} deletion(s); "
            f"{changes} edit(s) that change the meaning")


def colour_legend() -> str:
    return _COLOUR_LEGEND


# --- span task items: gold against a model's spans ---------------------------------------

#: Marks of a span item's characters: (opening, closing, ANSI style) for found, missed, extra.
_MATCH = {"found": ("[=", "=]", "\033[1;42;97m"), "missed": ("[?", "?]", "\033[4;33m"),
          "extra": ("[!", "!]", "\033[1;41;97m")}
SPAN_LEGEND = ("[=gold and model=]; [?gold, missed by the model?]; [!the model's, not in the gold!]; "
               "an empty gold span (a deletion) is shown as [?^?] at its place")


@dataclass(frozen=True)
class SpanItem:
    """One item of a span task of the build."""

    task: str
    split: str
    row: dict
    gold: tuple[tuple[int, int], ...]


def find_span_item(data: "BenchmarkData", item_id: str) -> SpanItem:
    """The item ``item_id`` of a span task of the build (searched in every span task and split)."""
    from rewrite_bench.registry import TASKS, load_target
    from rewrite_bench.shapes import SpanTask, shape_of
    from rewrite_bench.span_eval import gold_spans

    tasks = [meta.name for meta in (load_target(entry.target).metadata for entry in TASKS.values())
             if isinstance(shape_of(meta), SpanTask) and meta.name in data.task_fingerprints]
    examples: list[str] = []
    for task in tasks:
        for split, items in data.task(task).items():
            ids = items["id"]
            if item_id in ids:
                row = items[ids.index(item_id)]
                return SpanItem(task, split, row, tuple(gold_spans(row["gold"], item_id)))
            examples += ids[:1]
    raise BenchError(f"no item {item_id!r} in the span tasks {tasks} of the build at {data.path}; their ids look "
                     f"like {', '.join(examples[:2])} (a rewrite's id, ORIGINAL~REWRITER~STRENGTH, shows its edits)")


def render_span_match(text: str, gold: Sequence[tuple[int, int]], predicted: Sequence[Sequence[float]], *,
                      colour: bool = False) -> str:
    """``text`` with each run of characters marked as found, missed or extra (see :data:`SPAN_LEGEND`)."""
    state = [0] * (len(text) + 1)  # bit 1: gold, bit 2: predicted
    deletions = sorted({start for start, end in gold if start == end})
    for start, end in gold:
        for i in range(start, end):
            state[i] |= 1
    for span in predicted:
        for i in range(int(span[0]), int(span[1])):
            state[i] |= 2
    names = {1: "missed", 2: "extra", 3: "found"}
    out: list[str] = []
    position = 0
    while position < len(text):
        if position in deletions:
            opening, closing, style = _MATCH["missed"]
            out.append(f"{style}^{_RESET}" if colour else f"{opening}^{closing}")
        kind = state[position]
        end = position + 1
        while end < len(text) and state[end] == kind and end not in deletions:
            end += 1
        piece = text[position:end]
        if kind == 0:
            out.append(piece)
        else:
            opening, closing, style = _MATCH[names[kind]]
            out.append(f"{style}{piece}{_RESET}" if colour else f"{opening}{piece}{closing}")
        position = end
    if len(text) in deletions:
        opening, closing, style = _MATCH["missed"]
        out.append(f"{style}^{_RESET}" if colour else f"{opening}^{closing}")
    return "".join(out)
